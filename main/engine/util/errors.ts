/**
 * Errors that cross layers (engine → CLI, IPC, JSON) carry a stable machine code and a
 * message written for an investigator: it names the file and the cause.
 */
export type DeepscanErrorCode =
  | 'folder-missing'
  | 'not-a-folder'
  | 'ffmpeg-missing'
  | 'ffmpeg-too-old'
  | 'file-empty'
  | 'file-unreadable'
  | 'not-regular-file'
  | 'symlink-outside'
  | 'media-unreadable'
  | 'no-video-stream'
  | 'decode-failed'
  | 'frames-missing'
  | 'integrity-failed'
  | 'schema-too-new'
  | 'case-missing'
  | 'invalid-argument'
  | 'cancelled'
  | 'model-invalid'
  | 'checkpoint-invalid'
  | 'inference-failed'
  | 'image-invalid'
  | 'internal';

export class DeepscanError extends Error {
  readonly code: DeepscanErrorCode;
  /** The evidence file (relative path) or other file the error is about, when there is one. */
  readonly file?: string;

  constructor(code: DeepscanErrorCode, message: string, options?: { file?: string; cause?: unknown }) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = 'DeepscanError';
    this.code = code;
    if (options?.file !== undefined) this.file = options.file;
  }
}

export function isDeepscanError(e: unknown): e is DeepscanError {
  return e instanceof DeepscanError;
}

/** A message for any thrown value, without losing the cause's text. */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
