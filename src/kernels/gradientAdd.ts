// The sum of two gradients passed back through a ReLU or leaky ReLU in one pass (shaders/gradientAdd.wgsl).
import type { Engine } from '../runtime/engine.ts';
import { grid1d, kernel, shaderModule } from '../runtime/kernel.ts';
import { type Tensor, shapeString } from '../runtime/tensor.ts';
import { uniformStruct } from '../runtime/uniforms.ts';
import source from '../../shaders/gradientAdd.wgsl?raw';
import itemsWgsl from '../../shaders/items.wgsl?raw';
import itemStoreWgsl from '../../shaders/itemStore.wgsl?raw';
import outputLayoutWgsl from '../../shaders/outputLayout.wgsl?raw';
import { OUTPUT_LAYOUT_FIELDS, outputLayoutUniforms, outputTensor } from './layout.ts';

const WG = 256;
export const GradientAddParams = uniformStruct('GradientAddParams', { n: 'u32', slope: 'f32', ...OUTPUT_LAYOUT_FIELDS });
const module = shaderModule('gradientAdd', source, [GradientAddParams], [itemsWgsl, outputLayoutWgsl, itemStoreWgsl]);

export const activationBackwardSumKernel = kernel(module, {
  entryPoint: 'activationBackwardSum',
  bindings: ['y', 'a', 'b', 'out'],
  uniforms: GradientAddParams,
  constants: { WG },
  defines: { VEC4: false, PADDED_OUT: false },
});

/** (a + b)·(y > 0 ? 1 : slope): leakyReluBackward(y, add(a, b), slope) in one pass (slope 0: ReLU's), into `into`
 *  (maybe in a padded layout) if given. */
export function activationBackwardSum(e: Engine, y: Tensor, a: Tensor, b: Tensor, slope: number, into?: Tensor): Tensor {
  for (const [name, t] of [['a', a], ['b', b]] as const) {
    if (t.size !== y.size) throw new Error(`activationBackwardSum: ${name} ${shapeString(t.shape)} does not match y ${shapeString(y.shape)}`);
  }
  if (!Number.isFinite(slope)) throw new Error(`activationBackwardSum: slope must be finite, got ${slope}`);
  const out = outputTensor(e, 'activationBackwardSum', y.shape, into);
  const vec4 = y.size % 4 === 0;
  const n = vec4 ? y.size / 4 : y.size;
  e.run(activationBackwardSumKernel, {
    bindings: { y, a, b, out: out.storage() },
    uniforms: { n, slope, ...outputLayoutUniforms(out) },
    workgroups: grid1d(n, WG, e.ctx.limits.maxComputeWorkgroupsPerDimension),
    defines: { VEC4: vec4, PADDED_OUT: !!out.layout },
  });
  return out;
}
