// Johnson et al. 2016's feed-forward style network as trained by Engstrom's fast-style-transfer (src/transform.py)
// and published by ml5 as deeplearn.js checkpoints: 48 variables `Variable`, `Variable_1` … `Variable_47`, each
// conv's filter followed by its instance norm's shift and scale. Run as a plain sequence of kernel calls.
import { scalarAffine, tanh } from '../kernels/activation.ts';
import { conv2d, convTranspose2d, samePadding, tfConvTranspose2dSame } from '../kernels/conv2d.ts';
import { add } from '../kernels/elementwise.ts';
import { resizeBilinear } from '../kernels/resample.ts';
import { instanceNorm } from '../kernels/norm.ts';
import { type RgbaImage, fitLongestSide, imageToPlanes, planesToImage } from '../image/io.ts';
import type { Engine } from '../runtime/engine.ts';
import { type Tensor, shapeString } from '../runtime/tensor.ts';
import { ML5_STYLES, type SourceOptions, type WeightSet, checkShapes, loadWeights } from '../weights/index.ts';

export interface FastStyleLayer {
  /** Index of the filter variable; id + 1 is the instance norm's shift, id + 2 its scale. */
  id: number;
  transposed: boolean;
  kernel: number;
  inChannels: number;
  outChannels: number;
  stride: number;
  relu: boolean;
  /** The layers of a residual block: the block's input is added to the output of its 'second' layer. */
  residual?: 'first' | 'second';
}

const layer = (id: number, kernel: number, inChannels: number, outChannels: number, stride: number, opts: Partial<FastStyleLayer> = {}): FastStyleLayer => ({
  id, transposed: false, kernel, inChannels, outChannels, stride, relu: true, ...opts,
});

/** transform.py's net(): 9×9 conv, two stride-2 convs, 5 residual blocks, two stride-2 transposed convs, 9×9 conv. */
export const FAST_STYLE_LAYERS: readonly FastStyleLayer[] = [
  layer(0, 9, 3, 32, 1),
  layer(3, 3, 32, 64, 2),
  layer(6, 3, 64, 128, 2),
  ...[9, 15, 21, 27, 33].flatMap((id) => [
    layer(id, 3, 128, 128, 1, { residual: 'first' }),
    layer(id + 3, 3, 128, 128, 1, { relu: false, residual: 'second' }),
  ]),
  layer(39, 3, 128, 64, 2, { transposed: true }),
  layer(42, 3, 64, 32, 2, { transposed: true }),
  layer(45, 9, 32, 3, 1, { relu: false }),
];

/** _instance_norm's epsilon in transform.py (and ml5). */
export const FAST_STYLE_EPS = 1e-3;

export const variableName = (id: number): string => (id === 0 ? 'Variable' : `Variable_${id}`);

/** The checkpoint's variables and their TensorFlow shapes: conv filters [h, w, in, out], transposed [h, w, out, in]. */
export function fastStyleShapes(): Record<string, number[]> {
  const shapes: Record<string, number[]> = {};
  for (const l of FAST_STYLE_LAYERS) {
    const k = l.kernel;
    shapes[variableName(l.id)] = l.transposed ? [k, k, l.outChannels, l.inChannels] : [k, k, l.inChannels, l.outChannels];
    shapes[variableName(l.id + 1)] = [l.outChannels];
    shapes[variableName(l.id + 2)] = [l.outChannels];
  }
  return shapes;
}

/** TensorFlow [h, w, a, b] → [b, a, h, w]: a conv filter [h, w, in, out] becomes ours [out, in, h, w]; a transposed
 *  one [h, w, out, in] becomes PyTorch ConvTranspose2d's [in, out, h, w] (both are the adjoint pair, no flip). */
export function tfFilterToTorch(data: Float32Array, [h, w, a, b]: readonly number[]): Float32Array {
  const out = new Float32Array(data.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let i = 0; i < a; i++) {
        for (let o = 0; o < b; o++) out[((o * a + i) * h + y) * w + x] = data[((y * w + x) * a + i) * b + o];
      }
    }
  }
  return out;
}

export interface RunOptions {
  /** Called after each of the 16 layers has run on the GPU (the engine then waits for each layer). */
  onProgress?: (done: number, total: number) => void;
  /** Checked between layers; an abort rejects with signal.reason and frees the intermediates. */
  signal?: AbortSignal;
}

export interface StylizeOptions extends RunOptions {
  /** Resize the image first (GPU bilinear, PyTorch align_corners=False) so that its longest side has this many pixels. */
  longestSide?: number;
}

interface GpuLayer {
  spec: FastStyleLayer;
  weight: Tensor;
  shift: Tensor;
  scale: Tensor;
}

/**
 * A pretrained fast style network on the engine. Input RGB 0…255; output tanh(y)·150 + 127.5 (clipped to bytes by
 * stylize). Sizes follow TensorFlow exactly, as in Engstrom's evaluate.py and ml5: the stride-2 SAME convs give
 * ⌈H/2⌉ then ⌈⌈H/2⌉/2⌉ = ⌈H/4⌉ rows and each SAME transposed conv doubles, so an H×W input gives a 4⌈H/4⌉ × 4⌈W/4⌉
 * output: the same size when H and W are multiples of 4, else up to 3 rows/columns larger (35×26 → 36×28), and
 * not cropped (ml5 returns the larger image too).
 */
