/**
 * Reads `torch.save` checkpoints — legacy (non-zip, torch < 1.6) and zip formats — without
 * executing anything: the pickles go through the allow-list unpickler in ./unpickle.ts.
 *
 * Memory: the file is read once into one buffer. Float32 tensors whose bytes are 4-byte
 * aligned (the zip format aligns storages to 64 bytes) are views of that buffer; others are
 * copied once. No per-element JS objects are created.
 *
 * Bounds (issue 10): the file is read only if it is a regular file under MAX_MODEL_FILE_BYTES;
 * a storage's size claimed by the pickle is checked against the bytes that can back it (the
 * file for the legacy format, the inflate cap for zip) before anything is allocated, and the
 * tensors as materialised (views, copies, half→float widening) may not exceed
 * MAX_TENSOR_BYTES in all, so many tensors aliasing one storage cannot multiply memory.
 */
import { DeepscanError } from '../../util/errors.js';
import { MAX_MODEL_FILE_BYTES, readRegularFileSync } from '../model-file.js';
import { PyCallable, PyTuple, unpickle, type Buildable } from './unpickle.js';
import { isZip, MAX_INFLATED_BYTES, ZipArchive } from './zip.js';

/** Most bytes of tensors one checkpoint may materialise (B7 in float32 is ~265 MB). */
export const MAX_TENSOR_BYTES = 1024 ** 3;

export type StoredDtype = 'float32' | 'float16' | 'bfloat16' | 'float64' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';

/** dtype of `data`: half/bfloat16 are widened to float32, the rest keep their stored type. */
export type TensorDtype = 'float32' | 'float64' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';

export type TensorArray = Float32Array | Float64Array | BigInt64Array | Int32Array | Int16Array | Int8Array | Uint8Array;

export interface Tensor {
  dtype: TensorDtype;
  /** The dtype in the file (e.g. 'float16' for a half tensor delivered as float32). */
  storedDtype: StoredDtype;
  shape: number[];
  data: TensorArray;
}

export interface TorchCheckpoint {
  /** 'legacy' or 'zip'. */
  format: 'legacy' | 'zip';
  epoch: number | null;
  bceBest: number | null;
  /** Keys with the DataParallel `module.` prefix removed, in file order. */
  stateDict: Map<string, Tensor>;
}

const ELEM_SIZE: Record<StoredDtype, number> = {
  float32: 4,
  float16: 2,
  bfloat16: 2,
  float64: 8,
  int64: 8,
  int32: 4,
  int16: 2,
  int8: 1,
  uint8: 1,
  bool: 1,
};

/** Legacy typed storage classes (`torch.FloatStorage` …) → dtype. */
const STORAGE_TYPES: Record<string, StoredDtype> = {
  FloatStorage: 'float32',
  HalfStorage: 'float16',
  BFloat16Storage: 'bfloat16',
  DoubleStorage: 'float64',
  LongStorage: 'int64',
  IntStorage: 'int32',
  ShortStorage: 'int16',
  CharStorage: 'int8',
  ByteStorage: 'uint8',
  BoolStorage: 'bool',
};

/** `torch.<dtype>` objects. */
const TORCH_DTYPES: Record<string, StoredDtype> = {
  float32: 'float32',
  float: 'float32',
  float16: 'float16',
  half: 'float16',
  bfloat16: 'bfloat16',
  float64: 'float64',
  double: 'float64',
  int64: 'int64',
  long: 'int64',
  int32: 'int32',
  int: 'int32',
  int16: 'int16',
  short: 'int16',
  int8: 'int8',
  uint8: 'uint8',
  bool: 'bool',
};

const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
const LEGACY_PROTOCOL_VERSION = 1001;

class StorageType {
  constructor(readonly dtype: StoredDtype) {}
}

class TorchDtype {
  constructor(readonly dtype: StoredDtype) {}
}

/** A storage referenced by a persistent id; bytes are attached once known. */
class StorageRef {
  bytes: Uint8Array | null = null;
  constructor(
    readonly key: string,
    readonly dtype: StoredDtype,
    readonly numel: number,
  ) {}
}

