// The Gated GAN generator (Chen et al. 2019, "Gated-GAN: Adversarial Gated Networks for Multi-Collection Style
// Transfer", arXiv 1904.02296) as in colemiller94/gatedgan's models.py, run as a sequence of kernel calls:
//   encoder      ReflectionPad2d(3), 7×7 conv, IN, ReLU; two 3×3 stride-2 convs (zero padding 1), IN, ReLU
//   transformer  one residual block per style and an identity branch (the auto-encoder), mixed by the style label:
//                Σ_i label[i] · branch_i(features), label[S] being the identity's weight (S = number of styles)
//   decoder      residual blocks; two ConvTranspose2d(3, stride 2, padding 1, output_padding 1), IN, ReLU;
//                ReflectionPad2d(3), 7×7 conv, tanh
// IN = InstanceNorm2d with upstream's defaults (no affine parameters, biased variance, eps 1e-5); residual blocks are
// x + IN(conv(pad(ReLU(IN(conv(pad(x))))))) with reflection padding 1. Images are normalised to [-1, 1] as upstream's
// transforms.Normalize((0.5,)*3, (0.5,)*3), and the output maps back by 127.5·(y + 1).
import { relu, tanh } from '../kernels/activation.ts';
import { conv2d, convTranspose2d, torchConvTranspose2d } from '../kernels/conv2d.ts';
import { add, axpyInPlace, fill, scale } from '../kernels/elementwise.ts';
import { instanceNorm } from '../kernels/norm.ts';
import { type RgbaImage, imageToPlanes, planesToImage } from '../image/io.ts';
import { checkGatedGan } from '../options.ts';
import type { Engine } from '../runtime/engine.ts';
import { type Tensor, shapeString } from '../runtime/tensor.ts';
import { type SourceOptions, type WeightSet, checkShapes } from '../weights/index.ts';
import { type ConvWeights, chain, openWeights, releaseConvs, resizeToLongestSide, uploadConv } from './layers.ts';

interface ResidualBlock {
  conv1: ConvWeights;
  conv2: ConvWeights;
}

/** The state dict's keys and shapes for base width ngf (upstream 64), S styles and D decoder residual blocks
 *  (upstream 9): encoder.model.{1,4,7}, transformer.t.{i}.conv_block.{1,5}, decoder.model.{k}.conv_block.{1,5},
 *  decoder.model.{D, D+3} (ConvTranspose2d, weight [Cin, Cout, 3, 3]) and decoder.model.{D+7}. */
export function gatedGanShapes(ngf: number, styles: number, decoderBlocks: number): Record<string, number[]> {
  const shapes: Record<string, number[]> = {};
  const layer = (prefix: string, weight: number[], biasLength = weight[0]) => {
    shapes[`${prefix}.weight`] = weight;
    shapes[`${prefix}.bias`] = [biasLength];
  };
  const c = 4 * ngf;
  const block = (prefix: string) => [1, 5].forEach((i) => layer(`${prefix}.conv_block.${i}`, [c, c, 3, 3]));
  layer('encoder.model.1', [ngf, 3, 7, 7]);
  layer('encoder.model.4', [2 * ngf, ngf, 3, 3]);
  layer('encoder.model.7', [c, 2 * ngf, 3, 3]);
  for (let i = 0; i < styles; i++) block(`transformer.t.${i}`);
  for (let k = 0; k < decoderBlocks; k++) block(`decoder.model.${k}`);
  layer(`decoder.model.${decoderBlocks}`, [c, 2 * ngf, 3, 3], 2 * ngf);
  layer(`decoder.model.${decoderBlocks + 3}`, [2 * ngf, ngf, 3, 3], ngf);
  layer(`decoder.model.${decoderBlocks + 7}`, [3, ngf, 7, 7]);
  return shapes;
}

/** How many consecutive `${prefix}${i}.conv_block.1.weight` the set has from i = 0. */
function countBlocks(set: WeightSet, prefix: string): number {
  const names = new Set(set.names());
  let n = 0;
  while (names.has(`${prefix}${n}.conv_block.1.weight`)) n++;
  return n;
}

export class GatedGanGenerator {
  private constructor(
    readonly engine: Engine,
    private readonly encoder: ConvWeights[],
    private readonly branches: ResidualBlock[],
    private readonly decoderBlocks: ResidualBlock[],
    private readonly upsampling: ConvWeights[],
    private readonly output: ConvWeights,
    /** Where the weights came from. */
    readonly description: string,
  ) {}

  /** A generator state dict (torch.save .pth or safetensors; a path, URL or opened WeightSet). The widths, the
   *  number of styles and of decoder blocks are read from it; errors name the tensor that is missing or malformed. */
  static async load(e: Engine, from: string | WeightSet, opts: SourceOptions = {}): Promise<GatedGanGenerator> {
    const set = await openWeights(from, opts);
    const ngf = set.shape('encoder.model.1.weight')[0];
    const styles = countBlocks(set, 'transformer.t.');
    if (styles === 0) throw new Error(`transformer.t.0.conv_block.1.weight: no such tensor in ${set.description}: not a Gated GAN generator (no style branch)`);
    const blocks = countBlocks(set, 'decoder.model.');
    checkShapes(set, gatedGanShapes(ngf, styles, blocks));
    const conv = (prefix: string) => uploadConv(e, set, prefix);
    const block = async (prefix: string) => ({ conv1: await conv(`${prefix}.conv_block.1`), conv2: await conv(`${prefix}.conv_block.5`) });
    const range = (n: number) => [...Array(n).keys()];
    return new GatedGanGenerator(
      e,
      await Promise.all(['encoder.model.1', 'encoder.model.4', 'encoder.model.7'].map(conv)),
      await Promise.all(range(styles).map((i) => block(`transformer.t.${i}`))),
      await Promise.all(range(blocks).map((k) => block(`decoder.model.${k}`))),
      await Promise.all([blocks, blocks + 3].map((k) => conv(`decoder.model.${k}`))),
      await conv(`decoder.model.${blocks + 7}`),
      set.description,
    );
  }

