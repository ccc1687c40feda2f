// NumPy's .npy format (version 1.0–3.0): the magic "\x93NUMPY", a version, a little-endian header length, a
// Python-literal header {'descr': '<f4', 'fortran_order': False, 'shape': (N, D), }, then the raw C-order data.
// Read: float32 or float64 little-endian, C order, returned as float32. Write: float32, version 1.0.
import { type FloatType, decodeFloats, fmtShape, numel } from './tensors.ts';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
const DTYPES: Record<string, FloatType> = { '<f4': 'f32', '<f8': 'f64' };

export interface NpyArray {
  shape: number[];
  data: Float32Array;
}

/** An .npy file's bytes as float32; `description` (its path) is used in messages. */
export function parseNpy(bytes: Uint8Array, description: string): NpyArray {
  if (bytes.length < 10 || !MAGIC.every((b, i) => bytes[i] === b)) throw new Error(`${description}: not a .npy file (no \\x93NUMPY magic)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6];
  const [headerLength, start] = major === 1 ? [view.getUint16(8, true), 10] : [view.getUint32(8, true), 12];
  if (start + headerLength > bytes.length) throw new Error(`${description}: truncated .npy header`);
  const header = new TextDecoder(major >= 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(start, start + headerLength));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) throw new Error(`${description}: malformed .npy header ${header.trim()}`);
  const type = DTYPES[descr];
  if (!type) throw new Error(`${description}: dtype ${descr} is not supported (float32 '<f4' or float64 '<f8')`);
  if (fortran === 'True') throw new Error(`${description}: Fortran-order arrays are not supported (save with np.ascontiguousarray)`);
  const shape = shapeText.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  const count = numel(shape);
  const need = count * (type === 'f32' ? 4 : 8);
  if (bytes.length - start - headerLength < need) throw new Error(`${description}: ${descr} ${fmtShape(shape)} needs ${need} bytes of data, the file has ${bytes.length - start - headerLength}`);
  return { shape, data: decodeFloats(bytes, start + headerLength, count, type) };
}

/** A float32 C-order .npy file (version 1.0) of `data` with `shape`. */
export function encodeNpy(shape: readonly number[], data: ArrayLike<number>): Uint8Array {
  if (numel(shape) !== data.length) throw new Error(`encodeNpy: ${data.length} values for shape ${fmtShape(shape)}`);
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${dims}), }`;
  // Data starts at a multiple of 64 bytes; the header ends with a newline.
  header += ' '.repeat((64 - ((10 + header.length + 1) % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length + 4 * data.length);
  out.set(MAGIC);
  out[6] = 1;
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  new Float32Array(out.buffer, 10 + header.length).set(Float32Array.from(data));
  return out;
}
