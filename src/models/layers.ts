// What the feed-forward models (fast style, Gated GAN, AdaIN) share: conv weights uploaded from a state dict by
// name, their programs compiled per input shape and cached, and the stylize skeleton (upload → resize → program
// → read back → image).
import { type FusionOptions, Graph, type Node, Program, enabledFusions, resizeBilinear } from '../graph/index.ts';
import { type RgbaImage, fitLongestSide, imageToPlanes, planesToImage } from '../image/io.ts';
import type { Engine } from '../runtime/engine.ts';
import { type Tensor, shapeString } from '../runtime/tensor.ts';
import { type SourceOptions, type WeightSet, loadWeights } from '../weights/index.ts';

export interface ConvWeights {
  /** [Cout, Cin, KH, KW] (ConvTranspose2d: [Cin, Cout, KH, KW]). */
  weight: Tensor;
  bias: Tensor;
}

/** A conv's weights as graph constants. */
export interface ConvNodes {
  weight: Node;
  bias: Node;
}

export async function openWeights(from: string | WeightSet, opts: SourceOptions = {}): Promise<WeightSet> {
  return typeof from === 'string' ? loadWeights(from, opts) : from;
}

/** `${prefix}.weight` and `${prefix}.bias` on the GPU (check the shapes first: checkShapes). */
export async function uploadConv(e: Engine, set: WeightSet, prefix: string): Promise<ConvWeights> {
  const [w, b] = await Promise.all([set.get(`${prefix}.weight`), set.get(`${prefix}.bias`)]);
  return { weight: e.tensor(w.shape, w.data), bias: e.tensor(b.shape, b.data) };
}

export function releaseConvs(convs: Iterable<ConvWeights>): void {
  for (const c of convs) {
    c.weight.release();
    c.bias.release();
  }
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

/** A model's weights as constants of graph g, made once per graph (a graph may use a conv several times). */
export function constants(g: Graph, convs: readonly ConvWeights[], prefix: string): ConvNodes[] {
  return convs.map((c, i) => ({ weight: g.constant(`${prefix}${i}.weight`, c.weight), bias: g.constant(`${prefix}${i}.bias`, c.bias) }));
}

/** Options of the models' runs that shape their programs. */
export interface ProgramChoices {
  /** The graph's fusion rewrites (default all on; false or a switch per rewrite: graph/fusion.ts). */
  fusion?: FusionOptions;
}

/** A model's compiled programs (with whatever the model keeps beside each), one per key (the input shapes and
 *  whatever else its graph depends on), built on first use and kept; the least recently used goes once there are
 *  `limit`. */
export class ProgramCache<T extends { program: Program } = { program: Program }> {
  private programs = new Map<string, T>();
  /** The entry of the latest get(), for its program's stats (dispatches, peak bytes). */
  last: T | undefined;

  constructor(private readonly limit = 8) {}

  get(key: string, build: () => T): T {
    let p = this.programs.get(key);
    if (p) this.programs.delete(key);
    else p = build();
    this.programs.set(key, p);
    if (this.programs.size > this.limit) this.programs.delete(this.programs.keys().next().value!);
    this.last = p;
    return p;
  }

  clear(): void {
    this.programs.clear();
    this.last = undefined;
  }
}

/** The cache key of inputs of these shapes under these choices. */
export function programKey(tensors: readonly Tensor[], ...rest: unknown[]): string {
  return JSON.stringify([tensors.map((t) => shapeString(t.shape)), ...rest]);
}

/** The rewrites a fusion option switches on: the part of a program's key that says how it was fused (so that
 *  undefined, true and {} share one program). */
export const fusionKey = (fusion: FusionOptions | undefined): string => enabledFusions(fusion).join('+');

/** Pixel bytes ↔ network values: value = byte · scale + offset[c]. */
export interface PixelRange {
  scale: number;
  offset?: readonly [number, number, number];
}

export interface ImageInput {
  image: RgbaImage;
  /** Resize first (GPU bilinear, PyTorch align_corners=False) so that the longest side has this many pixels. */
  longestSide?: number;
}

const resizePrograms = new WeakMap<Engine, ProgramCache>();

/** x [N, C, H, W] resized to height × width on the GPU (bilinear, PyTorch align_corners=False) as a new tensor;
 *  x itself when it has that size already. x is kept. */
export function resized(e: Engine, x: Tensor, height: number, width: number): Tensor {
  if (height === x.shape[2] && width === x.shape[3]) return x;
  let cache = resizePrograms.get(e);
  if (!cache) resizePrograms.set(e, (cache = new ProgramCache(16)));
  const { program } = cache.get(programKey([x], height, width), () => {
    const g = new Graph();
    return { program: new Program([resizeBilinear(g.input('x', x.shape), height, width)]) };
  });
  return program.run(e, { x })[0];
}

/** The stylize skeleton of the feed-forward models: each image uploaded and resized on the GPU, `run` on the
 *  tensors (its result is the caller's), read back and converted to an opaque image. Every tensor is released
 *  however it ends. */
export async function stylizeImages(e: Engine, inputs: readonly ImageInput[], pixels: PixelRange, run: (xs: Tensor[]) => Promise<Tensor>): Promise<RgbaImage> {
  const toPixels = (img: RgbaImage) => imageToPlanes(img, pixels.scale, pixels.offset);
  const uploads = inputs.map(({ image }) => e.tensor([1, 3, image.height, image.width], toPixels(image)));
  const owned = [...uploads];
  try {
    const xs = uploads.map((x, i) => {
      const side = inputs[i].longestSide;
      if (side === undefined) return x;
      const y = resized(e, x, ...fitLongestSide(x.shape[2], x.shape[3], side));
      if (y !== x) owned.push(y);
      return y;
    });
    const y = await run(xs);
    owned.push(y);
    return planesToImage(await y.read(), y.shape[3], y.shape[2], pixels.scale, pixels.offset);
  } finally {
    for (const t of owned) t.release();
  }
}
