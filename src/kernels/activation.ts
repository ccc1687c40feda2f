// Activations and affine maps with their backward passes (shaders/activation.wgsl).
import type { Engine } from '../runtime/engine.ts';
import { grid1d, kernel, shaderModule } from '../runtime/kernel.ts';
import { type Tensor, shapeString } from '../runtime/tensor.ts';
import { type UniformValues, uniformStruct } from '../runtime/uniforms.ts';
import source from '../../shaders/activation.wgsl?raw';
import itemsWgsl from '../../shaders/items.wgsl?raw';
import itemStoreWgsl from '../../shaders/itemStore.wgsl?raw';
import outputLayoutWgsl from '../../shaders/outputLayout.wgsl?raw';
import { OUTPUT_LAYOUT_FIELDS, outputLayoutUniforms, outputTensor } from './layout.ts';

const WG = 256;
const REDUCE_WG = 64;
export const ActivationParams = uniformStruct('ActivationParams', {
  n: 'u32',
  plane: 'u32',
  channels: 'u32',
  slope: 'f32',
  a: 'f32',
  b: 'f32',
  ...OUTPUT_LAYOUT_FIELDS,
});
const module = shaderModule('activation', source, [ActivationParams], [itemsWgsl, outputLayoutWgsl, itemStoreWgsl]);
const constants = { WG };
const uniforms = ActivationParams;
const defines = { VEC4: false, PADDED_OUT: false };

export const leakyReluKernel = kernel(module, { entryPoint: 'leakyRelu', bindings: ['x', 'out'], uniforms, constants, defines });
export const leakyReluBackwardKernel = kernel(module, { entryPoint: 'leakyReluBackward', bindings: ['x', 'dy', 'out'], uniforms, constants, defines });
export const tanhKernel = kernel(module, { entryPoint: 'tanhForward', bindings: ['x', 'out'], uniforms, constants, defines });
export const tanhBackwardKernel = kernel(module, { entryPoint: 'tanhBackward', bindings: ['y', 'dy', 'out'], uniforms, constants, defines });
export const scalarAffineKernel = kernel(module, { entryPoint: 'scalarAffine', bindings: ['x', 'out'], uniforms, constants, defines });
export const affineKernel = kernel(module, { entryPoint: 'affine', bindings: ['x', 'scale', 'shift', 'out'], uniforms, constants, defines });
export const affineBackwardKernel = kernel(module, { entryPoint: 'affineBackward', bindings: ['dy', 'scale', 'out'], uniforms, constants, defines });
export const affineParamGradKernel = kernel(module, {
  entryPoint: 'affineParamGrad',
  bindings: ['x', 'dy', 'dscale', 'dshift'],
  uniforms,
  constants: { REDUCE_WG },
  defines,
});

type Params = UniformValues<typeof ActivationParams.fields>;

type Layout = keyof typeof OUTPUT_LAYOUT_FIELDS;

/** Run data for the elements of `out`: vec4 items (define VEC4) where `vec4` allows, else one element each,
 *  stored element by element through outIndex when out is in a padded layout (PADDED_OUT); `p` sets the
 *  other parameters (plane in elements). */
function items(e: Engine, out: Tensor, p: Partial<Omit<Params, Layout>> = {}, vec4 = out.size % 4 === 0) {
  const n = vec4 ? out.size / 4 : out.size;
  return {
    uniforms: { plane: 1, channels: 1, slope: 0, a: 0, b: 0, ...p, n, ...outputLayoutUniforms(out) },
    workgroups: grid1d(n, WG, e.ctx.limits.maxComputeWorkgroupsPerDimension),
    defines: { VEC4: vec4, PADDED_OUT: !!out.layout },
  };
}

function sameShape(op: string, a: Tensor, b: Tensor, names: string): void {
  if (shapeString(a.shape) !== shapeString(b.shape)) {
    throw new Error(`${op}: ${names} must have the same shape, got ${shapeString(a.shape)} and ${shapeString(b.shape)}`);
  }
}

/** max(x, 0), into `into` (maybe in a padded layout) if given. */
export function relu(e: Engine, x: Tensor, into?: Tensor): Tensor {
  return leakyRelu(e, x, 0, into);
}

/** x > 0 ? x : slope·x, into `into` (maybe in a padded layout) if given. */
export function leakyRelu(e: Engine, x: Tensor, slope: number, into?: Tensor): Tensor {
  const out = outputTensor(e, 'leakyRelu', x.shape, into);
  e.run(leakyReluKernel, { bindings: { x, out: out.storage() }, ...items(e, out, { slope }) });
  return out;
}

