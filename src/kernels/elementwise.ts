// Elementwise vector ops: add, scale, axpy, fill (shaders/elementwise.wgsl).
import type { Engine } from '../runtime/engine.ts';
import { grid1d, kernel, shaderModule } from '../runtime/kernel.ts';
import { type Shape, type Tensor, shapeString } from '../runtime/tensor.ts';
import { uniformStruct } from '../runtime/uniforms.ts';
import source from '../../shaders/elementwise.wgsl?raw';

const WG = 256;
export const ElementwiseParams = uniformStruct('ElementwiseParams', { n: 'u32', alpha: 'f32' });
const module = shaderModule('elementwise', source, [ElementwiseParams]);
const constants = { WG };

export const addKernel = kernel(module, { entryPoint: 'add', bindings: ['a', 'b', 'out'], uniforms: ElementwiseParams, constants });
export const scaleKernel = kernel(module, { entryPoint: 'scale', bindings: ['a', 'out'], uniforms: ElementwiseParams, constants });
export const axpyKernel = kernel(module, { entryPoint: 'axpy', bindings: ['a', 'b', 'out'], uniforms: ElementwiseParams, constants });
export const fillKernel = kernel(module, { entryPoint: 'fill', bindings: ['out'], uniforms: ElementwiseParams, constants });
export const axpyInPlaceKernel = kernel(module, { entryPoint: 'axpyInPlace', bindings: ['x', 'y'], uniforms: ElementwiseParams, constants });

function sameSize(op: string, a: Tensor, b: Tensor): void {
  if (a.size !== b.size) throw new Error(`${op}: sizes differ, ${shapeString(a.shape)} vs ${shapeString(b.shape)}`);
}

function grid(e: Engine, n: number) {
  return grid1d(n, WG, e.ctx.limits.maxComputeWorkgroupsPerDimension);
}

/** a + b */
export function add(e: Engine, a: Tensor, b: Tensor): Tensor {
  sameSize('add', a, b);
  const out = e.empty(a.shape);
  e.run(addKernel, { bindings: { a, b, out }, uniforms: { n: a.size, alpha: 0 }, workgroups: grid(e, a.size) });
  return out;
}

/** alpha · a */
export function scale(e: Engine, a: Tensor, alpha: number): Tensor {
  const out = e.empty(a.shape);
  e.run(scaleKernel, { bindings: { a, out }, uniforms: { n: a.size, alpha }, workgroups: grid(e, a.size) });
  return out;
}

/** alpha · x + y, as a new tensor. */
export function axpy(e: Engine, alpha: number, x: Tensor, y: Tensor): Tensor {
  sameSize('axpy', x, y);
  const out = e.empty(x.shape);
  e.run(axpyKernel, { bindings: { a: x, b: y, out }, uniforms: { n: x.size, alpha }, workgroups: grid(e, x.size) });
  return out;
}

/** y ← alpha · x + y */
export function axpyInPlace(e: Engine, alpha: number, x: Tensor, y: Tensor): Tensor {
  sameSize('axpyInPlace', x, y);
  e.run(axpyInPlaceKernel, { bindings: { x, y }, uniforms: { n: x.size, alpha }, workgroups: grid(e, x.size) });
  return y;
}

/** A new tensor of `shape` with every element `value`. */
export function fill(e: Engine, shape: Shape, value: number): Tensor {
  const out = e.empty(shape);
  e.run(fillKernel, { bindings: { out }, uniforms: { n: out.size, alpha: value }, workgroups: grid(e, out.size) });
  return out;
}
