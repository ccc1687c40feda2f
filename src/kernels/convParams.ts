// The uniform block of the convolution modules that describe a conv by its x and y (or dy) shapes
// (shaders/conv2d.wgsl, shaders/conv2dTiled.wgsl), and how it is filled. Its own file so that conv2d.ts and
// the kernels its tables run (conv2dTiled.ts) share it without importing each other.
import type { Shape } from '../runtime/tensor.ts';
import { uniformStruct } from '../runtime/uniforms.ts';
import type { Padding } from './geometry.ts';

const i32 = 'i32' as const;
export const ConvParams = uniformStruct('ConvParams', {
  N: i32, Cx: i32, Hx: i32, Wx: i32, Cy: i32, Hy: i32, Wy: i32, KH: i32, KW: i32, stride: i32,
  padTop: i32, padBottom: i32, padLeft: i32, padRight: i32, wpCols: i32, slope: 'f32',
});

/** ConvParams for the shapes of a kernel's x and y (or dy) bindings; `pad` pads the large one of the two. */
export function convParams(x: Shape, y: Shape, kH: number, kW: number, stride: number, pad: Padding, wpCols = 0, slope = 0) {
  return {
    N: x[0], Cx: x[1], Hx: x[2], Wx: x[3], Cy: y[1], Hy: y[2], Wy: y[3], KH: kH, KW: kW, stride,
    padTop: pad.top, padBottom: pad.bottom, padLeft: pad.left, padRight: pad.right, wpCols, slope,
  };
}
