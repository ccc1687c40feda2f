// float64 CPU references for the conv2d family, written from the definitions and independently of the GPU
// code: conv2d pads explicitly and then correlates; its input gradient scatters into the padded image and
// folds the padding back; the transposed convolution scatters every input pixel through the kernel into
// the full output and crops it (PyTorch semantics throughout, NCHW, weights [Cout, Cin, KH, KW] for conv2d
// and [Cin, Cout, KH, KW] for the transposed convolution).
export type Shape4 = readonly [number, number, number, number];
export interface Pad {
  top: number;
  bottom: number;
  left: number;
  right: number;
}
export interface ConvGeometry {
  stride: number;
  pad: Pad;
  mode: 'zeros' | 'reflect';
}
export type Activation = 'none' | 'relu' | { leakyRelu: number };

const at = (s: Shape4, n: number, c: number, h: number, w: number) => ((n * s[1] + c) * s[2] + h) * s[3] + w;

/** Padded coordinate → source coordinate, or -1 for a zero (reflect as torch.nn.ReflectionPad2d). */
function sourceIndex(p: number, before: number, size: number, mode: ConvGeometry['mode']): number {
  let i = p - before;
  if (mode === 'zeros') return i >= 0 && i < size ? i : -1;
  if (i < 0) i = -i;
  if (i >= size) i = 2 * (size - 1) - i;
  return i;
}

export function pad2d(x: ArrayLike<number>, s: Shape4, pad: Pad, mode: ConvGeometry['mode']): { data: Float64Array; shape: Shape4 } {
  const [N, C, H, W] = s;
  const shape: Shape4 = [N, C, H + pad.top + pad.bottom, W + pad.left + pad.right];
  const data = new Float64Array(shape.reduce((a, b) => a * b));
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++)
      for (let h = 0; h < shape[2]; h++)
        for (let w = 0; w < shape[3]; w++) {
          const sh = sourceIndex(h, pad.top, H, mode);
          const sw = sourceIndex(w, pad.left, W, mode);
          if (sh >= 0 && sw >= 0) data[at(shape, n, c, h, w)] = x[at(s, n, c, sh, sw)];
        }
  return { data, shape };
}

export function conv2dOutShape(xs: Shape4, ws: Shape4, g: ConvGeometry): Shape4 {
  const oh = Math.floor((xs[2] + g.pad.top + g.pad.bottom - ws[2]) / g.stride) + 1;
  const ow = Math.floor((xs[3] + g.pad.left + g.pad.right - ws[3]) / g.stride) + 1;
  return [xs[0], ws[0], oh, ow];
}

export function conv2d(
  x: ArrayLike<number>, xs: Shape4, w: ArrayLike<number>, ws: Shape4, g: ConvGeometry,
  bias?: ArrayLike<number>, activation: Activation = 'none',
): Float64Array {
  const { data: xp, shape: ps } = pad2d(x, xs, g.pad, g.mode);
  const ys = conv2dOutShape(xs, ws, g);
  const [N, Cout, OH, OW] = ys;
  const [, Cin, KH, KW] = ws;
  const y = new Float64Array(N * Cout * OH * OW);
  for (let n = 0; n < N; n++)
    for (let o = 0; o < Cout; o++)
      for (let i = 0; i < OH; i++)
        for (let j = 0; j < OW; j++) {
          let s = bias ? bias[o] : 0;
          for (let c = 0; c < Cin; c++)
            for (let kh = 0; kh < KH; kh++)
              for (let kw = 0; kw < KW; kw++) s += w[at(ws, o, c, kh, kw)] * xp[at(ps, n, c, i * g.stride + kh, j * g.stride + kw)];
          if (activation === 'relu') s = Math.max(s, 0);
          else if (typeof activation === 'object' && s < 0) s *= activation.leakyRelu;
          y[at(ys, n, o, i, j)] = s;
        }
  return y;
}

export function conv2dBackwardInput(dy: ArrayLike<number>, w: ArrayLike<number>, ws: Shape4, xs: Shape4, g: ConvGeometry): Float64Array {
  const ys = conv2dOutShape(xs, ws, g);
  const ps: Shape4 = [xs[0], xs[1], xs[2] + g.pad.top + g.pad.bottom, xs[3] + g.pad.left + g.pad.right];
  const dxp = new Float64Array(ps.reduce((a, b) => a * b));
  const [N, Cout, OH, OW] = ys;
  const [, Cin, KH, KW] = ws;
  for (let n = 0; n < N; n++)
    for (let o = 0; o < Cout; o++)
      for (let i = 0; i < OH; i++)
        for (let j = 0; j < OW; j++)
          for (let c = 0; c < Cin; c++)
            for (let kh = 0; kh < KH; kh++)
              for (let kw = 0; kw < KW; kw++) dxp[at(ps, n, c, i * g.stride + kh, j * g.stride + kw)] += dy[at(ys, n, o, i, j)] * w[at(ws, o, c, kh, kw)];
  const dx = new Float64Array(xs.reduce((a, b) => a * b));
  for (let n = 0; n < N; n++)
    for (let c = 0; c < Cin; c++)
      for (let h = 0; h < ps[2]; h++)
        for (let v = 0; v < ps[3]; v++) {
          const sh = sourceIndex(h, g.pad.top, xs[2], g.mode);
          const sw = sourceIndex(v, g.pad.left, xs[3], g.mode);
          if (sh >= 0 && sw >= 0) dx[at(xs, n, c, sh, sw)] += dxp[at(ps, n, c, h, v)];
        }
  return dx;
}

