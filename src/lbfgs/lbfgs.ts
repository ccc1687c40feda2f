// L-BFGS as torch.optim.LBFGS (torch 1.13, torch/optim/lbfgs.py) runs it for neural-style: one `step(closure)`
// of max_iter iterations. x, the (s, y) history, the direction and the two-loop recursion stay on the GPU; the
// CPU holds only the control flow of LBFGS.step and the few scalars it branches on.
import { axpy, axpyInPlace, scale } from '../kernels/elementwise.ts';
import { acceptPair, axpyCoef, axpyCoefDot, coefProduct, maxAbs, scaleByCoef, scaleByCoefDot, sumAbs } from '../kernels/lbfgs.ts';
import { dot } from '../kernels/reduce.ts';
import type { Engine } from '../runtime/engine.ts';
import type { Tensor } from '../runtime/tensor.ts';
import { strongWolfe } from './line-search.ts';
import { type Objective, ScalarReader, evaluateObjective } from './objective.ts';

export interface LbfgsOptions {
  /** max_iter: iterations of the one LBFGS.step. */
  maxIter: number;
  /** max_eval: function evaluations (default ⌊maxIter · 5/4⌋, as torch). */
  maxEval?: number;
  /** history_size (default 100). */
  historySize?: number;
  /** lr (default 1). */
  lr?: number;
  /** tolerance_grad on max|g| (default −1: off, as neural-style sets it). */
  toleranceGrad?: number;
  /** tolerance_change on gᵀd, max|t·d| and |Δloss| (default −1: off, as neural-style sets it). */
  toleranceChange?: number;
  /** line_search_fn: torch's strong-Wolfe search, or none (default): a fixed step t = lr. */
  lineSearch?: 'strong_wolfe';
  /** Fuse each vector update of the two-loop recursion with the dot product that next reads the vector (one pass
   *  over q instead of two; default true). Bit-identical either way: the fused kernels keep reduce.ts's order. */
  fusion?: boolean;
  onIteration?: (info: LbfgsIteration) => void | Promise<void>;
}

export interface LbfgsIteration {
  iteration: number;
  /** Loss at the latest function evaluation (the last iteration without line search evaluates nothing). */
  loss: number;
  /** Function evaluations so far, the initial one included. */
  evaluations: number;
  /** Step length t of this iteration. */
  step: number;
  historyLength: number;
  readbackBytes: number;
}

export type LbfgsStop =
  | 'max-iter' // n_iter == max_iter
  | 'max-eval' // current_evals >= max_eval
  | 'tolerance-grad' // max|g| <= tolerance_grad (also before the first iteration)
  | 'directional-derivative' // gtd > −tolerance_change
  | 'tolerance-step' // max|d·t| <= tolerance_change
  | 'tolerance-loss'; // |loss − prev_loss| < tolerance_change

export interface LbfgsResult {
  /** The loss at the initial x (what torch's step returns). */
  initialLoss: number;
  /** The loss at the last function evaluation. */
  loss: number;
  iterations: number;
  evaluations: number;
  stop: LbfgsStop;
  historyLength: number;
  /** Curvature pairs dropped because yᵀs ≤ 1e-10. */
  rejectedPairs: number;
  /** Bytes this optimiser read back from the GPU (see `lbfgs`). */
  readbackBytes: number;
}

/** Threshold of torch's `if ys > 1e-10`, compared in f32 as torch and shaders/lbfgs.wgsl do. */
const CURVATURE_MIN = Math.fround(1e-10);

// Slots of the coefficient array: ZERO stays 0 (so axpyCoef(…, ZERO, α) subtracts α·y), then H_diag, β (scratch
// of the second loop), ρ[historySize] and α[historySize], both indexed by ring slot.
const ZERO = 0;
const H_DIAG = 1;
const BETA = 2;
const RHO = 3;

