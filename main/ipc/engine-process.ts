/**
 * The desktop app's engine: main/engine/host/utility-entry.js in an Electron utility
 * process, spoken to over a MessagePortMain with the same protocol the web host's worker
 * thread uses (main/engine/host/protocol.ts, tested there with a plain MessageChannel).
 * Kept thin on purpose: Electron is not available to the tests.
 */
import path from 'node:path';
import { MessageChannelMain, utilityProcess } from 'electron';
import { createEngineClient, type EngineConnection, type EngineHost } from '../engine/host/client.js';
import type { Lane } from '../../common/operations.js';
import type { KeyHandoff } from '../engine/host/key-handoff.js';
import { electronPortChannel } from '../engine/host/protocol.js';
import type { UtilityStart } from '../engine/host/utility-entry.js';

const ENTRY = path.join(import.meta.dirname, '..', 'engine', 'host', 'utility-entry.js');

function utilityConnection(lane: Lane, start: UtilityStart): EngineConnection {
  const child = utilityProcess.fork(ENTRY, [], { serviceName: `Deepscan engine (${lane})`, stdio: 'inherit' });
  const { port1, port2 } = new MessageChannelMain();
  child.postMessage(start, [port2]);
  let stopping = false;
  let onExit: (reason: string) => void = () => {};
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code) => {
      port1.close();
      if (!stopping) onExit(`exit code ${code}`);
      resolve();
    });
  });
  return {
    channel: electronPortChannel(port1),
    onExit: (l) => (onExit = l),
    async terminate() {
      stopping = true;
      child.kill();
      await exited;
    },
  };
}

/** The engine in utility processes (one per lane of the table), each restarted on its next call after a crash. */
export function startUtilityEngine(opts: { home?: string; signingKey?: () => KeyHandoff | undefined; log?: (message: string, error: unknown) => void }): EngineHost {
  // The key is handed over afresh at each (re)start.
  return createEngineClient((lane) => utilityConnection(lane, { home: opts.home, signingKey: opts.signingKey?.() }), { log: opts.log });
}
