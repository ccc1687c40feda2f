// Adam as torch.optim.Adam (torch 1.13, `_single_tensor_adam`; amsgrad off, no weight decay, not maximising) runs
// for neural-style: one optimizer.step(closure) per iteration, each evaluating the objective once at the current x.
import { adamStep } from '../kernels/lbfgs.ts';
import type { Engine } from '../runtime/engine.ts';
import type { Tensor } from '../runtime/tensor.ts';
import { type Objective, ScalarReader, evaluateObjective } from './objective.ts';

export interface AdamOptions {
  iterations: number;
  /** lr (default 1e-3). */
  lr?: number;
  /** betas (default [0.9, 0.999]). */
  betas?: readonly [number, number];
  /** eps (default 1e-8). */
  eps?: number;
  onIteration?: (info: AdamIteration) => void | Promise<void>;
}

export interface AdamIteration {
  iteration: number;
  /** Loss at x before this iteration's update. */
  loss: number;
  readbackBytes: number;
}

export interface AdamResult {
  /** Loss at the last evaluation (before the last update). */
  loss: number;
  iterations: number;
  /** 4 bytes per iteration when the objective returns its loss as a tensor, else 0. */
  readbackBytes: number;
}

/**
 * `iterations` Adam steps on x in place, with the moments m, v on the GPU and one fused kernel per step. The
 * objective's tensors become the optimiser's (see Objective). The signal is checked before every evaluation; a
 * non-finite loss is an error naming the iteration.
 */
export async function adam(e: Engine, x: Tensor, objective: Objective, options: AdamOptions, signal?: AbortSignal): Promise<AdamResult> {
  const { iterations, lr = 1e-3, betas: [beta1, beta2] = [0.9, 0.999], eps = 1e-8, onIteration } = options;
  if (!Number.isInteger(iterations) || iterations < 0) throw new Error(`adam: iterations must be a non-negative integer, got ${iterations}`);
  const reader = new ScalarReader();
  const expAvg = e.zeros(x.shape);
  const expAvgSq = e.zeros(x.shape);
  let loss = NaN;
  try {
    for (let step = 1; step <= iterations; step++) {
      signal?.throwIfAborted();
      const r = await evaluateObjective(objective, x, reader, `adam iteration ${step}`);
      loss = r.loss;
      // bias corrections in float64, as torch computes them in Python
      const biasCorrection1 = 1 - beta1 ** step;
      const biasCorrection2 = 1 - beta2 ** step;
      adamStep(e, x, r.grad, expAvg, expAvgSq, { beta1, beta2, eps, stepSize: lr / biasCorrection1, biasCorrection2Sqrt: Math.sqrt(biasCorrection2) });
      r.grad.release();
      await onIteration?.({ iteration: step, loss, readbackBytes: reader.bytes });
    }
    return { loss, iterations, readbackBytes: reader.bytes };
  } finally {
    expAvg.release();
    expAvgSq.release();
  }
}
