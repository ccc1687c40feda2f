// Per-channel mean/std, instance normalization and AdaIN (shaders/norm.wgsl), with backward (normBackward.wgsl:
// a module of its own, which a page that never differentiates does not carry).
//
// Statistics are over the H·W positions of each (n, c): std = sqrt(var + eps), var biased (÷ H·W) or unbiased
// (÷ (H·W − 1)). Defaults follow the reference implementation of each op:
//   instanceNorm: torch.nn.functional.instance_norm / InstanceNorm2d — biased variance, eps 1e-5;
//   adain, channelMeanStd: calc_mean_std in naoto0804/pytorch-AdaIN function.py — `feat.var(dim=2) + eps` with
//   torch's default unbiased variance and eps 1e-5, then sqrt.
import type { Engine } from '../runtime/engine.ts';
import { type KernelSpec, grid1d, kernel, kernelVariants, shaderModule } from '../runtime/kernel.ts';
import { type Tensor, shapeString } from '../runtime/tensor.ts';
import { uniformStruct } from '../runtime/uniforms.ts';
import source from '../../shaders/norm.wgsl?raw';
import backwardSource from '../../shaders/normBackward.wgsl?raw';
import commonWgsl from '../../shaders/normCommon.wgsl?raw';
import itemsWgsl from '../../shaders/items.wgsl?raw';
import workgroupReduceWgsl from '../../shaders/workgroupReduce.wgsl?raw';
import outputLayoutWgsl from '../../shaders/outputLayout.wgsl?raw';
import { OUTPUT_LAYOUT_FIELDS, outputLayoutUniforms, outputTensor } from './layout.ts';

const WG = 64;
export const NormParams = uniformStruct('NormParams', {
  channels: 'u32',
  positions: 'u32',
  groups: 'u32',
  batch: 'u32',
  unbiased: 'u32',
  eps: 'f32',
  paramStride: 'u32',
  ...OUTPUT_LAYOUT_FIELDS,
});
const module = shaderModule('norm', source, [NormParams], [itemsWgsl, workgroupReduceWgsl, commonWgsl, outputLayoutWgsl]);
const backwardModule = shaderModule('normBackward', backwardSource, [NormParams], [itemsWgsl, workgroupReduceWgsl, commonWgsl]);
type NormKernel = KernelSpec<typeof NormParams.fields>;
// RESIDUAL comes with the residual binding, so each kernel spec sets it; runs set the other defines.
const common = { uniforms: NormParams, constants: { WG }, defines: { RESIDUAL: false } };

export const meanStdKernel = kernel(module, { entryPoint: 'meanStd', bindings: ['x', 'mean', 'stddev'], ...common });
export const instanceNormKernel = kernel(module, { entryPoint: 'instanceNorm', bindings: ['x', 'y'], ...common });
export const instanceNormAffineKernel = kernel(module, { entryPoint: 'instanceNorm', bindings: ['x', 'gamma', 'beta', 'y'], ...common });
/** instanceNorm whose output pass adds a residual (the normAdd fusion's kernel), with or without affine. */
export const instanceNormResidualKernel = kernelVariants((affine: boolean) =>
  kernel(module, {
    entryPoint: 'instanceNorm',
    name: 'instanceNormResidual',
    bindings: affine ? ['x', 'gamma', 'beta', 'residual', 'y'] : ['x', 'residual', 'y'],
    ...common,
    defines: { RESIDUAL: true },
  }),
);
export const instanceNormBackwardKernel = kernel(backwardModule, { entryPoint: 'instanceNormBackward', bindings: ['x', 'dy', 'dx'], ...common });
/** Backward with a fixed scale per (n, c) or per channel (AdaIN), no parameter gradients. */
export const instanceNormBackwardScaledKernel = kernel(backwardModule, { entryPoint: 'instanceNormBackward', bindings: ['x', 'dy', 'gamma', 'dx'], ...common });
export const instanceNormBackwardAffineKernel = kernel(backwardModule, { entryPoint: 'instanceNormBackward', bindings: ['x', 'dy', 'gamma', 'dx', 'dgamma', 'dbeta'], ...common });

export interface MomentOptions {
  /** Divide the sum of squared deviations by H·W − 1 instead of H·W. */
  unbiased?: boolean;
  /** Added to the variance before the square root. */
  eps?: number;
}

export interface InstanceNormOptions extends MomentOptions {
  /** Per-channel scale [C]; give together with beta. */
  gamma?: Tensor;
  /** Per-channel shift [C]; give together with gamma. */
  beta?: Tensor;
  /** max(·, 0) on the output in the same pass, for inference (instanceNormBackward does not take it): saves a
   *  ReLU pass over the tensor. */
  relu?: boolean;
  /** Added to the output in the same pass (after the ReLU): residual + y, x's shape, row-major; saves the add
   *  pass of a residual block. */
  residual?: Tensor;
}

