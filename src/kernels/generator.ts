// Generator building blocks: equalised linear layer, pixel norm, noise injection, nearest 2× upsampling and
// bilinear resize (both with backward), 3×3 blur and residual add (shaders/generator.wgsl).
import type { Engine } from '../runtime/engine.ts';
import { type KernelSpec, grid1d, kernel, shaderModule } from '../runtime/kernel.ts';
import { type Shape, type Tensor, shapeString } from '../runtime/tensor.ts';
import { type UniformFields, type UniformValues, uniformStruct } from '../runtime/uniforms.ts';
import { add } from './elementwise.ts';
import source from '../../shaders/generator.wgsl?raw';

const WG = 256;
export const LinearParams = uniformStruct('LinearParams', {
  batch: 'u32',
  inFeatures: 'u32',
  outFeatures: 'u32',
  weightScale: 'f32',
  biasScale: 'f32',
});
export const ChannelParams = uniformStruct('ChannelParams', { n: 'u32', channels: 'u32', plane: 'u32', eps: 'f32', weightStride: 'u32' });
export const ResizeParams = uniformStruct('ResizeParams', {
  n: 'u32',
  height: 'u32',
  width: 'u32',
  outHeight: 'u32',
  outWidth: 'u32',
  scaleY: 'f32',
  scaleX: 'f32',
});
const module = shaderModule('generator', source, [LinearParams, ChannelParams, ResizeParams]);
const constants = { WG };

export const linearKernel = kernel(module, { entryPoint: 'linear', bindings: ['x', 'w', 'bias', 'out'], uniforms: LinearParams, constants });
export const linearNoBiasKernel = kernel(module, { entryPoint: 'linear', bindings: ['x', 'w', 'out'], uniforms: LinearParams, constants });
export const pixelNormKernel = kernel(module, { entryPoint: 'pixelNorm', bindings: ['x', 'out'], uniforms: ChannelParams, constants });
export const noiseInjectionKernel = kernel(module, { entryPoint: 'noiseInjection', bindings: ['x', 'w', 'noise', 'out'], uniforms: ChannelParams, constants });
export const upsampleNearest2xKernel = kernel(module, { entryPoint: 'upsampleNearest2x', bindings: ['x', 'out'], uniforms: ResizeParams, constants });
export const upsampleNearest2xBackwardKernel = kernel(module, {
  entryPoint: 'upsampleNearest2xBackward',
  bindings: ['dy', 'out'],
  uniforms: ResizeParams,
  constants,
});
export const resizeBilinearKernel = kernel(module, { entryPoint: 'resizeBilinear', bindings: ['x', 'out'], uniforms: ResizeParams, constants });
export const resizeBilinearBackwardKernel = kernel(module, {
  entryPoint: 'resizeBilinearBackward',
  bindings: ['dy', 'out'],
  uniforms: ResizeParams,
  constants,
});
export const blur3x3Kernel = kernel(module, { entryPoint: 'blur3x3', bindings: ['x', 'out'], uniforms: ResizeParams, constants });

/** Run a 1-D kernel writing every element of a new tensor of `shape`. The module's one #if is linear's BIAS;
 *  the other entry points ignore it and share the BIAS = false compile. */
function runInto<F extends UniformFields>(
  e: Engine,
  k: KernelSpec<F>,
  shape: Shape,
  bindings: Record<string, Tensor>,
  uniforms: UniformValues<F>,
  invocations: number,
  defines: Record<string, boolean> = { BIAS: false },
): Tensor {
  const out = e.empty(shape);
  const workgroups = grid1d(invocations, WG, e.ctx.limits.maxComputeWorkgroupsPerDimension);
  e.run(k, { bindings: { ...bindings, out }, uniforms, workgroups, defines });
  return out;
}

function expectImage(op: string, name: string, t: Tensor): [number, number, number, number] {
  if (t.shape.length !== 4) throw new Error(`${op}: ${name} must be [N, C, H, W], got ${shapeString(t.shape)}`);
  return t.shape as unknown as [number, number, number, number];
}