/**
 * The optimiser's GPU state: the (s, y) history as a ring of tensors (allocated as pairs come, the oldest pair's
 * buffers released when a new one replaces it), ρ, α, β and H_diag in `coef`, the previous gradient, the current
 * direction d and the last step s = t·d. x itself is the caller's. At most 2·historySize + 4 vectors the size of x
 * are alive at once (torch holds as many).
 */
export class LbfgsState {
  readonly coef: Tensor;
  readonly reader = new ScalarReader();
  /** sᵢ (old_stps) and yᵢ (old_dirs) by slot; slots head, head + 1, … (mod historySize) hold `length` pairs, oldest first. */
  private s: (Tensor | undefined)[];
  private y: (Tensor | undefined)[];
  private head = 0;
  length = 0;
  rejected = 0;
  prevGrad: Tensor | undefined;
  private d: Tensor | undefined;
  private step: Tensor | undefined;

  constructor(
    readonly engine: Engine,
    readonly historySize: number,
    /** LbfgsOptions.fusion: each update of d fused with the next dot product over it. */
    readonly fusion = true,
  ) {
    const coef = new Float32Array(RHO + 2 * historySize);
    coef[H_DIAG] = 1; // torch: H_diag = 1
    this.coef = engine.tensor([coef.length], coef);
    this.s = new Array(historySize).fill(undefined);
    this.y = new Array(historySize).fill(undefined);
  }

  private slot(k: number): number {
    return (this.head + k) % this.historySize;
  }

  private alpha(slot: number): number {
    return RHO + this.historySize + slot;
  }

  /**
   * torch: `y = flat_grad.sub(prev_flat_grad); s = d.mul(t); ys = y.dot(s); if ys > 1e-10:` keep (s, y), dropping
   * the oldest pair when full, with ro = 1/ys and H_diag = ys / y.dot(y). ρ and H_diag are set on the GPU by the
   * same f32 test; the CPU reads ys (4 bytes) to know the history's length.
   */
  async update(grad: Tensor): Promise<void> {
    const e = this.engine;
    const s = this.step!;
    this.step = undefined;
    const y = axpy(e, -1, this.prevGrad!, grad);
    const full = this.length === this.historySize;
    const slot = full ? this.head : this.slot(this.length);
    const ysT = dot(e, y, s);
    const yyT = dot(e, y, y);
    acceptPair(e, this.coef, ysT, yyT, RHO + slot, H_DIAG);
    yyT.release();
    if ((await this.reader.read(ysT)) > CURVATURE_MIN) {
      if (full) {
        // shift history by one (limited-memory)
        this.s[slot]!.release();
        this.y[slot]!.release();
        this.head = this.slot(1);
      } else {
        this.length++;
      }
      this.s[slot] = s;
      this.y[slot] = y;
    } else {
      s.release();
      y.release();
      this.rejected++;
    }
  }

  /**
   * d = −H·g by torch's two-loop recursion "collapsed to use just one buffer" (q, then r, are d), with H₀ = H_diag.
   * With no history this is −g, torch's first direction. Every coefficient stays on the GPU: no read-back.
   */
  direction(grad: Tensor): Tensor {
    const e = this.engine;
    this.d?.release();
    const d = scale(e, grad, -1); // q = flat_grad.neg()
    this.d = d;
    const L = this.length;
    if (L === 0) return d;
    // Every update of d but the last is followed by a dot product over the new d (the next αᵢ's sᵢᵀq, or βᵢ's
    // yᵢᵀr). With fusion one kernel does both; either way the result is the same bits.
    const thenDot = (update: () => void, fused: () => Tensor, z: Tensor): Tensor => {
      if (this.fusion) return fused();
      update();
      return dot(e, z, d);
    };
    const s = (k: number) => this.s[this.slot(k)]!;
    const y = (k: number) => this.y[this.slot(k)]!;
    let product = dot(e, s(L - 1), d);
    for (let k = L - 1; k >= 0; k--) {
      const i = this.slot(k);
      coefProduct(e, this.coef, this.alpha(i), RHO + i, product); // al[i] = old_stps[i].dot(q) * ro[i]
      product.release();
      // q.add_(old_dirs[i], alpha=-al[i]), then the next old_stps[i].dot(q)
      const update = () => axpyCoef(e, d, y(k), this.coef, ZERO, this.alpha(i));
      if (k === 0) update();
      else product = thenDot(update, () => axpyCoefDot(e, d, y(k), this.coef, ZERO, this.alpha(i), s(k - 1)), s(k - 1));
    }
    // d = r = torch.mul(q, H_diag), then old_dirs[0].dot(r)
    product = thenDot(() => scaleByCoef(e, d, this.coef, H_DIAG), () => scaleByCoefDot(e, d, this.coef, H_DIAG, y(0)), y(0));
    for (let k = 0; k < L; k++) {
      const i = this.slot(k);
      coefProduct(e, this.coef, BETA, RHO + i, product); // be_i = old_dirs[i].dot(r) * ro[i]
      product.release();
      // r.add_(old_stps[i], alpha=al[i] - be_i), then the next old_dirs[i].dot(r)
      const update = () => axpyCoef(e, d, s(k), this.coef, this.alpha(i), BETA);
      if (k === L - 1) update();
      else product = thenDot(update, () => axpyCoefDot(e, d, s(k), this.coef, this.alpha(i), BETA, y(k + 1)), y(k + 1));
    }
    return d;
  }

