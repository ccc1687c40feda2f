// Resampling of NCHW images (shaders/resample.wgsl): nearest 2× upsampling and bilinear resize as PyTorch's
// F.interpolate, each with its backward (shaders/resampleBackward.wgsl).
import type { Engine } from '../runtime/engine.ts';
import { kernel, runInto, shaderModule } from '../runtime/kernel.ts';
import { type Shape, type Tensor, shapeString } from '../runtime/tensor.ts';
import { uniformStruct } from '../runtime/uniforms.ts';
import source from '../../shaders/resample.wgsl?raw';
import backwardSource from '../../shaders/resampleBackward.wgsl?raw';

export const ResizeParams = uniformStruct('ResizeParams', {
  n: 'u32',
  height: 'u32',
  width: 'u32',
  outHeight: 'u32',
  outWidth: 'u32',
  scaleY: 'f32',
  scaleX: 'f32',
});
const module = shaderModule('resample', source, [ResizeParams]);
// The backward passes on the forward module (its bindings and bilinearTap): a module of their own, so that a page's
// bundler drops them, with their kernels, where the page never differentiates.
const backwardModule = shaderModule('resampleBackward', backwardSource, [ResizeParams], [source]);
const forward = { bindings: ['x', 'out'], uniforms: ResizeParams, constants: { WG: 256 } };
const backward = { ...forward, bindings: ['dy', 'out'] };

export const upsampleNearest2xKernel = kernel(module, { entryPoint: 'upsampleNearest2x', ...forward });
export const upsampleNearest2xBackwardKernel = kernel(backwardModule, { entryPoint: 'upsampleNearest2xBackward', ...backward });
export const resizeBilinearKernel = kernel(module, { entryPoint: 'resizeBilinear', ...forward });
export const resizeBilinearBackwardKernel = kernel(backwardModule, { entryPoint: 'resizeBilinearBackward', ...backward });

export function expectImage(op: string, name: string, t: Tensor): [number, number, number, number] {
  if (t.shape.length !== 4) throw new Error(`${op}: ${name} must be [N, C, H, W], got ${shapeString(t.shape)}`);
  return t.shape as unknown as [number, number, number, number];
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
