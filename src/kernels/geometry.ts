// Convolution and pooling geometry, declared once: output sizes, TensorFlow's SAME padding, transposed-conv
// crops and pooling windows. The kernel wrappers and the graph's shape rules both compute sizes here.
import { type Shape, shapeString } from '../runtime/tensor.ts';

/** Zero or reflect padding per side, so PyTorch's symmetric and TensorFlow's asymmetric SAME padding are
 *  both expressible. */
export interface Padding {
  top: number;
  bottom: number;
  left: number;
  right: number;
}

export const NO_PADDING: Readonly<Padding> = { top: 0, bottom: 0, left: 0, right: 0 };

/** A number pads every side alike (PyTorch's `padding=p`). */
export function paddingOf(p: number | Padding = 0): Padding {
  return typeof p === 'number' ? { top: p, bottom: p, left: p, right: p } : p;
}

/** Outputs along one axis of a correlation with a `kernel`-wide window at `stride` over `size` inputs padded
 *  by `before` and `after`: floor((size + before + after − kernel) / stride) + 1 (≤ 0 when the kernel does not fit). */
export function convOutputSize(size: number, before: number, after: number, kernel: number, stride: number): number {
  return Math.floor((size + before + after - kernel) / stride) + 1;
}

/** [outH, outW] of a conv2d of an H × W input with a KH × KW kernel at `stride` with padding `pad`. */
export function conv2dOutputSize(H: number, W: number, KH: number, KW: number, stride: number, pad: Padding): [number, number] {
  return [convOutputSize(H, pad.top, pad.bottom, KH, stride), convOutputSize(W, pad.left, pad.right, KW, stride)];
}

/** The output shape [N, Cout, outH, outW] of conv2d(x [N, Cin, H, W], w [Cout, Cin, KH, KW]); throws naming
 *  the problem when the shapes do not fit each other. */
export function conv2dOutputShape(op: string, x: Shape, w: Shape, stride: number, pad: Padding): Shape {
  if (x.length !== 4) throw new Error(`${op}: input must be 4-D, got ${shapeString(x)}`);
  if (w.length !== 4) throw new Error(`${op}: weight must be 4-D, got ${shapeString(w)}`);
  if (x[1] !== w[1]) throw new Error(`${op}: input ${shapeString(x)} has ${x[1]} channels, weight ${shapeString(w)} expects ${w[1]}`);
  const [outH, outW] = conv2dOutputSize(x[2], x[3], w[2], w[3], stride, pad);
  if (outH < 1 || outW < 1) throw new Error(`${op}: kernel ${w[2]}×${w[3]} is larger than the padded input ${shapeString(x)} (padding ${JSON.stringify(pad)})`);
  return [x[0], w[0], outH, outW];
}

/** TensorFlow's SAME padding for a conv2d: output ceil(in / stride), the odd pixel of padding at the bottom/right. */
export function samePadding(inH: number, inW: number, kH: number, kW: number, stride: number): Padding & { outH: number; outW: number } {
  const side = (n: number, k: number) => {
    const out = Math.ceil(n / stride);
    const total = Math.max((out - 1) * stride + k - n, 0);
    return { out, before: Math.floor(total / 2), after: total - Math.floor(total / 2) };
  };
  const h = side(inH, kH);
  const w = side(inW, kW);
  return { top: h.before, bottom: h.after, left: w.before, right: w.after, outH: h.out, outW: w.out };
}

/** A transposed convolution as the adjoint of the conv2d that maps [outH, outW] to its input size with
 *  `padding` (zero padding; top/left crop the full output, bottom/right may be negative for extra rows). */
export interface ConvTranspose2dGeometry {
  stride: number;
  padding: Padding;
  outH: number;
  outW: number;
}

/** torch.nn.ConvTranspose2d(stride, padding, output_padding): out = (in − 1)·stride − 2·padding + k + output_padding. */
export function torchConvTranspose2d(inH: number, inW: number, kH: number, kW: number, stride: number, padding = 0, outputPadding = 0): ConvTranspose2dGeometry {
  return {
    stride,
    padding: { top: padding, left: padding, bottom: padding - outputPadding, right: padding - outputPadding },
    outH: (inH - 1) * stride - 2 * padding + kH + outputPadding,
    outW: (inW - 1) * stride - 2 * padding + kW + outputPadding,
  };
}

/** tf.nn.conv2d_transpose with SAME padding: out = in·stride, cropped as the SAME conv2d of that size pads. */
export function tfConvTranspose2dSame(inH: number, inW: number, kH: number, kW: number, stride: number): ConvTranspose2dGeometry {
  const { top, bottom, left, right } = samePadding(inH * stride, inW * stride, kH, kW, stride);
  return { stride, padding: { top, bottom, left, right }, outH: inH * stride, outW: inW * stride };
}

/** Whether `t` inverts a conv2d (kernel KH × KW) from [t.outH, t.outW] to [inH, inW]; undefined if it does,
 *  else why not. */
