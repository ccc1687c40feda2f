// Whether a job fits the adapter, decided before any work: every tensor of the model's graph at the input's
// size against the adapter's largest buffer, and the largest longest side that would fit.
import type { Graph, Node } from '../graph/index.ts';
import { fitLongestSide } from '../image/io.ts';
import type { Engine } from '../runtime/engine.ts';
import { sizeOf } from '../runtime/tensor.ts';
import { AdapterLimitError } from './errors.ts';

/** The adapter's largest buffer a kernel can bind. */
export const bufferLimit = (e: Engine): number => Math.min(e.ctx.limits.maxStorageBufferBindingSize, e.ctx.limits.maxBufferSize);

/** The bytes of the largest tensor in `g` (f32). */
export function largestTensorBytes(g: Graph | { nodes: readonly Node[] }): number {
  let most = 0;
  for (const n of g.nodes) most = Math.max(most, sizeOf(n.shape) * 4);
  return most;
}

/**
 * Throws AdapterLimitError when a height × width image resized to `side` would need a tensor larger than the
 * adapter allows. `neededBytes(h, w)` is the largest tensor of the job at that size.
 */
export function checkFits(e: Engine, height: number, width: number, side: number, neededBytes: (h: number, w: number) => number): void {
  const limit = bufferLimit(e);
  const needed = neededBytes(...fitLongestSide(height, width, side));
  if (needed <= limit) return;
  let lo = 0;
  let hi = side;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (neededBytes(...fitLongestSide(height, width, mid)) <= limit) lo = mid;
    else hi = mid;
  }
  throw new AdapterLimitError(side, lo, limit, needed);
}
