// Which option values each library entry point accepts, declared once: gatys(), FastStyleNet, AdaIN and
// GatedGanGenerator call these at their top, and the CLI calls the same functions (with its flag names) before
// it reads weights or starts the GPU. A bad value throws an OptionError naming the option, the value and what is
// allowed; the CLI turns it into a usage error (exit 2).
import { type RgbaImage, fitLongestSide } from './image/io.ts';
import { VGG19_LAYER_NAMES } from './models/vgg19.ts';

export class OptionError extends Error {
  constructor(
    /** The option as the caller spelt it: an API key (`styleWeight`) or a CLI flag (`--style-weight`). */
    readonly option: string,
    readonly value: unknown,
    /** What is allowed, e.g. 'a number ≥ 0'. */
    readonly allowed: string,
    detail = '',
  ) {
    super(`${option}: expected ${allowed}, got ${show(value)}${detail ? ` (${detail})` : ''}`);
  }
}

/** How an option key is shown in messages: the key itself (the library), or a CLI flag. */
export type OptionNamer = (key: string) => string;
export const apiNames: OptionNamer = (key) => key;
/** `--kebab-case` flags, with the exceptions a command spells differently. */
export function flagNames(exceptions: Record<string, string> = {}): OptionNamer {
  return (key) => exceptions[key] ?? `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

// ---- the smallest images each model can run on --------------------------------------------------------------

/** Gatys: each 2×2 pool up to the deepest layer used halves the image and needs ≥ 2 rows and columns. */
export function gatysMinimumSize(layers: readonly string[]): { side: number; pools: number; deepest: string } {
  const deepest = layers.reduce((a, b) => (VGG19_LAYER_NAMES.indexOf(b) > VGG19_LAYER_NAMES.indexOf(a) ? b : a));
  const pools = VGG19_LAYER_NAMES.slice(0, VGG19_LAYER_NAMES.indexOf(deepest) + 1).filter((l) => l.startsWith('pool')).length;
  return { side: 2 ** pools, pools, deepest };
}
/** AdaIN: relu4_1 (after three ceil-mode pools, ⌈H/8⌉) must be at least 2×2 for its reflection padding. */
export const ADAIN_MIN_SIDE = 9;
/** Gated GAN: the features (⌈H/4⌉) must be at least 2×2 for the residual blocks' reflection padding. */
export const GATEDGAN_MIN_SIDE = 5;
/** Fast style networks: SAME-padded convs and instance norm run on any size. */
export const FAST_STYLE_MIN_SIDE = 1;

// ---- checks on single values ------------------------------------------------------------------------------

interface NumberRule {
  integer?: boolean;
  min?: number;
  /** min itself is not allowed. */
  above?: boolean;
  max?: number;
}

export function describeNumber({ integer, min, above, max }: NumberRule): string {
  const kind = integer ? 'an integer' : 'a number';
  if (min !== undefined && max !== undefined) return `${kind} in ${above ? '(' : '['}${min}, ${max}]`;
  if (min !== undefined) return `${kind} ${above ? '>' : '≥'} ${min}`;
  return kind;
}

/** Throws unless `value` (when given) is a finite number obeying the rule. */
export function checkNumber(option: string, value: unknown, rule: NumberRule, detail?: string): void {
  if (value === undefined) return;
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (!rule.integer || Number.isInteger(value)) &&
    (rule.min === undefined || (rule.above ? value > rule.min : value >= rule.min)) &&
    (rule.max === undefined || value <= rule.max);
  if (!ok) throw new OptionError(option, value, describeNumber(rule), detail);
}

export function checkChoice(option: string, value: unknown, choices: readonly string[]): void {
  if (value !== undefined && !choices.includes(value as string)) throw new OptionError(option, value, `one of ${choices.join(', ')}`);
}

/** One non-negative weight per item, with a positive sum. */
export function checkBlendWeights(option: string, weights: readonly number[] | undefined, count: number, of: string): void {
  if (weights === undefined) return;
  const allowed = `${count} number${count === 1 ? '' : 's'} ≥ 0 (one per ${of}) with a positive sum`;
  const sum = weights.reduce((a, b) => a + b, 0);
  if (!Array.isArray(weights) || weights.length !== count || !weights.every((w) => typeof w === 'number' && Number.isFinite(w) && w >= 0) || !(sum > 0)) {
    throw new OptionError(option, weights, allowed);
  }
}

/** An ImageData-like image: positive integer sides and exactly width·height·4 RGBA bytes. */
export function checkImage(option: string, img: RgbaImage | undefined): asserts img is RgbaImage {
  if (!img || typeof img !== 'object') throw new OptionError(option, img, 'an image { width, height, data }');
  const { width, height, data } = img;
  if (!(Number.isInteger(width) && width > 0 && Number.isInteger(height) && height > 0)) {
    throw new OptionError(option, `${width}×${height}`, 'an image with positive integer width and height');
  }
  if (!data || typeof data.length !== 'number' || data.length !== width * height * 4) {
    throw new OptionError(option, `${data?.length} bytes of pixel data`, `width·height·4 = ${width}·${height}·4 = ${width * height * 4} RGBA bytes`);
  }
}

/** An image must reach the model's minimum on both sides, once resized as the run will resize it. */
function checkRunSize(option: string, img: RgbaImage, longestSide: number | undefined, min: number, why: string): void {
  const [h, w] = longestSide === undefined ? [img.height, img.width] : fitLongestSide(img.height, img.width, longestSide);
  if (Math.min(h, w) < min) {
    const resized = h === img.height && w === img.width ? '' : `, ${w}×${h} at ${longestSide} px`;
    throw new OptionError(option, `an image of ${img.width}×${img.height}${resized}`, `at least ${min}×${min} pixels`, why);
  }
}

// ---- the entry points ------------------------------------------------------------------------------------

export const GATYS_CHOICES = {
  optimizer: ['lbfgs', 'adam'],
  pooling: ['max', 'avg'],
  lineSearch: ['none', 'strong_wolfe'],
  init: ['random', 'content'],
} as const;

/** What gatys() accepts (a subset of GatysOptions, so this module needs no import from the model). */
export interface GatysOptionValues {
  imageSize?: number;
  styleScale?: number;
  styleBlendWeights?: number[];
  iterations?: number;
  optimizer?: string;
  learningRate?: number;
  lbfgsHistory?: number;
  lineSearch?: string;
  contentWeight?: number;
  styleWeight?: number;
  tvWeight?: number;
  init?: string | RgbaImage | Float32Array;
  seed?: number;
  pooling?: string;
  contentLayers?: string[];
  styleLayers?: string[];
}

/** Options alone (no images): what the CLI checks before reading anything. Returns the minimum image side. */
export function checkGatysOptions(o: GatysOptionValues & { imageSize: number; styleScale: number; contentLayers: string[]; styleLayers: string[] }, name: OptionNamer = apiNames): number {
  for (const key of ['contentLayers', 'styleLayers'] as const) {
    const layers = o[key];
    if (!Array.isArray(layers) || layers.length === 0) throw new OptionError(name(key), layers, 'one or more VGG19 layer names');
    for (const l of layers) if (!VGG19_LAYER_NAMES.includes(l)) throw new OptionError(name(key), l, `VGG19 layer names (${VGG19_LAYER_NAMES.join(', ')})`);
  }
  const { side: min, pools, deepest } = gatysMinimumSize([...o.contentLayers, ...o.styleLayers]);
  const poolsWhy = pools === 0 ? '' : pools === 1 ? `the pooling layer before ${deepest} halves the image` : `the ${pools} pooling layers up to ${deepest} halve the image ${pools} times`;
  checkNumber(name('imageSize'), o.imageSize, { integer: true, min }, poolsWhy);
  checkNumber(name('styleScale'), o.styleScale, { min: 0, above: true });
  const styleSide = Math.round(o.imageSize * o.styleScale);
  if (styleSide < min) throw new OptionError(name('styleScale'), o.styleScale, `a number ≥ ${min / o.imageSize} at image size ${o.imageSize}`, `style images of ${styleSide} px; ${poolsWhy || 'they'} need at least ${min} px`);
  checkNumber(name('iterations'), o.iterations, { integer: true, min: 1 });
  checkChoice(name('optimizer'), o.optimizer, GATYS_CHOICES.optimizer);
  checkNumber(name('learningRate'), o.learningRate, { min: 0, above: true });
  checkNumber(name('lbfgsHistory'), o.lbfgsHistory, { integer: true, min: 1 });
  checkChoice(name('lineSearch'), o.lineSearch, GATYS_CHOICES.lineSearch);
  for (const key of ['contentWeight', 'styleWeight', 'tvWeight'] as const) checkNumber(name(key), o[key], { min: 0 });
  checkNumber(name('seed'), o.seed, { integer: true });
  checkChoice(name('pooling'), o.pooling, GATYS_CHOICES.pooling);
  if (typeof o.init === 'string') checkChoice(name('init'), o.init, GATYS_CHOICES.init);
  else if (o.init !== undefined && !(o.init instanceof Float32Array)) checkImage(name('init'), o.init);
  return min;
}

/** gatys(): the options, the pixel buffers, and every image large enough for the layers once resized. */
export function checkGatys(content: RgbaImage, styles: readonly RgbaImage[], o: Parameters<typeof checkGatysOptions>[0], name: OptionNamer = apiNames): void {
  const min = checkGatysOptions(o, name);
  checkImage(name('content'), content);
  if (!Array.isArray(styles) || styles.length === 0) throw new OptionError(name('style'), styles, 'one or more style images');
  styles.forEach((s) => checkImage(name('style'), s));
  checkBlendWeights(name('styleBlendWeights'), o.styleBlendWeights, styles.length, 'style image');
  const need = `the layers up to ${gatysMinimumSize([...o.contentLayers, ...o.styleLayers]).deepest} need ${min} px on each side`;
  // Fitted first: an elongated image may fall below the minimum at this size (a larger one helps); then the
  // content as given: a tiny image is refused rather than silently blown up to the image size.
  checkRunSize(name('content'), content, o.imageSize, min, `${need}; try a larger ${name('imageSize')}`);
  for (const s of styles) checkRunSize(name('style'), s, Math.max(1, Math.round(o.imageSize * o.styleScale)), min, `${need}; try a larger ${name('styleScale')}`);
  checkRunSize(name('content'), content, undefined, min, `${need}; a smaller image would only be blown up`);
  if (o.init instanceof Float32Array) {
    const [h, w] = fitLongestSide(content.height, content.width, o.imageSize);
    if (o.init.length !== 3 * h * w) throw new OptionError(name('init'), `${o.init.length} values`, `3·${h}·${w} = ${3 * h * w} values (the image in input space)`);
  }
}

export function checkFastStyleOptions(o: { longestSide?: number }, name: OptionNamer = apiNames): void {
  checkNumber(name('longestSide'), o.longestSide, { integer: true, min: FAST_STYLE_MIN_SIDE });
}

export function checkFastStyle(image: RgbaImage, o: { longestSide?: number }, name: OptionNamer = apiNames): void {
  checkFastStyleOptions(o, name);
  checkImage(name('content'), image);
}

export interface AdainOptionValues {
  alpha?: number;
  weights?: readonly number[];
  mask?: { width: number; height: number; data: ArrayLike<number> };
  longestSide?: number;
  styleLongestSide?: number;
}

const ADAIN_WHY = 'relu4_1 (⌈H/8⌉) must be at least 2×2 for its reflection padding';

export function checkAdainOptions(o: AdainOptionValues, name: OptionNamer = apiNames): void {
  checkNumber(name('alpha'), o.alpha, { min: 0, max: 1 });
  checkNumber(name('longestSide'), o.longestSide, { integer: true, min: ADAIN_MIN_SIDE }, ADAIN_WHY);
  checkNumber(name('styleLongestSide'), o.styleLongestSide, { integer: true, min: ADAIN_MIN_SIDE }, ADAIN_WHY);
}

export function checkAdain(content: RgbaImage, styles: readonly RgbaImage[], o: AdainOptionValues, name: OptionNamer = apiNames): void {
  checkAdainOptions(o, name);
  checkImage(name('content'), content);
  if (!Array.isArray(styles) || styles.length === 0) throw new OptionError(name('style'), styles, 'one or more style images');
  styles.forEach((s) => checkImage(name('style'), s));
  checkBlendWeights(name('weights'), o.weights, styles.length, 'style');
  if (o.mask) {
    if (styles.length !== 2) throw new OptionError(name('mask'), `${styles.length} styles`, 'exactly two styles (foreground, background) with a mask');
    if (o.weights) throw new OptionError(name('mask'), 'style interpolation weights too', 'a mask or style interpolation weights, not both');
    const { width, height, data } = o.mask;
    if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0) || data?.length !== width * height) {
      throw new OptionError(name('mask'), `${data?.length} values for ${width}×${height}`, 'one value per pixel (width·height)');
    }
  }
  checkRunSize(name('content'), content, o.longestSide, ADAIN_MIN_SIDE, ADAIN_WHY);
  for (const s of styles) checkRunSize(name('style'), s, o.styleLongestSide, ADAIN_MIN_SIDE, ADAIN_WHY);
}

const GATEDGAN_WHY = 'the features (⌈H/4⌉) must be at least 2×2 for reflection padding';

export function checkGatedGanOptions(o: { longestSide?: number }, name: OptionNamer = apiNames): void {
  checkNumber(name('longestSide'), o.longestSide, { integer: true, min: GATEDGAN_MIN_SIDE }, GATEDGAN_WHY);
}

export function checkGatedGan(image: RgbaImage, styleWeights: readonly number[], o: { longestSide?: number }, name: OptionNamer = apiNames): void {
  checkGatedGanOptions(o, name);
  if (!Array.isArray(styleWeights) || styleWeights.length === 0 || !styleWeights.every((w) => typeof w === 'number' && Number.isFinite(w))) {
    throw new OptionError(name('styleWeights'), styleWeights, 'finite numbers, one per style and one for the identity branch');
  }
  checkImage(name('content'), image);
  checkRunSize(name('content'), image, o.longestSide, GATEDGAN_MIN_SIDE, GATEDGAN_WHY);
}

function show(value: unknown): string {
  if (typeof value === 'string') return value.includes(' ') || value === '' ? value : `'${value}'`;
  if (Array.isArray(value)) return `[${value.map((v) => show(v)).join(', ')}]`;
  if (value instanceof Float32Array) return `a Float32Array of ${value.length} values`;
  if (value === null || typeof value !== 'object') return String(value);
  return Object.prototype.toString.call(value);
}
