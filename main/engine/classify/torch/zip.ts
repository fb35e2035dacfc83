/**
 * A small zip reader over an in-memory file: central directory (with zip64), stored entries
 * returned as views (no copy), deflated entries inflated with node:zlib. Data descriptors are
 * handled by trusting the central directory's sizes. CRC-32 is verified on every read.
 */
import zlib from 'node:zlib';
import { DeepscanError } from '../../util/errors.js';

export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  crc32: number;
  localHeaderOffset: number;
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

  constructor(
    private readonly buf: Uint8Array,
    private readonly file: string,
  ) {
    this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.readCentralDirectory();
  }

  private fail(msg: string): never {
    throw new DeepscanError('checkpoint-invalid', `${this.file}: ${msg}`, { file: this.file });
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

  private readCentralDirectory(): void {
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
      this.entries.set(name, { name, method, compressedSize, size, crc32, localHeaderOffset });
      o += 46 + nameLen + extraLen + commentLen;
    }
  }

  /** The entry's bytes: a view into the file for stored entries, a new buffer for deflated ones. */
  read(name: string): Uint8Array {
    const ent = this.entries.get(name);
    if (!ent) this.fail(`zip entry ${name} missing`);
    const lh = ent.localHeaderOffset;
    if (this.u32(lh) !== SIG_LOCAL) this.fail(`zip local header of ${name} is corrupt (offset ${lh})`);
    const start = lh + 30 + this.u16(lh + 26) + this.u16(lh + 28);
    const end = start + ent.compressedSize;
    if (end > this.buf.length) this.fail(`zip entry ${name} is truncated (needs bytes up to ${end}, file has ${this.buf.length})`);
    const raw = this.buf.subarray(start, end);
    let data: Uint8Array;
    if (ent.method === 0) {
      if (ent.compressedSize !== ent.size) this.fail(`zip entry ${name} is stored but its sizes differ`);
      data = raw;
    } else if (ent.method === 8) {
      try {
        data = zlib.inflateRawSync(raw);
      } catch (err) {
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
