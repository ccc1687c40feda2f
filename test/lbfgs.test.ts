import { describe, expect, it } from 'vitest';
import { acceptPair, adamStep, axpyCoef, axpyCoefDot, coefProduct, maxAbs, scaleByCoef, scaleByCoefDot, sumAbs } from '../src/kernels/lbfgs.ts';
import { dot } from '../src/kernels/reduce.ts';
import { adam } from '../src/lbfgs/adam.ts';
import { type LbfgsOptions, lbfgs } from '../src/lbfgs/lbfgs.ts';
import type { Objective } from '../src/lbfgs/objective.ts';
import type { Engine } from '../src/runtime/engine.ts';
import golden from './golden/lbfgs.json';
import { expectClose } from './helpers/compare.ts';
import { useEngine } from './helpers/gpu.ts';
import { uniform } from './helpers/random.ts';
import * as ref from './reference/lbfgs.ts';

const engine = useEngine();
const SIZES = [1, 63, 64, 65, 100_003];
const EPS32 = 2 ** -24;

describe.each(SIZES)('optimiser kernels, n = %i', (n) => {
  const a = uniform(n, 31 + n, -2, 2);
  const b = uniform(n, 32 + n);
  const coef = [0, 0.75, -1.5, 2.25, 1e-3];

  // Pairwise f32 sums of non-negative terms: error ≤ about log2(n)·ε·Σ|x| (as for reduce.ts's sum).
  it('sumAbs', async () => {
    const e = engine();
    const [got] = await sumAbs(e, e.tensor([n], a)).read();
    const want = ref.sumAbs(a);
    expect(Math.abs(got - want)).toBeLessThanOrEqual(8 * Math.log2(n + 1) * EPS32 * want);
  });

  // A maximum of f32 values is one of them: exact.
  it('maxAbs', async () => {
    const e = engine();
    const [got] = await maxAbs(e, e.tensor([n], a)).read();
    expect(got).toBe(ref.maxAbs(a));
  });

  // One f32 fma per element (the factor coef[a] − coef[b] is exact for these coefficients): within 1 ulp.
  it('axpyCoef and scaleByCoef', async () => {
    const e = engine();
    const c = e.tensor([coef.length], coef);
    const x = e.tensor([n], a);
    const y = e.tensor([n], b);
    axpyCoef(e, y, x, c, 0, 2); // y + 1.5·x
    expectClose(await y.read(), ref.axpy(1.5, a, b), 1e-6, 1e-6);
    axpyCoef(e, y, x, c, 3, 1); // + 1.5·x
    expectClose(await y.read(), ref.axpy(3, a, b), 1e-6, 1e-6);
    scaleByCoef(e, y, c, 4);
    expectClose(await y.read(), ref.axpy(3e-3, a, Float64Array.from(b, (v) => 1e-3 * v)), 1e-9, 1e-6);
  });

  // Three steps; a few f32 roundings per element (√, ÷), so 1e-6 relative.
  it('adamStep', async () => {
    const e = engine();
    const [lr, beta1, beta2, eps] = [0.05, 0.8, 0.99, 1e-6];
    const param = e.tensor([n], a);
    const expAvg = e.zeros([n]);
    const expAvgSq = e.zeros([n]);
    let want: ref.AdamMoments = { param: Float64Array.from(a), expAvg: new Float64Array(n), expAvgSq: new Float64Array(n) };
    for (let step = 1; step <= 3; step++) {
      const g = uniform(n, 40 + step + n);
      const grad = e.tensor([n], g);
      adamStep(e, param, grad, expAvg, expAvgSq, { beta1, beta2, eps, stepSize: lr / (1 - beta1 ** step), biasCorrection2Sqrt: Math.sqrt(1 - beta2 ** step) });
      grad.release();
      want = ref.adamStep(want, g, step, lr, beta1, beta2, eps);
    }
    expectClose(await expAvg.read(), want.expAvg, 1e-7, 1e-6, 'exp_avg');
    expectClose(await expAvgSq.read(), want.expAvgSq, 1e-9, 1e-6, 'exp_avg_sq');
    expectClose(await param.read(), want.param, 1e-6, 1e-6, 'param');
  });
});

