// Arbitrary style transfer with adaptive instance normalization (Huang & Belongie 2017, "Arbitrary Style Transfer
// in Real-time with Adaptive Instance Normalization") as in naoto0804/pytorch-AdaIN (net.py, function.py, test.py),
// run as a sequence of kernel calls:
//   encoder  net.vgg up to relu4_1 (vgg_normalised.pth): a 1×1 conv 3→3 that turns RGB 0…1 into the caffe VGG's
//            input, then conv1_1 … conv4_1, each ReflectionPad2d(1) + 3×3 conv + ReLU, and 2×2 max pools with
//            ceil_mode=True after relu1_2, relu2_2 and relu3_4 (keys 0, 2, 5, 9, 12, 16, 19, 22, 25, 29)
//   AdaIN    t = σ(s)·(c − μ(c))/σ(c) + μ(s) per channel (calc_mean_std: unbiased variance + 1e-5, then sqrt);
//            several styles: t = Σ w_i·AdaIN(c, s_i) with weights normalised to sum 1; then α·t + (1 − α)·c
//   decoder  net.decoder (decoder.pth): ReflectionPad2d(1) + 3×3 conv + ReLU (none after the last), nearest 2×
//            upsampling after the 1st, 5th and 7th conv (keys 1, 5, 8, 11, 14, 18, 21, 25, 28)
// plus the options of test.py and of the original AdaIN-style's test.lua: --preserve_color (coral: each style gets
// the content's colour mean and covariance first) and -mask (spatial control: two styles, each applied by AdaIN to
// the content positions of its region, with the statistics of those positions only). Images are RGB in 0…1; the
// output is not clipped (test.py's save_image clips). An H×W input comes out 8⌈H/8⌉ × 8⌈W/8⌉: its own size for
// multiples of 8, else up to 7 pixels larger, as upstream. Defined once as a graph, compiled per input shapes and
// options; the mask's per-region statistics are a gather done on the CPU between two programs.
import { Graph, type Node, Program, adain, channelMoment, conv2d, maxPool2d, relu, upsampleNearest2x, weightedSum } from '../graph/index.ts';
import type { RgbaImage } from '../image/io.ts';
import { coral } from '../image/coral.ts';
import { type SpatialMask, maskAtFeatures } from '../image/mask.ts';
import { checkAdain } from '../options.ts';
import type { Engine } from '../runtime/engine.ts';
import { type Tensor, shapeString } from '../runtime/tensor.ts';
import { type SourceOptions, type WeightSet, checkShapes } from '../weights/index.ts';
import { type ConvWeights, ProgramCache, type ProgramChoices, fusionKey, openWeights, programKey, releaseConvs, stylizeImages, uploadConv } from './layers.ts';

/** net.vgg's 3×3 convs conv1_1 … conv4_1 (after the 1×1 preprocessing conv, key 0) and those a pool follows. */
const ENCODER_KEYS = [2, 5, 9, 12, 16, 19, 22, 25, 29];
const POOL_AFTER = new Set([5, 12, 25]);
/** net.decoder's convs and those a 2× upsampling follows. */
const DECODER_KEYS = [1, 5, 8, 11, 14, 18, 21, 25, 28];
const UPSAMPLE_AFTER = new Set([1, 14, 21]);
/** calc_mean_std's statistics. */
const MOMENTS = { unbiased: true, eps: 1e-5 };



export interface AdainOptions extends ProgramChoices {
  /** Degree of stylisation α in [0, 1]: the decoder gets α·t + (1 − α)·content features. Default 1. */
  alpha?: number;
  /** Style interpolation weights, one per style, normalised to sum 1. Default: equal weights. */
  weights?: readonly number[];
  /** Spatial control with exactly two styles: foreground from the first, background from the second. */
  mask?: SpatialMask;
  /** Give each style image the content's colour statistics first (coral), as test.py's --preserve_color. */
  preserveColor?: boolean;
}

export interface AdainStylizeOptions extends AdainOptions {
  /** Resize the content first (GPU bilinear) so its longest side has this many pixels. */
  longestSide?: number;
  /** The same for the style images. */
  styleLongestSide?: number;
}

/** Expected shapes of 3×3 convs `${key}.weight` / `.bias` chained from `channels` input channels, the output widths
 *  read from the set (a missing weight is named by the set's error). */
