// The weights stylegpu knows by name: where upstream keeps them, where they sit under a mirror or the cache
// (`folder`, the same layout as ../shared/mirror), and what each of their files must hash to, wherever it is read
// from. Data files are also checked against the sizes their index file implies (shapes × 4 bytes).
//
// The digests of the mirrored files (byte copies of upstream: ml5js/ml5-data-and-models @ 0612a3e
// models/style-transfer/, DavidCai1993/vgg19-tensorflowjs-model @ 08d0905 model/) live in one module per model,
// digests/<folder with / as ->.ts, in `sha256sum` format with paths relative to the mirror. Made, and checkable, with
//   cd ../shared/mirror && find vgg19-tfjs ml5-style-transfer -type f ! -name LICENSE | sort | xargs sha256sum
// (or `sha256sum -c` on a module's list from the mirror). A model's module is imported when one of its files is
// first read, so a page carries the digests of the models it opens and no others. Files of known models not listed
// there (vgg19-tfjs groups 9–19, torchvision's .pth) are not mirrored: `unverified` says where their digests would
// come from.
import type { FileCheck } from './source.ts';

export type FileChecks = Readonly<Record<string, FileCheck>>;

export interface KnownModel {
  id: string;
  description: string;
  /** Upstream folder (ends in `/`): a file is fetched from `url + name`. */
  url: string;
  /** Folder of the files under a mirror and under the cache. */
  folder: string;
  /** The file to open: the model's index file, or its single weight file. */
  entry: string;
  /** Known sizes and SHA-256 digests (or digest prefixes) of its files (loaded on first call). */
  checks(): Promise<FileChecks>;
  /** Which of its files have no known digest (they are checked by size only), and where one would come from. */
  unverified?: string;
  licence: string;
}

/** Each mirrored model's digest list, by folder: a dynamic import apiece, so that bundlers split them. */
const MIRRORED_SHA256: Readonly<Record<string, () => Promise<{ default: string }>>> = {
  'vgg19-tfjs': () => import('./digests/vgg19-tfjs.ts'),
  'ml5-style-transfer/la_muse': () => import('./digests/ml5-style-transfer-la_muse.ts'),
  'ml5-style-transfer/mathura': () => import('./digests/ml5-style-transfer-mathura.ts'),
  'ml5-style-transfer/matilde_perez': () => import('./digests/ml5-style-transfer-matilde_perez.ts'),
  'ml5-style-transfer/matta': () => import('./digests/ml5-style-transfer-matta.ts'),
  'ml5-style-transfer/rain_princess': () => import('./digests/ml5-style-transfer-rain_princess.ts'),
  'ml5-style-transfer/scream': () => import('./digests/ml5-style-transfer-scream.ts'),
  'ml5-style-transfer/udnie': () => import('./digests/ml5-style-transfer-udnie.ts'),
  'ml5-style-transfer/wave': () => import('./digests/ml5-style-transfer-wave.ts'),
  'ml5-style-transfer/wreck': () => import('./digests/ml5-style-transfer-wreck.ts'),
};

/** `{file: {sha256}}` for the files a `sha256sum` list holds under `folder/`. */
function parseDigests(list: string, folder: string): Record<string, FileCheck> {
  const checks: Record<string, FileCheck> = {};
  for (const line of list.trim().split('\n')) {
    const [, sha256, file] = /^([0-9a-f]{64}) {2}(.+)$/.exec(line) ?? [];
    if (file?.startsWith(`${folder}/`)) checks[file.slice(folder.length + 1)] = { sha256 };
  }
  return checks;
}

/** checks() of a model: the digests of its mirrored files, if any, with `extra` on top; loaded once (a failed load,
 *  e.g. a page's chunk that did not arrive, is tried again on the next call rather than remembered). */