describe('scalar coefficient kernels', () => {
  // One f32 product / quotient: 1 ulp.
  it('coefProduct writes coef[dst] = coef[factor]·value', async () => {
    const e = engine();
    const c = e.tensor([4], [0, 1, 0.3, 7]);
    coefProduct(e, c, 2, 3, e.tensor([1], [-0.125]));
    expectClose(await c.read(), [0, 1, -0.875, 7], 0, 1e-7);
  });

  it('acceptPair keeps ρ and H_diag only when yᵀs > 1e-10', async () => {
    const e = engine();
    const start = [0, 1, 0, 0.5, 0.25];
    for (const [ys, yy] of [
      [0.02, 0.5],
      [2e-10, 3e-9],
      [1e-10, 1e-9], // f32(1e-10) itself: not greater, dropped
      [-0.3, 2],
      [0, 1],
    ]) {
      const c = e.tensor([start.length], start);
      acceptPair(e, c, e.tensor([1], [ys]), e.tensor([1], [yy]), 4, 1);
      const f32 = (v: number) => Math.fround(v);
      expectClose(await c.read(), ref.acceptPair(start, f32(ys), f32(yy), 4, 1), 0, 1e-6, `ys ${ys}`);
    }
  });
});

// ---- the two-loop recursion's fused update + dot kernels (LbfgsOptions.fusion)

describe.each(SIZES)('fused update and dot, n = %i', (n) => {
  const [a, b, c] = [uniform(n, 41 + n, -2, 2), uniform(n, 42 + n, -1, 1), uniform(n, 43 + n, -1, 1)];
  const coef = [0, 0.75, -1.5];

  // The fused kernels keep the separate kernels' arithmetic and reduce.ts's summation order: the same bits.
  it('axpyCoefDot and scaleByCoefDot equal the update followed by dot, bit for bit, and float64 within the sum bound', async () => {
    const e = engine();
    const k = e.tensor([coef.length], coef);
    const [x, z] = [e.tensor([n], a), e.tensor([n], c)];
    const [yFused, ySplit] = [e.tensor([n], b), e.tensor([n], b)];
    for (const [fused, split] of [
      [() => axpyCoefDot(e, yFused, x, k, 1, 2, z), () => (axpyCoef(e, ySplit, x, k, 1, 2), dot(e, z, ySplit))],
      [() => scaleByCoefDot(e, yFused, k, 2, z), () => (scaleByCoef(e, ySplit, k, 2), dot(e, z, ySplit))],
    ] as const) {
      const before = e.stats.dispatches;
      const got = fused();
      const fusedDispatches = e.stats.dispatches - before;
      const want = split();
      expect(e.stats.dispatches - before - fusedDispatches).toBe(fusedDispatches + 1); // the update is its own pass
      expect(Array.from(await got.read())).toEqual(Array.from(await want.read()));
      expect(Array.from(await yFused.read())).toEqual(Array.from(await ySplit.read()));
      const y64 = await ySplit.read();
      const exact = c.reduce((acc, v, i) => acc + v * y64[i], 0);
      const bound = c.reduce((acc, v, i) => acc + Math.abs(v * y64[i]), 0);
      expect(Math.abs((await got.read())[0] - exact)).toBeLessThanOrEqual(8 * Math.log2(n + 1) * EPS32 * bound);
      got.release();
      want.release();
    }
  });

  it('refuses vectors of different sizes and slots outside the coefficients', () => {
    const e = engine();
    const k = e.tensor([coef.length], coef);
    const [x, y, short] = [e.tensor([n], a), e.tensor([n], b), e.tensor([n + 1], [...a, 0])];
    expect(() => axpyCoefDot(e, y, x, k, 1, 2, short)).toThrow(/sizes differ/);
    expect(() => scaleByCoefDot(e, y, k, 3, x)).toThrow(/slot 3 outside/);
  });
});

// ---- optimisers against torch (test/golden/make_lbfgs_golden.py)

type LossAndGradFn = (x: ArrayLike<number>) => ref.LossAndGrad;
const OBJECTIVES: Record<string, LossAndGradFn> = { quadratic: ref.quadratic, rosenbrock: ref.rosenbrock, wells: ref.wells };