  /** prev_flat_grad = flat_grad (held, not copied: gradients are never written in place). */
  keepGrad(grad: Tensor): void {
    if (this.prevGrad !== grad) this.prevGrad?.release();
    this.prevGrad = grad;
  }

  /** After x += t·d: keep s = t·d for the next update (and the max|d·t| test); d is done with. */
  tookStep(t: number): Tensor {
    const d = this.d!;
    this.step?.release();
    this.step = scale(this.engine, d, t);
    d.release();
    this.d = undefined;
    return this.step;
  }

  release(): void {
    for (const t of [...this.s, ...this.y, this.prevGrad, this.d, this.step, this.coef]) t?.release();
    this.s.fill(undefined);
    this.y.fill(undefined);
    this.prevGrad = this.d = this.step = undefined;
    this.length = 0;
  }
}

/**
 * Minimise `objective` from x, updating x in place: torch.optim.LBFGS(params=[x], lr, max_iter, max_eval,
 * tolerance_grad, tolerance_change, history_size, line_search_fn).step(closure), once. The gradient and loss
 * tensors the objective returns become the optimiser's (see Objective). The signal is checked before every
 * function evaluation; aborting rejects with its reason. A non-finite loss is an error naming the iteration.
 *
 * Read-backs (counted in `readbackBytes`), 4 bytes each, only where LBFGS.step branches on a number:
 *   - the loss of every function evaluation, when the objective returns it as a tensor;
 *   - ‖g‖₁ once, for the first step t = min(1, 1/‖g‖₁)·lr;
 *   - per iteration: gᵀd (the `gtd > −tolerance_change` test) and, from the second iteration, yᵀs (the curvature
 *     test, which decides the history's length);
 *   - max|g| per function evaluation only if toleranceGrad ≥ 0, and max|t·d| per iteration only if toleranceChange ≥ 0
 *     (a negative tolerance can never be met, so the number is not needed);
 *   - with the strong-Wolfe search, gᵀd at every trial point and max|d| once per search if it zooms.
 * So without line search and with both tolerances off, as neural-style runs it: 12 bytes per iteration (loss, gᵀd,
 * yᵀs), precisely 4·evaluations + 4 + 4·iterations + 4·(iterations − 1) bytes in all.
 */
