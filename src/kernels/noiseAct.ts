// StyleGAN's noise injection and the leaky ReLU after it in one pass (shaders/noiseAct.wgsl).
import type { Engine } from '../runtime/engine.ts';
import { runInto, kernel, shaderModule } from '../runtime/kernel.ts';
import { type Tensor, shapeString } from '../runtime/tensor.ts';
import { uniformStruct } from '../runtime/uniforms.ts';
import source from '../../shaders/noiseAct.wgsl?raw';

export const NoiseActParams = uniformStruct('NoiseActParams', { n: 'u32', channels: 'u32', plane: 'u32', weightStride: 'u32', slope: 'f32' });
const module = shaderModule('noiseAct', source, [NoiseActParams]);
export const noiseInjectionLeakyReluKernel = kernel(module, { entryPoint: 'noiseInjectionLeakyRelu', bindings: ['x', 'w', 'noise', 'out'], uniforms: NoiseActParams, constants: { WG: 256 } });

/** leakyRelu(x + weight[c]·noise[n, 0, h, w], slope) with x [N, C, H, W], noise [N, 1, H, W], weight [C] or [1]. */
export function noiseInjectionLeakyRelu(e: Engine, x: Tensor, weight: Tensor, noise: Tensor, slope: number): Tensor {
  const [N, C, H, W] = x.shape;
  if (x.shape.length !== 4 || x.size === 0) throw new Error(`noiseInjectionLeakyRelu: x must be a non-empty [N, C, H, W] tensor, got ${shapeString(x.shape)}`);
  if (shapeString(noise.shape) !== shapeString([N, 1, H, W])) throw new Error(`noiseInjectionLeakyRelu: noise must be ${shapeString([N, 1, H, W])} for x ${shapeString(x.shape)}, got ${shapeString(noise.shape)}`);
  if (weight.shape.length !== 1 || (weight.shape[0] !== C && weight.shape[0] !== 1)) throw new Error(`noiseInjectionLeakyRelu: weight must be [${C}] or [1], got ${shapeString(weight.shape)}`);
  if (!Number.isFinite(slope)) throw new Error(`noiseInjectionLeakyRelu: slope must be finite, got ${slope}`);
  const uniforms = { n: x.size, channels: C, plane: H * W, weightStride: weight.shape[0] === 1 ? 0 : 1, slope };
  return runInto(e, noiseInjectionLeakyReluKernel, x.shape, { x, w: weight, noise }, uniforms, x.size);
}