export function conv2dBackwardWeight(x: ArrayLike<number>, xs: Shape4, dy: ArrayLike<number>, ws: Shape4, g: ConvGeometry): Float64Array {
  const { data: xp, shape: ps } = pad2d(x, xs, g.pad, g.mode);
  const [N, Cout, OH, OW] = conv2dOutShape(xs, ws, g);
  const ys: Shape4 = [N, Cout, OH, OW];
  const [, Cin, KH, KW] = ws;
  const dw = new Float64Array(ws.reduce((a, b) => a * b));
  for (let o = 0; o < Cout; o++)
    for (let c = 0; c < Cin; c++)
      for (let kh = 0; kh < KH; kh++)
        for (let kw = 0; kw < KW; kw++) {
          let s = 0;
          for (let n = 0; n < N; n++)
            for (let i = 0; i < OH; i++)
              for (let j = 0; j < OW; j++) s += dy[at(ys, n, o, i, j)] * xp[at(ps, n, c, i * g.stride + kh, j * g.stride + kw)];
          dw[at(ws, o, c, kh, kw)] = s;
        }
  return dw;
}

export function biasGradient(dy: ArrayLike<number>, ys: Shape4): Float64Array {
  const db = new Float64Array(ys[1]);
  for (let n = 0; n < ys[0]; n++)
    for (let c = 0; c < ys[1]; c++)
      for (let k = 0; k < ys[2] * ys[3]; k++) db[c] += dy[(n * ys[1] + c) * ys[2] * ys[3] + k];
  return db;
}

/** Transposed convolution: output size outH × outW, `top`/`left` rows/columns cropped off the full
 *  (H−1)·s + K output; positions past the full output (output_padding) hold only the bias. */
export interface TransposeGeometry {
  stride: number;
  top: number;
  left: number;
  outH: number;
  outW: number;
}

export function convTranspose2d(x: ArrayLike<number>, xs: Shape4, w: ArrayLike<number>, ws: Shape4, g: TransposeGeometry, bias?: ArrayLike<number>): Float64Array {
  const [N, Cin, H, W] = xs;
  const [, Cout, KH, KW] = ws;
  const fs: Shape4 = [N, Cout, (H - 1) * g.stride + KH, (W - 1) * g.stride + KW];
  const full = new Float64Array(fs.reduce((a, b) => a * b));
  for (let n = 0; n < N; n++)
    for (let c = 0; c < Cin; c++)
      for (let i = 0; i < H; i++)
        for (let j = 0; j < W; j++)
          for (let o = 0; o < Cout; o++)
            for (let kh = 0; kh < KH; kh++)
              for (let kw = 0; kw < KW; kw++) full[at(fs, n, o, i * g.stride + kh, j * g.stride + kw)] += x[at(xs, n, c, i, j)] * w[at(ws, c, o, kh, kw)];
  const ys: Shape4 = [N, Cout, g.outH, g.outW];
  const y = new Float64Array(ys.reduce((a, b) => a * b));
  for (let n = 0; n < N; n++)
    for (let o = 0; o < Cout; o++)
      for (let i = 0; i < g.outH; i++)
        for (let j = 0; j < g.outW; j++) {
          const fi = i + g.top;
          const fj = j + g.left;
          const inside = fi < fs[2] && fj < fs[3];
          y[at(ys, n, o, i, j)] = (bias ? bias[o] : 0) + (inside ? full[at(fs, n, o, fi, fj)] : 0);
        }
  return y;
}

/** dL/dx of convTranspose2d: y[oh] collects x[i]·w[kh] where oh + top = i·s + kh, so dx[i] = Σ dy[i·s + kh − top]·w[kh]. */
export function convTranspose2dBackwardInput(dy: ArrayLike<number>, w: ArrayLike<number>, ws: Shape4, xs: Shape4, g: TransposeGeometry): Float64Array {
  const [N, Cin, H, W] = xs;
  const [, Cout, KH, KW] = ws;
  const ys: Shape4 = [N, Cout, g.outH, g.outW];
  const dx = new Float64Array(xs.reduce((a, b) => a * b));
  for (let n = 0; n < N; n++)
    for (let c = 0; c < Cin; c++)
      for (let i = 0; i < H; i++)
        for (let j = 0; j < W; j++) {
          let s = 0;
          for (let o = 0; o < Cout; o++)
            for (let kh = 0; kh < KH; kh++)
              for (let kw = 0; kw < KW; kw++) {
                const oh = i * g.stride + kh - g.top;
                const ow = j * g.stride + kw - g.left;
                if (oh >= 0 && oh < g.outH && ow >= 0 && ow < g.outW) s += dy[at(ys, n, o, oh, ow)] * w[at(ws, c, o, kh, kw)];
              }
          dx[at(xs, n, c, i, j)] = s;
        }
  return dx;
}

export function convTranspose2dBackwardWeight(x: ArrayLike<number>, xs: Shape4, dy: ArrayLike<number>, ws: Shape4, g: TransposeGeometry): Float64Array {
  const [N, Cin, H, W] = xs;
  const [, Cout, KH, KW] = ws;
  const ys: Shape4 = [N, Cout, g.outH, g.outW];
  const dw = new Float64Array(ws.reduce((a, b) => a * b));
  for (let n = 0; n < N; n++)
    for (let c = 0; c < Cin; c++)
      for (let i = 0; i < H; i++)
        for (let j = 0; j < W; j++)
          for (let o = 0; o < Cout; o++)
            for (let kh = 0; kh < KH; kh++)
              for (let kw = 0; kw < KW; kw++) {
                const oh = i * g.stride + kh - g.top;
                const ow = j * g.stride + kw - g.left;
                if (oh >= 0 && oh < g.outH && ow >= 0 && ow < g.outW) dw[at(ws, c, o, kh, kw)] += x[at(xs, n, c, i, j)] * dy[at(ys, n, o, oh, ow)];
              }
  return dw;
}