/**
 * The objective evaluated on the CPU in float64 at the GPU's x; the gradient is uploaded (f32), the loss returned
 * as a [1] tensor (the optimiser reads it) or as a number. Every loss is recorded.
 */
function cpuObjective(e: Engine, f: LossAndGradFn, losses: number[], lossAs: 'tensor' | 'number' = 'tensor'): Objective {
  return async (x) => {
    const { loss, grad } = f(await x.read());
    losses.push(loss);
    return { loss: lossAs === 'tensor' ? e.tensor([1], [loss]) : loss, grad: e.tensor(x.shape, grad) };
  };
}

/**
 * Tolerances from float32 itself. The golden file's `spread[k]` is how far rounding-sized noise moves torch's
 * float32 trajectory at evaluation k (the largest deviation of the float64 run and of 8 float32 runs with one
 * rounding's worth of gradient noise). Our run rounds differently (tree-ordered dot products, fma, a float64
 * objective), which is noise of that kind, so at evaluation k it may stray from torch's float32 run by
 * SPREAD_FACTOR × spread[k] (nine runs only estimate the spread: our runs reach up to 1.7 × it, measured over all
 * cases), plus one float32 rounding of the loss. Each evaluation has its own bound: a running maximum would carry
 * the spread of a wild line-search trial (rosenbrock strong Wolfe: loss 131, spread 0.29) to later evaluations
 * 300 × smaller, letting them be 270 % off. A gradient 0.1 % off fails every case (tested below).
 */
const SPREAD_FACTOR = 3;

function expectTrajectory(got: ArrayLike<number>, want: readonly number[], spread: readonly number[], what: string): void {
  expect(got.length, `${what}: length`).toBe(want.length);
  for (let k = 0; k < want.length; k++) {
    const tol = SPREAD_FACTOR * spread[k] + 2 ** -24 * Math.abs(want[k]);
    if (!(Math.abs(got[k] - want[k]) <= tol)) {
      expect.fail(`${what}: entry ${k} is ${got[k]}, torch float32 ${want[k]}, tolerance ${tol.toExponential(2)}`);
    }
  }
}

/** Final x: every coordinate within SPREAD_FACTOR × the spread of the final x (+ 1e-6). */
function expectFinalX(got: ArrayLike<number>, want: readonly number[], spread: number, what: string): void {
  expectClose(got, want, SPREAD_FACTOR * spread + 1e-6, 0, what);
}

/** The optimiser's read-back bytes for a case: see the doc comment of lbfgs(). */
function expectedReadback(c: (typeof golden.lbfgs)[number], iterations: number, evaluations: number, lossAs: string) {
  let bytes = 4 + 4 * iterations + 4 * (iterations - 1); // ‖g‖₁, gᵀd, yᵀs
  if (lossAs === 'tensor') bytes += 4 * evaluations;
  if (c.options.toleranceGrad >= 0) bytes += 4 * evaluations; // max|g|
  if (c.options.toleranceChange >= 0) bytes += 4 * iterations; // max|t·d| (every iteration reached that test here)
  if (c.options.lineSearch) bytes += 4 * (evaluations - 1); // gᵀd at each trial point
  return bytes;
}

const usedBytes = (e: Engine) => e.pool.stats.liveBytes;