export interface InstanceNormGrads {
  dx: Tensor;
  /** [C], present when gamma was given. */
  dgamma?: Tensor;
  dbeta?: Tensor;
}

/** torch.nn.functional.instance_norm's statistics. */
export const INSTANCE_NORM_MOMENTS = { unbiased: false, eps: 1e-5 } as const;
/** pytorch-AdaIN calc_mean_std's statistics. */
export const ADAIN_MOMENTS = { unbiased: true, eps: 1e-5 } as const;

interface Dims {
  N: number;
  C: number;
  P: number;
}

function featureDims(op: string, what: string, t: Tensor, { unbiased }: Required<MomentOptions>): Dims {
  if (t.shape.length !== 4 || t.size === 0) throw new Error(`${op}: ${what} must be a non-empty [N, C, H, W] tensor, got ${shapeString(t.shape)}`);
  const [N, C, H, W] = t.shape;
  if (unbiased && H * W < 2) {
    throw new Error(`${op}: unbiased variance needs H·W ≥ 2 positions per channel, ${what} is ${shapeString(t.shape)} (use unbiased: false)`);
  }
  return { N, C, P: H * W };
}

function moments(op: string, opts: MomentOptions, defaults: Required<MomentOptions>): Required<MomentOptions> {
  const m = { unbiased: opts.unbiased ?? defaults.unbiased, eps: opts.eps ?? defaults.eps };
  if (!(m.eps >= 0) || !Number.isFinite(m.eps)) throw new Error(`${op}: eps must be finite and ≥ 0, got ${m.eps}`);
  return m;
}

function sameShape(op: string, what: string, t: Tensor, shape: readonly number[]): void {
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new Error(`${op}: ${what} must be ${shapeString(shape)}, got ${shapeString(t.shape)}`);
  }
}

/** The uniforms of a pass over x of dims `d` whose output (y, dx or the moments) is `out`. */
function params(d: Dims, groups: number, m: Required<MomentOptions>, paramStride: number, out: Tensor) {
  return { channels: d.C, positions: d.P, groups, batch: d.N, unbiased: m.unbiased ? 1 : 0, eps: m.eps, paramStride, ...outputLayoutUniforms(out) };
}

function groupsGrid(e: Engine, groups: number) {
  return grid1d(groups, 1, e.ctx.limits.maxComputeWorkgroupsPerDimension);
}

/** Mean and std = sqrt(var + eps) of each (n, c) of x [N, C, H, W] over H·W, as two [N, C] tensors.
 *  Defaults: unbiased variance, eps 1e-5 (pytorch-AdaIN's calc_mean_std). */
export function channelMeanStd(e: Engine, x: Tensor, opts: MomentOptions = {}): { mean: Tensor; std: Tensor } {
  const m = moments('channelMeanStd', opts, ADAIN_MOMENTS);
  const d = featureDims('channelMeanStd', 'x', x, m);
  const mean = e.empty([d.N, d.C]);
  const std = e.empty([d.N, d.C]);
  e.run(meanStdKernel, {
    bindings: { x, mean, stddev: std },
    uniforms: params(d, d.N * d.C, m, 0, mean),
    workgroups: groupsGrid(e, d.N * d.C),
    defines: { AFFINE: false, PARAM_GRADS: false, RELU: false, VEC4: d.P % 4 === 0, PADDED_OUT: false },
  });
  return { mean, std };
}

function normalize(e: Engine, x: Tensor, d: Dims, m: Required<MomentOptions>, affine?: { gamma: Tensor; beta: Tensor; stride: number }, { relu = false, residual }: Pick<InstanceNormOptions, 'relu' | 'residual'> = {}, into?: Tensor): Tensor {
  const y = outputTensor(e, 'instanceNorm', x.shape, into);
  const groups = d.N * d.C;
  const out = y.storage();
  const inputs: Record<string, Tensor> = affine ? { x, gamma: affine.gamma, beta: affine.beta } : { x };
  const k = residual ? instanceNormResidualKernel(!!affine) : affine ? instanceNormAffineKernel : instanceNormKernel;
  e.run(k, {
    bindings: residual ? { ...inputs, residual, y: out } : { ...inputs, y: out },
    uniforms: params(d, groups, m, affine?.stride ?? 0, y),
    workgroups: groupsGrid(e, groups),
    defines: { AFFINE: !!affine, PARAM_GRADS: false, RELU: relu, VEC4: d.P % 4 === 0, PADDED_OUT: !!y.layout },
  });
  return y;
}

function checkAffine(op: string, C: number, gamma?: Tensor, beta?: Tensor): void {
  if (gamma) sameShape(op, 'gamma', gamma, [C]);
  if (beta) sameShape(op, 'beta', beta, [C]);
}