/** ∂/∂x of relu: dy where x > 0, else 0. `x` may be the forward output y instead (same sign). Into `into`
 *  (maybe in a padded layout) if given. */
export function reluBackward(e: Engine, x: Tensor, dy: Tensor, into?: Tensor): Tensor {
  return leakyReluBackward(e, x, dy, 0, into);
}

/** ∂/∂x of leakyRelu: dy · (x > 0 ? 1 : slope). For slope ≥ 0, `x` may be the forward output y instead.
 *  Into `into` (maybe in a padded layout) if given. */
export function leakyReluBackward(e: Engine, x: Tensor, dy: Tensor, slope: number, into?: Tensor): Tensor {
  sameShape('leakyReluBackward', x, dy, 'x and dy');
  const out = outputTensor(e, 'leakyReluBackward', x.shape, into);
  e.run(leakyReluBackwardKernel, { bindings: { x, dy, out: out.storage() }, ...items(e, out, { slope }) });
  return out;
}

/** tanh(x) */
export function tanh(e: Engine, x: Tensor): Tensor {
  const out = e.empty(x.shape);
  e.run(tanhKernel, { bindings: { x, out }, ...items(e, out) });
  return out;
}

/** ∂/∂x of tanh from its output y = tanh(x): dy · (1 − y²). */
export function tanhBackward(e: Engine, y: Tensor, dy: Tensor): Tensor {
  sameShape('tanhBackward', y, dy, 'y and dy');
  const out = e.empty(y.shape);
  e.run(tanhBackwardKernel, { bindings: { y, dy, out }, ...items(e, out) });
  return out;
}

/** a·x + b with scalars a, b (e.g. tanh(y)·150 + 127.5 back to pixel range). */
export function scalarAffine(e: Engine, x: Tensor, a: number, b: number): Tensor {
  const out = e.empty(x.shape);
  e.run(scalarAffineKernel, { bindings: { x, out }, ...items(e, out, { a, b }) });
  return out;
}

/** Channel count and plane size of x [N, C, ...] for a per-channel op, checking scale/shift are [C]. */
function channelLayout(op: string, x: Tensor, ...perChannel: [string, Tensor][]): { channels: number; plane: number } {
  if (x.shape.length < 2) throw new Error(`${op}: x must be [N, C, ...], got ${shapeString(x.shape)}`);
  const channels = x.shape[1];
  for (const [name, t] of perChannel) {
    if (t.shape.length !== 1 || t.shape[0] !== channels) {
      throw new Error(`${op}: ${name} must be [${channels}] for x ${shapeString(x.shape)}, got ${shapeString(t.shape)}`);
    }
  }
  return { channels, plane: x.shape.slice(2).reduce((a, b) => a * b, 1) };
}

/** x·scale[c] + shift[c] over x [N, C, ...], scale and shift [C]. */
export function affine(e: Engine, x: Tensor, scale: Tensor, shift: Tensor): Tensor {
  const layout = channelLayout('affine', x, ['scale', scale], ['shift', shift]);
  const out = e.empty(x.shape);
  e.run(affineKernel, { bindings: { x, scale, shift, out }, ...items(e, out, layout, layout.plane % 4 === 0) });
  return out;
}

/** Gradients of affine w.r.t. x (dy·scale[c]), scale (Σ dy·x per channel) and shift (Σ dy per channel). */
export function affineBackward(e: Engine, x: Tensor, scale: Tensor, dy: Tensor): { dx: Tensor; dscale: Tensor; dshift: Tensor } {
  const layout = channelLayout('affineBackward', x, ['scale', scale]);
  sameShape('affineBackward', x, dy, 'x and dy');
  const dx = e.empty(x.shape);
  const run = items(e, dx, layout, layout.plane % 4 === 0);
  e.run(affineBackwardKernel, { bindings: { dy, scale, out: dx }, ...run });
  const dscale = e.empty([layout.channels]);
  const dshift = e.empty([layout.channels]);
  const workgroups = grid1d(layout.channels, 1, e.ctx.limits.maxComputeWorkgroupsPerDimension);
  e.run(affineParamGradKernel, { bindings: { x, dy, dscale, dshift }, uniforms: run.uniforms, workgroups, defines: run.defines });
  return { dx, dscale, dshift };
}