function chainedConvShapes(set: WeightSet, keys: number[], channels: number): { shapes: Record<string, number[]>; channels: number } {
  const shapes: Record<string, number[]> = {};
  for (const key of keys) {
    const out = set.shape(`${key}.weight`)[0];
    shapes[`${key}.weight`] = [out, channels, 3, 3];
    shapes[`${key}.bias`] = [out];
    channels = out;
  }
  return { shapes, channels };
}

export class AdaIN {
  /** Compiled programs by part, input shapes, fusion choice and options; `programs.last` is the latest run's. */
  readonly programs = new ProgramCache(16);

  private constructor(
    readonly engine: Engine,
    /** The 1×1 preprocessing conv, then conv1_1 … conv4_1. */
    private readonly encoder: ConvWeights[],
    private readonly decoder: ConvWeights[],
    readonly description: string,
    private readonly choices: ProgramChoices,
  ) {}

  /** pytorch-AdaIN's vgg_normalised.pth (all of net.vgg; the layers after relu4_1 are not read) and decoder.pth, as
   *  paths, URLs or opened WeightSets. Widths are read from the weights; errors name the offending tensor. `fusion`
   *  is the default of every run. */
  static async load(e: Engine, vgg: string | WeightSet, decoder: string | WeightSet, opts: SourceOptions & ProgramChoices = {}): Promise<AdaIN> {
    const [v, d] = await Promise.all([openWeights(vgg, opts), openWeights(decoder, opts)]);
    const enc = chainedConvShapes(v, ENCODER_KEYS, 3);
    checkShapes(v, { '0.weight': [3, 3, 1, 1], '0.bias': [3], ...enc.shapes });
    const dec = chainedConvShapes(d, DECODER_KEYS, enc.channels);
    const last = DECODER_KEYS[DECODER_KEYS.length - 1];
    dec.shapes[`${last}.weight`][0] = 3;
    dec.shapes[`${last}.bias`] = [3];
    checkShapes(d, dec.shapes);
    const encoder = await Promise.all([0, ...ENCODER_KEYS].map((k) => uploadConv(e, v, String(k))));
    const decoderConvs = await Promise.all(DECODER_KEYS.map((k) => uploadConv(e, d, String(k))));
    return new AdaIN(e, encoder, decoderConvs, `${v.description} + ${d.description}`, { fusion: opts.fusion });
  }

  /** x [N, 3, H, W] RGB 0…1 (H, W ≥ 9: relu4_1 must be at least 2×2 for its reflection padding) → relu4_1 features
   *  [N, C, ⌈H/8⌉, ⌈W/8⌉]. x is kept. */
  encode(x: Tensor, choices: ProgramChoices = {}): Tensor {
    checkImage(x);
    return this.run('encode', [x], choices, [], ([t]) => [this.encoderGraph(t)])[0];
  }

  /** Features [N, C, h, w] → image [N, 3, 8h, 8w] (RGB about 0…1, not clipped). features are kept. */
  decode(features: Tensor, choices: ProgramChoices = {}): Tensor {
    return this.run('decode', [features], choices, [], ([f]) => [this.decoderGraph(f)])[0];
  }

  /** The decoder's input: α·t + (1 − α)·content with t the (weighted or masked) AdaIN of the content features by
   *  the style features. All [1, C, ·, ·]; the inputs are kept. */
  async targetFeatures(content: Tensor, styles: readonly Tensor[], opts: AdainOptions = {}): Promise<Tensor> {
    const { alpha, weights } = checkOptions(styles.length, opts);
    if (opts.mask) {
      const t = await this.maskedAdain(content, styles[0], styles[1], opts.mask, opts);
      try {
        return this.run('mix', [content, t], opts, [alpha], ([c, a]) => [mix(c, a, alpha)])[0];
      } finally {
        t.release();
      }
    }
    return this.run('target', [content, ...styles], opts, [alpha, weights], ([c, ...s]) => [targetGraph(c, s, alpha, weights)])[0];
  }

