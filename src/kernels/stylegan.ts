// StyleGAN building blocks (shaders/stylegan.wgsl): equalised-lr linear layer, pixel norm, noise injection
// and the 3×3 blur.
import type { Engine } from '../runtime/engine.ts';
import { kernel, runInto, shaderModule } from '../runtime/kernel.ts';
import { type Tensor, shapeString } from '../runtime/tensor.ts';
import { uniformStruct } from '../runtime/uniforms.ts';
import source from '../../shaders/stylegan.wgsl?raw';
import { expectImage } from './resample.ts';

export const LinearParams = uniformStruct('LinearParams', {
  batch: 'u32',
  inFeatures: 'u32',
  outFeatures: 'u32',
  weightScale: 'f32',
  biasScale: 'f32',
});
export const ChannelParams = uniformStruct('ChannelParams', { n: 'u32', channels: 'u32', plane: 'u32', eps: 'f32', weightStride: 'u32' });
export const BlurParams = uniformStruct('BlurParams', { n: 'u32', height: 'u32', width: 'u32' });
const module = shaderModule('stylegan', source, [LinearParams, ChannelParams, BlurParams]);
/** The module's one #if is linear's BIAS; the other entry points share the BIAS = false compile. */
const defines = { BIAS: false };
const constants = { WG: 256 };

export const linearKernel = kernel(module, { entryPoint: 'linear', bindings: ['x', 'w', 'bias', 'out'], uniforms: LinearParams, constants, defines: { BIAS: true } });
export const linearNoBiasKernel = kernel(module, { entryPoint: 'linear', bindings: ['x', 'w', 'out'], uniforms: LinearParams, constants, defines });
export const pixelNormKernel = kernel(module, { entryPoint: 'pixelNorm', bindings: ['x', 'out'], uniforms: ChannelParams, constants, defines });
export const noiseInjectionKernel = kernel(module, { entryPoint: 'noiseInjection', bindings: ['x', 'w', 'noise', 'out'], uniforms: ChannelParams, constants, defines });
export const blur3x3Kernel = kernel(module, { entryPoint: 'blur3x3', bindings: ['x', 'out'], uniforms: BlurParams, constants, defines });

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
    ? runInto(e, linearKernel, shape, { x, w: weight, bias }, uniforms, batch * outFeatures)
    : runInto(e, linearNoBiasKernel, shape, { x, w: weight }, uniforms, batch * outFeatures);
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

/** StyleGAN's 3×3 blur of x [N, C, H, W]: depthwise [1,2,1]ᵀ[1,2,1]/16 with zero padding 1, same size. */
export function blur3x3(e: Engine, x: Tensor): Tensor {
  const [, , height, width] = expectImage('blur3x3', 'x', x);
  return runInto(e, blur3x3Kernel, x.shape, { x }, { n: x.size, height, width }, x.size);
}
