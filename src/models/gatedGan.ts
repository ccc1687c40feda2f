// The Gated GAN generator (Chen et al. 2019, "Gated-GAN: Adversarial Gated Networks for Multi-Collection Style
// Transfer", arXiv 1904.02296) as in colemiller94/gatedgan's models.py, run as a sequence of kernel calls:
//   encoder      ReflectionPad2d(3), 7×7 conv, IN, ReLU; two 3×3 stride-2 convs (zero padding 1), IN, ReLU
//   transformer  one residual block per style and an identity branch (the auto-encoder), mixed by the style label:
//                Σ_i label[i] · branch_i(features), label[S] being the identity's weight (S = number of styles)
//   decoder      residual blocks; two ConvTranspose2d(3, stride 2, padding 1, output_padding 1), IN, ReLU;
//                ReflectionPad2d(3), 7×7 conv, tanh
// IN = InstanceNorm2d with upstream's defaults (no affine parameters, biased variance, eps 1e-5); residual blocks are
// x + IN(conv(pad(ReLU(IN(conv(pad(x))))))) with reflection padding 1. Images are normalised to [-1, 1] as upstream's
// transforms.Normalize((0.5,)*3, (0.5,)*3), and the output maps back by 127.5·(y + 1). Defined once as a graph,
// compiled per input shape and style label.
import { Graph, type Node, Program, add, conv2d, convTranspose2d, fill, instanceNorm, relu, tanh, weightedSum } from '../graph/index.ts';
import { torchConvTranspose2d } from '../kernels/geometry.ts';
import type { RgbaImage } from '../image/io.ts';
import type { Engine } from '../runtime/engine.ts';
import { type Tensor, shapeString } from '../runtime/tensor.ts';
import { type SourceOptions, type WeightSet, checkShapes } from '../weights/index.ts';
import { type ConvWeights, ProgramCache, type ProgramChoices, fusionKey, openWeights, programKey, releaseConvs, stylizeImages, uploadConv } from './layers.ts';

/** Images in [-1, 1]: byte · 2/255 − 1. */
const PIXELS = { scale: 2 / 255, offset: [-1, -1, -1] } as const;

