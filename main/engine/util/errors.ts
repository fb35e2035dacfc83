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
  | 'internal'
  /** A write was asked for without an examiner's name (none given, none recorded for the case). */
  | 'examiner-required'
  /** Undo asked for, but no decision is left to undo. */
  | 'nothing-to-undo'
  // Evidence integrity under attack (issue 10): each a named refusal or a detected failure.
  /** A playlist, manifest or sequence that makes ffmpeg read other files (HLS, DASH, concat, SDP…). */
  | 'external-references'
  /** A container ffmpeg would read but that is not on Deepscan's demuxer allow-list. */
  | 'format-not-allowed'
  /** The file changed between hashing and decoding (results discarded). */
  | 'evidence-changed'
  /** A model file, archive entry or manifest over a size or memory limit (e.g. a zip bomb). */
  | 'too-large'
  /** The audit log or a result digest does not verify. */
  | 'audit-broken'
  /** An output file (--json, --pdf) would be written inside the evidence folder. */
  | 'output-inside-evidence'
  /** A report whose file no longer has the SHA-256 its audit entry recorded (it is not served or copied). */
  | 'report-changed'
  /** No report with that id in this case's audit log, or its file is gone. */
  | 'report-missing'
  /** Another process holds the case database's migration lock. */
  | 'case-busy'
  /** The case's signing key is missing, unreadable or not this installation's. */
  | 'signing-key'
  // Lab scale (issue 14): the Redis-backed job queue.
  /** Redis cannot be reached, or refused the connection (wrong password, TLS mismatch). */
  | 'queue-unavailable'
  /** A Redis URL that would expose the queue: no password on a non-loopback host, or malformed. */
  | 'queue-insecure'
  /** A job names a model (by ONNX SHA-256) or detector net this worker does not have. */
  | 'model-missing'
  /** A job payload or returned result that does not validate (shape, digest, size, identity). */
  | 'job-invalid'
  /** A queued item whose job failed on every attempt; the cause is in the message. */
  | 'job-failed'
  /** The engine's worker thread or utility process died; the next call starts a new one. */
  | 'engine-crashed'
  /** The engine host was shut down (no more calls are taken). */
  | 'engine-stopped';

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
