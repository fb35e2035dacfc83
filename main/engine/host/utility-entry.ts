/**
 * Entry of the engine in an Electron utility process (desktop app; see main/ipc/engine-process.ts).
 * Electron gives the process `process.parentPort`; main's first message carries the start
 * options and, as its port, the MessagePortMain the protocol runs over. No `electron` import:
 * this is plain Node apart from that parentPort.
 */
import { setKeyProtector } from '../case/signing-key.js';
import { createWorkstationService } from '../service/index.js';
import { handedOverProtector, type KeyHandoff } from './key-handoff.js';
import { electronPortChannel, type ElectronPortLike } from './protocol.js';
import { serveEngine } from './serve-engine.js';

export interface UtilityStart {
  home?: string;
  signingKey?: KeyHandoff;
}

interface ParentPort {
  once(event: 'message', listener: (e: { data: unknown; ports: ElectronPortLike[] }) => void): void;
}

const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort;
if (!parentPort) throw new Error('utility-entry runs in an Electron utility process only');
parentPort.once('message', ({ data, ports }) => {
  const start = data as UtilityStart;
  if (start.signingKey) setKeyProtector(handedOverProtector(start.signingKey));
  serveEngine(electronPortChannel(ports[0]), createWorkstationService({ home: start.home }));
});
