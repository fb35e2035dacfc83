/**
 * Minimal `.npy` (format version 1.0) writer for small little-endian int16 arrays, byte for byte
 * what `np.save` writes: magic, version, header length (uint16 LE), the header dict padded with
 * spaces and a final newline so that the data starts at a multiple of 64 bytes.
 */
export function npyInt16(data: Int16Array, shape: readonly number[]): Buffer {
  const n = shape.reduce((a, b) => a * b, 1);
  if (n !== data.length) throw new Error(`npy: shape ${shape.join('x')} does not hold ${data.length} values`);
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '<i2', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const out = Buffer.alloc(10 + header.length + data.length * 2);
  out.write('\x93NUMPY', 0, 'latin1');
  out[6] = 1;
  out[7] = 0;
  out.writeUInt16LE(header.length, 8);
  out.write(header, 10, 'latin1');
  for (let i = 0; i < data.length; i++) out.writeInt16LE(data[i], 10 + header.length + i * 2);
  return out;
}