export function convTransposeMismatch(inH: number, inW: number, KH: number, KW: number, t: ConvTranspose2dGeometry): string | undefined {
  const { stride, padding: p, outH, outW } = t;
  if (!Number.isInteger(stride) || stride < 1) return `stride must be a positive integer, got ${stride}`;
  if (!(p.top >= 0 && p.left >= 0) || ![p.top, p.bottom, p.left, p.right, outH, outW].every(Number.isInteger)) {
    return `padding ${JSON.stringify(p)} needs integers with top, left ≥ 0`;
  }
  if (outH < 1 || outW < 1 || convOutputSize(outH, p.top, p.bottom, KH, stride) !== inH || convOutputSize(outW, p.left, p.right, KW, stride) !== inW) {
    return `output ${outH}×${outW} with padding ${JSON.stringify(p)} and stride ${stride} does not invert a conv to ${inH}×${inW}`;
  }
  return undefined;
}

// ---- pooling (square windows, no padding)

export interface PoolWindow {
  /** Window side k. */
  kernel: number;
  /** Step between windows; defaults to k, as in PyTorch. */
  stride?: number;
  /** PyTorch's ceil_mode: round the output size up, the last window clipped at the edge (default false). */
  ceilMode?: boolean;
}

/** Windows along one axis of `size` inputs. With ceilMode, as PyTorch: rounded up, but a last window that
 *  would start past the input is dropped. */
export function poolOutputSize(size: number, kernel: number, stride: number, ceilMode = false): number {
  if (!ceilMode) return Math.floor((size - kernel) / stride) + 1;
  const out = Math.ceil((size - kernel) / stride) + 1;
  return (out - 1) * stride >= size ? out - 1 : out;
}

/** The pooled shape of an [N, C, H, W] input, with the resolved window; throws naming the problem when the
 *  window is invalid or does not fit. */
export function poolGeometry(op: string, inputShape: Shape, { kernel, stride = kernel, ceilMode = false }: PoolWindow) {
  if (inputShape.length !== 4) throw new Error(`${op}: input must be [N, C, H, W], got ${shapeString(inputShape)}`);
  if (!Number.isInteger(kernel) || kernel < 1 || !Number.isInteger(stride) || stride < 1) {
    throw new Error(`${op}: kernel and stride must be positive integers, got kernel ${kernel}, stride ${stride}`);
  }
  const [N, C, H, W] = inputShape;
  if (H < kernel || W < kernel) throw new Error(`${op}: kernel ${kernel} does not fit input ${shapeString(inputShape)}`);
  const outHeight = poolOutputSize(H, kernel, stride, ceilMode);
  const outWidth = poolOutputSize(W, kernel, stride, ceilMode);
  return { outShape: [N, C, outHeight, outWidth] as Shape, height: H, width: W, outHeight, outWidth, kernel, stride };
}

// ---- padded layouts

/** Where an [N, C, H, W] tensor sits when stored inside a zero border: each (n, c) plane is `height` rows of
 *  `width` floats, the values at rows top … top + H − 1 and columns left … left + W − 1, zeros elsewhere. It
 *  is the input a direct convolution kernel reads (its zero padding, plus the rows and columns its last
 *  tiles reach), so a producer that writes in it spares the conv its padding pass. */
export interface PaddedLayout {
  top: number;
  left: number;
  height: number;
  width: number;
}

/** The zero padding `pad` of an input, stored `paddedHW` = [height, width] per plane. */
export function paddedLayout(pad: Padding, [height, width]: readonly [number, number]): PaddedLayout {
  return { top: pad.top, left: pad.left, height, width };
}

export function sameLayout(a: PaddedLayout | undefined, b: PaddedLayout | undefined): boolean {
  return a === b || (!!a && !!b && a.top === b.top && a.left === b.left && a.height === b.height && a.width === b.width);
}

/** The buffer shape [N, C, height, width] of `shape` [N, C, H, W] stored in `layout`; throws when the values
 *  do not fit inside it. */
export function paddedStorageShape(shape: Shape, layout: PaddedLayout): Shape {
  if (shape.length !== 4) throw new Error(`padded layout: tensor must be [N, C, H, W], got ${shapeString(shape)}`);
  const [N, C, H, W] = shape;
  const { top, left, height, width } = layout;
  if (![top, left, height, width].every((v) => Number.isInteger(v) && v >= 0) || top + H > height || left + W > width) {
    throw new Error(`padded layout ${JSON.stringify(layout)} cannot hold ${shapeString(shape)}`);
  }
  return [N, C, height, width];
}

/** The buffer offset of element (plane, h, w) (plane = n·C + c) in `layout`: the one formula, which
 *  shaders/outputLayout.wgsl's outIndex evaluates from outputLayoutUniforms (kernels/layout.ts). */
export function paddedIndex(layout: PaddedLayout, plane: number, h: number, w: number): number {
  return (plane * layout.height + layout.top + h) * layout.width + layout.left + w;
}