class TensorRef {
  constructor(
    readonly storage: StorageRef,
    readonly offset: number,
    readonly shape: number[],
    readonly stride: number[],
  ) {}
}

class NumpyDtype implements Buildable {
  byteorder = '<';
  constructor(readonly descr: string) {}
  setState(state: unknown): void {
    if (state instanceof PyTuple && typeof state.items[1] === 'string') this.byteorder = state.items[1];
  }
}

interface Ctx {
  file: string;
  format: 'legacy' | 'zip';
  /** Most bytes one storage can have: what the file (legacy) or the inflate cap (zip) can back. */
  maxStorageBytes: number;
  fail(msg: string): never;
}

function intList(ctx: Ctx, v: unknown, what: string): number[] {
  const items = v instanceof PyTuple ? v.items : Array.isArray(v) ? v : null;
  if (!items) ctx.fail(`${what} is not a tuple`);
  return items.map((x) => {
    if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < 0) ctx.fail(`${what} holds a non-integer or negative value`);
    return x;
  });
}

function rebuildTensor(ctx: Ctx, args: unknown[]): TensorRef {
  const [storage, offset, size, stride] = args;
  if (!(storage instanceof StorageRef)) ctx.fail('tensor rebuilt from something that is not a storage');
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) ctx.fail('tensor storage offset is not a non-negative integer');
  const shape = intList(ctx, size, 'tensor size');
  const strides = intList(ctx, stride, 'tensor stride');
  if (shape.length !== strides.length) ctx.fail('tensor size and stride have different ranks');
  return new TensorRef(storage, offset, shape, strides);
}

function decodeNumpyScalar(ctx: Ctx, dtype: unknown, raw: unknown): number | bigint | boolean {
  if (!(dtype instanceof NumpyDtype)) ctx.fail('numpy scalar without a numpy dtype');
  if (!(raw instanceof Uint8Array)) ctx.fail('numpy scalar without a byte payload');
  const m = /^([<>|=]?)([fiub])(\d+)$/.exec(dtype.descr);
  if (!m) ctx.fail(`numpy scalar of unsupported dtype ${dtype.descr}`);
  const kind = m[2];
  const n = Number(m[3]);
  if (raw.length !== n) ctx.fail(`numpy scalar of dtype ${dtype.descr} has ${raw.length} bytes`);
  const little = (m[1] || dtype.byteorder) !== '>';
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  if (kind === 'f' && n === 8) return dv.getFloat64(0, little);
  if (kind === 'f' && n === 4) return dv.getFloat32(0, little);
  if (kind === 'i' && n === 8) {
    const v = dv.getBigInt64(0, little);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  }
  if (kind === 'i' && n === 4) return dv.getInt32(0, little);
  if (kind === 'u' && n === 1) return raw[0];
  if (kind === 'b' && n === 1) return raw[0] !== 0;
  return ctx.fail(`numpy scalar of unsupported dtype ${dtype.descr}`);
}

