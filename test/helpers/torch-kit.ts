/**
 * Test-only helpers: a minimal zip writer (stored or deflated entries, optional data
 * descriptors and forced zip64 records) for crafting torch zip checkpoints.
 */
import zlib from 'node:zlib';

export interface ZipWriteOptions {
  deflate?: boolean;
  dataDescriptor?: boolean;
  /** Write zip64 extra fields and zip64 end records even though the sizes are small. */
  zip64?: boolean;
  /** Align stored data to 64 bytes, as torch does. */
  align?: number;
}

export function writeZip(entries: [string, Uint8Array][], opts: ZipWriteOptions = {}): Uint8Array {
  const chunks: Uint8Array[] = [];
  let offset = 0;
  const central: Uint8Array[] = [];
  const push = (b: Uint8Array): void => {
    chunks.push(b);
    offset += b.length;
  };
  const z64 = opts.zip64 === true;
  for (const [name, data] of entries) {
    const nameBytes = new TextEncoder().encode(name);
    const body = opts.deflate ? new Uint8Array(zlib.deflateRawSync(data, { level: 1 })) : data;
    const method = opts.deflate ? 8 : 0;
    const crc = zlib.crc32(data) >>> 0;
    const flags = (opts.dataDescriptor ? 0x8 : 0) | 0x800;
    const localOffset = offset;
    let extra = new Uint8Array(0);
    if (z64) {
      extra = new Uint8Array(20);
      const dv = new DataView(extra.buffer);
      dv.setUint16(0, 0x0001, true);
      dv.setUint16(2, 16, true);
      dv.setBigUint64(4, BigInt(data.length), true);
      dv.setBigUint64(12, BigInt(body.length), true);
    }
    let pad = 0;
    if (opts.align) {
      const start = offset + 30 + nameBytes.length + extra.length + 4;
      pad = (opts.align - (start % opts.align)) % opts.align;
    }
    const localExtra = new Uint8Array(extra.length + (opts.align ? 4 + pad : 0));
    localExtra.set(extra, 0);
    if (opts.align) {
      const dv = new DataView(localExtra.buffer);
      dv.setUint16(extra.length, 0x4246, true); // 'FB' padding, as torch writes
      dv.setUint16(extra.length + 2, pad, true);
    }
    const lh = new Uint8Array(30);
    const l = new DataView(lh.buffer);
    l.setUint32(0, 0x04034b50, true);
    l.setUint16(4, z64 ? 45 : 20, true);
    l.setUint16(6, flags, true);
    l.setUint16(8, method, true);
    l.setUint32(14, opts.dataDescriptor ? 0 : crc, true);
    l.setUint32(18, opts.dataDescriptor ? 0 : z64 ? 0xffffffff : body.length, true);
    l.setUint32(22, opts.dataDescriptor ? 0 : z64 ? 0xffffffff : data.length, true);
    l.setUint16(26, nameBytes.length, true);
    l.setUint16(28, localExtra.length, true);
    push(lh);
    push(nameBytes);
    push(localExtra);
    push(body);
    if (opts.dataDescriptor) {
      const dd = new Uint8Array(z64 ? 24 : 16);
      const d = new DataView(dd.buffer);
      d.setUint32(0, 0x08074b50, true);
      d.setUint32(4, crc, true);
      if (z64) {
        d.setBigUint64(8, BigInt(body.length), true);
        d.setBigUint64(16, BigInt(data.length), true);
      } else {
        d.setUint32(8, body.length, true);
        d.setUint32(12, data.length, true);
      }
      push(dd);
    }
    const cExtra = z64 ? new Uint8Array(28) : new Uint8Array(0);
    if (z64) {
      const dv = new DataView(cExtra.buffer);
      dv.setUint16(0, 0x0001, true);
      dv.setUint16(2, 24, true);
      dv.setBigUint64(4, BigInt(data.length), true);
      dv.setBigUint64(12, BigInt(body.length), true);
      dv.setBigUint64(20, BigInt(localOffset), true);
    }
    const ch = new Uint8Array(46);
    const c = new DataView(ch.buffer);
    c.setUint32(0, 0x02014b50, true);
    c.setUint16(4, z64 ? 45 : 20, true);
    c.setUint16(6, z64 ? 45 : 20, true);
    c.setUint16(8, flags, true);
    c.setUint16(10, method, true);
    c.setUint32(16, crc, true);
    c.setUint32(20, z64 ? 0xffffffff : body.length, true);
    c.setUint32(24, z64 ? 0xffffffff : data.length, true);
    c.setUint16(28, nameBytes.length, true);
    c.setUint16(30, cExtra.length, true);
    c.setUint32(42, z64 ? 0xffffffff : localOffset, true);
    central.push(ch, nameBytes, cExtra);
  }
  const cdOffset = offset;
  for (const b of central) push(b);
  const cdSize = offset - cdOffset;
  if (z64) {
    const rec = new Uint8Array(56);
    const r = new DataView(rec.buffer);
    r.setUint32(0, 0x06064b50, true);
    r.setBigUint64(4, 44n, true);
    r.setUint16(12, 45, true);
    r.setUint16(14, 45, true);
    r.setBigUint64(24, BigInt(entries.length), true);
    r.setBigUint64(32, BigInt(entries.length), true);
    r.setBigUint64(40, BigInt(cdSize), true);
    r.setBigUint64(48, BigInt(cdOffset), true);
    const recOffset = offset;
    push(rec);
    const loc = new Uint8Array(20);
    const lo = new DataView(loc.buffer);
    lo.setUint32(0, 0x07064b50, true);
    lo.setBigUint64(8, BigInt(recOffset), true);
    lo.setUint32(16, 1, true);
    push(loc);
  }
  const eocd = new Uint8Array(22);
  const e = new DataView(eocd.buffer);
  e.setUint32(0, 0x06054b50, true);
  e.setUint16(8, z64 ? 0xffff : entries.length, true);
  e.setUint16(10, z64 ? 0xffff : entries.length, true);
  e.setUint32(12, z64 ? 0xffffffff : cdSize, true);
  e.setUint32(16, z64 ? 0xffffffff : cdOffset, true);
  push(eocd);
  const out = new Uint8Array(offset);
  let o = 0;
  for (const b of chunks) {
    out.set(b, o);
    o += b.length;
  }
  return out;
}

/** Builds pickle bytes from a list of byte chunks / latin1 strings. */
export function pickleBytes(...parts: (string | number[] | Uint8Array)[]): Uint8Array {
  const out: number[] = [];
  for (const p of parts) {
    if (typeof p === 'string') for (let i = 0; i < p.length; i++) out.push(p.charCodeAt(i) & 0xff);
    else out.push(...p);
  }
  return new Uint8Array(out);
}