export class FastStyleNet {
  private constructor(
    readonly engine: Engine,
    private readonly layers: GpuLayer[],
    /** Where the weights came from. */
    readonly description: string,
  ) {}

  /** A style name (ML5_STYLES: 'wave', …, fetched as the known model ml5-style-transfer/<name>), a known model id,
   *  the folder/URL of a deeplearn.js checkpoint, or an opened WeightSet. Errors name the offending variable. */
  static async load(e: Engine, from: string | WeightSet, opts: SourceOptions = {}): Promise<FastStyleNet> {
    const isStyle = typeof from === 'string' && (ML5_STYLES as readonly string[]).includes(from);
    const set = typeof from === 'string' ? await loadWeights(isStyle ? `ml5-style-transfer/${from}` : from, opts) : from;
    const shapes = fastStyleShapes();
    checkShapes(set, shapes);
    const get = async (id: number) => (await set.get(variableName(id), shapes[variableName(id)])).data;
    const loaded = await Promise.all(
      FAST_STYLE_LAYERS.map(async (spec) => {
        const [filter, shift, scale] = await Promise.all([get(spec.id), get(spec.id + 1), get(spec.id + 2)]);
        return { spec, filter, shift, scale };
      }),
    );
    const layers = loaded.map(({ spec, filter, shift, scale }) => {
      const tfShape = shapes[variableName(spec.id)];
      return {
        spec,
        weight: e.tensor([tfShape[3], tfShape[2], tfShape[0], tfShape[1]], tfFilterToTorch(filter, tfShape)),
        shift: e.tensor([spec.outChannels], shift),
        scale: e.tensor([spec.outChannels], scale),
      };
    });
    return new FastStyleNet(e, layers, set.description);
  }

  /** x [N, 3, H, W] RGB 0…255 → a new [N, 3, 4⌈H/4⌉, 4⌈W/4⌉] tensor, tanh(y)·150 + 127.5 (not clipped). x is kept. */
  async forward(x: Tensor, { onProgress, signal }: RunOptions = {}): Promise<Tensor> {
    const e = this.engine;
    if (x.shape.length !== 4 || x.shape[1] !== 3 || x.size === 0) throw new Error(`FastStyleNet: input must be a non-empty [N, 3, H, W] RGB tensor, got ${shapeString(x.shape)}`);
    signal?.throwIfAborted();
    const drop = (t: Tensor | undefined) => {
      if (t !== x) t?.release();
    };
    let h = x;
    let skip: Tensor | undefined;
    try {
      for (const [i, l] of this.layers.entries()) {
        if (l.spec.residual === 'first') skip = h;
        let y = this.apply(l, h);
        if (l.spec.residual === 'second') {
          const sum = add(e, skip!, y);
          y.release();
          drop(skip);
          skip = undefined;
          y = sum;
        }
        if (h !== skip) drop(h);
        h = y;
        if (onProgress || signal) {
          await e.sync();
          signal?.throwIfAborted();
          onProgress?.(i + 1, this.layers.length);
        }
      }
      const t = tanh(e, h);
      drop(h);
      h = t;
      const out = scalarAffine(e, t, 150, 127.5);
      t.release();
      return out;
    } catch (err) {
      drop(h);
      drop(skip);
      throw err;
    }
  }

  /** conv (TensorFlow SAME, zero padding) → instance norm → ReLU where the layer has one. */
  private apply({ spec, weight, shift, scale }: GpuLayer, x: Tensor): Tensor {
    const e = this.engine;
    const [, , H, W] = x.shape;
    const { kernel: k, stride } = spec;
    const z = spec.transposed
      ? convTranspose2d(e, x, weight, tfConvTranspose2dSame(H, W, k, k, stride))
      : conv2d(e, x, weight, { stride, padding: samePadding(H, W, k, k, stride) });
    const n = instanceNorm(e, z, { gamma: scale, beta: shift, eps: FAST_STYLE_EPS, unbiased: false, relu: spec.relu });
    z.release();
    return n;
  }

  /** An ImageData-like image (alpha ignored) → the stylized image, opaque, 4⌈H/4⌉ × 4⌈W/4⌉ of the (resized) input. */
  async stylize(image: RgbaImage, opts: StylizeOptions = {}): Promise<RgbaImage> {
    const e = this.engine;
    let x = e.tensor([1, 3, image.height, image.width], imageToPlanes(image, 1));
    if (opts.longestSide !== undefined) {
      const [h, w] = fitLongestSide(image.height, image.width, opts.longestSide);
      if (h !== image.height || w !== image.width) {
        const resized = resizeBilinear(e, x, h, w);
        x.release();
        x = resized;
      }
    }
    let y: Tensor;
    try {
      y = await this.forward(x, opts);
    } finally {
      x.release();
    }
    try {
      return planesToImage(await y.read(), y.shape[3], y.shape[2], 1);
    } finally {
      y.release();
    }
  }

  release(): void {
    for (const l of this.layers) for (const t of [l.weight, l.shift, l.scale]) t.release();
  }
}
