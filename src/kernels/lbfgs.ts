// Optimiser kernels (shaders/lbfgs.wgsl): vector updates scaled by GPU-resident
// coefficients (the L-BFGS two-loop recursion without read-backs), and a fused Adam step.
import type { Engine } from '../runtime/engine.ts';
import { type KernelSpec, grid1d, kernel, shaderModule } from '../runtime/kernel.ts';
import { type Tensor, shapeString } from '../runtime/tensor.ts';
import { uniformStruct } from '../runtime/uniforms.ts';
import source from '../../shaders/lbfgs.wgsl?raw';
import workgroupReduceWgsl from '../../shaders/workgroupReduce.wgsl?raw';
import { REDUCE_CONSTANTS, reduceGroups, sumPartials } from './reduce.ts';

/** Σ|x| and max|x| (its step size and tolerances) are reductions: reduce.ts. */
export { maxAbs, sumAbs } from './reduce.ts';

const WG = 256;
/** n: vector length; dst, a, b: slots of a coefficient array (see the shader). */
export const LbfgsParams = uniformStruct('LbfgsParams', { n: 'u32', dst: 'u32', a: 'u32', b: 'u32' });
export const AdamParams = uniformStruct('AdamParams', {
  n: 'u32',
  beta1: 'f32',
  oneMinusBeta1: 'f32',
  beta2: 'f32',
  oneMinusBeta2: 'f32',
  eps: 'f32',
  stepSize: 'f32',
  biasCorrection2Sqrt: 'f32',
});
/** n: vector length; a, b: coefficient slots; groups: workgroups of the fused dot's first pass. */
export const LbfgsDotParams = uniformStruct('LbfgsDotParams', { n: 'u32', a: 'u32', b: 'u32', groups: 'u32' });
const module = shaderModule('lbfgs', source, [LbfgsParams, AdamParams, LbfgsDotParams], [workgroupReduceWgsl]);
const constants = { WG };
type LbfgsKernel = KernelSpec<typeof LbfgsParams.fields>;

export const axpyCoefKernel = kernel(module, { entryPoint: 'axpyCoef', bindings: ['x', 'y', 'coefIn'], uniforms: LbfgsParams, constants });
export const scaleByCoefKernel = kernel(module, { entryPoint: 'scaleByCoef', bindings: ['y', 'coefIn'], uniforms: LbfgsParams, constants });
export const coefProductKernel = kernel(module, { entryPoint: 'coefProduct', bindings: ['value', 'coef'], uniforms: LbfgsParams });
export const acceptPairKernel = kernel(module, { entryPoint: 'acceptPair', bindings: ['ys', 'yy', 'coef'], uniforms: LbfgsParams });
export const axpyCoefDotKernel = kernel(module, { entryPoint: 'axpyCoefDot', bindings: ['x', 'y', 'z', 'coefIn', 'partial'], uniforms: LbfgsDotParams, constants: REDUCE_CONSTANTS });
export const scaleByCoefDotKernel = kernel(module, { entryPoint: 'scaleByCoefDot', bindings: ['y', 'z', 'coefIn', 'partial'], uniforms: LbfgsDotParams, constants: REDUCE_CONSTANTS });
export const adamStepKernel = kernel(module, {
  entryPoint: 'adamStep',
  bindings: ['param', 'grad', 'expAvg', 'expAvgSq'],
  uniforms: AdamParams,
  constants,
});

const maxPerDim = (e: Engine) => e.ctx.limits.maxComputeWorkgroupsPerDimension;

function sameSize(op: string, a: Tensor, b: Tensor): void {
  if (a.size !== b.size) throw new Error(`${op}: sizes differ, ${shapeString(a.shape)} vs ${shapeString(b.shape)}`);
}

function checkSlots(op: string, coef: Tensor, ...slots: number[]): void {
  for (const s of slots) {
    if (!Number.isInteger(s) || s < 0 || s >= coef.size) throw new Error(`${op}: slot ${s} outside coefficients ${shapeString(coef.shape)}`);
  }
}

function checkScalar(op: string, name: string, t: Tensor): void {
  if (t.size !== 1) throw new Error(`${op}: ${name} must hold one value, got ${shapeString(t.shape)}`);
}

/** y ← y + (coef[plus] − coef[minus])·x, in place; the factor is read on the GPU. */
export function axpyCoef(e: Engine, y: Tensor, x: Tensor, coef: Tensor, plus: number, minus: number): Tensor {
  sameSize('axpyCoef', x, y);
  checkSlots('axpyCoef', coef, plus, minus);
  e.run(axpyCoefKernel, {
    bindings: { x, y, coefIn: coef },
    uniforms: { n: y.size, dst: 0, a: plus, b: minus },
    workgroups: grid1d(y.size, WG, maxPerDim(e)),
  });
  return y;
}

