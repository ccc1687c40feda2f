// safetensors: an 8-byte little-endian header length N, N bytes of JSON {name: {dtype, shape, data_offsets:
// [begin, end]}, "__metadata__"?: {…}}, then the data; offsets count from the end of the header.
import { type FloatType, FLOAT_BYTES, type TensorEntry, type WeightSet, decodeFloats, fmtShape, numel, weightSet } from './tensors.ts';

const DTYPES: Record<string, FloatType> = { F32: 'f32', F16: 'f16', BF16: 'bf16', F64: 'f64' };

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

/** The tensors of a safetensors file's bytes; `description` (its path or URL) is used in messages. */
export function safetensorsWeights(bytes: Uint8Array, description: string): WeightSet {
  if (bytes.length < 8) throw new Error(`${description}: ${bytes.length} bytes, too short for a safetensors header`);
  const headerLength = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  if (8 + headerLength > bytes.length) throw new Error(`${description}: header of ${headerLength} bytes, but the file has only ${bytes.length} (truncated, or not safetensors)`);
  let header: Record<string, HeaderEntry>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
  } catch {
    throw new Error(`${description}: header is not JSON (not a safetensors file)`);
  }
  if (!header || typeof header !== 'object' || Array.isArray(header)) throw new Error(`${description}: header is not a JSON object (not a safetensors file)`);
  const data = bytes.subarray(8 + headerLength);
  const entries = new Map<string, TensorEntry>();
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    if (!Array.isArray(info?.shape) || !Array.isArray(info.data_offsets)) throw new Error(`${name}: header entry without shape and data_offsets in ${description}`);
    const { dtype, shape, data_offsets: [begin, end] } = info;
    if (!(Number.isSafeInteger(begin) && Number.isSafeInteger(end) && begin >= 0 && end >= begin)) {
      throw new Error(`${name}: data_offsets ${JSON.stringify(info.data_offsets)} in ${description} are not two byte offsets, the first ≤ the second`);
    }
    entries.set(name, {
      shape,
      load() {
        const type = DTYPES[dtype];
        if (!type) throw new Error(`${name}: dtype ${dtype} is not supported (F32, F16, BF16, F64) in ${description}`);
        const need = numel(shape) * FLOAT_BYTES[type];
        if (end - begin !== need) throw new Error(`${name}: data_offsets [${begin}, ${end}] span ${end - begin} bytes, but ${dtype} ${fmtShape(shape)} needs ${need} (${description})`);
        if (end > data.length) throw new Error(`${name}: data ends at byte ${end}, but ${description} holds only ${data.length} bytes of data (truncated)`);
        return decodeFloats(data, begin, numel(shape), type);
      },
    });
  }
  return weightSet(description, entries);
}