/** y = (x − μ)/sqrt(σ² + eps), times gamma[c] plus beta[c] when given, per (n, c) over H·W (then max(y, 0)
 *  with `relu`, then residual + y with `residual`).
 *  Defaults: biased variance, eps 1e-5 (torch.nn.functional.instance_norm). */
export function instanceNorm(e: Engine, x: Tensor, opts: InstanceNormOptions = {}, into?: Tensor): Tensor {
  const op = 'instanceNorm';
  const m = moments(op, opts, INSTANCE_NORM_MOMENTS);
  const d = featureDims(op, 'x', x, m);
  if (!opts.gamma !== !opts.beta) throw new Error(`${op}: give both gamma and beta, or neither`);
  checkAffine(op, d.C, opts.gamma, opts.beta);
  if (opts.residual) {
    sameShape(op, 'residual', opts.residual, x.shape);
    if (opts.residual === into) throw new Error(`${op}: the residual cannot be the output tensor`);
  }
  return normalize(e, x, d, m, opts.gamma && opts.beta ? { gamma: opts.gamma, beta: opts.beta, stride: 0 } : undefined, opts, into);
}

function runBackward(e: Engine, k: NormKernel, bindings: Record<string, Tensor>, d: Dims, m: Required<MomentOptions>, stride: number, paramGrads: boolean): void {
  e.run(k, {
    bindings,
    uniforms: params(d, d.C, m, stride, bindings.dx),
    workgroups: groupsGrid(e, d.C),
    defines: { AFFINE: 'gamma' in bindings, PARAM_GRADS: paramGrads, RELU: false, VEC4: d.P % 4 === 0, PADDED_OUT: false },
  });
}

/** Gradients of instanceNorm(x, opts) for upstream dy: dx, and dgamma, dbeta [C] when opts.gamma is given
 *  (beta does not enter the backward). Same statistics options and defaults as instanceNorm. */
export function instanceNormBackward(e: Engine, x: Tensor, dy: Tensor, opts: Omit<InstanceNormOptions, 'beta'> = {}): InstanceNormGrads {
  const op = 'instanceNormBackward';
  const m = moments(op, opts, INSTANCE_NORM_MOMENTS);
  const d = featureDims(op, 'x', x, m);
  sameShape(op, 'dy', dy, x.shape);
  checkAffine(op, d.C, opts.gamma);
  const dx = e.empty(x.shape);
  if (!opts.gamma) {
    runBackward(e, instanceNormBackwardKernel, { x, dy, dx }, d, m, 0, false);
    return { dx };
  }
  const dgamma = e.empty([d.C]);
  const dbeta = e.empty([d.C]);
  runBackward(e, instanceNormBackwardAffineKernel, { x, dy, gamma: opts.gamma, dx, dgamma, dbeta }, d, m, 0, true);
  return { dx, dgamma, dbeta };
}

function adainDims(op: string, content: Tensor, style: Tensor, m: Required<MomentOptions>): Dims {
  const d = featureDims(op, 'content', content, m);
  const s = featureDims(op, 'style', style, m);
  if (s.N !== d.N || s.C !== d.C) {
    throw new Error(`${op}: style ${shapeString(style.shape)} must have the batch and channels of content ${shapeString(content.shape)}`);
  }
  return d;
}

/** AdaIN(x, y) = σ(y)·(x − μ(x))/σ(x) + μ(y) per (n, c) (Huang & Belongie 2017, eq. 8), content x [N, C, H, W],
 *  style y [N, C, H', W']. Defaults: unbiased variance, eps 1e-5, as pytorch-AdaIN's adaptive_instance_normalization;
 *  the same options apply to both inputs' statistics. */
export function adain(e: Engine, content: Tensor, style: Tensor, opts: MomentOptions = {}): Tensor {
  const op = 'adain';
  const m = moments(op, opts, ADAIN_MOMENTS);
  const d = adainDims(op, content, style, m);
  const { mean, std } = channelMeanStd(e, style, m);
  const out = normalize(e, content, d, m, { gamma: std, beta: mean, stride: d.C });
  mean.release();
  std.release();
  return out;
}

/** Gradient of adain(content, style) w.r.t. content for upstream dOut, with σ(style), μ(style) held constant. */
export function adainBackward(e: Engine, content: Tensor, style: Tensor, dOut: Tensor, opts: MomentOptions = {}): Tensor {
  const op = 'adainBackward';
  const m = moments(op, opts, ADAIN_MOMENTS);
  const d = adainDims(op, content, style, m);
  sameShape(op, 'dOut', dOut, content.shape);
  const { mean, std } = channelMeanStd(e, style, m);
  mean.release();
  const dx = e.empty(content.shape);
  runBackward(e, instanceNormBackwardScaledKernel, { x: content, dy: dOut, gamma: std, dx }, d, m, d.C, false);
  std.release();
  return dx;
}
