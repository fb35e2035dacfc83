/**
 * One handler per IPC channel, derived from the operation table (common/operations.ts). Each
 * takes the raw argument list exactly as it arrived from the renderer, validates it against
 * the operation's schemas, calls the service method of the same name and always resolves to
 * a Result: thrown errors become `{ ok: false, error: { code, message, file? } }` and nothing
 * else (no stack, no cause chain, no extra properties) crosses the boundary.
 *
 * No Electron here: register.ts binds these to ipcMain, the web host routes POST /api/<name>
 * to them; tests call them directly.
 */
import { IPC_CHANNELS, type DeepscanApi } from '../../common/api.js';
import { OPERATION_NAMES, OPERATIONS, parseArguments, type ArgsOf, type HostOperationName, type OperationName, type ResultOf } from '../../common/operations.js';
import { fail, ok, type ApiError, type Result } from '../../common/result.js';

/**
 * Host capabilities that need the window (native dialogs, the system shell); absent in
 * headless use. One method per host operation of the table, taking its validated arguments and
 * resolving to its value; what it throws (with a lower-case `code`) becomes the Result's error.
 * A host without a method answers that operation with 'unsupported'.
 */
export type IpcHost = { [K in HostOperationName]?: (...args: ArgsOf<K>) => Promise<ResultOf<K>> };

export type InvokeOperation = OperationName;
export type InvokeChannel = (typeof IPC_CHANNELS)[InvokeOperation];
export type IpcHandler<T> = (args: unknown[]) => Promise<Result<T>>;
export type IpcHandlers = {
  [K in InvokeOperation as (typeof IPC_CHANNELS)[K]]: IpcHandler<ResultOf<K>>;
};

export interface IpcHandlerOptions {
  host?: IpcHost;
  /** Receives unexpected errors with their stacks (main-process log); never sent to the renderer. */
  log?: (message: string, error: unknown) => void;
}

const MAX_MESSAGE = 2000;
const MAX_FILE = 4096;
const CODE_RE = /^[a-z][a-z0-9-]{0,63}$/;

function clip(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/**
 * Shapes any thrown value or service error into a plain ApiError. Errors that carry a stable
 * lower-case code (the engine's DeepscanError) keep code, message and file; anything else is
 * reported as `internal` with its message only.
 */
export function toApiError(e: unknown, op: string): ApiError {
  if (typeof e === 'object' && e !== null) {
    const rec = e as { code?: unknown; message?: unknown; file?: unknown };
    const message = typeof rec.message === 'string' && rec.message.length > 0 ? rec.message : `${op} failed.`;
    if (typeof rec.code === 'string' && CODE_RE.test(rec.code)) {
      const err: ApiError = { code: rec.code, message: clip(message, MAX_MESSAGE) };
      if (typeof rec.file === 'string' && rec.file.length > 0) err.file = clip(rec.file, MAX_FILE);
      return err;
    }
    return { code: 'internal', message: clip(`${op} failed: ${message}`, MAX_MESSAGE) };
  }
  if (typeof e === 'string' && e.length > 0) return { code: 'internal', message: clip(`${op} failed: ${e}`, MAX_MESSAGE) };
  return { code: 'internal', message: `${op} failed.` };
}

function isResult(value: unknown): value is Result<unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as { ok?: unknown; error?: unknown };
  return v.ok === true ? 'value' in v : v.ok === false && typeof v.error === 'object' && v.error !== null;
}

/** Runs a service call; passes its Result through (error re-shaped) and catches anything thrown. */
async function guard<T>(op: string, call: () => Promise<Result<T>>, log: IpcHandlerOptions['log']): Promise<Result<T>> {
  try {
    const result: unknown = await call();
    if (!isResult(result)) {
      log?.(`${op}: service returned a value that is not a Result`, result);
      return fail({ code: 'internal', message: `${op} failed: the service returned an invalid result.` });
    }
    if (result.ok) return result as Result<T>;
    return fail(toApiError(result.error, op));
  } catch (e) {
    const error = toApiError(e, op);
    if (error.code === 'internal') log?.(`${op} threw`, e);
    return fail(error);
  }
}

/** Host operations: implemented by the window's host (Electron), not by the engine service. */
function hostCall(name: HostOperationName, host: IpcHost | undefined, args: unknown[]): () => Promise<Result<unknown>> {
  const method = host?.[name] as ((...a: unknown[]) => Promise<unknown>) | undefined;
  if (!method) {
    const what = name === 'pickFolder' ? 'Folder dialogs are' : `${name} is`;
    return async () => fail({ code: 'unsupported', message: `${what} not available in this host.` });
  }
  return async () => ok(await method.apply(host, args));
}

export function createIpcHandlers(service: DeepscanApi, options: IpcHandlerOptions = {}): IpcHandlers {
  const { host, log } = options;
  const handlers: Record<string, IpcHandler<unknown>> = {};
  for (const name of OPERATION_NAMES) {
    handlers[OPERATIONS[name].channel] = async (args: unknown[]) => {
      const parsed = parseArguments(name, args);
      if (!parsed.ok) return parsed;
      if (OPERATIONS[name].host) return guard(name, hostCall(name as HostOperationName, host, parsed.value), log);
      const method = (service as unknown as Record<string, (...a: unknown[]) => Promise<Result<unknown>>>)[name];
      return guard(name, () => method.apply(service, parsed.value), log);
    };
  }
  return handlers as IpcHandlers;
}