  /** content [1, 3, H, W] and styles [1, 3, Hi, Wi], RGB 0…1 → the stylized image [1, 3, 8⌈H/8⌉, 8⌈W/8⌉]
   *  (not clipped). The inputs are kept. */
  async transfer(content: Tensor, styles: readonly Tensor[], opts: AdainOptions = {}): Promise<Tensor> {
    const { alpha, weights } = checkOptions(styles.length, opts);
    for (const x of [content, ...styles]) {
      checkImage(x);
      if (x.shape[0] !== 1) throw new Error(`AdaIN: transfer takes one image per tensor, got ${shapeString(x.shape)}`);
    }
    const e = this.engine;
    let inputs = styles;
    if (opts.preserveColor) {
      const colours = await content.read();
      inputs = await Promise.all(styles.map(async (s) => e.tensor(s.shape, coral(await s.read(), colours))));
    }
    try {
      if (!opts.mask) {
        // One program: every image encoded, AdaIN, the mix, decoded.
        return this.run('transfer', [content, ...inputs], opts, [alpha, weights], ([c, ...s]) => [
          this.decoderGraph(targetGraph(this.encoderGraph(c), s.map((x) => this.encoderGraph(x)), alpha, weights)),
        ])[0];
      }
      // The mask's statistics are a CPU gather between the encoder and the decoder.
      const [contentFeatures, ...styleFeatures] = [content, ...inputs].map((x) => this.encode(x, opts));
      try {
        const t = await this.maskedAdain(contentFeatures, styleFeatures[0], styleFeatures[1], opts.mask, opts);
        try {
          return this.run('mixDecode', [contentFeatures, t], opts, [alpha], ([c, a]) => [this.decoderGraph(mix(c, a, alpha))])[0];
        } finally {
          t.release();
        }
      } finally {
        [contentFeatures, ...styleFeatures].forEach((f) => f.release());
      }
    } finally {
      if (inputs !== styles) inputs.forEach((s) => s.release());
    }
  }

  /** ImageData-like images (alpha ignored) → the stylized image, clipped to bytes. */
  async stylize(content: RgbaImage, styles: readonly RgbaImage[], opts: AdainStylizeOptions = {}): Promise<RgbaImage> {
    checkAdain(content, styles, opts);
    const images = [{ image: content, longestSide: opts.longestSide }, ...styles.map((image) => ({ image, longestSide: opts.styleLongestSide }))];
    return stylizeImages(this.engine, images, { scale: 1 / 255 }, ([x, ...s]) => this.transfer(x, s, opts));
  }

  release(): void {
    this.programs.clear();
    releaseConvs([...this.encoder, ...this.decoder]);
  }

  /** The program `part` on these inputs, compiled on first use for their shapes, the choices and `key`. */
  private run(part: string, xs: Tensor[], { fusion = this.choices.fusion }: ProgramChoices, key: unknown[], build: (inputs: Node[]) => Node[]): Tensor[] {
    const { program } = this.programs.get(programKey(xs, part, fusionKey(fusion), key), () => {
      const g = new Graph();
      return { program: new Program(build(xs.map((x, i) => g.input(`x${i}`, x.shape))), { fusion }) };
    });
    return program.run(this.engine, Object.fromEntries(xs.map((x, i) => [`x${i}`, x])));
  }

  private conv(x: Node, { weight, bias }: ConvWeights, name: string, padding: number): Node {
    const g = x.graph;
    return conv2d(x, g.constant(`${name}.weight`, weight), g.constant(`${name}.bias`, bias), padding ? { padding, padMode: 'reflect' } : {});
  }

  private encoderGraph(x: Node): Node {
    const [pre, ...convs] = this.encoder;
    let h = this.conv(x, pre, 'vgg.0', 0);
    for (const [i, c] of convs.entries()) {
      h = relu(this.conv(h, c, `vgg.${ENCODER_KEYS[i]}`, 1));
      if (POOL_AFTER.has(ENCODER_KEYS[i])) h = maxPool2d(h, 2, 2, { ceilMode: true });
    }
    return h;
  }

  private decoderGraph(features: Node): Node {
    let h = features;
    for (const [i, c] of this.decoder.entries()) {
      h = this.conv(h, c, `decoder.${DECODER_KEYS[i]}`, 1);
      if (i < this.decoder.length - 1) h = relu(h);
      if (UPSAMPLE_AFTER.has(DECODER_KEYS[i])) h = upsampleNearest2x(h);
    }
    return h;
  }

