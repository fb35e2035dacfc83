/**
 * Bounded reading of model files, manifests and checkpoints given by a user (CLI, IPC or the
 * web API). Only regular files are read, through the one fd that was checked: opening with
 * O_NONBLOCK means a FIFO cannot block the open, and fstat on that fd (not a stat of the path
 * beforehand) means a file swapped in between cannot slip past the checks. Devices (/dev/zero),
 * FIFOs, sockets and directories are refused before a byte is read, and sizes over a cap are
 * refused before anything is allocated.
 */
import fs from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { DeepscanError, errorMessage } from '../util/errors.js';

/**
 * Largest model file (checkpoint or ONNX) accepted. An EfficientNet-B7 checkpoint is ~260 MB in
 * float32 (~530 MB if saved in float64), so 1 GiB leaves room while keeping an import's memory
 * (file + converted ONNX + a test session) well within a workstation.
 */
export const MAX_MODEL_FILE_BYTES = 1024 ** 3;
/** Largest manifest.json accepted (a real one is ~2 KB). */
export const MAX_MANIFEST_BYTES = 1024 ** 2;

const OPEN_FLAGS = fs.constants.O_RDONLY | fs.constants.O_NONBLOCK;

/** What a non-regular file is, in words, for the error message. */
function kindOf(st: fs.Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isSocket()) return 'a socket';
  if (st.isSymbolicLink()) return 'a symbolic link';
  return 'not a regular file';
}

function checkStats(file: string, st: fs.Stats, maxBytes: number, what: string): number {
  if (!st.isFile()) throw new DeepscanError('not-regular-file', `${file}: ${what} is ${kindOf(st)}, not a regular file; refused without reading it`, { file });
  if (st.size > maxBytes) {
    throw new DeepscanError('too-large', `${file}: ${what} is ${st.size} bytes, over the ${maxBytes}-byte limit; refused without reading it`, { file });
  }
  return st.size;
}

/** Maps an open() failure to a named error; ENXIO is what Linux says for a unix socket. */
async function openFailure(file: string, e: unknown, what: string): Promise<DeepscanError> {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENXIO' || code === 'EISDIR') {
    const st = await stat(file).catch(() => null);
    if (st && !st.isFile()) return new DeepscanError('not-regular-file', `${file}: ${what} is ${kindOf(st)}, not a regular file; refused without reading it`, { file });
  }
  return new DeepscanError('file-unreadable', `${file}: cannot read the ${what} (${errorMessage(e)})`, { file, cause: e });
}

function shortRead(file: string, what: string, got: number, size: number): DeepscanError {
  return new DeepscanError('file-unreadable', `${file}: the ${what} changed while it was read (${got} of ${size} bytes)`, { file });
}

/** Reads a whole regular file of at most `maxBytes` bytes. */
export async function readRegularFile(file: string, opts: { maxBytes: number; what: string }): Promise<Buffer> {
  let fh: fs.promises.FileHandle;
  try {
    fh = await open(file, OPEN_FLAGS);
  } catch (e) {
    throw await openFailure(file, e, opts.what);
  }
  try {
    const size = checkStats(file, await fh.stat(), opts.maxBytes, opts.what);
    const buf = Buffer.allocUnsafe(size);
    let got = 0;
    while (got < size) {
      const { bytesRead } = await fh.read(buf, got, size - got, got);
      if (bytesRead === 0) throw shortRead(file, opts.what, got, size);
      got += bytesRead;
    }
    return buf;
  } finally {
    await fh.close();
  }
}

/** The synchronous twin of readRegularFile (for the synchronous checkpoint reader). */
export function readRegularFileSync(file: string, opts: { maxBytes: number; what: string }): Buffer {
  let fd: number;
  try {
    fd = fs.openSync(file, OPEN_FLAGS);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    let st: fs.Stats | null = null;
    if (code === 'ENXIO') {
      try {
        st = fs.statSync(file);
      } catch {
        st = null;
      }
    }
    if (st && !st.isFile()) throw new DeepscanError('not-regular-file', `${file}: ${opts.what} is ${kindOf(st)}, not a regular file; refused without reading it`, { file });
    throw new DeepscanError('file-unreadable', `${file}: cannot read the ${opts.what} (${errorMessage(e)})`, { file, cause: e });
  }
  try {
    const size = checkStats(file, fs.fstatSync(fd), opts.maxBytes, opts.what);
    const buf = Buffer.allocUnsafe(size);
    let got = 0;
    while (got < size) {
      const n = fs.readSync(fd, buf, got, size - got, got);
      if (n === 0) throw shortRead(file, opts.what, got, size);
      got += n;
    }
    return buf;
  } finally {
    fs.closeSync(fd);
  }
}
