// Gatys, Ecker & Bethge, "Image Style Transfer Using Convolutional Neural Networks" (CVPR 2016), as
// jcjohnson/neural-style runs it: the image is optimised in VGG19's input space to match the content's
// activations and the styles' Gram matrices, with a total-variation smoothness term.
//   F_l = activations after relu l (C×H×W);  G_l = F_l F_lᵀ / (C·H·W)
//   content = Σ_l w_c · mean((F_l(x) − F_l(c))²)
//   style   = Σ_l w_s · mean((G_l(x) − Σ_k b_k G_l(s_k))²),  b normalised to sum 1
//   tv      = w_tv · Σ (x[i+1,j] − x[i,j])² + (x[i,j+1] − x[i,j])² over all channels
import { scale } from '../kernels/elementwise.ts';
import { type FusionOptions, Graph, type Node, Program, add, gram, grad, mse, scale as scaleNode, totalVariationLoss, weightedSum } from '../graph/index.ts';
import { type RgbaImage, fitLongestSide } from '../image/io.ts';
import { type DisplayAffine, type Preprocessing, deprocess, displayAffine } from '../image/preprocess.ts';
import { adam } from '../lbfgs/adam.ts';
import { lbfgs } from '../lbfgs/lbfgs.ts';
import type { Objective } from '../lbfgs/objective.ts';
import { checkGatys } from '../options.ts';
import { type Engine, fmtBytes } from '../runtime/engine.ts';
import type { Tensor } from '../runtime/tensor.ts';
import { resized } from './layers.ts';
import { Vgg19, layerIndex } from './vgg19.ts';

export interface GatysOptions {
  /** Longest side of the output in pixels (default 512). */
  imageSize?: number;
  /** Style images are resized to imageSize · styleScale on their longest side (default 1). */
  styleScale?: number;
  /** One weight per style image (default equal); normalised to sum 1. */
  styleBlendWeights?: number[];
  iterations?: number;
  optimizer?: 'lbfgs' | 'adam';
  /** Default 1 for L-BFGS, 10 for Adam (neural-style's). */
  learningRate?: number;
  lbfgsHistory?: number;
  /** L-BFGS line search: none (default, neural-style's fixed step t = learningRate) or torch's strong-Wolfe
   *  search, which costs a few evaluations per iteration but never accepts a step that raises the loss. */
  lineSearch?: 'none' | 'strong_wolfe';
  contentWeight?: number;
  styleWeight?: number;
  tvWeight?: number;
  /** 'random' (randn · 0.001 in input space), 'content', an image (resized like the content), or a tensor's
   *  values in input space [3·H·W]. */
  init?: 'random' | 'content' | RgbaImage | Float32Array;
  seed?: number;
  /** Keep the content's colours: the result's luminance with the content's chrominance (YUV). */
  originalColors?: boolean;
  pooling?: 'max' | 'avg';
  contentLayers?: string[];
  styleLayers?: string[];
  /** The graph's fusion rewrites (default all on; false, or a switch per rewrite: graph/fusion.ts). false also
   *  turns off L-BFGS's fused two-loop kernels (LbfgsOptions.fusion). */
  fusion?: FusionOptions;
  /** Called after every function evaluation. Asking for it makes each evaluation read back its loss terms. */
  onEvaluation?: (e: GatysEvaluation) => void | Promise<void>;
  /** Called after every optimiser iteration, with the current image on the GPU (nothing is read back unless
   *  `image()` is called). */
  onIteration?: (info: GatysIteration) => void | Promise<void>;
  signal?: AbortSignal;
}

export interface GatysIteration {
  iteration: number;
  loss: number;
  /** The current image, [1, 3, H, W] in VGG's input space; valid during the callback only (the optimiser
   *  updates it in place afterwards). */
  tensor: Tensor;
  /** `tensor` → RGB bytes as the result will show it (original colours included: `contentTensor` is the
   *  content in input space), for drawing it on the GPU. */
  display: DisplayAffine & { contentTensor?: Tensor };
  /** The current image read back to the CPU, as the result would be. */
  image: () => Promise<RgbaImage>;
}

export interface GatysEvaluation {
  evaluation: number;
  total: number;
  content: number;
  style: number;
  tv: number;
}