  /** test.lua's spatial control: the content positions in the mask's foreground get AdaIN by the first style with
   *  the mean and std of those positions only, the background ones by the second style likewise (CPU, float64: the
   *  positions are a gather the kernels do not offer; features are C·⌈H/8⌉·⌈W/8⌉ values). */
  private async maskedAdain(content: Tensor, foreground: Tensor, background: Tensor, mask: SpatialMask, choices: ProgramChoices): Promise<Tensor> {
    const [N, C, H, W] = content.shape;
    if (N !== 1) throw new Error(`AdaIN: a mask applies to one content image at a time, got ${shapeString(content.shape)}`);
    const P = H * W;
    const fg = maskAtFeatures(mask, H, W);
    const x = await content.read();
    const out = new Float32Array(x.length);
    for (const [inRegion, style] of [[true, foreground], [false, background]] as const) {
      const positions = [...fg.keys()].filter((p) => fg[p] === inRegion);
      if (positions.length === 0) continue;
      if (positions.length === 1) throw new Error(`AdaIN: the mask's ${inRegion ? 'fore' : 'back'}ground covers 1 of the ${H}×${W} feature positions; AdaIN's unbiased std needs at least 2`);
      const stats = this.run('moments', [style], choices, [], ([s]) => [channelMoment(s, 'mean', MOMENTS), channelMoment(s, 'std', MOMENTS)]);
      const [mean, std] = await Promise.all(stats.map((t) => t.read()));
      stats.forEach((t) => t.release());
      for (let c = 0; c < C; c++) {
        const v = positions.map((p) => x[c * P + p]);
        const mu = v.reduce((a, b) => a + b, 0) / v.length;
        const sigma = Math.sqrt(v.reduce((a, b) => a + (b - mu) ** 2, 0) / (v.length - 1) + MOMENTS.eps);
        for (const p of positions) out[c * P + p] = ((x[c * P + p] - mu) / sigma) * std[c] + mean[c];
      }
    }
    return this.engine.tensor(content.shape, out);
  }
}

function checkImage(x: Tensor): void {
  if (x.shape.length !== 4 || x.shape[1] !== 3 || x.shape[2] < 9 || x.shape[3] < 9) {
    throw new Error(`AdaIN: images must be [N, 3, H, W] with H, W ≥ 9, got ${shapeString(x.shape)}`);
  }
}

/** α·t + (1 − α)·content (t itself for α = 1). */
function mix(content: Node, t: Node, alpha: number): Node {
  return alpha === 1 ? t : weightedSum([content, t], [1 - alpha, alpha]);
}

/** The weighted AdaIN of the content features by each style's (weights normalised), mixed with the content by α. */
function targetGraph(content: Node, styles: readonly Node[], alpha: number, weights: readonly number[]): Node {
  const t = styles.length === 1 ? adain(content, styles[0], MOMENTS) : weightedSum(styles.map((s) => adain(content, s, MOMENTS)), weights);
  return mix(content, t, alpha);
}

function checkOptions(styles: number, { alpha = 1, weights, mask }: AdainOptions): { alpha: number; weights: number[] } {
  if (!(alpha >= 0 && alpha <= 1)) throw new Error(`AdaIN: alpha must be in [0, 1], got ${alpha}`);
  if (styles < 1) throw new Error('AdaIN: give at least one style');
  if (mask) {
    if (styles !== 2) throw new Error(`AdaIN: a mask needs exactly two styles (foreground, background), got ${styles}`);
    if (weights) throw new Error('AdaIN: a mask and style interpolation weights cannot be combined');
    if (mask.data.length !== mask.width * mask.height || mask.data.length === 0) {
      throw new Error(`AdaIN: mask has ${mask.data.length} values for ${mask.width}×${mask.height}`);
    }
  }
  const w = weights ?? Array<number>(styles).fill(1);
  const sum = w.reduce((a, b) => a + b, 0);
  if (w.length !== styles || !w.every(Number.isFinite) || !(sum > 0)) {
    throw new Error(`AdaIN: expected ${styles} finite style weights with a positive sum, got [${w.join(', ')}]`);
  }
  return { alpha, weights: w.map((v) => v / sum) };
}
