// TensorFlow.js layers models: model.json holds the Keras topology (`modelTopology`) and a `weightsManifest`, a
// list of groups {paths, weights: [{name, shape, dtype}]}; a group's shard files, concatenated in order, hold its
// weights one after another, little-endian. Only the groups holding requested tensors are ever fetched, so a
// model truncated after some layer (or a user who needs only the first layers) works up to there.
import { type FileSource, MissingFileError } from './source.ts';
import { type TensorEntry, type WeightSet, checkTensorShape, float32s, numel, weightSet } from './tensors.ts';

interface ManifestWeight {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: string };
}

interface ManifestGroup {
  paths: string[];
  weights: ManifestWeight[];
}

export interface TfjsLayersModel extends WeightSet {
  /** model.json's `modelTopology`: the Keras model config. */
  topology: unknown;
}

// Bytes per stored element, needed to find every later weight of a group even when this one cannot be decoded.
const STORED_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };

/** The model described by the parsed `model.json` (read from `source` as `modelFile`); shards come from `source`. */
export function tfjsLayersModel(json: unknown, source: FileSource, modelFile = 'model.json'): TfjsLayersModel {
  const description = source.where(modelFile);
  const { modelTopology, weightsManifest } = (json ?? {}) as { modelTopology?: unknown; weightsManifest?: ManifestGroup[] };
  if (!Array.isArray(weightsManifest)) throw new Error(`${description}: no weightsManifest (not a TensorFlow.js layers model)`);
  const entries = new Map<string, TensorEntry>();
  for (const [g, group] of weightsManifest.entries()) {
    checkGroup(group, `${description}: weightsManifest[${g}]`);
    let offset = 0;
    const located = group.weights.map((w) => {
      checkTensorShape(w.name, w.shape, description);
      const stored = w.quantization?.dtype ?? w.dtype;
      if (!(stored in STORED_BYTES)) throw new Error(`${w.name}: dtype ${stored} in ${description} has no known byte size`);
      const at = offset;
      offset += numel(w.shape) * STORED_BYTES[stored];
      return { w, at };
    });
    const expected = offset;
    let pending: Promise<Uint8Array> | undefined;
    const groupBytes = () =>
      (pending ??= readGroup(source, group.paths, expected, description).catch((e) => {
        pending = undefined; // a later call may retry (e.g. after a network failure)
        throw e;
      }));
    for (const { w, at } of located) {
      entries.set(w.name, {
        shape: w.shape,
        async load() {
          if (w.quantization) throw new Error(`${w.name}: quantized weights (${w.quantization.dtype}) are not supported (${description})`);
          if (w.dtype !== 'float32') throw new Error(`${w.name}: dtype ${w.dtype} is not supported, only float32 (${description})`);
          let bytes: Uint8Array;
          try {
            bytes = await groupBytes();
          } catch (e) {
            throw new Error(`${w.name}: ${(e as Error).message}`, { cause: e });
          }
          return float32s(bytes, at, numel(w.shape));
        },
      });
    }
  }
  return { ...weightSet(description, entries), topology: modelTopology };
}

/** Throws unless `group` has the fields a weights manifest group must have, of the right types. */
function checkGroup(group: unknown, where: string): asserts group is ManifestGroup {
  const g = group as Partial<ManifestGroup> | null;
  if (!g || !Array.isArray(g.paths) || g.paths.length === 0 || !g.paths.every((p) => typeof p === 'string')) throw new Error(`${where}: no list of shard paths`);
  if (!Array.isArray(g.weights)) throw new Error(`${where}: no list of weights`);
  for (const [i, w] of g.weights.entries()) {
    if (typeof w?.name !== 'string' || typeof w.dtype !== 'string') throw new Error(`${where}.weights[${i}]: not a {name, shape, dtype} entry`);
  }
}

async function readGroup(source: FileSource, paths: string[], expected: number, description: string): Promise<Uint8Array> {
  const shards = await Promise.all(
    paths.map((p) =>
      source.read(p).catch((e) => {
        throw e instanceof MissingFileError ? new Error(`shard ${p} not found: ${e.message}`, { cause: e }) : e;
      }),
    ),
  );
  const found = shards.reduce((n, s) => n + s.length, 0);
  if (found !== expected) {
    throw new Error(`shard${paths.length > 1 ? 's' : ''} ${paths.join(' + ')} hold${paths.length > 1 ? '' : 's'} ${found} bytes, expected ${expected}${found < expected ? ' (truncated)' : ''} (${description})`);
  }
  if (shards.length === 1) return shards[0];
  const whole = new Uint8Array(found);
  let at = 0;
  for (const s of shards) {
    whole.set(s, at);
    at += s.length;
  }
  return whole;
}
