import { describe, expect, it } from 'vitest';
import { subgroupLanes } from '../src/kernels/conv2dSubgroup.ts';
import { gramBackwardKernels, gramKernels, gramMatrix, gramMatrixBackward } from '../src/kernels/gram.ts';
import type { Engine } from '../src/runtime/engine.ts';
import { expectClose } from './helpers/compare.ts';
import { useEngine } from './helpers/gpu.ts';
import { gradCheck } from './helpers/gradcheck.ts';
import { type Choice, choiceLabel, fittingChoices } from './helpers/kernelTables.ts';
import { rng, uniform } from './helpers/random.ts';
import * as ref from './reference/gram.ts';

const engine = useEngine();

// [N, C, H, W]: 1×1 spatial, odd H·W (scalar path), H·W a multiple of 4 (vec4 path), C below, at and past one
// 4-channel block and past one 8×8-block workgroup (C = 33), N = 2.
const SHAPES: [number, number, number, number][] = [
  [1, 1, 1, 1],
  [1, 3, 5, 7],
  [2, 5, 4, 4],
  [1, 4, 3, 3],
  [2, 8, 2, 6],
  [1, 13, 7, 5],
  [1, 33, 16, 16],
];

// Small sums of products of values in [-1, 1]: f32 error is far below 1e-6 absolute; 1e-5 relative covers the
// diagonal entries (all terms positive, so no cancellation).
const ATOL = 1e-6;
const RTOL = 1e-5;

const label = choiceLabel;

describe.each(SHAPES)('gram [%i, %i, %i, %i]', (N, C, H, W) => {
  const P = H * W;
  const norm = C * P;
  const F = uniform(N * C * P, 11 + C * 100 + P);
  const dG = uniform(N * C * C, 12 + C * 100 + P);

  it('gramMatrix matches the float64 reference', async () => {
    const e = engine();
    const run = (choice: Choice) => gramMatrix(e, e.tensor([N, C, H, W], F), norm, choice);
    for (const choice of fittingChoices(gramKernels, e, (lanes) => ({ F: [N, C, H, W], lanes }), 'gramMatrix', run)) {
      const G = run(choice);
      expect(G.shape).toEqual([N, C, C]);
      expectClose(await G.read(), ref.gram(F, N, C, P, norm), ATOL, RTOL, `G ${label(choice)}`);
    }
  });

  it('gramMatrixBackward matches the reference and finite differences', async () => {
    const e = engine();
    const run = (choice: Choice) => gramMatrixBackward(e, e.tensor([N, C, H, W], F), e.tensor([N, C, C], dG), norm, choice);
    for (const choice of fittingChoices(gramBackwardKernels, e, (lanes) => ({ F: [N, C, H, W], lanes }), 'gramMatrixBackward', run)) {
      const dF = await run(choice).read();
      expectClose(dF, ref.gramBackward(F, dG, N, C, P, norm), ATOL, RTOL, `dF ${label(choice)}`);
      gradCheck((x) => ref.gram(x, N, C, P, norm), F, dG, dF, { atol: 1e-5, rtol: 1e-4, maxPoints: 200, what: `dF ${label(choice)}` });
    }
  });
});

