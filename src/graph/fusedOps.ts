// Ops that only the fusion pass creates (src/graph/fusion.ts): each stands for a chain of graph ops and runs it as
// fewer kernels. They have no gradient rules: the pass rewrites compiled steps, after autodiff.
// Like every op they are plain objects (registry.ts); the pattern rewrites (patterns.ts) enter one in the op table
// when they write a step that uses it.
import { gramMseBackward, gramMseLoss } from '../kernels/gramMse.ts';
import { noiseInjectionLeakyRelu } from '../kernels/noiseAct.ts';
import { activationBackwardSum } from '../kernels/gradientAdd.ts';
import { instanceNorm } from '../kernels/norm.ts';
import { linearSum } from '../kernels/linearSum.ts';
import { shapeString } from '../runtime/tensor.ts';
import type { InstanceNormAttrs } from './ops.ts';
import type { OpDef } from './registry.ts';

export interface GramMseStepAttrs extends Record<string, unknown> {
  /** The loss weight folded in (the factor of the scale step around the mse, 1 if none). */
  weight: number;
  /** The Gram matrix's norm (gram attrs). */
  norm: number;
}

// gramMse [G, T] → weight·mean((G − T)²) as [1]: scale(mse(gram(F), T), weight) after the gram.
export const gramMseOp: OpDef<GramMseStepAttrs> = { name: 'gramMse', shape: () => [1], run: (e, [G, T], a) => gramMseLoss(e, G, T, a.weight) };

// gramMseBackward [F, G, T, dL] → dF: gramBackward(F, mseBackward(G, T, scale(dL, weight))).
export const gramMseBackwardOp: OpDef<GramMseStepAttrs> = { name: 'gramMseBackward', shape: ([F]) => F, run: (e, [F, G, T, dL], a) => gramMseBackward(e, F, G, T, dL, a) };

// activationBackwardSum [y, a, b] {slope} → (a + b)·(y > 0 ? 1 : slope): reluBackward (slope 0) or
// leakyReluBackward of add(a, b), a gradient accumulated from two paths and masked in one pass; like the
// activations' backward it can write the padded input layout of the conv that reads it (paddedOutput).
export const activationBackwardSumOp: OpDef<{ slope: number }> = {
  name: 'activationBackwardSum',
  shape: ([y, a, b]) => {
    if (shapeString(y) !== shapeString(a) || shapeString(a) !== shapeString(b)) throw new Error(`shapes differ, ${[y, a, b].map(shapeString).join(' vs ')}`);
    return y;
  },
  run: (e, [y, a, b], attrs, into) => activationBackwardSum(e, y, a, b, attrs.slope, into),
  writesInto: true,
};

// noiseInjectionLeakyRelu [x, w, noise] {slope} → leakyRelu(noiseInjection(x, w, noise), slope): StyleGAN's noise
// and activation in one pass (forward only: the generator is never differentiated).
export const noiseInjectionLeakyReluOp: OpDef<{ slope: number }> = {
  name: 'noiseInjectionLeakyRelu',
  shape: ([x]) => x,
  run: (e, [x, w, noise], a) => noiseInjectionLeakyRelu(e, x, w, noise, a.slope),
};

// ---- normAdd
// instanceNormAdd [x, r, gamma?, beta?] {instanceNorm's attrs} → r + instanceNorm(x, gamma, beta) (the ReLU first
// where normAct fused one): a residual block's sum in the norm's output pass, stored in any layout (writesInto).
export const instanceNormAddOp: OpDef<InstanceNormAttrs> = {
  name: 'instanceNormAdd',
  shape: ([x]) => x,
  run: (e, [x, r, gamma, beta], a, into) => instanceNorm(e, x, { gamma, beta, eps: a.eps, unbiased: a.unbiased, relu: a.activation === 'relu', residual: r }, into),
  writesInto: true,
};

// ---- linearSum
// linearSum [x0, x1, …] {weights} → Σ weights[k]·xₖ: a tree of add / scale / axpy steps over one shape (sums of
// losses, weighted branch sums, interpolations) as one kernel pass per LINEAR_SUM_TERMS terms.
export const linearSumOp: OpDef<{ weights: readonly number[] }> = {
  name: 'linearSum',
  shape: (terms, a) => {
    if (terms.length === 0 || terms.length !== a.weights.length) throw new Error(`${terms.length} terms and ${a.weights.length} weights`);
    for (const t of terms) if (shapeString(t) !== shapeString(terms[0])) throw new Error(`shapes differ, ${terms.map(shapeString).join(' vs ')}`);
    return terms[0];
  },
  run: (e, terms, a) => linearSum(e, terms, a.weights),
};
