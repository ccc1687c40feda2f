// Weights for a page: a known model's files from its public source (or a mirror/base URL), kept across visits in
// the Cache API, checked against the registry's digests each time they are read, and opened without the
// PyTorch/safetensors readers (the page's models ship as TensorFlow.js or deeplearn.js checkpoints).
import { ml5Checkpoint } from '../weights/ml5Checkpoint.ts';
import { KNOWN_MODELS, type KnownModel, findModelIn } from '../weights/registry.ts';
import { type DownloadProgress, type FileCheck, type FileSource, MissingFileError, modelSource, resolveLocation, verify } from '../weights/source.ts';
import type { WeightSet } from '../weights/tensors.ts';
import { tfjsLayersModel } from '../weights/tfjsLayers.ts';
import { WeightsError } from './errors.ts';

export interface WeightOptions {
  /** Base URL of a mirror laid out like the project's weight mirror (<base>/<model folder>/<file>), in place of
   *  the models' public sources; relative URLs resolve against the page. */
  baseUrl?: string;
  /** Cache API cache that keeps downloaded weights across visits ('' or false: none). Default 'stylegpu-weights'. */
  cache?: string | false;
  onProgress?: (p: DownloadProgress) => void;
  signal?: AbortSignal;
}

export const DEFAULT_CACHE = 'stylegpu-weights';

async function openCache(name: string | false | undefined): Promise<Cache | undefined> {
  if (name === false || name === '' || typeof caches === 'undefined') return undefined;
  // Caches exist on secure origins only; elsewhere weights simply are not kept.
  return caches.open(name ?? DEFAULT_CACHE).catch(() => undefined);
}

/** `inner` with each file kept in `cache` under its URL; a cached copy is verified like a download (`known`
 *  adds the registry's checks), and one that fails is dropped and fetched again. */
function cachedSource(inner: FileSource, cache: Cache | undefined, known: (file: string) => Promise<FileCheck | undefined>, signal?: AbortSignal): FileSource {
  return {
    where: inner.where,
    async read(file, check) {
      signal?.throwIfAborted();
      const url = inner.where(file);
      const hit = await cache?.match(url);
      if (hit) {
        const bytes = new Uint8Array(await hit.arrayBuffer());
        try {
          await verify(bytes, url, { ...(await known(file)), ...check });
          return bytes;
        } catch {
          await cache!.delete(url);
        }
      }
      const bytes = await inner.read(file, check);
      signal?.throwIfAborted();
      await cache?.put(url, new Response(bytes as Uint8Array<ArrayBuffer>)).catch(() => undefined);
      return bytes;
    },
  };
}

/** A loading failure as a WeightsError saying which kind it is (aborts pass through). */
export function weightsError(location: string, e: unknown): unknown {
  if (e instanceof WeightsError || (e as Error)?.name === 'AbortError') return e;
  const message = e instanceof Error ? e.message : String(e);
  if (e instanceof MissingFileError) return new WeightsError('not-found', location, message, { cause: e });
  if (/^cannot download|broke off|HTTP \d/.test(message)) return new WeightsError('download', location, message, { cause: e });
  return new WeightsError('corrupt', location, message, { cause: e });
}

/** How a model's index file (its parsed JSON) becomes a WeightSet. A page opens each model family with its own
 *  format, so it ships the readers of the models it opens only. */
export type IndexFormat = (json: unknown, source: FileSource, file: string) => WeightSet;

/** A TensorFlow.js model.json or a deeplearn.js manifest.json, whichever `json` is. */
const eitherIndex: IndexFormat = (json, source, file) =>
  json && typeof json === 'object' && 'weightsManifest' in json ? tfjsLayersModel(json, source, file) : ml5Checkpoint(json, source, file);

/** A known model (registry id) or the URL of a model.json/manifest.json, opened; errors are WeightsErrors. */
export function openWeights(location: string, opts: WeightOptions = {}): Promise<WeightSet> {
  return openWeightsAs(eitherIndex, KNOWN_MODELS, location, opts);
}

/** openWeights for one family: its index format (e.g. ml5Checkpoint for a deeplearn.js manifest.json) and its
 *  known models (e.g. ML5_MODELS), which `location` may name. */
export async function openWeightsAs(format: IndexFormat, known: readonly KnownModel[], location: string, opts: WeightOptions = {}): Promise<WeightSet> {
  const cache = await openCache(opts.cache);
  const sourceOptions = { mirror: opts.baseUrl ?? '', onProgress: opts.onProgress };
  const open = async (source: FileSource, file: string) => format(JSON.parse(new TextDecoder().decode(await source.read(file))), source, file);
  try {
    const model: KnownModel | undefined = findModelIn(known, location);
    if (model) return await open(cachedSource(modelSource(model, sourceOptions), cache, async (f) => (await model.checks())[f], opts.signal), model.entry);
    const { source, file } = await resolveLocation(location, sourceOptions);
    return await open(cachedSource(source, cache, async () => undefined, opts.signal), file ?? 'model.json');
  } catch (e) {
    throw weightsError(location, e);
  }
}