describe('gram at style-layer scale', () => {
  it.each(['blocked', 'auto'] as const)('C = 512, H·W = 128², forward and backward spot-checked against float64 (%s)', async (impl) => {
    const [N, C, H, W] = [1, 512, 128, 128];
    const P = H * W;
    const norm = C * P;
    const F = uniform(N * C * P, 99);
    const e = engine();
    const input = e.tensor([N, C, H, W], F);
    const started = performance.now();
    const G = await gramMatrix(e, input, norm, { impl: impl === 'blocked' ? 'gram' : impl }).read();
    const ms = performance.now() - started;
    // Each entry is an f32 sum of P/4 dot products of vec4s done in order: |error| ≤ (P/4 + 4)·2⁻²⁴·Σ|F_i F_j|
    // (the classic γ_n bound of recursive summation), plus one rounding for the division by norm.
    const r = rng(7);
    const pairs: [number, number][] = [[0, 0], [0, C - 1], [C - 1, 0], [C - 1, C - 1], [255, 256]];
    for (let k = 0; k < 120; k++) pairs.push([Math.floor(r() * C), Math.floor(r() * C)]);
    let worst = 0;
    for (const [i, j] of pairs) {
      const want = ref.gramEntry(F, C, P, 0, i, j) / norm;
      const bound = ((P / 4 + 4) * 2 ** -24 * ref.gramEntryAbs(F, C, P, 0, i, j)) / norm + 2 ** -24 * Math.abs(want);
      const err = Math.abs(G[i * C + j] - want);
      worst = Math.max(worst, err / bound);
      expect(err, `G[${i}, ${j}] = ${G[i * C + j]}, float64 ${want}`).toBeLessThanOrEqual(bound);
      expect(G[i * C + j], `G[${i}, ${j}] vs G[${j}, ${i}]`).toBe(G[j * C + i]);
    }
    console.log(`gram (${impl}) C=${C} P=${P}: ${ms.toFixed(0)} ms incl. read-back; worst error / bound ${worst.toExponential(2)}`);

    // Backward at the same scale: dF[i, p] is an f32 sum over the C channels j of (dG[i, j] + dG[j, i])·F[j, p],
    // |error| ≤ (C + 2)·2⁻²⁴·Σ_j |(dG[i, j] + dG[j, i])·F[j, p]| / norm (plus the division's rounding).
    const dG = uniform(C * C, 98);
    const dF = await gramMatrixBackward(e, input, e.tensor([N, C, C], dG), norm, { impl: impl === 'blocked' ? 'gramBackward' : impl }).read();
    input.release();
    worst = 0;
    for (let k = 0; k < 120; k++) {
      const [i, p] = k < 2 ? [k * (C - 1), k * (P - 1)] : [Math.floor(r() * C), Math.floor(r() * P)];
      let want = 0;
      let abs = 0;
      for (let j = 0; j < C; j++) {
        const t = (dG[i * C + j] + dG[j * C + i]) * F[j * P + p];
        want += t;
        abs += Math.abs(t);
      }
      want /= norm;
      const bound = ((C + 2) * 2 ** -24 * abs) / norm + 2 ** -24 * Math.abs(want);
      const err = Math.abs(dF[i * P + p] - want);
      worst = Math.max(worst, err / bound);
      expect(err, `dF[${i}, ${p}] = ${dF[i * P + p]}, float64 ${want}`).toBeLessThanOrEqual(bound);
    }
    console.log(`gramBackward (${impl}) C=${C} P=${P}: worst error / bound ${worst.toExponential(2)}`);
  });
});

describe('gram kernel choice', () => {
  it("'auto' runs the subgroup kernels on CPU adapters where H·W is a multiple of 4, the blocked ones otherwise, the tiled ones on GPUs", () => {
    const e = engine();
    const before = { ...e.stats.byKernel };
    const ran = (k: string) => (e.stats.byKernel[k] ?? 0) - (before[k] ?? 0);
    const F = e.tensor([1, 6, 4, 5], uniform(120, 1));
    const dG = e.tensor([1, 6, 6], uniform(36, 2));
    gramMatrix(e, F, 1).release();
    gramMatrixBackward(e, F, dG, 1).release();
    gramMatrix(e, e.tensor([1, 6, 3, 3], uniform(54, 3)), 1).release();
    const sub = e.ctx.profile === 'cpu' && subgroupLanes(e.ctx) > 0;
    // The 'gpu' profile takes the shared-memory tiled kernels for every shape.
    const tiled = e.ctx.profile === 'gpu';
    expect(ran('gramTiled.gramTiled')).toBe(tiled ? 2 : 0);
    expect(ran('gramTiled.gramBackwardTiled')).toBe(tiled ? 1 : 0);
    expect(ran('matmulSubgroup.gramSubgroup')).toBe(sub ? 1 : 0);
    expect(ran('matmulSubgroup.matmulSubgroup')).toBe(sub ? 1 : 0);
    expect(ran('gram.gram')).toBe(tiled ? 0 : sub ? 1 : 2);
  });
});

describe('gram input validation', () => {
  it('rejects bad shapes and norms, naming the op', () => {
    const e = engine();
    expect(() => gramMatrix(e, e.tensor([3, 4]), 1)).toThrow(/gramMatrix: F must be .*\[3, 4\]/);
    expect(() => gramMatrix(e, e.tensor([1, 2, 2, 2]), 0)).toThrow(/gramMatrix: norm/);
    expect(() => gramMatrixBackward(e, e.tensor([1, 2, 2, 2]), e.tensor([1, 2, 3]), 1)).toThrow(/gramMatrixBackward: dG must be \[1, 2, 2\]/);
  });
});
