/**
 * The engine side of the protocol: answers `call`s with the service method of the same
 * name — only operations of the table's engine list, anything else is refused — and
 * forwards every task event. Runs inside the worker thread or utility process.
 */
import { ENGINE_OPERATIONS, type EngineOperationName } from '../../../common/operations.js';
import { fail, type Result } from '../../../common/result.js';
import type { WorkstationService } from '../service/index.js';
import { errorMessage } from '../util/errors.js';
import type { EngineChannel, EngineMessage, HostMessage } from './protocol.js';

const ALLOWED: ReadonlySet<string> = new Set(ENGINE_OPERATIONS);

export function serveEngine(channel: EngineChannel<HostMessage, EngineMessage>, service: WorkstationService): () => void {
  const unsubscribe = service.onTaskEvent((event) => channel.send({ t: 'event', event }));
  const stop = channel.onMessage((m) => {
    if (m.t === 'cancel-all') {
      void service.cancelAll().finally(() => channel.send({ t: 'done', id: m.id }));
      return;
    }
    if (m.t !== 'call') return;
    void answer(service, m.op, m.args).then((result) => channel.send({ t: 'result', id: m.id, result }));
  });
  channel.send({ t: 'ready' });
  return () => {
    stop();
    unsubscribe();
  };
}

async function answer(service: WorkstationService, op: string, args: unknown[]): Promise<Result<unknown>> {
  if (!ALLOWED.has(op) || !Array.isArray(args)) return fail({ code: 'invalid-argument', message: `The engine has no operation "${String(op).slice(0, 64)}".` });
  const method = service[op as EngineOperationName] as (...a: unknown[]) => Promise<Result<unknown>>;
  try {
    return await method.apply(service, args);
  } catch (e) {
    // The service's own guard shapes its errors; this only catches a bug in it.
    return fail({ code: 'internal', message: `${op} failed: ${errorMessage(e)}` });
  }
}