/** y ← coef[index]·y, in place. */
export function scaleByCoef(e: Engine, y: Tensor, coef: Tensor, index: number): Tensor {
  checkSlots('scaleByCoef', coef, index);
  e.run(scaleByCoefKernel, {
    bindings: { y, coefIn: coef },
    uniforms: { n: y.size, dst: 0, a: index, b: 0 },
    workgroups: grid1d(y.size, WG, maxPerDim(e)),
  });
  return y;
}

/** The update of y by `k` (axpyCoefDot or scaleByCoefDot) fused with Σ z·y of the updated y, a [1] tensor: bit for
 *  bit the separate update and reduce.ts's dot(z, y). */
function updateThenDot(e: Engine, k: KernelSpec<typeof LbfgsDotParams.fields>, bindings: Record<string, Tensor>, y: Tensor, z: Tensor, a: number, b: number): Tensor {
  sameSize(k.name, z, y);
  const groups = reduceGroups(y.size);
  const partial = e.empty([groups]);
  e.run(k, { bindings: { ...bindings, y, z, partial }, uniforms: { n: y.size, a, b, groups }, workgroups: grid1d(groups, 1, maxPerDim(e)) });
  return sumPartials(e, partial);
}

/** axpyCoef(y, x, coef, plus, minus), then Σ z·y (the new y) as a [1] tensor, in one pass over y. */
export function axpyCoefDot(e: Engine, y: Tensor, x: Tensor, coef: Tensor, plus: number, minus: number, z: Tensor): Tensor {
  sameSize('axpyCoefDot', x, y);
  checkSlots('axpyCoefDot', coef, plus, minus);
  return updateThenDot(e, axpyCoefDotKernel, { x, coefIn: coef }, y, z, plus, minus);
}

/** scaleByCoef(y, coef, index), then Σ z·y (the new y) as a [1] tensor, in one pass over y. */
export function scaleByCoefDot(e: Engine, y: Tensor, coef: Tensor, index: number, z: Tensor): Tensor {
  checkSlots('scaleByCoefDot', coef, index);
  return updateThenDot(e, scaleByCoefDotKernel, { coefIn: coef }, y, z, index, 0);
}

/** coef[dst] ← coef[factor]·value[0] for a [1] tensor value (a dot product, say). */
export function coefProduct(e: Engine, coef: Tensor, dst: number, factor: number, value: Tensor): void {
  checkSlots('coefProduct', coef, dst, factor);
  checkScalar('coefProduct', 'value', value);
  e.run(coefProductKernel, { bindings: { value, coef }, uniforms: { n: 1, dst, a: factor, b: 0 }, workgroups: [1] });
}

/** If ys[0] > 1e-10 (f32): coef[rho] ← 1/ys, coef[hDiag] ← ys/yy; else nothing (torch's curvature test). */
export function acceptPair(e: Engine, coef: Tensor, ys: Tensor, yy: Tensor, rho: number, hDiag: number): void {
  checkSlots('acceptPair', coef, rho, hDiag);
  checkScalar('acceptPair', 'ys', ys);
  checkScalar('acceptPair', 'yy', yy);
  e.run(acceptPairKernel, { bindings: { ys, yy, coef }, uniforms: { n: 1, dst: rho, a: hDiag, b: 0 }, workgroups: [1] });
}

export interface AdamStepParams {
  beta1: number;
  beta2: number;
  eps: number;
  /** lr / (1 − β₁ᵗ), computed in float64 as torch does. */
  stepSize: number;
  /** √(1 − β₂ᵗ). */
  biasCorrection2Sqrt: number;
}

/** One torch.optim.Adam update of param in place, with its moment buffers expAvg and expAvgSq. */
export function adamStep(e: Engine, param: Tensor, grad: Tensor, expAvg: Tensor, expAvgSq: Tensor, p: AdamStepParams): void {
  sameSize('adamStep', param, grad);
  sameSize('adamStep', param, expAvg);
  sameSize('adamStep', param, expAvgSq);
  e.run(adamStepKernel, {
    bindings: { param, grad, expAvg, expAvgSq },
    uniforms: {
      n: param.size,
      beta1: p.beta1,
      oneMinusBeta1: 1 - p.beta1,
      beta2: p.beta2,
      oneMinusBeta2: 1 - p.beta2,
      eps: p.eps,
      stepSize: p.stepSize,
      biasCorrection2Sqrt: p.biasCorrection2Sqrt,
    },
    workgroups: grid1d(param.size, WG, maxPerDim(e)),
  });
}