export interface GatysResult {
  image: RgbaImage;
  iterations: number;
  evaluations: number;
  /** Loss at the first evaluation (L-BFGS; NaN for Adam) and at the last. */
  initialLoss: number;
  finalLoss: number;
  /** Peak bytes of activations and gradients during one forward + backward evaluation. */
  peakBytes: number;
  dispatchesPerEvaluation: number;
  readbackBytes: number;
  /** True when `signal` stopped the run early; the image is the one reached by then. */
  aborted: boolean;
}

export const GATYS_DEFAULTS = {
  imageSize: 512,
  styleScale: 1,
  iterations: 1000,
  contentWeight: 5,
  styleWeight: 100,
  tvWeight: 1e-3,
  pooling: 'max' as const,
  contentLayers: ['relu4_2'],
  styleLayers: ['relu1_1', 'relu2_1', 'relu3_1', 'relu4_1', 'relu5_1'],
};

/** The deepest of the layers a run uses (what must be loaded). */
export function deepestLayer(layers: readonly string[]): string {
  return layers.reduce((a, b) => (layerIndex(b) > layerIndex(a) ? b : a));
}

/** The optimisation problem of one run: targets computed, loss graph differentiated and compiled.
 *  `evaluate(x)` runs forward + backward on the GPU and returns tensors the caller owns. */
export class GatysProblem {
  private constructor(
    private e: Engine,
    readonly program: Program,
    readonly height: number,
    readonly width: number,
    readonly preprocessing: Preprocessing,
    /** The content in input space (for init 'content' and original colours). */
    readonly contentX: Tensor,
    private targets: Tensor[],
  ) {}

  static create(e: Engine, vgg: Vgg19, content: RgbaImage, styles: RgbaImage[], options: GatysOptions = {}): GatysProblem {
    const o = { ...GATYS_DEFAULTS, ...options };
    if (styles.length === 0) throw new Error('gatys: at least one style image is needed');
    const blend = o.styleBlendWeights ?? styles.map(() => 1);
    if (blend.length !== styles.length) throw new Error(`gatys: ${styles.length} style images but ${blend.length} blend weights`);
    const blendSum = blend.reduce((a, b) => a + b, 0);
    if (!(blendSum > 0) || blend.some((b) => !(b >= 0))) throw new Error(`gatys: style blend weights must be ≥ 0 with a positive sum, got ${blend.join(', ')}`);
    for (const l of [...o.contentLayers, ...o.styleLayers]) layerIndex(l);
    const pre = vgg.preprocessing;

    // Inputs in the network's input space, resized on the GPU.
    const [H, W] = fitLongestSide(content.height, content.width, o.imageSize);
    checkFits(e, vgg, H, W);
    const contentX = uploadResized(e, content, pre, H, W);
    const styleXs = styles.map((s) => {
      const [h, w] = fitLongestSide(s.height, s.width, Math.max(1, Math.round(o.imageSize * o.styleScale)));
      checkFits(e, vgg, h, w);
      return uploadResized(e, s, pre, h, w);
    });

    // Targets: content activations, and the blended style Grams Σ_k b_k G_l(s_k) (one program over all styles).
    const contentTargets = targets(e, [contentX], o.contentLayers, ([f]) => f, { pooling: o.pooling, vgg, fusion: o.fusion });
    const styleTargets = targets(e, styleXs, o.styleLayers, (fs) => weightedSum(fs.map(gramOf), blend.map((b) => b / blendSum)), { pooling: o.pooling, vgg, fusion: o.fusion });
    styleXs.forEach((sx) => sx.release());

    // The loss graph over x, differentiated once; each evaluation runs the same program.
    const g = new Graph();
    const x = g.input('image', [1, 3, H, W]);
    const layers = vgg.build(g, x, o.pooling, deepestLayer([...o.contentLayers, ...o.styleLayers]));
    const sum = (terms: Node[]) => terms.reduce((a, b) => add(a, b));
    const contentLoss = sum(o.contentLayers.map((l) => scaleNode(mse(layers.get(l)!, g.constant(`content:${l}`, contentTargets.get(l)!)), o.contentWeight)));
    const styleLoss = sum(o.styleLayers.map((l) => scaleNode(mse(gramOf(layers.get(l)!), g.constant(`style:${l}`, styleTargets.get(l)!)), o.styleWeight)));
    const tvLoss = scaleNode(totalVariationLoss(x), o.tvWeight);
    const total = add(add(contentLoss, styleLoss), tvLoss);
    const [dx] = grad(total, [x]);
    const program = new Program([total, dx, contentLoss, styleLoss, tvLoss], { fusion: o.fusion ?? true });
    return new GatysProblem(e, program, H, W, pre, contentX, [...contentTargets.values(), ...styleTargets.values()]);
  }

