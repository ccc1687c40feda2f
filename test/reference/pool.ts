// float64 CPU references for 2-D pooling (NCHW, square window k, stride s, no padding), written
// independently of the GPU code: the backward passes scatter window by window, where the GPU gathers.
type Arr = ArrayLike<number>;
type Shape = readonly number[];

export function pooledShape([N, C, H, W]: Shape, k: number, s: number): number[] {
  return [N, C, Math.floor((H - k) / s) + 1, Math.floor((W - k) / s) + 1];
}

/** Calls visit(outputIndex, inputIndices of the window in row-major order) for every window. */
function forEachWindow(shape: Shape, k: number, s: number, visit: (o: number, window: number[]) => void): void {
  const [N, C, H, W] = shape;
  const [, , OH, OW] = pooledShape(shape, k, s);
  let o = 0;
  for (let nc = 0; nc < N * C; nc++)
    for (let oh = 0; oh < OH; oh++)
      for (let ow = 0; ow < OW; ow++, o++) {
        const window: number[] = [];
        for (let kh = 0; kh < k; kh++) for (let kw = 0; kw < k; kw++) window.push((nc * H + oh * s + kh) * W + ow * s + kw);
        visit(o, window);
      }
}

/** Input index of the first maximum of a window (PyTorch's rule). */
function firstMax(x: Arr, window: number[]): number {
  let best = window[0];
  for (const j of window) if (x[j] > x[best]) best = j;
  return best;
}

const outSize = (shape: Shape, k: number, s: number) => pooledShape(shape, k, s).reduce((a, b) => a * b, 1);

export function maxPool2d(x: Arr, shape: Shape, k: number, s: number): Float64Array {
  const y = new Float64Array(outSize(shape, k, s));
  forEachWindow(shape, k, s, (o, w) => (y[o] = x[firstMax(x, w)]));
  return y;
}

export function maxPool2dBackward(x: Arr, shape: Shape, k: number, s: number, dy: Arr): Float64Array {
  const dx = new Float64Array(x.length);
  forEachWindow(shape, k, s, (o, w) => (dx[firstMax(x, w)] += dy[o]));
  return dx;
}

export function avgPool2d(x: Arr, shape: Shape, k: number, s: number): Float64Array {
  const y = new Float64Array(outSize(shape, k, s));
  forEachWindow(shape, k, s, (o, w) => (y[o] = w.reduce((acc, j) => acc + x[j], 0) / (k * k)));
  return y;
}

export function avgPool2dBackward(shape: Shape, k: number, s: number, dy: Arr): Float64Array {
  const dx = new Float64Array(shape.reduce((a, b) => a * b, 1));
  forEachWindow(shape, k, s, (o, w) => w.forEach((j) => (dx[j] += dy[o] / (k * k))));
  return dx;
}