function checkImage(x: Tensor): void {
  if (x.shape.length !== 4 || x.shape[1] !== 3 || x.shape[2] < 5 || x.shape[3] < 5) {
    throw new Error(`GatedGanGenerator: input must be an [N, 3, H, W] image of at least 5×5 pixels, got ${shapeString(x.shape)}`);
  }
}

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
  /** Compiled programs by part, input shape, fusion choice and label; `programs.last` is the latest run's. */
  readonly programs = new ProgramCache(16);

  private constructor(
    readonly engine: Engine,
    private readonly encoder: ConvWeights[],
    private readonly branches: ResidualBlock[],
    private readonly decoderBlocks: ResidualBlock[],
    private readonly upsampling: ConvWeights[],
    private readonly output: ConvWeights,
    /** Where the weights came from. */
    readonly description: string,
    private readonly choices: ProgramChoices,
  ) {}

  /** A generator state dict (torch.save .pth or safetensors; a path, URL or opened WeightSet). The widths, the
   *  number of styles and of decoder blocks are read from it; errors name the tensor that is missing or malformed.
   *  `fusion` is the default of every run. */
  static async load(e: Engine, from: string | WeightSet, opts: SourceOptions & ProgramChoices = {}): Promise<GatedGanGenerator> {
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
      { fusion: opts.fusion },
    );
  }

  /** Number of style branches S; a style-weight vector has S + 1 entries, the last (index S) the identity's. */
  get styles(): number {
    return this.branches.length;
  }

  /** x [N, 3, H, W] in [-1, 1] (H, W ≥ 5: the features must be at least 2×2 for reflection padding) → features
   *  [N, 4·ngf, ⌈H/4⌉, ⌈W/4⌉]. x is kept. */
  encode(x: Tensor, choices: ProgramChoices = {}): Tensor {
    checkImage(x);
    return this.run('encode', [x], choices, [], ([t]) => this.encoderGraph(t));
  }

  /** Σ_i styleWeights[i] · branch_i(features): branch i < S is style i's residual block, branch S the identity.
   *  The weights are used as given (not normalised), as upstream's Transformer does. features are kept. */
  transform(features: Tensor, styleWeights: readonly number[], choices: ProgramChoices = {}): Tensor {
    this.checkWeights(styleWeights);
    return this.run('transform', [features], choices, styleWeights, ([f]) => this.transformerGraph(f, styleWeights));
  }

  /** Transformer output → image [N, 3, 4h, 4w] in [-1, 1]. features are kept. */
  decode(features: Tensor, choices: ProgramChoices = {}): Tensor {
    return this.run('decode', [features], choices, [], ([f]) => this.decoderGraph(f));
  }

  /** x [N, 3, H, W] in [-1, 1] → [N, 3, 4⌈H/4⌉, 4⌈W/4⌉] in [-1, 1]: the input's size when H and W are multiples of
   *  4, otherwise up to 3 pixels larger (as upstream). x is kept. */
  forward(x: Tensor, styleWeights: readonly number[], choices: ProgramChoices = {}): Tensor {
    checkImage(x);
    this.checkWeights(styleWeights);
    return this.run('forward', [x], choices, styleWeights, ([t]) => this.decoderGraph(this.transformerGraph(this.encoderGraph(t), styleWeights)));
  }

  /** An ImageData-like image (alpha ignored) → the stylized image, optionally resized first (GPU bilinear) so its
   *  longest side is `longestSide`; the weights as in transform(). */
  stylize(image: RgbaImage, styleWeights: readonly number[], opts: { longestSide?: number } & ProgramChoices = {}): Promise<RgbaImage> {
    return stylizeImages(this.engine, [{ image, longestSide: opts.longestSide }], PIXELS, async ([x]) => this.forward(x, styleWeights, opts));
  }

  /** The program `part` on these inputs, compiled on first use for their shapes, the choices and the label. */
  private run(part: string, xs: Tensor[], { fusion = this.choices.fusion }: ProgramChoices, label: readonly number[], build: (inputs: Node[]) => Node): Tensor {
    const { program } = this.programs.get(programKey(xs, part, fusionKey(fusion), label), () => {
      const g = new Graph();
      return { program: new Program([build(xs.map((x, i) => g.input(`x${i}`, x.shape)))], { fusion }) };
    });
    return program.run(this.engine, Object.fromEntries(xs.map((x, i) => [`x${i}`, x])))[0];
  }

  private checkWeights(styleWeights: readonly number[]): void {
    if (styleWeights.length !== this.styles + 1 || !styleWeights.every(Number.isFinite)) {
      throw new Error(`GatedGanGenerator: expected ${this.styles + 1} finite style weights (${this.styles} styles, then the identity), got [${styleWeights.join(', ')}]`);
    }
  }

  private conv(x: Node, { weight, bias }: ConvWeights, name: string, geometry: { stride?: number; padding: number; padMode?: 'reflect' }): Node {
    const g = x.graph;
    return conv2d(x, g.constant(`${name}.weight`, weight), g.constant(`${name}.bias`, bias), geometry);
  }

  private encoderGraph(x: Node): Node {
    const [first, down1, down2] = this.encoder;
    const h = relu(instanceNorm(this.conv(x, first, 'encoder.1', { padding: 3, padMode: 'reflect' })));
    const d1 = relu(instanceNorm(this.conv(h, down1, 'encoder.4', { stride: 2, padding: 1 })));
    return relu(instanceNorm(this.conv(d1, down2, 'encoder.7', { stride: 2, padding: 1 })));
  }

  /** The label-weighted sum of the branches whose weight is not 0 (all zero: zeros). */
  private transformerGraph(features: Node, styleWeights: readonly number[]): Node {
    const terms = styleWeights.flatMap((w, i) => (w === 0 ? [] : [{ w, branch: i < this.styles ? this.residual(features, this.branches[i], `transformer.${i}`) : features }]));
    if (terms.length === 0) return fill(features.shape, 0, features.graph);
    return weightedSum(terms.map((t) => t.branch), terms.map((t) => t.w));
  }

  private decoderGraph(features: Node): Node {
    const g = features.graph;
    let h = this.decoderBlocks.reduce((t, b, k) => this.residual(t, b, `decoder.${k}`), features);
    for (const [k, { weight, bias }] of this.upsampling.entries()) {
      const [, , H, W] = h.shape;
      const up = convTranspose2d(h, g.constant(`up${k}.weight`, weight), g.constant(`up${k}.bias`, bias), torchConvTranspose2d(H, W, 3, 3, 2, 1, 1));
      h = relu(instanceNorm(up));
    }
    return tanh(this.conv(h, this.output, 'output', { padding: 3, padMode: 'reflect' }));
  }

  /** x + IN(conv(pad(ReLU(IN(conv(pad(x))))))) with reflection padding 1. */
  private residual(x: Node, { conv1, conv2 }: ResidualBlock, name: string): Node {
    const geometry = { padding: 1, padMode: 'reflect' } as const;
    const h = relu(instanceNorm(this.conv(x, conv1, `${name}.1`, geometry)));
    return add(x, instanceNorm(this.conv(h, conv2, `${name}.5`, geometry)));
  }

  release(): void {
    this.programs.clear();
    const blocks = [...this.branches, ...this.decoderBlocks];
    releaseConvs([...this.encoder, ...blocks.flatMap((b) => [b.conv1, b.conv2]), ...this.upsampling, this.output]);
  }
}