  /** Loss terms ([1] tensors) and d total / d x at x [1, 3, H, W]. */
  evaluate(x: Tensor): { total: Tensor; grad: Tensor; content: Tensor; style: Tensor; tv: Tensor } {
    const [total, grad, content, style, tv] = this.program.run(this.e, { image: x });
    return { total, grad, content, style, tv };
  }

  initialImage(init: NonNullable<GatysOptions['init']>, seed = 0): Tensor {
    const [H, W] = [this.height, this.width];
    if (init === 'content') return scale(this.e, this.contentX, 1);
    if (init === 'random') return this.e.tensor([1, 3, H, W], gaussian(3 * H * W, seed, 0.001));
    if (init instanceof Float32Array) {
      if (init.length !== 3 * H * W) throw new Error(`gatys: init has ${init.length} values, the image needs 3×${H}×${W}`);
      return this.e.tensor([1, 3, H, W], init);
    }
    return uploadResized(this.e, init, this.preprocessing, H, W);
  }

  /** How x maps to RGB bytes (toImage's map, for drawing x on the GPU). */
  display(originalColors = false): DisplayAffine & { contentTensor?: Tensor } {
    const affine = displayAffine(this.preprocessing, originalColors);
    return affine.content ? { ...affine, contentTensor: this.contentX } : affine;
  }

  /** x (input space) as an RGBA image; with originalColors, in the content's colours. */
  async toImage(x: Tensor, originalColors = false): Promise<RgbaImage> {
    return deprocess(await x.read(), this.preprocessing, this.height, this.width, originalColors ? await this.contentX.read() : undefined);
  }

  release(): void {
    for (const t of [this.contentX, ...this.targets]) t.release();
    this.targets = [];
  }
}

/** Style transfer with a loaded VGG19. Inputs and output are ImageData-like RGBA images. */
export async function gatys(e: Engine, vgg: Vgg19, content: RgbaImage, styles: RgbaImage[], options: GatysOptions = {}): Promise<GatysResult> {
  const o = { ...GATYS_DEFAULTS, ...options };
  checkGatys(content, styles, o);
  const problem = GatysProblem.create(e, vgg, content, styles, o);
  const image = problem.initialImage(o.init ?? 'random', o.seed ?? 0);
  let evaluations = 0;
  let peakBytes = 0;
  let dispatches = 0;
  let extraReadback = 0;
  const objective: Objective = async (at) => {
    const { total, grad, content: c, style: s, tv } = problem.evaluate(at);
    evaluations++;
    peakBytes = Math.max(peakBytes, problem.program.lastRun.peakBytes);
    dispatches = problem.program.lastRun.dispatches;
    try {
      if (o.onEvaluation) {
        const [t, cv, sv, tvv] = await Promise.all([total, c, s, tv].map(async (v) => (await v.read())[0]));
        extraReadback += 16;
        await o.onEvaluation({ evaluation: evaluations, total: t, content: cv, style: sv, tv: tvv });
      }
    } finally {
      for (const t of [c, s, tv]) t.release();
    }
    return { loss: total, grad };
  };
  let iterations = 0;
  let lastLoss = NaN;
  const display = problem.display(o.originalColors);
  const onIteration = (iteration: number, loss: number) => {
    iterations = iteration;
    lastLoss = loss;
    return o.onIteration?.({ iteration, loss, tensor: image, display, image: () => problem.toImage(image, o.originalColors) });
  };
  const finish = async (r: { iterations: number; loss: number; readbackBytes: number; initialLoss?: number }, aborted: boolean): Promise<GatysResult> => ({
    image: await problem.toImage(image, o.originalColors),
    iterations: r.iterations,
    evaluations,
    initialLoss: r.initialLoss ?? NaN,
    finalLoss: r.loss,
    peakBytes,
    dispatchesPerEvaluation: dispatches,
    readbackBytes: r.readbackBytes + extraReadback,
    aborted,
  });
  try {
    const r =
      (o.optimizer ?? 'lbfgs') === 'lbfgs'
        ? await lbfgs(e, image, objective, { maxIter: o.iterations, historySize: o.lbfgsHistory ?? 100, lr: o.learningRate ?? 1, lineSearch: o.lineSearch === 'strong_wolfe' ? 'strong_wolfe' : undefined, fusion: o.fusion !== false, onIteration: (i) => onIteration(i.iteration, i.loss) }, o.signal)
        : await adam(e, image, objective, { iterations: o.iterations, lr: o.learningRate ?? 10, onIteration: (i) => onIteration(i.iteration, i.loss) }, o.signal);
    return await finish(r, false);
  } catch (err) {
    // Stopped by the caller: the image so far is the result (nothing is lost on Ctrl-C).
    if (o.signal?.aborted) return await finish({ iterations, loss: lastLoss, readbackBytes: 0 }, true);
    throw err;
  } finally {
    image.release();
    problem.release();
  }
}

