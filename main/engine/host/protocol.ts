/**
 * The message protocol between a host (web host, CLI serve, Electron main) and the engine
 * running in its own thread or process. Transport-neutral: a worker thread's parentPort, a
 * node:worker_threads MessagePort and Electron's MessagePortMain all carry it (structured
 * clone), each through a small `EngineChannel` adapter.
 *
 * host → engine: `call` (an operation of the table, by name, with its already validated
 * arguments) and `cancel-all`; engine → host: `ready`, `result` (always a Result), `event`
 * (a task event) and `done` (cancel-all finished).
 */
import type { TaskEvent } from '../../../common/api.js';
import type { Result } from '../../../common/result.js';

export type HostMessage =
  | { t: 'call'; id: number; op: string; args: unknown[] }
  | { t: 'cancel-all'; id: number };

export type EngineMessage =
  | { t: 'ready' }
  | { t: 'result'; id: number; result: Result<unknown> }
  | { t: 'event'; event: TaskEvent }
  | { t: 'done'; id: number };

/** One end of the link: send a message, subscribe to incoming ones. */
export interface EngineChannel<In, Out> {
  send(message: Out): void;
  /** Returns an unsubscribe function. */
  onMessage(listener: (message: In) => void): () => void;
}

/** The part of node:worker_threads' MessagePort / parentPort the protocol uses. */
export interface NodePortLike {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  off(event: 'message', listener: (message: unknown) => void): unknown;
}

/** Adapter for worker_threads ports (the message is the data itself). */
export function nodePortChannel<In, Out>(port: NodePortLike): EngineChannel<In, Out> {
  return {
    send: (m) => port.postMessage(m),
    onMessage(listener) {
      const l = (m: unknown) => listener(m as In);
      port.on('message', l);
      return () => void port.off('message', l);
    },
  };
}

/** The part of Electron's MessagePortMain the protocol uses (its events wrap the data). */
export interface ElectronPortLike {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (event: { data: unknown }) => void): unknown;
  off(event: 'message', listener: (event: { data: unknown }) => void): unknown;
  start(): void;
}

/** Adapter for Electron's MessagePortMain (utility process ↔ main). */
export function electronPortChannel<In, Out>(port: ElectronPortLike): EngineChannel<In, Out> {
  const channel: EngineChannel<In, Out> = {
    send: (m) => port.postMessage(m),
    onMessage(listener) {
      const l = (e: { data: unknown }) => listener(e.data as In);
      port.on('message', l);
      return () => void port.off('message', l);
    },
  };
  port.start();
  return channel;
}
