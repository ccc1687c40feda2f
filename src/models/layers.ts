// What the PyTorch feed-forward models (Gated GAN, AdaIN) share: conv weights uploaded from a state dict by name,
// and running a sequence of ops that frees each intermediate tensor as soon as the next op is recorded.
import { resizeBilinear } from '../kernels/resample.ts';
import type { Engine } from '../runtime/engine.ts';
import type { Tensor } from '../runtime/tensor.ts';
import { type SourceOptions, type WeightSet, loadWeights } from '../weights/index.ts';
import { fitLongestSide } from '../image/io.ts';

export interface ConvWeights {
  /** [Cout, Cin, KH, KW] (ConvTranspose2d: [Cin, Cout, KH, KW]). */
  weight: Tensor;
  bias: Tensor;
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

/** ops applied in order to `input`; each intermediate result is released once the next op has used it, the input
 *  itself never (it stays the caller's). */
export function chain(input: Tensor, ...ops: ((t: Tensor) => Tensor)[]): Tensor {
  let h = input;
  for (const op of ops) {
    const y = op(h);
    if (h !== input && y !== h) h.release();
    h = y;
  }
  return h;
}

/** x resized (GPU bilinear, releasing x) so that its longest side is `longestSide` pixels; x itself when that is
 *  its size already or no size is given. */
export function resizeToLongestSide(e: Engine, x: Tensor, longestSide: number | undefined): Tensor {
  if (longestSide === undefined) return x;
  const [h, w] = fitLongestSide(x.shape[2], x.shape[3], longestSide);
  if (h === x.shape[2] && w === x.shape[3]) return x;
  const y = resizeBilinear(e, x, h, w);
  x.release();
  return y;
}