export async function lbfgs(e: Engine, x: Tensor, objective: Objective, options: LbfgsOptions, signal?: AbortSignal): Promise<LbfgsResult> {
  const { maxIter, maxEval = Math.floor((maxIter * 5) / 4), historySize = 100, lr = 1, toleranceGrad = -1, toleranceChange = -1 } = options;
  const { lineSearch, onIteration, fusion = true } = options;
  if (!Number.isInteger(maxIter) || maxIter < 1) throw new Error(`lbfgs: maxIter must be a positive integer, got ${maxIter}`);
  if (!Number.isInteger(historySize) || historySize < 1) throw new Error(`lbfgs: historySize must be a positive integer, got ${historySize}`);
  if (lineSearch !== undefined && lineSearch !== 'strong_wolfe') throw new Error(`lbfgs: only 'strong_wolfe' is supported, got '${lineSearch}'`);

  const state = new LbfgsState(e, historySize, fusion);
  const reader = state.reader;
  let iteration = 0;
  let evaluations = 0;
  let grad: Tensor | undefined;
  const evaluate = async (at: Tensor) => {
    signal?.throwIfAborted();
    const where = `lbfgs iteration ${iteration}${iteration === 0 ? ' (initial evaluation)' : ''}, function evaluation ${evaluations + 1}`;
    const r = await evaluateObjective(objective, at, reader, where);
    evaluations++;
    return r;
  };
  // opt_cond = flat_grad.abs().max() <= tolerance_grad
  const optimal = async (g: Tensor) => toleranceGrad >= 0 && (await reader.read(maxAbs(e, g))) <= toleranceGrad;

  try {
    // evaluate initial f(x) and df/dx
    let loss: number;
    ({ loss, grad } = await evaluate(x));
    const initialLoss = loss;
    const result = (stop: LbfgsStop): LbfgsResult => ({
      initialLoss,
      loss,
      iterations: iteration,
      evaluations,
      stop,
      historyLength: state.length,
      rejectedPairs: state.rejected,
      readbackBytes: reader.bytes,
    });
    if (await optimal(grad)) return result('tolerance-grad');

    while (iteration < maxIter) {
      iteration++;
      // compute gradient descent direction (the first: −g, from the empty history and H_diag = 1)
      if (iteration > 1) await state.update(grad);
      const d = state.direction(grad);
      state.keepGrad(grad);
      const prevLoss = loss;

      // compute step length: reset initial guess for step size
      const t0: number = iteration === 1 ? Math.min(1, 1 / (await reader.read(sumAbs(e, grad)))) * lr : lr;
      // directional derivative below tolerance
      const gtd = await reader.read(dot(e, grad, d));
      if (gtd > -toleranceChange) return result('directional-derivative');

      let t: number = t0;
      let opt = false;
      if (lineSearch) {
        // x + t·d as a trial tensor; torch adds t·d to the parameters, evaluates and restores them.
        const trial = async (at: number) => {
          const xt = axpy(e, at, d, x);
          let r: { loss: number; grad: Tensor };
          try {
            r = await evaluate(xt);
          } finally {
            xt.release();
          }
          return { ...r, gtd: await reader.read(dot(e, r.grad, d)) };
        };
        ({ loss, grad, t } = await strongWolfe(trial, t0, loss, grad, gtd, {
          maxAbsD: () => reader.read(maxAbs(e, d)),
          discard: (g) => g.release(),
        }));
        axpyInPlace(e, t, d, x);
        opt = await optimal(grad);
      } else {
        // no line search, simply move with fixed step
        axpyInPlace(e, t, d, x);
        // re-evaluate the function only if not in the last iteration
        if (iteration !== maxIter) {
          ({ loss, grad } = await evaluate(x));
          opt = await optimal(grad);
        }
      }
      const step = state.tookStep(t);
      await onIteration?.({ iteration, loss, evaluations, step: t, historyLength: state.length, readbackBytes: reader.bytes });

      // check conditions
      if (iteration === maxIter) break;
      if (evaluations >= maxEval) return result('max-eval');
      if (opt) return result('tolerance-grad');
      // lack of progress
      if (toleranceChange >= 0 && (await reader.read(maxAbs(e, step))) <= toleranceChange) return result('tolerance-step');
      if (Math.abs(loss - prevLoss) < toleranceChange) return result('tolerance-loss');
    }
    return result('max-iter');
  } finally {
    if (grad !== state.prevGrad) grad?.release();
    state.release();
  }
}