  /** Number of style branches S; a style-weight vector has S + 1 entries, the last (index S) the identity's. */
  get styles(): number {
    return this.branches.length;
  }

  /** x [N, 3, H, W] in [-1, 1] (H, W ≥ 5: the features must be at least 2×2 for reflection padding) → features
   *  [N, 4·ngf, ⌈H/4⌉, ⌈W/4⌉]. x is kept. */
  encode(x: Tensor): Tensor {
    if (x.shape.length !== 4 || x.shape[1] !== 3 || x.shape[2] < 5 || x.shape[3] < 5) {
      throw new Error(`GatedGanGenerator: input must be an [N, 3, H, W] image of at least 5×5 pixels, got ${shapeString(x.shape)}`);
    }
    const e = this.engine;
    const [first, down1, down2] = this.encoder;
    const normRelu = (t: Tensor) => instanceNorm(e, t, { relu: true });
    return chain(
      x,
      (t) => conv2d(e, t, first.weight, { bias: first.bias, padding: 3, padMode: 'reflect' }),
      normRelu,
      (t) => conv2d(e, t, down1.weight, { bias: down1.bias, stride: 2, padding: 1 }),
      normRelu,
      (t) => conv2d(e, t, down2.weight, { bias: down2.bias, stride: 2, padding: 1 }),
      normRelu,
    );
  }

  /** Σ_i styleWeights[i] · branch_i(features): branch i < S is style i's residual block, branch S the identity.
   *  The weights are used as given (not normalised), as upstream's Transformer does. features are kept. */
  transform(features: Tensor, styleWeights: readonly number[]): Tensor {
    if (styleWeights.length !== this.styles + 1 || !styleWeights.every(Number.isFinite)) {
      throw new Error(`GatedGanGenerator: expected ${this.styles + 1} finite style weights (${this.styles} styles, then the identity), got [${styleWeights.join(', ')}]`);
    }
    const e = this.engine;
    let mix: Tensor | undefined;
    styleWeights.forEach((w, i) => {
      if (w === 0) return;
      const branch = i < this.styles ? this.residual(features, this.branches[i]) : features;
      if (mix) axpyInPlace(e, w, branch, mix);
      else mix = scale(e, branch, w);
      if (branch !== features) branch.release();
    });
    return mix ?? fill(e, features.shape, 0);
  }

  /** Transformer output → image [N, 3, 4h, 4w] in [-1, 1]. features are kept. */
  decode(features: Tensor): Tensor {
    const e = this.engine;
    const up = ({ weight, bias }: ConvWeights) => (t: Tensor) => convTranspose2d(e, t, weight, { bias, ...torchConvTranspose2d(t.shape[2], t.shape[3], 3, 3, 2, 1, 1) });
    const { weight, bias } = this.output;
    return chain(
      features,
      ...this.decoderBlocks.map((b) => (t: Tensor) => this.residual(t, b)),
      ...this.upsampling.flatMap((c) => [up(c), (t: Tensor) => instanceNorm(e, t, { relu: true })]),
      (t) => conv2d(e, t, weight, { bias, padding: 3, padMode: 'reflect' }),
      (t) => tanh(e, t),
    );
  }

  /** x [N, 3, H, W] in [-1, 1] → [N, 3, 4⌈H/4⌉, 4⌈W/4⌉] in [-1, 1]: the input's size when H and W are multiples of
   *  4, otherwise up to 3 pixels larger (as upstream). x is kept. */
  forward(x: Tensor, styleWeights: readonly number[]): Tensor {
    const features = this.encode(x);
    const mixed = this.transform(features, styleWeights);
    features.release();
    const y = this.decode(mixed);
    mixed.release();
    return y;
  }

  /** An ImageData-like image (alpha ignored) → the stylized image, optionally resized first (GPU bilinear) so its
   *  longest side is `longestSide`; the weights as in transform(). */
  async stylize(image: RgbaImage, styleWeights: readonly number[], opts: { longestSide?: number } = {}): Promise<RgbaImage> {
    checkGatedGan(image, styleWeights, opts);
    const e = this.engine;
    const input = e.tensor([1, 3, image.height, image.width], imageToPlanes(image, 2 / 255, [-1, -1, -1]));
    const x = resizeToLongestSide(e, input, opts.longestSide);
    let y: Tensor;
    try {
      y = this.forward(x, styleWeights);
    } finally {
      x.release();
    }
    try {
      return planesToImage(await y.read(), y.shape[3], y.shape[2], 2 / 255, [-1, -1, -1]);
    } finally {
      y.release();
    }
  }

  private residual(x: Tensor, { conv1, conv2 }: ResidualBlock): Tensor {
    const e = this.engine;
    const geometry = { padding: 1, padMode: 'reflect' } as const;
    const h = chain(
      x,
      (t) => conv2d(e, t, conv1.weight, { bias: conv1.bias, ...geometry }),
      (t) => instanceNorm(e, t),
      (t) => relu(e, t),
      (t) => conv2d(e, t, conv2.weight, { bias: conv2.bias, ...geometry }),
      (t) => instanceNorm(e, t),
    );
    const y = add(e, x, h);
    h.release();
    return y;
  }

  release(): void {
    const blocks = [...this.branches, ...this.decoderBlocks];
    releaseConvs([...this.encoder, ...blocks.flatMap((b) => [b.conv1, b.conv2]), ...this.upsampling, this.output]);
  }
}