export interface LinearOptions {
  /** Added as biasScale·bias[o]; [outFeatures]. */
  bias?: Tensor;
  /** Equalised learning rate: the multiplier c of W (StyleGAN EqualLinear: lr_mul / √inFeatures). Default 1. */
  weightScale?: number;
  /** Multiplier of the bias (EqualLinear: lr_mul). Default 1. */
  biasScale?: number;
}

/** y = weightScale · x·Wᵀ + biasScale · bias, with x [N, In], W [Out, In], bias [Out]. */
export function linear(e: Engine, x: Tensor, weight: Tensor, { bias, weightScale = 1, biasScale = 1 }: LinearOptions = {}): Tensor {
  const [outFeatures, inFeatures] = weight.shape;
  if (weight.shape.length !== 2) throw new Error(`linear: weight must be [Out, In], got ${shapeString(weight.shape)}`);
  if (x.shape.length !== 2 || x.shape[1] !== inFeatures) {
    throw new Error(`linear: x must be [N, ${inFeatures}] for weight ${shapeString(weight.shape)}, got ${shapeString(x.shape)}`);
  }
  if (bias && (bias.shape.length !== 1 || bias.shape[0] !== outFeatures)) {
    throw new Error(`linear: bias must be [${outFeatures}] for weight ${shapeString(weight.shape)}, got ${shapeString(bias.shape)}`);
  }
  const batch = x.shape[0];
  const uniforms = { batch, inFeatures, outFeatures, weightScale, biasScale };
  const shape = [batch, outFeatures];
  return bias
    ? runInto(e, linearKernel, shape, { x, w: weight, bias }, uniforms, batch * outFeatures, { BIAS: true })
    : runInto(e, linearNoBiasKernel, shape, { x, w: weight }, uniforms, batch * outFeatures, { BIAS: false });
}

/** x / √(mean over channels of x² + eps) at every (n, pixel) of x [N, C, ...] (StyleGAN PixelNorm). */
export function pixelNorm(e: Engine, x: Tensor, eps = 1e-8): Tensor {
  if (x.shape.length < 2) throw new Error(`pixelNorm: x must be [N, C, ...], got ${shapeString(x.shape)}`);
  const [batch, channels] = x.shape;
  const plane = x.shape.slice(2).reduce((a, b) => a * b, 1);
  const n = batch * plane;
  return runInto(e, pixelNormKernel, x.shape, { x }, { n, channels, plane, eps, weightStride: 0 }, n);
}

/** x + weight[c]·noise[n, 0, h, w] with x [N, C, H, W], noise [N, 1, H, W], weight [C] (or [1]: one scalar). */
export function noiseInjection(e: Engine, x: Tensor, weight: Tensor, noise: Tensor): Tensor {
  const [N, C, H, W] = expectImage('noiseInjection', 'x', x);
  if (shapeString(noise.shape) !== shapeString([N, 1, H, W])) {
    throw new Error(`noiseInjection: noise must be ${shapeString([N, 1, H, W])} for x ${shapeString(x.shape)}, got ${shapeString(noise.shape)}`);
  }
  if (weight.shape.length !== 1 || (weight.shape[0] !== C && weight.shape[0] !== 1)) {
    throw new Error(`noiseInjection: weight must be [${C}] or [1] for x ${shapeString(x.shape)}, got ${shapeString(weight.shape)}`);
  }
  const uniforms = { n: x.size, channels: C, plane: H * W, eps: 0, weightStride: weight.shape[0] === 1 ? 0 : 1 };
  return runInto(e, noiseInjectionKernel, x.shape, { x, w: weight, noise }, uniforms, x.size);
}

function resizeUniforms(n: number, [height, width]: number[], [outHeight, outWidth]: number[]) {
  // f32 scales, as PyTorch computes them for f32 tensors.
  return { n, height, width, outHeight, outWidth, scaleY: Math.fround(height / outHeight), scaleX: Math.fround(width / outWidth) };
}

