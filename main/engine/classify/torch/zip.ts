/**
 * A small zip reader over an in-memory file: central directory (with zip64), stored entries
 * returned as views (no copy), deflated entries inflated with node:zlib. Data descriptors are
 * handled by trusting the central directory's sizes. CRC-32 is verified on every read.
 *
 * The archive is hostile until proven otherwise (issue 10): every entry's local header must
 * agree with the central directory, entries may not overlap or reach into the directory, and
 * inflation is bounded twice: an entry never inflates past its declared size (zlib's
 * maxOutputLength stops it), and the declared sizes of all deflated entries together may not
 * exceed a fixed cap, checked before anything is inflated. A zip bomb is refused with
 * 'too-large' having allocated nothing beyond the file itself.
 */
import zlib from 'node:zlib';
import { DeepscanError } from '../../util/errors.js';

/**
 * Most bytes inflated from one archive, across all its deflated entries. torch.save stores its
 * entries uncompressed; a repacked EfficientNet-B7 checkpoint inflates to ~260 MB (float32).
 */
export const MAX_INFLATED_BYTES = 1024 ** 3;
/** More entries than this is not a checkpoint (a B7 state dict has ~700 tensors). */
export const MAX_ZIP_ENTRIES = 20_000;
/** Deflate cannot expand more than ~1032:1; a larger declared ratio is a forged header. */
const MAX_DEFLATE_RATIO = 1032;

export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  crc32: number;
  localHeaderOffset: number;
  /** Offset of the entry's data, after its local header. */
  dataOffset: number;
}

const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_LOCAL = 0x04034b50;

export function isZip(buf: Uint8Array): boolean {
  return buf.length >= 4 && buf[0] === 0x50 && buf[1] === 0x4b && buf[2] === 0x03 && buf[3] === 0x04;
}

export class ZipArchive {
  readonly entries = new Map<string, ZipEntry>();
  private readonly dv: DataView;
  private inflated = 0;
  private readonly maxInflated: number;

  constructor(
    private readonly buf: Uint8Array,
    private readonly file: string,
    opts: { maxInflatedBytes?: number } = {},
  ) {
    this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.maxInflated = opts.maxInflatedBytes ?? MAX_INFLATED_BYTES;
    const cdOffset = this.readCentralDirectory();
    this.checkLayout(cdOffset);
  }

  private fail(msg: string): never {
    throw new DeepscanError('checkpoint-invalid', `${this.file}: ${msg}`, { file: this.file });
  }

  private tooLarge(msg: string): never {
    throw new DeepscanError('too-large', `${this.file}: ${msg}; refused before inflating`, { file: this.file });
  }

  private u16(o: number): number {
    if (o + 2 > this.buf.length) this.fail(`zip structure truncated at offset ${o}`);
    return this.dv.getUint16(o, true);
  }

  private u32(o: number): number {
    if (o + 4 > this.buf.length) this.fail(`zip structure truncated at offset ${o}`);
    return this.dv.getUint32(o, true);
  }

  private u64(o: number): number {
    if (o + 8 > this.buf.length) this.fail(`zip structure truncated at offset ${o}`);
    const v = this.dv.getBigUint64(o, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) this.fail(`zip field too large at offset ${o}`);
    return Number(v);
  }