/** The allow-list: every global a torch.save checkpoint of this kind may name. */
function makeResolver(ctx: Ctx): (module: string, name: string) => unknown {
  return (module, name) => {
    const q = `${module}.${name}`;
    switch (q) {
      case 'collections.OrderedDict':
        return new PyCallable(q, (args) => {
          if (args.length !== 0) ctx.fail('OrderedDict called with arguments');
          return new Map();
        });
      case 'torch._utils._rebuild_tensor':
      case 'torch._utils._rebuild_tensor_v2':
        return new PyCallable(q, (args) => rebuildTensor(ctx, args));
      case 'torch._utils._rebuild_parameter':
        return new PyCallable(q, (args) => {
          if (!(args[0] instanceof TensorRef)) ctx.fail('parameter rebuilt from something that is not a tensor');
          return args[0];
        });
      case 'numpy.core.multiarray.scalar':
      case 'numpy._core.multiarray.scalar':
        return new PyCallable(q, (args) => decodeNumpyScalar(ctx, args[0], args[1]));
      case 'numpy.dtype':
        return new PyCallable(q, (args) => {
          if (typeof args[0] !== 'string') ctx.fail('numpy.dtype called without a type string');
          return new NumpyDtype(args[0]);
        });
      case '_codecs.encode':
        return new PyCallable(q, (args) => {
          const [s, enc] = args;
          if (typeof s !== 'string' || (enc !== 'latin1' && enc !== 'latin-1')) ctx.fail('_codecs.encode used other than for latin1 bytes');
          const out = new Uint8Array(s.length);
          for (let i = 0; i < s.length; i++) {
            const c = s.charCodeAt(i);
            if (c > 255) ctx.fail('_codecs.encode: character outside latin1');
            out[i] = c;
          }
          return out;
        });
      case 'torch.storage.UntypedStorage':
      case 'torch.UntypedStorage':
        return new StorageType('uint8');
    }
    if (module === 'torch') {
      const st = STORAGE_TYPES[name];
      if (st !== undefined && Object.hasOwn(STORAGE_TYPES, name)) return new StorageType(st);
      const dt = TORCH_DTYPES[name];
      if (dt !== undefined && Object.hasOwn(TORCH_DTYPES, name)) return new TorchDtype(dt);
    }
    return undefined;
  };
}

