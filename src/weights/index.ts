// Weights by name, path or URL, whatever their format: `loadWeights` finds the file (registry, mirror, cache,
// download: source.ts), recognises the format from its bytes, and returns a WeightSet whose tensors are decoded
// (and, for TensorFlow.js shards and deeplearn.js variables, fetched) only when asked for.
import { ml5Checkpoint } from './ml5Checkpoint.ts';
import { torchWeights } from './pytorch.ts';
import { findModel } from './registry.ts';
import { safetensorsWeights } from './safetensors.ts';
import { type FileSource, MissingFileError, type SourceOptions, modelSource, resolveLocation } from './source.ts';
import type { WeightSet } from './tensors.ts';
import { tfjsLayersModel } from './tfjsLayers.ts';

export { KNOWN_MODELS, ML5_STYLES, type KnownModel, type Ml5Style, findModel, knownModel } from './registry.ts';
export { type DownloadProgress, type FileCheck, type FileSource, MissingFileError, type SourceOptions, modelSource, resolveLocation } from './source.ts';
export { type WeightSet, type WeightTensor, checkShapes, loadAll } from './tensors.ts';

/**
 * A known model's id (registry.ts: 'vgg19-tfjs', 'ml5-style-transfer/wave', 'torchvision-vgg19'), or the path or
 * URL of a weight file (.pth, .safetensors, model.json, manifest.json) or of a folder holding model.json or
 * manifest.json.
 */
export async function loadWeights(location: string, opts: SourceOptions = {}): Promise<WeightSet> {
  const model = findModel(location);
  if (model) return openWeightFile(modelSource(model, opts), model.entry);
  const { source, file } = await resolveLocation(location, opts);
  if (file !== undefined) return openWeightFile(source, file);
  for (const index of ['model.json', 'manifest.json']) {
    try {
      return await openWeightFile(source, index);
    } catch (e) {
      if (!(e instanceof MissingFileError)) throw e;
    }
  }
  throw new Error(`${location}: folder without model.json (TensorFlow.js) or manifest.json (deeplearn.js checkpoint)`);
}

/** The weights in `file` of `source`, in whichever format its bytes show. */
export async function openWeightFile(source: FileSource, file: string): Promise<WeightSet> {
  const bytes = await source.read(file);
  const description = source.where(file);
  // safetensors: a u64 header length (< 4 GiB in practice), then the JSON header.
  if (bytes.length > 8 && bytes[8] === 0x7b && bytes[4] === 0 && bytes[5] === 0 && bytes[6] === 0 && bytes[7] === 0) {
    return safetensorsWeights(bytes, description);
  }
  if ((bytes[0] === 0x50 && bytes[1] === 0x4b) || bytes[0] === 0x80) return torchWeights(bytes, description);
  const text = new TextDecoder().decode(bytes.subarray(0, 64)).trimStart();
  if (text.startsWith('{')) {
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder().decode(bytes));
    } catch (e) {
      throw new Error(`${description}: invalid JSON: ${(e as Error).message}`);
    }
    return json && typeof json === 'object' && 'weightsManifest' in json ? tfjsLayersModel(json, source, file) : ml5Checkpoint(json, source, file);
  }
  throw new Error(`${description}: unknown weight format (expected a PyTorch .pth, .safetensors, TensorFlow.js model.json or deeplearn.js manifest.json)`);
}
