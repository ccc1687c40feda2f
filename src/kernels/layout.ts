// Where a producer kernel stores its output: row-major, or inside the zero border of a padded layout
// (geometry.ts PaddedLayout) that the program's paddedOutput plan gives the input of a direct convolution.
// The producers' uniform structs take OUTPUT_LAYOUT_FIELDS, filled by outputLayoutUniforms, and their WGSL
// includes shaders/outputLayout.wgsl, whose outIndex is geometry.ts's paddedIndex.
import type { Engine } from '../runtime/engine.ts';
import { type Shape, type Tensor, shapeString } from '../runtime/tensor.ts';

/** The uniform fields outIndex reads: the output's rows and columns per plane (outRows × outCols) and where
 *  they sit in the buffer. */
export const OUTPUT_LAYOUT_FIELDS = {
  outRows: 'u32',
  outCols: 'u32',
  outTop: 'u32',
  outLeft: 'u32',
  outRowStride: 'u32',
  outPlaneStride: 'u32',
} as const;

/** The OUTPUT_LAYOUT_FIELDS of `out`: a padded layout, or row-major (a tensor that is not 4-D is one plane
 *  of one row). */
export function outputLayoutUniforms(out: Tensor) {
  const [rows, cols] = out.shape.length === 4 ? out.shape.slice(2) : [1, out.size];
  const l = out.layout ?? { top: 0, left: 0, height: rows, width: cols };
  return { outRows: rows, outCols: cols, outTop: l.top, outLeft: l.left, outRowStride: l.width, outPlaneStride: l.height * l.width };
}

/** The tensor a producer writes its `shape` output to: `into` (the program's, maybe padded) checked against
 *  the shape, or a new row-major one. */
export function outputTensor(e: Engine, op: string, shape: Shape, into?: Tensor): Tensor {
  if (!into) return e.empty(shape);
  if (shapeString(into.shape) !== shapeString(shape)) throw new Error(`${op}: output must be ${shapeString(shape)}, got a tensor of ${shapeString(into.shape)}`);
  return into;
}
