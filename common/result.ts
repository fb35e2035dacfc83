/**
 * Results that cross the IPC / HTTP boundary. Errors are plain data so that their code and
 * message arrive intact in the renderer (Electron would otherwise flatten a thrown Error).
 */
export interface ApiError {
  code: string;
  message: string;
  /** Relative evidence path or other file the error concerns, when there is one. */
  file?: string;
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: ApiError };

export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

export function fail<T = never>(error: ApiError): Result<T> {
  return { ok: false, error };
}