function loadChecks(folder: string, extra: FileChecks): () => Promise<FileChecks> {
  let loaded: Promise<FileChecks> | undefined;
  const mirrored = MIRRORED_SHA256[folder];
  return () =>
    (loaded ??= (mirrored ? mirrored().then((m) => ({ ...parseDigests(m.default, folder), ...extra })) : Promise.resolve(extra)).catch((e: unknown) => {
      loaded = undefined;
      throw new Error(`cannot load the SHA-256 digests of ${folder}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }));
}

export const ML5_STYLES = ['la_muse', 'mathura', 'matilde_perez', 'matta', 'rain_princess', 'scream', 'udnie', 'wave', 'wreck'] as const;
export type Ml5Style = (typeof ML5_STYLES)[number];

// Each family's models are a constant of their own (the annotations tell bundlers that building them has no side
// effects), so a page that opens one family's models (findModelIn) ships no other family's entries.

/** The nine ml5 style networks. */
export const ML5_MODELS: readonly KnownModel[] = /* @__PURE__ */ ML5_STYLES.map((style) => ({
  id: `ml5-style-transfer/${style}`,
  description: `fast style transfer network "${style}" (Johnson et al. 2016, trained by Engstrom), deeplearn.js checkpoint`,
  url: `https://raw.githubusercontent.com/ml5js/ml5-data-and-models/master/models/style-transfer/${style}/`,
  folder: `ml5-style-transfer/${style}`,
  entry: 'manifest.json',
  checks: loadChecks(`ml5-style-transfer/${style}`, { 'manifest.json': { size: 4689, sha256: 'e03432142aa5e7f85776094d69bf5b90b11ba4498026d5ba2c73fefefbe35bf9' } }),
  licence: 'MIT (ml5js/ml5-data-and-models)',
}));

const VGG19_TFJS: KnownModel = {
  id: 'vgg19-tfjs',
  description: 'ImageNet VGG19 (Keras applications) as a TensorFlow.js layers model; BGR 0…255 minus the caffe mean',
  url: 'https://raw.githubusercontent.com/DavidCai1993/vgg19-tensorflowjs-model/master/model/',
  folder: 'vgg19-tfjs',
  entry: 'model.json',
  checks: /* @__PURE__ */ loadChecks('vgg19-tfjs', { 'model.json': { size: 20659, sha256: '0a55a4ea97c30cdcee63cc614e9f2d41f43ea4f0a9554bb151e742cbfd59c256' } }),
  unverified:
    'groups 9–19 (block4_conv1 … predictions) are not in the mirror their digests were taken from: they are checked against the ' +
    'group sizes model.json implies; their digests would come from hashing the files of DavidCai1993/vgg19-tensorflowjs-model @ 08d0905',
  licence: 'VGG weights CC BY 4.0 (Simonyan & Zisserman, Oxford VGG); conversion MIT (DavidCai1993/vgg19-tensorflowjs-model)',
};

const TORCHVISION_VGG19: KnownModel = {
  id: 'torchvision-vgg19',
  description: "torchvision's ImageNet VGG19 state dict (features.N.weight|bias; RGB 0…1, ImageNet mean/std)",
  url: 'https://download.pytorch.org/models/',
  folder: 'torchvision',
  entry: 'vgg19-dcbb9e9d.pth',
  // torchvision names its files after the first 8 hex digits of their SHA-256.
  checks: /* @__PURE__ */ loadChecks('torchvision', { 'vgg19-dcbb9e9d.pth': { sha256: 'dcbb9e9d' } }),
  unverified:
    'vgg19-dcbb9e9d.pth is not mirrored: it is checked against the 8-digit SHA-256 prefix in its name (as torch.hub does); ' +
    'its full digest and size would come from hashing the file at download.pytorch.org/models/',
  licence: 'VGG weights CC BY 4.0 (Simonyan & Zisserman, Oxford VGG); BSD-3-Clause (torchvision)',
};

export const KNOWN_MODELS: readonly KnownModel[] = /* @__PURE__ */ [VGG19_TFJS].concat(ML5_MODELS, TORCHVISION_VGG19);

/** The model among `models` with this id, or at this URL (its entry file, or the folder of an index-file model). */
export function findModelIn(models: readonly KnownModel[], idOrUrl: string): KnownModel | undefined {
  const folder = idOrUrl.replace(/\/?$/, '/');
  return models.find((m) => m.id === idOrUrl || idOrUrl === m.url + m.entry || (m.entry.endsWith('.json') && folder === m.url));
}

/** The known model with this id, or at this URL. */
export function findModel(idOrUrl: string): KnownModel | undefined {
  return findModelIn(KNOWN_MODELS, idOrUrl);
}

export function knownModel(id: string): KnownModel {
  const model = findModel(id);
  if (!model) throw new Error(`unknown model "${id}"; known: ${KNOWN_MODELS.map((m) => m.id).join(', ')}`);
  return model;
}
