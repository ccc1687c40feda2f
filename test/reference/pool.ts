// float64 CPU references for 2-D pooling (NCHW, square window k, stride s, no padding), written
// independently of the GPU code: the backward passes scatter window by window, where the GPU gathers.
type Arr = ArrayLike<number>;
type Shape = readonly number[];

/** Output shape; `ceil` is PyTorch's ceil_mode (windows may then overhang the bottom/right edge). */
export function pooledShape([N, C, H, W]: Shape, k: number, s: number, ceil = false): number[] {
  const round = ceil ? Math.ceil : Math.floor;
  return [N, C, round((H - k) / s) + 1, round((W - k) / s) + 1];
}

/** Calls visit(outputIndex, inputIndices of the window in row-major order) for every window. */
function forEachWindow(shape: Shape, k: number, s: number, ceil: boolean, visit: (o: number, window: number[]) => void): void {
  const [N, C, H, W] = shape;
  const [, , OH, OW] = pooledShape(shape, k, s, ceil);
  let o = 0;
  for (let nc = 0; nc < N * C; nc++)
    for (let oh = 0; oh < OH; oh++)
      for (let ow = 0; ow < OW; ow++, o++) {
        const window: number[] = [];
        for (let kh = 0; kh < k; kh++)
          for (let kw = 0; kw < k; kw++) {
            if (oh * s + kh < H && ow * s + kw < W) window.push((nc * H + oh * s + kh) * W + ow * s + kw);
          }
        visit(o, window);
      }
}

/** Input index of the first maximum of a window (PyTorch's rule). */
function firstMax(x: Arr, window: number[]): number {
  let best = window[0];
  for (const j of window) if (x[j] > x[best]) best = j;
  return best;
}

const outSize = (shape: Shape, k: number, s: number, ceil: boolean) => pooledShape(shape, k, s, ceil).reduce((a, b) => a * b, 1);

export function maxPool2d(x: Arr, shape: Shape, k: number, s: number, ceil = false): Float64Array {
  const y = new Float64Array(outSize(shape, k, s, ceil));
  forEachWindow(shape, k, s, ceil, (o, w) => (y[o] = x[firstMax(x, w)]));
  return y;
}

export function maxPool2dBackward(x: Arr, shape: Shape, k: number, s: number, dy: Arr, ceil = false): Float64Array {
  const dx = new Float64Array(x.length);
  forEachWindow(shape, k, s, ceil, (o, w) => (dx[firstMax(x, w)] += dy[o]));
  return dx;
}

/** Averages divide by the window's size inside the input (k² unless a ceil-mode window is clipped). */
export function avgPool2d(x: Arr, shape: Shape, k: number, s: number, ceil = false): Float64Array {
  const y = new Float64Array(outSize(shape, k, s, ceil));
  forEachWindow(shape, k, s, ceil, (o, w) => (y[o] = w.reduce((acc, j) => acc + x[j], 0) / w.length));
  return y;
}

export function avgPool2dBackward(shape: Shape, k: number, s: number, dy: Arr, ceil = false): Float64Array {
  const dx = new Float64Array(shape.reduce((a, b) => a * b, 1));
  forEachWindow(shape, k, s, ceil, (o, w) => w.forEach((j) => (dx[j] += dy[o] / w.length)));
  return dx;
}
