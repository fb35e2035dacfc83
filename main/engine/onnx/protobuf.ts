/**
 * A minimal protocol-buffers writer, enough to emit ONNX models without a protobuf dependency.
 *
 * Messages are built as trees of fields; sizes are computed once (and cached), then the whole
 * message is written into a single preallocated buffer. Large byte fields (tensor raw_data) are
 * referenced, not copied, until the final write, so a few hundred MB of weights cost one copy.
 */

const WIRE_VARINT = 0;
const WIRE_I64 = 1;
const WIRE_LEN = 2;
const WIRE_I32 = 5;

type Field =
  | { n: number; t: 'varint'; v: bigint | number }
  | { n: number; t: 'f32'; v: number }
  | { n: number; t: 'f64'; v: number }
  | { n: number; t: 'bytes'; v: Uint8Array }
  | { n: number; t: 'msg'; v: PbMessage };

const textEncoder = new TextEncoder();

/** Number of bytes of the base-128 varint encoding of a non-negative integer (< 2^64). */
function varintSize(v: bigint | number): number {
  if (typeof v === 'number') {
    if (v < 0x80) return 1;
    if (v < 0x4000) return 2;
    if (v < 0x200000) return 3;
    if (v < 0x10000000) return 4;
    let n = 4;
    let x = Math.floor(v / 0x10000000);
    while (x > 0) {
      n++;
      x = Math.floor(x / 128);
    }
    return n;
  }
  let n = 1;
  let x = v >> 7n;
  while (x > 0n) {
    n++;
    x >>= 7n;
  }
  return n;
}

/** Normalise an integer for varint encoding: negatives become their 64-bit two's complement. */
function toVarintValue(v: number | bigint): bigint | number {
  if (typeof v === 'bigint') {
    if (v < -(2n ** 63n) || v >= 2n ** 64n) throw new RangeError(`integer ${v} out of 64-bit range`);
    return v < 0n ? BigInt.asUintN(64, v) : v;
  }
  if (!Number.isSafeInteger(v)) throw new RangeError(`integer expected for a varint field, got ${v}`);
  return v < 0 ? BigInt.asUintN(64, BigInt(v)) : v;
}

export class PbMessage {
  private readonly fields: Field[] = [];
  private cachedSize = -1;

  /** int32/int64/uint64/enum/bool field (negative values encoded as 64-bit two's complement). */
  varint(fieldNumber: number, v: number | bigint): this {
    this.fields.push({ n: fieldNumber, t: 'varint', v: toVarintValue(v) });
    this.cachedSize = -1;
    return this;
  }

  float(fieldNumber: number, v: number): this {
    this.fields.push({ n: fieldNumber, t: 'f32', v });
    this.cachedSize = -1;
    return this;
  }

  double(fieldNumber: number, v: number): this {
    this.fields.push({ n: fieldNumber, t: 'f64', v });
    this.cachedSize = -1;
    return this;
  }

  bytes(fieldNumber: number, v: Uint8Array): this {
    this.fields.push({ n: fieldNumber, t: 'bytes', v });
    this.cachedSize = -1;
    return this;
  }

  string(fieldNumber: number, v: string): this {
    return this.bytes(fieldNumber, textEncoder.encode(v));
  }

  message(fieldNumber: number, v: PbMessage): this {
    this.fields.push({ n: fieldNumber, t: 'msg', v });
    this.cachedSize = -1;
    return this;
  }

  /** Encoded size of this message's body in bytes (without its own tag/length). */
  size(): number {
    if (this.cachedSize >= 0) return this.cachedSize;
    let s = 0;
    for (const f of this.fields) {
      s += varintSize(f.n * 8); // tag: (field_number << 3) | wire type; wire type < 8
      switch (f.t) {
        case 'varint':
          s += varintSize(f.v);
          break;
        case 'f32':
          s += 4;
          break;
        case 'f64':
          s += 8;
          break;
        case 'bytes':
          s += varintSize(f.v.byteLength) + f.v.byteLength;
          break;
        case 'msg': {
          const m = f.v.size();
          s += varintSize(m) + m;
          break;
        }
      }
    }
    if (s > 0x7fffffff) throw new RangeError('protobuf message exceeds 2 GiB');
    this.cachedSize = s;
    return s;
  }

  /** Serialise into one freshly allocated buffer of exactly size() bytes. */
  encode(): Uint8Array {
    const out = new Uint8Array(this.size());
    const w = new PbWriter(out);
    this.writeTo(w);
    if (w.pos !== out.length) throw new Error(`protobuf size mismatch: wrote ${w.pos}, expected ${out.length}`);
    return out;
  }

  /** @internal */
  writeTo(w: PbWriter): void {
    for (const f of this.fields) {
      switch (f.t) {
        case 'varint':
          w.varint(f.n * 8 + WIRE_VARINT);
          w.varint(f.v);
          break;
        case 'f32':
          w.varint(f.n * 8 + WIRE_I32);
          w.f32(f.v);
          break;
        case 'f64':
          w.varint(f.n * 8 + WIRE_I64);
          w.f64(f.v);
          break;
        case 'bytes':
          w.varint(f.n * 8 + WIRE_LEN);
          w.varint(f.v.byteLength);
          w.raw(f.v);
          break;
        case 'msg':
          w.varint(f.n * 8 + WIRE_LEN);
          w.varint(f.v.size());
          f.v.writeTo(w);
          break;
      }
    }
  }
}

/** @internal */
export class PbWriter {
  pos = 0;
  private readonly view: DataView;

  constructor(private readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  varint(v: bigint | number): void {
    if (typeof v === 'number') {
      while (v >= 0x80) {
        this.buf[this.pos++] = (v % 128) | 0x80;
        v = Math.floor(v / 128);
      }
      this.buf[this.pos++] = v;
      return;
    }
    while (v >= 0x80n) {
      this.buf[this.pos++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buf[this.pos++] = Number(v);
  }

  f32(v: number): void {
    this.view.setFloat32(this.pos, v, true);
    this.pos += 4;
  }

  f64(v: number): void {
    this.view.setFloat64(this.pos, v, true);
    this.pos += 8;
  }

  raw(b: Uint8Array): void {
    this.buf.set(b, this.pos);
    this.pos += b.byteLength;
  }
}
