// The common shape of every weight format: named float32 tensors with their shapes known up front and their data
// decoded on demand, so model code loads by name whatever the file format.

export interface WeightTensor {
  shape: number[];
  /** Row-major float32. May be a view of the file's bytes: treat it as read-only. */
  data: Float32Array;
}

export interface WeightSet {
  /** The file, folder or URL the weights come from (used in messages). */
  readonly description: string;
  names(): string[];
  /** The shape of `name`, without loading its data. */
  shape(name: string): number[];
  /** Loads `name` (fetching and decoding only what it needs, where the format allows); checks `expectedShape` first. */
  get(name: string, expectedShape?: readonly number[]): Promise<WeightTensor>;
}

/** How a reader describes one tensor: its shape, and how to produce its data. */
export interface TensorEntry {
  shape: number[];
  load(): Promise<Float32Array> | Float32Array;
}

export const numel = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
export const fmtShape = (shape: readonly number[]): string => `[${shape.join(', ')}]`;

/**
 * The most elements one tensor may have: 2²⁸ float32 values (1 GiB). No model stylegpu runs comes near it (VGG19's
 * largest, fc1, has 1.0e8), and a damaged shape must not make a reader allocate gigabytes.
 */
export const MAX_TENSOR_ELEMENTS = 2 ** 28;

/** Throws unless `shape`, read from a file, is a list of non-negative integers of at most MAX_TENSOR_ELEMENTS. */
export function checkTensorShape(name: string, shape: unknown, description: string): asserts shape is number[] {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new Error(`${name}: shape ${JSON.stringify(shape)} in ${description} is not a list of non-negative integers`);
  }
  if (numel(shape) > MAX_TENSOR_ELEMENTS) {
    throw new Error(`${name}: shape ${fmtShape(shape)} in ${description} has ${numel(shape)} elements, more than the ${MAX_TENSOR_ELEMENTS} a tensor may have`);
  }
}

/** A WeightSet over a reader's entries; the readers differ only in how they list and load tensors. */
export function weightSet(description: string, entries: Map<string, TensorEntry>): WeightSet {
  for (const [name, { shape }] of entries) checkTensorShape(name, shape, description);
  const entry = (name: string): TensorEntry => {
    const e = entries.get(name);
    if (!e) {
      const some = [...entries.keys()].slice(0, 12).join(', ');
      throw new Error(`${name}: no such tensor in ${description} (it has ${entries.size}: ${some}${entries.size > 12 ? ', …' : ''})`);
    }
    return e;
  };
  return {
    description,
    names: () => [...entries.keys()],
    shape: (name) => [...entry(name).shape],
    async get(name, expectedShape) {
      const { shape, load } = entry(name);
      if (expectedShape) checkShape(name, shape, expectedShape, description);
      const data = await load();
      if (data.length !== numel(shape)) throw new Error(`${name}: decoded ${data.length} values for shape ${fmtShape(shape)} in ${description}`);
      return { shape: [...shape], data };
    },
  };
}

/** Several tensors at once (all by default), by name. */
export async function loadAll(set: WeightSet, names: readonly string[] = set.names()): Promise<Map<string, WeightTensor>> {
  return new Map(await Promise.all(names.map(async (name) => [name, await set.get(name)] as const)));
}

function checkShape(name: string, shape: readonly number[], expected: readonly number[], description: string): void {
  if (shape.length !== expected.length || shape.some((d, i) => d !== expected[i])) {
    throw new Error(`${name}: shape ${fmtShape(shape)} in ${description}, expected ${fmtShape(expected)}`);
  }
}

/** Checks a whole table of expected shapes before anything is loaded; one error lists every problem. */
export function checkShapes(set: WeightSet, expected: Record<string, readonly number[]>): void {
  const have = new Set(set.names());
  const problems: string[] = [];
  for (const [name, shape] of Object.entries(expected)) {
    if (!have.has(name)) problems.push(`${name}: missing`);
    else {
      const got = set.shape(name);
      if (got.length !== shape.length || got.some((d, i) => d !== shape[i])) problems.push(`${name}: shape ${fmtShape(got)}, expected ${fmtShape(shape)}`);
    }
  }
  if (problems.length) throw new Error(`${set.description} does not match the expected weights:\n  ${problems.join('\n  ')}`);
}

/** Floating-point element types the readers accept; each format maps its own names onto these. */
export type FloatType = 'f32' | 'f16' | 'bf16' | 'f64';
export const FLOAT_BYTES: Record<FloatType, number> = { f32: 4, f16: 2, bf16: 2, f64: 8 };

/**
 * `count` little-endian elements of `type` from byte `offset` of `bytes`, as float32. Aligned float32 comes back
 * as a view (no copy); hosts are little-endian, as WebGPU's buffers already assume.
 */
export function decodeFloats(bytes: Uint8Array, offset: number, count: number, type: FloatType): Float32Array {
  if (type === 'f32') return float32s(bytes, offset, count);
  const start = bytes.byteOffset + offset;
  const view = new DataView(bytes.buffer, start, count * FLOAT_BYTES[type]);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    out[i] = type === 'f64' ? view.getFloat64(i * 8, true) : type === 'f16' ? halfToFloat(view.getUint16(i * 2, true)) : bf16ToFloat(view.getUint16(i * 2, true));
  }
  return out;
}

/** decodeFloats for float32 alone (the formats that hold nothing else need no other decoder). */
export function float32s(bytes: Uint8Array, offset: number, count: number): Float32Array {
  const start = bytes.byteOffset + offset;
  return start % 4 === 0 ? new Float32Array(bytes.buffer, start, count) : new Float32Array(bytes.buffer.slice(start, start + count * 4));
}

const bits = /* @__PURE__ */ new DataView(new ArrayBuffer(4));

function bf16ToFloat(h: number): number {
  bits.setUint32(0, h << 16);
  return bits.getFloat32(0);
}

/** IEEE 754 binary16 → number (subnormals, infinities and NaN included). */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}