describe('lbfgs against torch.optim.LBFGS', () => {
  // Every third case gets its loss as a number rather than a [1] tensor.
  it.each(golden.lbfgs.map((c, i) => [c.name, c, i % 3 === 2 ? 'number' : 'tensor'] as const))('%s', async (_name, c, lossAs) => {
    const e = engine();
    const x = e.tensor([c.x0.length], c.x0);
    const before = usedBytes(e);
    const losses: number[] = [];
    const perIteration: number[] = [];
    const options = { ...c.options, onIteration: (info) => void perIteration.push(info.readbackBytes) } as LbfgsOptions;
    const result = await lbfgs(e, x, cpuObjective(e, OBJECTIVES[c.objective], losses, lossAs), options);
    const want = c.float32;

    expect(result.stop).toBe(want.stop);
    expect(result.iterations).toBe(want.iterations);
    expect(result.evaluations).toBe(want.evaluations);
    expect(result.historyLength).toBe(want.historyLength);
    if (want.historyLength < c.options.historySize) expect(result.rejectedPairs).toBe(want.iterations - 1 - want.historyLength);
    expectTrajectory(losses, want.losses, c.spread.losses, 'loss at each function evaluation');
    expectFinalX(await x.read(), want.x, c.spread.x, 'final x');
    expect(result.initialLoss).toBe(lossAs === 'tensor' ? Math.fround(losses[0]) : losses[0]);

    const bytes = expectedReadback(c, result.iterations, result.evaluations, lossAs);
    if (c.options.lineSearch) {
      // plus max|d| once per line search that reaches its zoom phase
      expect(result.readbackBytes - bytes).toBeGreaterThanOrEqual(0);
      expect(result.readbackBytes - bytes).toBeLessThanOrEqual(4 * result.iterations);
    } else {
      expect(result.readbackBytes).toBe(bytes);
    }
    expect(perIteration.length).toBe(result.iterations);
    if (lossAs === 'tensor' && !c.options.lineSearch && c.options.toleranceGrad < 0 && c.options.toleranceChange < 0) {
      // neural-style's configuration: every iteration between the first and the last reads yᵀs, gᵀd and the loss
      const steady = perIteration.slice(1, -1).map((b, k) => b - perIteration[k]);
      expect(steady).toEqual(steady.map(() => 12));
    }
    expect(usedBytes(e)).toBe(before); // every gradient, loss and history tensor released
  });
});

describe('lbfgs with and without the two-loop fusion', () => {
  // Fusion changes the dispatches, not the arithmetic: the same losses and x, bit for bit. Each direction with a
  // history of L pairs fuses 2L − 1 updates with the dot product that follows them, one dispatch fewer each.
  it.each(golden.lbfgs.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const e = engine();
    const run = async (fusion: boolean) => {
      const x = e.tensor([c.x0.length], c.x0);
      const losses: number[] = [];
      const lengths: number[] = [];
      const before = e.stats.dispatches;
      const options = { ...c.options, fusion, onIteration: (info) => void lengths.push(info.historyLength) } as LbfgsOptions;
      await lbfgs(e, x, cpuObjective(e, OBJECTIVES[c.objective], losses), options);
      return { dispatches: e.stats.dispatches - before, losses, lengths, x: Array.from(await x.read()) };
    };
    const [off, on] = [await run(false), await run(true)];
    expect(on.losses).toEqual(off.losses);
    expect(on.x).toEqual(off.x);
    expect(on.lengths).toEqual(off.lengths);
    const fusedPairs = off.lengths.reduce((sum, L) => sum + (L > 0 ? 2 * L - 1 : 0), 0);
    expect(off.dispatches - on.dispatches).toBe(fusedPairs);
  });
});

describe('the trajectory check fails on a real divergence', () => {
  /** `f` with its gradient off by up to `relative` (a different factor per coordinate) from evaluation `from` on. */
  const skewed = (f: LossAndGradFn, relative: number, from = 0): LossAndGradFn => {
    let evaluation = 0;
    return (x) => {
      const r = f(x);
      return evaluation++ < from ? r : { loss: r.loss, grad: r.grad.map((g, i) => g * (1 + relative * Math.sin(i + 1))) };
    };
  };

  async function lossesOf(c: (typeof golden.lbfgs)[number], f: LossAndGradFn): Promise<number[]> {
    const e = engine();
    const x = e.tensor([c.x0.length], c.x0);
    const losses: number[] = [];
    await lbfgs(e, x, cpuObjective(e, f, losses), c.options as LbfgsOptions);
    x.release();
    return losses;
  }

  it.each(golden.lbfgs.map((c) => [c.name, c] as const))('%s: a gradient 0.1 %% off fails', async (_name, c) => {
    const losses = await lossesOf(c, skewed(OBJECTIVES[c.objective], 1e-3));
    expect(() => expectTrajectory(losses, c.float32.losses, c.spread.losses, 'skewed')).toThrow(/skewed: (entry \d+ is|length)/);
  });

  it('late evaluations are held to their own spread, not to that of an earlier wild line-search trial', async () => {
    // Gradients 0.1 % off from evaluation 18 of 25 on: evaluation 21 (loss 131) has a spread of 0.29, which a
    // running-maximum bound (4 × 0.29) carried over the last three losses (≈ 0.45), accepting them up to 270 % off.
    const c = golden.lbfgs.find((g) => g.name === 'rosenbrock, 2 dims, strong Wolfe')!;
    const losses = await lossesOf(c, skewed(OBJECTIVES[c.objective], 1e-3, 18));
    expect(losses.length).toBe(c.float32.losses.length);
    expect(() => expectTrajectory(losses, c.float32.losses, c.spread.losses, 'skewed')).toThrow(/skewed: entry (1[89]|2\d) is/);
  });
});

