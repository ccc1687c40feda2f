// deeplearn.js checkpoints, as ml5's style-transfer networks are stored: manifest.json maps each variable to
// {filename, shape}; each file is that variable alone, raw little-endian float32, row-major (TensorFlow layout).
import type { FileSource } from './source.ts';
import { type TensorEntry, type WeightSet, float32s, numel, weightSet } from './tensors.ts';

/** The checkpoint described by the parsed `manifest.json` (read from `source` as `manifestFile`). */
export function ml5Checkpoint(json: unknown, source: FileSource, manifestFile = 'manifest.json'): WeightSet {
  const description = source.where(manifestFile);
  const entries = new Map<string, TensorEntry>();
  for (const [name, v] of Object.entries((json ?? {}) as Record<string, { filename?: string; shape?: number[] }>)) {
    if (typeof v?.filename !== 'string' || !Array.isArray(v.shape)) throw new Error(`${description}: ${name} has no {filename, shape} (not a deeplearn.js manifest)`);
    const { filename, shape } = v as { filename: string; shape: number[] };
    entries.set(name, {
      shape,
      async load() {
        try {
          return float32s(await source.read(filename, { size: numel(shape) * 4 }), 0, numel(shape));
        } catch (e) {
          throw new Error(`${name}: ${(e as Error).message}`, { cause: e });
        }
      },
    });
  }
  if (entries.size === 0) throw new Error(`${description}: lists no variables`);
  return weightSet(description, entries);
}