  private readCentralDirectory(): number {
    const buf = this.buf;
    // End of central directory: 22 bytes + up to 65535 bytes of comment.
    let eocd = -1;
    const lowest = Math.max(0, buf.length - 22 - 0xffff);
    for (let o = buf.length - 22; o >= lowest; o--) {
      if (buf[o] === 0x50 && buf[o + 1] === 0x4b && this.dv.getUint32(o, true) === SIG_EOCD) {
        eocd = o;
        break;
      }
    }
    if (eocd < 0) this.fail('not a complete zip archive (end of central directory not found; the file may be truncated)');
    let count = this.u16(eocd + 10);
    let cdSize = this.u32(eocd + 12);
    let cdOffset = this.u32(eocd + 16);
    if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
      const loc = eocd - 20;
      if (loc < 0 || this.u32(loc) !== SIG_ZIP64_LOCATOR) this.fail('zip64 end-of-central-directory locator missing');
      const z64 = this.u64(loc + 8);
      if (this.u32(z64) !== SIG_ZIP64_EOCD) this.fail('zip64 end-of-central-directory record missing');
      count = this.u64(z64 + 32);
      cdSize = this.u64(z64 + 40);
      cdOffset = this.u64(z64 + 48);
    }
    if (cdOffset + cdSize > buf.length) this.fail('zip central directory lies beyond the end of the file (truncated?)');
    // Each central record is at least 46 bytes: a count the directory cannot hold is forged.
    if (count > MAX_ZIP_ENTRIES) this.tooLarge(`zip archive claims ${count} entries (at most ${MAX_ZIP_ENTRIES} accepted)`);
    if (count * 46 > cdSize) this.fail(`zip archive claims ${count} entries but its central directory (${cdSize} bytes) cannot hold them`);
    let o = cdOffset;
    for (let i = 0; i < count; i++) {
      if (this.u32(o) !== SIG_CENTRAL) this.fail(`zip central directory entry ${i} is corrupt (offset ${o})`);
      const flags = this.u16(o + 8);
      const method = this.u16(o + 10);
      const crc32 = this.u32(o + 16);
      let compressedSize = this.u32(o + 20);
      let size = this.u32(o + 24);
      const nameLen = this.u16(o + 28);
      const extraLen = this.u16(o + 30);
      const commentLen = this.u16(o + 32);
      let localHeaderOffset = this.u32(o + 42);
      if (o + 46 + nameLen + extraLen + commentLen > buf.length) this.fail('zip central directory truncated');
      if (flags & 0x1) this.fail('encrypted zip entries are not supported');
      const name = new TextDecoder().decode(buf.subarray(o + 46, o + 46 + nameLen));
      // zip64 extended information: only the fields whose 32-bit value is saturated, in order.
      let e = o + 46 + nameLen;
      const eEnd = e + extraLen;
      while (e + 4 <= eEnd) {
        const id = this.u16(e);
        const len = this.u16(e + 2);
        if (id === 0x0001) {
          let p = e + 4;
          if (size === 0xffffffff) {
            size = this.u64(p);
            p += 8;
          }
          if (compressedSize === 0xffffffff) {
            compressedSize = this.u64(p);
            p += 8;
          }
          if (localHeaderOffset === 0xffffffff) {
            localHeaderOffset = this.u64(p);
            p += 8;
          }
        }
        e += 4 + len;
      }
      if (this.entries.has(name)) this.fail(`zip entry ${name} appears twice in the central directory`);
      this.entries.set(name, { name, method, compressedSize, size, crc32, localHeaderOffset, dataOffset: -1 });
      o += 46 + nameLen + extraLen + commentLen;
    }
    return cdOffset;
  }

  /**
   * Cross-checks each local header against the central directory, refuses overlapping entries
   * and entries reaching into the directory, and bounds what inflation may allocate.
   */
  private checkLayout(cdOffset: number): void {
    let declared = 0;
    const spans: [number, number, string][] = [];
    for (const ent of this.entries.values()) {
      const lh = ent.localHeaderOffset;
      if (this.u32(lh) !== SIG_LOCAL) this.fail(`zip local header of ${ent.name} is corrupt (offset ${lh})`);
      const flags = this.u16(lh + 6);
      const nameLen = this.u16(lh + 26);
      const extraLen = this.u16(lh + 28);
      const start = lh + 30 + nameLen + extraLen;
      if (start > this.buf.length) this.fail(`zip local header of ${ent.name} is truncated`);
      const localName = new TextDecoder().decode(this.buf.subarray(lh + 30, lh + 30 + nameLen));
      if (localName !== ent.name) this.fail(`zip entry ${ent.name}: its local header names ${JSON.stringify(localName)}`);
      if (this.u16(lh + 8) !== ent.method) this.fail(`zip entry ${ent.name}: local header and central directory disagree on the compression method`);
      // With a data descriptor (flag bit 3) the local sizes are zero by design; otherwise they must match.
      if (!(flags & 0x8)) {
        let cSize = this.u32(lh + 18);
        let uSize = this.u32(lh + 22);
        if (cSize === 0xffffffff || uSize === 0xffffffff) {
          const z = this.localZip64(lh + 30 + nameLen, extraLen);
          if (z === null) this.fail(`zip entry ${ent.name}: local header lacks its zip64 sizes`);
          uSize = z[0];
          cSize = z[1];
        }
        if (this.u32(lh + 14) !== ent.crc32 || cSize !== ent.compressedSize || uSize !== ent.size) {
          this.fail(`zip entry ${ent.name}: local header (CRC ${this.u32(lh + 14)}, ${cSize}→${uSize} bytes) disagrees with the central directory (CRC ${ent.crc32}, ${ent.compressedSize}→${ent.size} bytes)`);
        }
      }
      const end = start + ent.compressedSize;
      if (end > cdOffset) this.fail(`zip entry ${ent.name} reaches past the start of the central directory (needs bytes up to ${end}, directory at ${cdOffset}; truncated or forged)`);
      ent.dataOffset = start;
      spans.push([lh, end, ent.name]);
      if (ent.method === 8) {
        declared += ent.size;
        if (declared > this.maxInflated) {
          this.tooLarge(`zip entries inflate to more than ${this.maxInflated} bytes in all (entry ${ent.name} declares ${ent.size} bytes)`);
        }
        if (ent.size > ent.compressedSize * MAX_DEFLATE_RATIO + 1024) {
          this.fail(`zip entry ${ent.name} declares ${ent.size} bytes from ${ent.compressedSize} compressed, more than deflate can produce`);
        }
      }
    }
    spans.sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < spans.length; i++) {
      if (spans[i][0] < spans[i - 1][1]) this.fail(`zip entries ${spans[i - 1][2]} and ${spans[i][2]} overlap`);
    }
  }

  /** [size, compressedSize] from a local header's zip64 extra field, or null. */
  private localZip64(at: number, len: number): [number, number] | null {
    let e = at;
    while (e + 4 <= at + len) {
      const id = this.u16(e);
      const n = this.u16(e + 2);
      if (id === 0x0001 && n >= 16) return [this.u64(e + 4), this.u64(e + 12)];
      e += 4 + n;
    }
    return null;
  }

  /** The entry's bytes: a view into the file for stored entries, a new buffer for deflated ones. */
  read(name: string): Uint8Array {
    const ent = this.entries.get(name);
    if (!ent) this.fail(`zip entry ${name} missing`);
    const start = ent.dataOffset;
    const end = start + ent.compressedSize;
    if (end > this.buf.length) this.fail(`zip entry ${name} is truncated (needs bytes up to ${end}, file has ${this.buf.length})`);
    const raw = this.buf.subarray(start, end);
    let data: Uint8Array;
    if (ent.method === 0) {
      if (ent.compressedSize !== ent.size) this.fail(`zip entry ${name} is stored but its sizes differ`);
      data = raw;
    } else if (ent.method === 8) {
      if (this.inflated + ent.size > this.maxInflated) this.tooLarge(`zip entries inflate to more than ${this.maxInflated} bytes in all (at entry ${name})`);
      this.inflated += ent.size;
      try {
        // Never more than the declared size: a stream that would inflate further is stopped by zlib.
        data = zlib.inflateRawSync(raw, { maxOutputLength: Math.max(1, ent.size) });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
          throw new DeepscanError('too-large', `${this.file}: zip entry ${name} inflates past its declared ${ent.size} bytes; refused`, { file: this.file });
        }
        this.fail(`zip entry ${name} cannot be inflated: ${(err as Error).message}`);
      }
      if (data.length !== ent.size) this.fail(`zip entry ${name} inflated to ${data.length} bytes, expected ${ent.size}`);
    } else {
      this.fail(`zip entry ${name} uses compression method ${ent.method}; only stored (0) and deflate (8) are supported`);
    }
    if ((zlib.crc32(data) >>> 0) !== ent.crc32) this.fail(`zip entry ${name} fails its CRC-32 check (corrupt file)`);
    return data;
  }
}
