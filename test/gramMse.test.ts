// The fused style-loss kernels (src/kernels/gramMse.ts) against float64 references on awkward shapes, the
// backward also against finite differences of the float64 loss, through every Gram backward kernel that fits.
import { describe, expect, it } from 'vitest';
import { gramBackwardKernels } from '../src/kernels/gram.ts';
import { gramMseBackward, gramMseLoss } from '../src/kernels/gramMse.ts';
import { expectClose } from './helpers/compare.ts';
import { useEngine } from './helpers/gpu.ts';
import { gradCheck } from './helpers/gradcheck.ts';
import { type Choice, choiceLabel, fittingChoices } from './helpers/kernelTables.ts';
import { uniform } from './helpers/random.ts';
import * as ref from './reference/gram.ts';

const engine = useEngine();
const EPS32 = 2 ** -24;

// [N, C, H, W]: one channel; C not a multiple of 4 (rows padded past C); odd H·W (no subgroup kernel: the
// gradient-then-Gram-backward path); N = 2; C past one 256-invocation workgroup's share (C² = 1156 > 256).
const SHAPES: [number, number, number, number][] = [
  [1, 1, 2, 2],
  [1, 3, 5, 7],
  [2, 5, 4, 4],
  [1, 7, 3, 4],
  [2, 6, 3, 3],
  [1, 34, 4, 6],
];

/** weight·mean((G − T)²) in float64. */
function styleLoss(G: ArrayLike<number>, T: ArrayLike<number>, weight: number): number {
  let s = 0;
  for (let i = 0; i < G.length; i++) s += (G[i] - T[i]) ** 2;
  return (weight * s) / G.length;
}

describe.each(SHAPES)('gramMse [%i, %i, %i, %i]', (N, C, H, W) => {
  const P = H * W;
  const norm = C * P;
  const weight = 37.5;
  const F = uniform(N * C * P, 3 + 10 * C + P);
  // G from F (float64, rounded to f32 on upload) and a target near it, as in a style loss.
  const G = Float32Array.from(ref.gram(F, N, C, P, norm));
  const T = Float32Array.from(G, (g, i) => g + 0.05 * Math.sin(1.7 * i + C));
  const dL = 0.75;

  // An f32 sum of m terms ≥ 0, m/256 in order per invocation then 8 pairwise levels: relative error ≤ (m/256 + 10)·ε.
  it('gramMseLoss: weight·mean((G − T)²) within the summation bound', async () => {
    const e = engine();
    const [got] = await gramMseLoss(e, e.tensor([N, C, C], G), e.tensor([N, C, C], T), weight).read();
    const want = styleLoss(G, T, weight);
    expect(Math.abs(got - want)).toBeLessThanOrEqual((G.length / 256 + 10) * EPS32 * want);
  });

  it('gramMseBackward matches the float64 gradient and finite differences, through every Gram backward kernel', async () => {
    const e = engine();
    const run = (choice: Choice) => gramMseBackward(e, e.tensor([N, C, H, W], F), e.tensor([N, C, C], G), e.tensor([N, C, C], T), e.tensor([1], [dL]), { weight, norm }, choice);
    const dG = Float64Array.from(G, (g, i) => (dL * 2 * weight * (g - T[i])) / G.length);
    const want = ref.gramBackward(F, dG, N, C, P, norm);
    const choices = fittingChoices(gramBackwardKernels, e, (lanes) => ({ F: [N, C, H, W], lanes }), 'gramMseBackward', run);
    expect(choices.length).toBeGreaterThan(0);
    for (const choice of choices) {
      const dF = await run(choice).read();
      // f32 sums over C channels of a few roundings each: within 1e-5 of the gradient's scale (its largest entry).
      const scale = want.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      expectClose(dF, want, 1e-5 * scale, 1e-4, `dF ${choiceLabel(choice)}`);
      const loss = (x: Float64Array) => [styleLoss(ref.gram(x, N, C, P, norm), T, weight)];
      gradCheck(loss, F, [dL], dF, { h: 1e-3, atol: 1e-4 * scale, rtol: 1e-3, maxPoints: 60, what: `dF ${choiceLabel(choice)}` });
    }
  });
});

describe('gramMse input validation', () => {
  it('names the problem before any work', () => {
    const e = engine();
    const G = e.tensor([1, 3, 3]);
    expect(() => gramMseLoss(e, e.tensor([1, 3, 4]), G, 1)).toThrow(/gramMseLoss: G must be a non-empty \[N, C, C\]/);
    expect(() => gramMseLoss(e, G, e.tensor([1, 4, 4]), 1)).toThrow(/gramMseLoss: target \[1, 4, 4\] does not match G \[1, 3, 3\]/);
    expect(() => gramMseLoss(e, G, G, Number.NaN)).toThrow(/weight must be finite/);
    const F = e.tensor([1, 3, 2, 2]);
    expect(() => gramMseBackward(e, e.tensor([1, 2, 2, 2]), G, G, e.tensor([1]), { weight: 1, norm: 1 })).toThrow(/gramMseBackward: F \[1, 2, 2, 2\] is not the features of G/);
    expect(() => gramMseBackward(e, F, G, G, e.tensor([2]), { weight: 1, norm: 1 })).toThrow(/dL must hold one value/);
    expect(() => gramMseBackward(e, F, G, G, e.tensor([1]), { weight: 1, norm: 0 })).toThrow(/norm must be finite and non-zero/);
  });
});