/** Parses a storage persistent id ('storage', type, key, location, numel[, view_metadata]). */
function storagePid(ctx: Ctx, pid: unknown, storages: Map<string, StorageRef>): StorageRef {
  if (!(pid instanceof PyTuple) || pid.items[0] !== 'storage') ctx.fail('unsupported persistent id (expected a storage)');
  const [, type, key, , numel, view] = pid.items;
  const dtype = type instanceof StorageType ? type.dtype : type instanceof TorchDtype ? type.dtype : null;
  if (dtype === null) ctx.fail('storage persistent id without a storage type');
  if (typeof key !== 'string') ctx.fail('storage persistent id without a string key');
  if (typeof numel !== 'number' || !Number.isSafeInteger(numel) || numel < 0) ctx.fail(`storage ${key} has an invalid size`);
  if (numel * ELEM_SIZE[dtype] > ctx.maxStorageBytes) {
    // Legacy: the bytes must be in the file, so a bigger claim is truncation or forgery. Zip: over the inflate cap.
    const what = `storage ${key} claims ${numel} elements (${numel * ELEM_SIZE[dtype]} bytes)`;
    if (ctx.format === 'legacy') ctx.fail(`${what}, more than the whole file holds (${ctx.maxStorageBytes} bytes; truncated or forged)`);
    throw new DeepscanError('too-large', `${ctx.file}: ${what}, over the ${ctx.maxStorageBytes}-byte limit; refused`, { file: ctx.file });
  }
  if (view !== undefined && view !== null) ctx.fail(`storage ${key} is a storage view (pre-1.0 format), which is not supported`);
  let s = storages.get(key);
  if (!s) {
    s = new StorageRef(key, dtype, numel);
    storages.set(key, s);
  } else if (s.dtype !== dtype || s.numel !== numel) {
    ctx.fail(`storage ${key} is referenced with conflicting types or sizes`);
  }
  return s;
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Half-precision storages are converted to new float32 arrays, never viewed. */
function isWidened(d: StoredDtype): boolean {
  return d === 'float16' || d === 'bfloat16';
}

/** Byte range of a tensor within its storage, after the contiguity and bounds checks. */
function tensorBytes(ctx: Ctx, name: string, t: TensorRef): Uint8Array {
  const s = t.storage;
  if (!s.bytes) ctx.fail(`tensor ${name}: storage ${s.key} has no data`);
  const numel = t.shape.reduce((a, b) => a * b, 1);
  // Contiguity (dims of size 1 may carry any stride, as in torch).
  let expect = 1;
  for (let i = t.shape.length - 1; i >= 0; i--) {
    if (t.shape[i] !== 1 && t.stride[i] !== expect) ctx.fail(`tensor ${name} is not contiguous (shape [${t.shape}], stride [${t.stride}]); only contiguous tensors are supported`);
    expect *= t.shape[i];
  }
  if (t.offset + numel > s.numel) ctx.fail(`tensor ${name} reaches past the end of its storage ${s.key}`);
  const es = ELEM_SIZE[s.dtype];
  return s.bytes.subarray(t.offset * es, (t.offset + numel) * es);
}

/**
 * Copies tensors whose bytes are not aligned for their element type into one arena (so the
 * file buffer can be released when no view of it remains); aligned ones stay views.
 */
class Arena {
  private buf: Uint8Array | null = null;
  private used = 0;
  constructor(private readonly total: number) {}
  place(b: Uint8Array): Uint8Array {
    if (!this.buf) this.buf = new Uint8Array(this.total);
    const at = this.used;
    this.buf.set(b, at);
    this.used = at + ((b.length + 7) & ~7);
    return this.buf.subarray(at, at + b.length);
  }
}

function materialise(ctx: Ctx, name: string, t: TensorRef, bytesIn: Uint8Array, arena: Arena | null): Tensor {
  const s = t.storage;
  const numel = t.shape.reduce((a, b) => a * b, 1);
  const es = ELEM_SIZE[s.dtype];
  if (!LITTLE_ENDIAN_HOST) ctx.fail('big-endian hosts are not supported');
  const b = arena && !isWidened(s.dtype) ? arena.place(bytesIn) : bytesIn;
  const view = <T>(C: { new (buf: ArrayBufferLike, off: number, len: number): T; new (len: number): T }): T => {
    if (b.byteOffset % es === 0) return new C(b.buffer, b.byteOffset, numel);
    const copy = new Uint8Array(b.length);
    copy.set(b);
    return new C(copy.buffer, 0, numel);
  };
  const base = { storedDtype: s.dtype, shape: [...t.shape] };
  switch (s.dtype) {
    case 'float32':
      return { ...base, dtype: 'float32', data: view(Float32Array) };
    case 'float64':
      return { ...base, dtype: 'float64', data: view(Float64Array) };
    case 'int64':
      return { ...base, dtype: 'int64', data: view(BigInt64Array) };
    case 'int32':
      return { ...base, dtype: 'int32', data: view(Int32Array) };
    case 'int16':
      return { ...base, dtype: 'int16', data: view(Int16Array) };
    case 'int8':
      return { ...base, dtype: 'int8', data: view(Int8Array) };
    case 'uint8':
      return { ...base, dtype: 'uint8', data: view(Uint8Array) };
    case 'bool':
      return { ...base, dtype: 'bool', data: view(Uint8Array) };
    case 'float16': {
      const out = new Float32Array(numel);
      for (let i = 0; i < numel; i++) out[i] = halfToFloat(b[2 * i] | (b[2 * i + 1] << 8));
      return { ...base, dtype: 'float32', data: out };
    }
    case 'bfloat16': {
      const out = new Float32Array(numel);
      const u = new Uint32Array(out.buffer);
      for (let i = 0; i < numel; i++) u[i] = ((b[2 * i] | (b[2 * i + 1] << 8)) << 16) >>> 0;
      return { ...base, dtype: 'float32', data: out };
    }
  }
}

function toNumber(v: unknown): number | null {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  return null;
}

function assemble(ctx: Ctx, format: 'legacy' | 'zip', root: unknown): TorchCheckpoint {
  if (!(root instanceof Map)) ctx.fail('checkpoint is not a dictionary');
  let sd: unknown = root.get('state_dict');
  if (sd === undefined) {
    // A bare state dict.
    if ([...root.values()].every((v) => v instanceof TensorRef)) sd = root;
    else ctx.fail('checkpoint has no state_dict');
  }
  if (!(sd instanceof Map)) ctx.fail('state_dict is not a dictionary');
  // If any tensor is misaligned (legacy files), copy all of them into one arena so that no view
  // keeps the file buffer alive: peak ≈ 2× the file, resident afterwards ≈ 1×.
  const refs: [string, TensorRef, Uint8Array][] = [];
  let anyUnaligned = false;
  let arenaBytes = 0;
  let materialised = 0;
  for (const [k, v] of sd) {
    if (typeof k !== 'string') ctx.fail('state_dict has a non-string key');
    if (!(v instanceof TensorRef)) ctx.fail(`state_dict entry ${k} is not a tensor`);
    const b = tensorBytes(ctx, k, v);
    // Counted as if every tensor were copied (and half widened ×2): the worst this file can cost.
    materialised += isWidened(v.storage.dtype) ? b.length * 2 : b.length;
    if (materialised > MAX_TENSOR_BYTES) {
      throw new DeepscanError('too-large', `${ctx.file}: the state_dict's tensors add up to more than ${MAX_TENSOR_BYTES} bytes (at ${k}); refused`, { file: ctx.file });
    }
    if (!isWidened(v.storage.dtype)) {
      if (b.byteOffset % ELEM_SIZE[v.storage.dtype] !== 0) anyUnaligned = true;
      arenaBytes += (b.length + 7) & ~7;
    }
    refs.push([k, v, b]);
  }
  const arena = anyUnaligned ? new Arena(arenaBytes) : null;
  const stateDict = new Map<string, Tensor>();
  for (const [k, v, b] of refs) {
    const key = k.startsWith('module.') ? k.slice('module.'.length) : k;
    if (stateDict.has(key)) ctx.fail(`state_dict has key ${key} twice (with and without the module. prefix)`);
    stateDict.set(key, materialise(ctx, k, v, b, arena));
  }
  const scalar = (name: string): number | null => {
    const v = root.get(name);
    if (v instanceof TensorRef) {
      // A 0-d / 1-element tensor (e.g. bce_best saved as a torch scalar).
      const t = materialise(ctx, name, v, tensorBytes(ctx, name, v), null);
      return t.data.length === 1 ? toNumber(t.data[0]) : null;
    }
    return toNumber(v);
  };
  return { format, epoch: scalar('epoch'), bceBest: scalar('bce_best'), stateDict };
}

function readZip(ctx: Ctx, buf: Uint8Array): TorchCheckpoint {
  const zip = new ZipArchive(buf, ctx.file);
  ctx.format = 'zip';
  ctx.maxStorageBytes = Math.max(buf.length, MAX_INFLATED_BYTES);
  const pkl = [...zip.entries.keys()].find((n) => n === 'data.pkl' || n.endsWith('/data.pkl'));
  if (pkl === undefined) ctx.fail('zip checkpoint has no data.pkl');
  const prefix = pkl.slice(0, pkl.length - 'data.pkl'.length);
  const bo = `${prefix}byteorder`;
  if (zip.entries.has(bo)) {
    const order = new TextDecoder().decode(zip.read(bo)).trim();
    if (order !== 'little') ctx.fail(`checkpoint byte order is ${order}; only little-endian is supported`);
  }
  const storages = new Map<string, StorageRef>();
  const pickle = zip.read(pkl);
  const { value } = unpickle(pickle, 0, {
    file: ctx.file,
    resolveGlobal: makeResolver(ctx),
    persistentLoad: (pid) => {
      const s = storagePid(ctx, pid, storages);
      if (!s.bytes) {
        const name = `${prefix}data/${s.key}`;
        if (!zip.entries.has(name)) ctx.fail(`storage ${s.key} missing from the archive (${name})`);
        const bytes = zip.read(name);
        if (bytes.length < s.numel * ELEM_SIZE[s.dtype]) ctx.fail(`storage ${s.key} holds ${bytes.length} bytes, fewer than its ${s.numel} elements need`);
        s.bytes = bytes;
      }
      return s;
    },
  });
  return assemble(ctx, 'zip', value);
}

function readLegacy(ctx: Ctx, buf: Uint8Array): TorchCheckpoint {
  const resolveNone = (): undefined => undefined;
  const magic = unpickle(buf, 0, { file: ctx.file, resolveGlobal: resolveNone });
  if (magic.value !== LEGACY_MAGIC && magic.value !== Number(LEGACY_MAGIC)) ctx.fail('not a torch.save file (bad magic number)');
  const proto = unpickle(buf, magic.end, { file: ctx.file, resolveGlobal: resolveNone });
  if (proto.value !== LEGACY_PROTOCOL_VERSION) ctx.fail(`unsupported legacy torch.save protocol version ${String(proto.value)}`);
  const sysInfo = unpickle(buf, proto.end, { file: ctx.file, resolveGlobal: resolveNone });
  if (!(sysInfo.value instanceof Map)) ctx.fail('legacy sys_info record is not a dictionary');
  if (sysInfo.value.get('little_endian') !== true) ctx.fail('checkpoint was written big-endian; only little-endian is supported');
  const sizes = sysInfo.value.get('type_sizes');
  if (sizes instanceof Map && sizes.get('long') !== undefined && sizes.get('long') !== 4 && sizes.get('long') !== 8) ctx.fail('unexpected type sizes in sys_info');

  const storages = new Map<string, StorageRef>();
  const main = unpickle(buf, sysInfo.end, {
    file: ctx.file,
    resolveGlobal: makeResolver(ctx),
    persistentLoad: (pid) => storagePid(ctx, pid, storages),
  });
  const keysRes = unpickle(buf, main.end, { file: ctx.file, resolveGlobal: resolveNone });
  const keys = keysRes.value;
  if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string')) ctx.fail('legacy storage key list is not a list of strings');
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let pos = keysRes.end;
  for (const key of keys as string[]) {
    const s = storages.get(key);
    if (!s) ctx.fail(`storage ${key} is listed but no tensor refers to it`);
    if (pos + 8 > buf.length) ctx.fail(`truncated: storage ${key} header at offset ${pos} lies past the end of the file (${buf.length} bytes)`);
    const n = dv.getBigInt64(pos, true);
    pos += 8;
    if (n !== BigInt(s.numel)) ctx.fail(`storage ${key} records ${n} elements but the pickle says ${s.numel}`);
    const len = s.numel * ELEM_SIZE[s.dtype];
    if (pos + len > buf.length) ctx.fail(`truncated: storage ${key} needs ${len} bytes at offset ${pos}, file has ${buf.length}`);
    s.bytes = buf.subarray(pos, pos + len);
    pos += len;
  }
  for (const s of storages.values()) if (!s.bytes) ctx.fail(`storage ${s.key} is referenced but not present in the file`);
  if (pos !== buf.length) ctx.fail(`${buf.length - pos} unexpected trailing bytes after the last storage`);
  return assemble(ctx, 'legacy', main.value);
}

/** Parses checkpoint bytes; `file` names it in errors. */
export function parseTorchCheckpoint(buf: Uint8Array, file: string): TorchCheckpoint {
  const ctx: Ctx = {
    file,
    format: 'legacy',
    maxStorageBytes: buf.length,
    fail(msg: string): never {
      throw new DeepscanError('checkpoint-invalid', `${file}: ${msg}`, { file });
    },
  };
  if (buf.length === 0) ctx.fail('file is empty');
  if (isZip(buf)) return readZip(ctx, buf);
  if (buf[0] === 0x80) return readLegacy(ctx, buf);
  return ctx.fail('not a torch.save checkpoint (neither zip nor legacy pickle format)');
}

/** Reads a checkpoint file from disk (regular files up to MAX_MODEL_FILE_BYTES only). */
export function readTorchCheckpoint(path: string): TorchCheckpoint {
  const buf = readRegularFileSync(path, { maxBytes: MAX_MODEL_FILE_BYTES, what: 'checkpoint' });
  return parseTorchCheckpoint(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), path);
}