/** G_l = F_l F_lᵀ / (C·H·W). */
function gramOf(f: Node): Node {
  return gram(f, f.shape[1] * f.shape[2] * f.shape[3]);
}

/** Run VGG on each of `images` in one program and return, per layer, `combine` of their activations there (the
 *  content's activations; the blend of the styles' Grams). */
function targets(e: Engine, images: Tensor[], layers: string[], combine: (f: Node[]) => Node, o: { vgg: Vgg19; pooling: 'max' | 'avg'; fusion?: FusionOptions }): Map<string, Tensor> {
  const g = new Graph();
  const nets = images.map((x, k) => o.vgg.build(g, g.input(`image${k}`, x.shape), o.pooling, deepestLayer(layers)));
  const outputs = layers.map((l) => combine(nets.map((n) => n.get(l)!)));
  const values = new Program(outputs, { fusion: o.fusion }).run(e, Object.fromEntries(images.map((x, k) => [`image${k}`, x])));
  return new Map(layers.map((l, i) => [l, values[i]]));
}

/** The largest activation of VGG19 (conv1_1's, 64 channels at full size) must fit one storage binding. */
function checkFits(e: Engine, vgg: Vgg19, H: number, W: number): void {
  const channels = vgg.convs.get('conv1_1')!.weight.shape[0];
  const bytes = channels * H * W * 4;
  const limit = Math.min(e.ctx.limits.maxStorageBufferBindingSize, e.ctx.limits.maxBufferSize);
  if (bytes > limit) {
    const maxSide = Math.floor(Math.sqrt(limit / (channels * 4)));
    throw new RangeError(`image ${W}×${H} is too big for this device: conv1_1's activation (${channels}×${H}×${W} f32) needs ${fmtBytes(bytes)}, the device allows ${fmtBytes(limit)} per buffer (${e.describe()}); use an image size of at most about ${maxSide} px`);
  }
}

/** RGBA bytes → [1, 3, H, W] in the network's input space at H×W (resized on the GPU). */
function uploadResized(e: Engine, img: RgbaImage, pre: Preprocessing, H: number, W: number): Tensor {
  const n = img.width * img.height;
  const planes = new Float32Array(3 * n);
  for (let c = 0; c < 3; c++) {
    const src = pre.order === 'rgb' ? c : 2 - c;
    const k = pre.range / 255 / pre.std[c];
    const b = -pre.mean[c] / pre.std[c];
    for (let i = 0; i < n; i++) planes[c * n + i] = img.data[4 * i + src] * k + b;
  }
  const full = e.tensor([1, 3, img.height, img.width], planes);
  const x = resized(e, full, H, W);
  if (x !== full) full.release();
  return x;
}

/** n samples of N(0, sigma²), seeded (mulberry32 + Box–Muller). */
export function gaussian(n: number, seed: number, sigma = 1): Float32Array {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(uniform()));
    const th = 2 * Math.PI * uniform();
    out[i] = sigma * r * Math.cos(th);
    if (i + 1 < n) out[i + 1] = sigma * r * Math.sin(th);
  }
  return out;
}
