/**
 * Bounds-checked FlatBuffers access (read-only), enough to walk a TFLite model.
 *
 * Layout reminder: a table starts with an int32 soffset to its vtable (vtable = table - soffset);
 * the vtable is [uint16 vtable bytes, uint16 table bytes, uint16 field offsets...]; a field's
 * offset 0 means "absent, use the default". Reference fields (tables, vectors, strings) hold a
 * uint32 offset relative to the field's own position. Vectors and strings start with a uint32
 * element count. All scalars are little-endian.
 */
import { DeepscanError } from '../../../main/engine/util/errors.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

export class FlatBufferError extends DeepscanError {
  constructor(message: string) {
    super('model-invalid', `corrupt TFLite flatbuffer: ${message}`);
  }
}

export class FbReader {
  readonly bytes: Uint8Array;
  private readonly view: DataView;

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get length(): number {
    return this.bytes.byteLength;
  }

  check(pos: number, size: number, what: string): void {
    if (!Number.isInteger(pos) || pos < 0 || size < 0 || pos + size > this.bytes.byteLength) {
      throw new FlatBufferError(`${what} at offset ${pos} (+${size} bytes) lies outside the ${this.bytes.byteLength}-byte file`);
    }
  }

  u8(pos: number): number {
    this.check(pos, 1, 'uint8');
    return this.view.getUint8(pos);
  }
  i8(pos: number): number {
    this.check(pos, 1, 'int8');
    return this.view.getInt8(pos);
  }
  u16(pos: number): number {
    this.check(pos, 2, 'uint16');
    return this.view.getUint16(pos, true);
  }
  i32(pos: number): number {
    this.check(pos, 4, 'int32');
    return this.view.getInt32(pos, true);
  }
  u32(pos: number): number {
    this.check(pos, 4, 'uint32');
    return this.view.getUint32(pos, true);
  }
  f32(pos: number): number {
    this.check(pos, 4, 'float32');
    return this.view.getFloat32(pos, true);
  }
  u64(pos: number): bigint {
    this.check(pos, 8, 'uint64');
    return this.view.getBigUint64(pos, true);
  }
  i64(pos: number): bigint {
    this.check(pos, 8, 'int64');
    return this.view.getBigInt64(pos, true);
  }

  /** The root table of a buffer, optionally checking the 4-byte file identifier. */
  root(fileIdentifier?: string): FbTable {
    if (this.length < 8) throw new FlatBufferError(`file of ${this.length} bytes is too short`);
    if (fileIdentifier !== undefined) {
      const id = String.fromCharCode(...this.bytes.subarray(4, 8));
      if (id !== fileIdentifier) throw new FlatBufferError(`file identifier is ${JSON.stringify(id)}, expected ${JSON.stringify(fileIdentifier)}`);
    }
    return new FbTable(this, this.u32(0), 'root');
  }
}

export class FbTable {
  private readonly vtable: number;
  private readonly vtableSize: number;

  constructor(
    readonly r: FbReader,
    readonly pos: number,
    readonly what: string,
  ) {
    this.vtable = pos - r.i32(pos);
    this.vtableSize = r.u16(this.vtable);
    if (this.vtableSize < 4 || this.vtableSize % 2 !== 0) throw new FlatBufferError(`${what}: vtable size ${this.vtableSize}`);
    r.check(this.vtable, this.vtableSize, `${what} vtable`);
  }

  /** Absolute position of field `index` (0-based, in schema order), or 0 if absent. */
  private field(index: number): number {
    const o = 4 + 2 * index;
    if (o >= this.vtableSize) return 0;
    const off = this.r.u16(this.vtable + o);
    return off === 0 ? 0 : this.pos + off;
  }

  has(index: number): boolean {
    return this.field(index) !== 0;
  }

  u8(index: number, dflt = 0): number {
    const p = this.field(index);
    return p === 0 ? dflt : this.r.u8(p);
  }
  i8(index: number, dflt = 0): number {
    const p = this.field(index);
    return p === 0 ? dflt : this.r.i8(p);
  }
  bool(index: number, dflt = false): boolean {
    const p = this.field(index);
    return p === 0 ? dflt : this.r.u8(p) !== 0;
  }
  i32(index: number, dflt = 0): number {
    const p = this.field(index);
    return p === 0 ? dflt : this.r.i32(p);
  }
  u32(index: number, dflt = 0): number {
    const p = this.field(index);
    return p === 0 ? dflt : this.r.u32(p);
  }
  f32(index: number, dflt = 0): number {
    const p = this.field(index);
    return p === 0 ? dflt : this.r.f32(p);
  }
  u64(index: number, dflt = 0n): bigint {
    const p = this.field(index);
    return p === 0 ? dflt : this.r.u64(p);
  }

  private indirect(index: number): number {
    const p = this.field(index);
    if (p === 0) return 0;
    return p + this.r.u32(p);
  }

  table(index: number, what: string): FbTable | undefined {
    const p = this.indirect(index);
    return p === 0 ? undefined : new FbTable(this.r, p, `${this.what}.${what}`);
  }

  string(index: number): string | undefined {
    const p = this.indirect(index);
    if (p === 0) return undefined;
    const n = this.r.u32(p);
    this.r.check(p + 4, n, `${this.what} string`);
    try {
      return utf8.decode(this.r.bytes.subarray(p + 4, p + 4 + n));
    } catch {
      throw new FlatBufferError(`${this.what}: string is not valid UTF-8`);
    }
  }

  /** Start and length of a vector of fixed-size elements, bounds-checked. */
  private vector(index: number, elemSize: number): { start: number; n: number } | undefined {
    const p = this.indirect(index);
    if (p === 0) return undefined;
    const n = this.r.u32(p);
    this.r.check(p + 4, n * elemSize, `${this.what} vector`);
    return { start: p + 4, n };
  }

  /** Element count of a vector field (0 when absent). */
  vectorLength(index: number): number {
    const p = this.indirect(index);
    return p === 0 ? 0 : this.r.u32(p);
  }

  i32Vector(index: number): number[] | undefined {
    const v = this.vector(index, 4);
    if (v === undefined) return undefined;
    const out: number[] = [];
    for (let i = 0; i < v.n; i++) out.push(this.r.i32(v.start + 4 * i));
    return out;
  }

  /** A view (no copy) of a [ubyte] vector. */
  bytesVector(index: number): Uint8Array | undefined {
    const v = this.vector(index, 1);
    if (v === undefined) return undefined;
    return this.r.bytes.subarray(v.start, v.start + v.n);
  }

  tableVector(index: number, what: string): FbTable[] | undefined {
    const v = this.vector(index, 4);
    if (v === undefined) return undefined;
    const out: FbTable[] = [];
    for (let i = 0; i < v.n; i++) {
      const e = v.start + 4 * i;
      out.push(new FbTable(this.r, e + this.r.u32(e), `${this.what}.${what}[${i}]`));
    }
    return out;
  }
}
