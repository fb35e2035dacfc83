/**
 * The host side of the engine protocol: a WorkstationService whose every operation is a
 * message to an engine thread or process, so that nothing the engine computes runs on the
 * host's event loop (the Electron main process, the web host).
 *
 * - Two engines, one per lane of the operation table: 'tasks' (analyses and other heavy
 *   work; the task events come from it) and 'queries' (reads of the case database). A read
 *   is thus answered even while an analysis keeps the tasks engine's loop busy with
 *   synchronous work (MTCNN maths, resizes, PNG encoding). Both run the same service code on
 *   the same case databases (SQLite serialises their writes).
 * - Each engine starts on first use (or `start()`), through `connect(lane)` (a worker
 *   thread, an Electron utility process, or a MessageChannel in tests).
 * - If one dies, its pending calls reject with DeepscanError('engine-crashed'), each task it
 *   was running is reported `task-finished: failed`, listeners get an `engine-crashed` event,
 *   and the next call to that lane starts a fresh engine.
 * - `close()` cancels running analyses, then stops both; later calls reject with 'engine-stopped'.
 */
import type { TaskEvent } from '../../../common/api.js';
import { ENGINE_OPERATIONS, OPERATIONS, type Lane } from '../../../common/operations.js';
import type { Result } from '../../../common/result.js';
import type { WorkstationService } from '../service/index.js';
import { DeepscanError } from '../util/errors.js';
import type { EngineChannel, EngineMessage, HostMessage } from './protocol.js';

/** A running engine: its channel, a way to learn that it died, and a way to stop it. */
export interface EngineConnection {
  channel: EngineChannel<EngineMessage, HostMessage>;
  /** Registers the callback for an exit the host did not ask for (crash, kill, OOM). */
  onExit(listener: (reason: string) => void): void;
  /** Stops the engine; resolves once it is gone. */
  terminate(): Promise<void>;
}

export interface EngineHost extends WorkstationService {
  /** Starts the engines now (instead of on first use); resolves when both are ready. */
  start(): Promise<void>;
  /** Cancels running analyses, stops the engines and refuses further calls. */
  close(): Promise<void>;
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

interface Live {
  conn: EngineConnection;
  ready: Promise<void>;
  failReady: (e: Error) => void;
  pending: Map<number, Pending>;
}

const stopped = () => new DeepscanError('engine-stopped', 'The analysis engine has been shut down.');

/** One engine (thread or process) behind the protocol, restarted on demand after a crash. */
function link(connect: () => EngineConnection, onEvent: (e: TaskEvent) => void, onCrash: (reason: string) => void) {
  let live: Live | null = null;
  let closed = false;
  let nextId = 1;

  function ensure(): Live {
    if (closed) throw stopped();
    if (live) return live;
    const conn = connect();
    const pending = new Map<number, Pending>();
    let markReady!: () => void;
    let failReady!: (e: Error) => void;
    const ready = new Promise<void>((resolve, reject) => {
      markReady = resolve;
      failReady = reject;
    });
    ready.catch(() => undefined); // observed by start() only
    const l: Live = { conn, ready, failReady, pending };
    conn.channel.onMessage((m) => {
      if (m.t === 'ready') markReady();
      else if (m.t === 'event') onEvent(m.event);
      else if (m.t === 'result' || m.t === 'done') {
        const p = pending.get(m.id);
        pending.delete(m.id);
        p?.resolve(m.t === 'result' ? m.result : undefined);
      }
    });
    conn.onExit((reason) => {
      if (live !== l) return;
      live = null;
      const message = `The analysis engine stopped unexpectedly (${reason}); it restarts with the next request.`;
      l.failReady(new DeepscanError('engine-crashed', message));
      for (const p of pending.values()) p.reject(new DeepscanError('engine-crashed', message));
      pending.clear();
      onCrash(message);
    });
    live = l;
    return l;
  }

  return {
    isLive: () => live !== null,
    request(message: (id: number) => HostMessage): Promise<unknown> {
      let l: Live;
      try {
        l = ensure();
      } catch (e) {
        return Promise.reject(e as Error);
      }
      const id = nextId++;
      return new Promise((resolve, reject) => {
        l.pending.set(id, { resolve, reject });
        l.conn.channel.send(message(id));
      });
    },
    start: () => ensure().ready,
    async close() {
      closed = true;
      const l = live;
      live = null;
      if (!l) return;
      for (const p of l.pending.values()) p.reject(stopped());
      await l.conn.terminate();
    },
  };
}

export function createEngineClient(connect: (lane: Lane) => EngineConnection, opts: { log?: (message: string, error: unknown) => void } = {}): EngineHost {
  const listeners = new Set<(e: TaskEvent) => void>();
  const running = new Set<string>();
  let closed = false;

  const emit = (e: TaskEvent) => {
    if (e.type === 'task-started') running.add(e.taskId);
    if (e.type === 'task-finished') running.delete(e.taskId);
    for (const l of [...listeners]) {
      try {
        l(e);
      } catch {
        // a faulty subscriber must not break the others
      }
    }
  };
  const crashed = (lane: Lane) => (message: string) => {
    opts.log?.(`the ${lane} engine stopped unexpectedly`, message);
    if (lane === 'tasks') for (const taskId of [...running]) emit({ type: 'task-finished', taskId, status: 'failed', error: message });
    emit({ type: 'engine-crashed', taskId: null, message });
  };
  const lanes = {
    tasks: link(() => connect('tasks'), emit, crashed('tasks')),
    // The queries engine runs no task: any event it sent would be a bug, so none is forwarded.
    queries: link(() => connect('queries'), () => {}, crashed('queries')),
  };

  const operations = Object.fromEntries(
    ENGINE_OPERATIONS.map((op) => [op, (...args: unknown[]) => lanes[OPERATIONS[op].lane].request((id) => ({ t: 'call', id, op, args })) as Promise<Result<unknown>>]),
  ) as unknown as Omit<WorkstationService, 'onTaskEvent' | 'cancelAll'>;

  async function cancelAll(): Promise<void> {
    if (!lanes.tasks.isLive()) return; // no tasks engine, nothing running
    await lanes.tasks.request((id) => ({ t: 'cancel-all', id })).catch(() => undefined);
  }

  return {
    ...operations,
    onTaskEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    cancelAll,
    async start() {
      await Promise.all([lanes.tasks.start(), lanes.queries.start()]);
    },
    async close() {
      if (closed) return;
      closed = true;
      await cancelAll();
      await Promise.all([lanes.tasks.close(), lanes.queries.close()]);
    },
  };
}