describe('adam against torch.optim.Adam', () => {
  it.each(golden.adam.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const e = engine();
    const x = e.tensor([c.x0.length], c.x0);
    const before = usedBytes(e);
    const losses: number[] = [];
    const { iterations, lr, betas, eps } = c.options;
    const result = await adam(e, x, cpuObjective(e, ref.quadratic, losses), { iterations, lr, betas: [betas[0], betas[1]], eps });
    expectTrajectory(losses, c.float32.losses, c.spread.losses, 'loss at each step');
    expectFinalX(await x.read(), c.float32.x, c.spread.x, 'final x');
    expect(result.readbackBytes).toBe(4 * iterations);
    expect(usedBytes(e)).toBe(before);
  });
});

describe('stopping', () => {
  const x0 = golden.lbfgs[0].x0;

  it('a NaN loss is an error naming the iteration', async () => {
    const e = engine();
    const x = e.tensor([x0.length], x0);
    const before = usedBytes(e);
    let calls = 0;
    const objective: Objective = async (at) => {
      const r = ref.quadratic(await at.read());
      return { loss: e.tensor([1], [++calls === 4 ? NaN : r.loss]), grad: e.tensor(at.shape, r.grad) };
    };
    await expect(lbfgs(e, x, objective, { maxIter: 10 })).rejects.toThrow('lbfgs iteration 3, function evaluation 4: the loss is NaN');
    expect(usedBytes(e)).toBe(before);
    calls = 0;
    await expect(adam(e, x, objective, { iterations: 10 })).rejects.toThrow('adam iteration 4: the loss is NaN');
    expect(usedBytes(e)).toBe(before);
  });

  it('an AbortSignal stops the loop', async () => {
    const e = engine();
    const x = e.tensor([x0.length], x0);
    const before = usedBytes(e);
    const losses: number[] = [];
    const controller = new AbortController();
    const run = lbfgs(e, x, cpuObjective(e, ref.quadratic, losses), {
      maxIter: 20,
      onIteration: ({ iteration }) => {
        if (iteration === 3) controller.abort();
      },
    }, controller.signal);
    await expect(run).rejects.toThrow(expect.objectContaining({ name: 'AbortError' }));
    expect(losses.length).toBe(4); // the initial evaluation and one per iteration
    expect(usedBytes(e)).toBe(before);

    const strongWolfe = lbfgs(e, x, cpuObjective(e, ref.quadratic, []), { maxIter: 20, lineSearch: 'strong_wolfe' }, AbortSignal.abort());
    await expect(strongWolfe).rejects.toThrow(expect.objectContaining({ name: 'AbortError' }));
    const adamController = new AbortController();
    const adamLosses: number[] = [];
    const stopAtTwo = ({ iteration }: { iteration: number }) => {
      if (iteration === 2) adamController.abort();
    };
    const adamRun = adam(e, x, cpuObjective(e, ref.quadratic, adamLosses), { iterations: 5, onIteration: stopAtTwo }, adamController.signal);
    await expect(adamRun).rejects.toThrow(expect.objectContaining({ name: 'AbortError' }));
    expect(adamLosses.length).toBe(2);
    expect(usedBytes(e)).toBe(before);
  });
});
