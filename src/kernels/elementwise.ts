// Elementwise vector ops: add, scale, axpy, fill (shaders/elementwise.wgsl).
import type { Engine } from '../runtime/engine.ts';
import { grid1d, kernel, shaderModule } from '../runtime/kernel.ts';
import { type Shape, type Tensor, shapeString } from '../runtime/tensor.ts';
import { uniformStruct } from '../runtime/uniforms.ts';
import source from '../../shaders/elementwise.wgsl?raw';
import itemsWgsl from '../../shaders/items.wgsl?raw';

const WG = 256;
export const ElementwiseParams = uniformStruct('ElementwiseParams', { n: 'u32', alpha: 'f32' });
const module = shaderModule('elementwise', source, [ElementwiseParams], [itemsWgsl]);
const constants = { WG };
const defines = { VEC4: false };

export const addKernel = kernel(module, { entryPoint: 'add', bindings: ['a', 'b', 'out'], uniforms: ElementwiseParams, constants, defines });
export const scaleKernel = kernel(module, { entryPoint: 'scale', bindings: ['a', 'out'], uniforms: ElementwiseParams, constants, defines });
export const axpyKernel = kernel(module, { entryPoint: 'axpy', bindings: ['a', 'b', 'out'], uniforms: ElementwiseParams, constants, defines });
export const fillKernel = kernel(module, { entryPoint: 'fill', bindings: ['out'], uniforms: ElementwiseParams, constants, defines });
export const axpyInPlaceKernel = kernel(module, { entryPoint: 'axpyInPlace', bindings: ['x', 'y'], uniforms: ElementwiseParams, constants, defines });

function sameSize(op: string, a: Tensor, b: Tensor): void {
  if (a.size !== b.size) throw new Error(`${op}: sizes differ, ${shapeString(a.shape)} vs ${shapeString(b.shape)}`);
}

/** Run data for `size` elements: as vec4 items where size is a multiple of 4 (define VEC4), else one by one. */
function items(e: Engine, size: number, alpha: number) {
  const vec4 = size % 4 === 0;
  const n = vec4 ? size / 4 : size;
  return { uniforms: { n, alpha }, workgroups: grid1d(n, WG, e.ctx.limits.maxComputeWorkgroupsPerDimension), defines: { VEC4: vec4 } };
}

/** a + b */
export function add(e: Engine, a: Tensor, b: Tensor): Tensor {
  sameSize('add', a, b);
  const out = e.empty(a.shape);
  e.run(addKernel, { bindings: { a, b, out }, ...items(e, a.size, 0) });
  return out;
}

/** alpha · a */
export function scale(e: Engine, a: Tensor, alpha: number): Tensor {
  const out = e.empty(a.shape);
  e.run(scaleKernel, { bindings: { a, out }, ...items(e, a.size, alpha) });
  return out;
}

/** alpha · x + y, as a new tensor. */
export function axpy(e: Engine, alpha: number, x: Tensor, y: Tensor): Tensor {
  sameSize('axpy', x, y);
  const out = e.empty(x.shape);
  e.run(axpyKernel, { bindings: { a: x, b: y, out }, ...items(e, x.size, alpha) });
  return out;
}

/** y ← alpha · x + y */
export function axpyInPlace(e: Engine, alpha: number, x: Tensor, y: Tensor): Tensor {
  sameSize('axpyInPlace', x, y);
  e.run(axpyInPlaceKernel, { bindings: { x, y }, ...items(e, x.size, alpha) });
  return y;
}

/** A new tensor of `shape` with every element `value`. */
export function fill(e: Engine, shape: Shape, value: number): Tensor {
  const out = e.empty(shape);
  e.run(fillKernel, { bindings: { out }, ...items(e, out.size, value) });
  return out;
}

/** a + b for two tensors of the same shape (a residual connection; add() itself only checks the sizes). */
export function residualAdd(e: Engine, a: Tensor, b: Tensor): Tensor {
  if (shapeString(a.shape) !== shapeString(b.shape)) {
    throw new Error(`residualAdd: shapes differ, ${shapeString(a.shape)} vs ${shapeString(b.shape)}`);
  }
  return add(e, a, b);
}