/** Nearest-neighbour 2× upsampling of x [N, C, H, W] to [N, C, 2H, 2W]. */
export function upsampleNearest2x(e: Engine, x: Tensor): Tensor {
  const [N, C, H, W] = expectImage('upsampleNearest2x', 'x', x);
  const shape = [N, C, 2 * H, 2 * W];
  return runInto(e, upsampleNearest2xKernel, shape, { x }, resizeUniforms(N * C * 4 * H * W, [H, W], [2 * H, 2 * W]), N * C * 4 * H * W);
}

/** ∂/∂x of upsampleNearest2x: dy [N, C, 2H, 2W] summed over each 2×2 block to [N, C, H, W]. */
export function upsampleNearest2xBackward(e: Engine, dy: Tensor): Tensor {
  const [N, C, OH, OW] = expectImage('upsampleNearest2xBackward', 'dy', dy);
  if (OH % 2 || OW % 2) throw new Error(`upsampleNearest2xBackward: dy must have even H and W, got ${shapeString(dy.shape)}`);
  const [H, W] = [OH / 2, OW / 2];
  return runInto(e, upsampleNearest2xBackwardKernel, [N, C, H, W], { dy }, resizeUniforms(N * C * H * W, [H, W], [OH, OW]), N * C * H * W);
}

/** Bilinear resize of x [N, C, H, W] to [N, C, outHeight, outWidth], as PyTorch's
 *  F.interpolate(x, size, mode='bilinear', align_corners=False). */
export function resizeBilinear(e: Engine, x: Tensor, outHeight: number, outWidth: number): Tensor {
  const [N, C, H, W] = expectImage('resizeBilinear', 'x', x);
  if (!Number.isInteger(outHeight) || !Number.isInteger(outWidth) || outHeight < 1 || outWidth < 1 || H < 1 || W < 1) {
    throw new Error(`resizeBilinear: cannot resize ${shapeString(x.shape)} to ${outHeight}×${outWidth}`);
  }
  const n = N * C * outHeight * outWidth;
  return runInto(e, resizeBilinearKernel, [N, C, outHeight, outWidth], { x }, resizeUniforms(n, [H, W], [outHeight, outWidth]), n);
}

/** ∂/∂x of resizeBilinear: dy [N, C, outHeight, outWidth] back to an input of `inputShape` [N, C, H, W]. */
export function resizeBilinearBackward(e: Engine, dy: Tensor, inputShape: Shape): Tensor {
  const [N, C, OH, OW] = expectImage('resizeBilinearBackward', 'dy', dy);
  const [, , H, W] = inputShape;
  if (inputShape.length !== 4 || inputShape[0] !== N || inputShape[1] !== C || !(H >= 1 && W >= 1)) {
    throw new Error(`resizeBilinearBackward: input shape ${shapeString(inputShape)} does not match dy ${shapeString(dy.shape)}`);
  }
  const n = N * C * H * W;
  return runInto(e, resizeBilinearBackwardKernel, inputShape, { dy }, resizeUniforms(n, [H, W], [OH, OW]), n);
}

/** StyleGAN's 3×3 blur of x [N, C, H, W]: depthwise [1,2,1]ᵀ[1,2,1]/16 with zero padding 1, same size. */
export function blur3x3(e: Engine, x: Tensor): Tensor {
  const [, , H, W] = expectImage('blur3x3', 'x', x);
  return runInto(e, blur3x3Kernel, x.shape, { x }, resizeUniforms(x.size, [H, W], [H, W]), x.size);
}

/** a + b for two tensors of the same shape (the elementwise add kernel). */
export function residualAdd(e: Engine, a: Tensor, b: Tensor): Tensor {
  if (shapeString(a.shape) !== shapeString(b.shape)) {
    throw new Error(`residualAdd: shapes differ, ${shapeString(a.shape)} vs ${shapeString(b.shape)}`);
  }
  return add(e, a, b);
}
