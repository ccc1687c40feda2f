// The sum of two gradients passed back through a ReLU or leaky ReLU in one pass (shaders/gradientAdd.wgsl).
import type { Engine } from '../runtime/engine.ts';
import { grid1d, kernel, shaderModule } from '../runtime/kernel.ts';
import { type Tensor, shapeString } from '../runtime/tensor.ts';
import { uniformStruct } from '../runtime/uniforms.ts';
import source from '../../shaders/gradientAdd.wgsl?raw';
import itemsWgsl from '../../shaders/items.wgsl?raw';

const WG = 256;
export const GradientAddParams = uniformStruct('GradientAddParams', { n: 'u32', slope: 'f32' });
const module = shaderModule('gradientAdd', source, [GradientAddParams], [itemsWgsl]);

export const activationBackwardSumKernel = kernel(module, { entryPoint: 'activationBackwardSum', bindings: ['y', 'a', 'b', 'out'], uniforms: GradientAddParams, constants: { WG } });

/** (a + b)·(y > 0 ? 1 : slope): leakyReluBackward(y, add(a, b), slope) in one pass (slope 0: ReLU's). */
export function activationBackwardSum(e: Engine, y: Tensor, a: Tensor, b: Tensor, slope: number): Tensor {
  for (const [name, t] of [['a', a], ['b', b]] as const) {
    if (t.size !== y.size) throw new Error(`activationBackwardSum: ${name} ${shapeString(t.shape)} does not match y ${shapeString(y.shape)}`);
  }
  if (!Number.isFinite(slope)) throw new Error(`activationBackwardSum: slope must be finite, got ${slope}`);
  const vec4 = y.size % 4 === 0;
  const n = vec4 ? y.size / 4 : y.size;
  const out = e.empty(y.shape);
  e.run(activationBackwardSumKernel, { bindings: { y, a, b, out }, uniforms: { n, slope }, workgroups: grid1d(n, WG, e.ctx.limits.maxComputeWorkgroupsPerDimension), defines: { VEC4: vec4 } });
  return out;
}
