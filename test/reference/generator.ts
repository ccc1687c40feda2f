// float64 CPU references for the generator building blocks, written independently of the GPU code.
type Arr = ArrayLike<number>;
type Shape = readonly number[];

export function linear(x: Arr, [N, In]: Shape, w: Arr, Out: number, bias: Arr | undefined, weightScale = 1, biasScale = 1): Float64Array {
  const y = new Float64Array(N * Out);
  for (let n = 0; n < N; n++)
    for (let o = 0; o < Out; o++) {
      let s = 0;
      for (let i = 0; i < In; i++) s += x[n * In + i] * w[o * In + i];
      y[n * Out + o] = weightScale * s + (bias ? biasScale * bias[o] : 0);
    }
  return y;
}

export function pixelNorm(x: Arr, shape: Shape, eps: number): Float64Array {
  const [N, C] = shape;
  const P = shape.slice(2).reduce((a, b) => a * b, 1);
  const y = new Float64Array(x.length);
  for (let n = 0; n < N; n++)
    for (let p = 0; p < P; p++) {
      let meanSq = 0;
      for (let c = 0; c < C; c++) meanSq += x[(n * C + c) * P + p] ** 2 / C;
      for (let c = 0; c < C; c++) y[(n * C + c) * P + p] = x[(n * C + c) * P + p] / Math.sqrt(meanSq + eps);
    }
  return y;
}

export function noiseInjection(x: Arr, [N, C, H, W]: Shape, weight: Arr, noise: Arr): Float64Array {
  const y = new Float64Array(x.length);
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++)
      for (let h = 0; h < H; h++)
        for (let w = 0; w < W; w++) {
          const i = ((n * C + c) * H + h) * W + w;
          y[i] = x[i] + (weight.length === 1 ? weight[0] : weight[c]) * noise[(n * H + h) * W + w];
        }
  return y;
}

export function upsampleNearest2x(x: Arr, [N, C, H, W]: Shape): Float64Array {
  const y = new Float64Array(x.length * 4);
  for (let nc = 0; nc < N * C; nc++)
    for (let h = 0; h < 2 * H; h++)
      for (let w = 0; w < 2 * W; w++) y[(nc * 2 * H + h) * 2 * W + w] = x[(nc * H + Math.floor(h / 2)) * W + Math.floor(w / 2)];
  return y;
}

export function upsampleNearest2xBackward(dy: Arr, [N, C, H, W]: Shape): Float64Array {
  const dx = new Float64Array(N * C * H * W);
  for (let nc = 0; nc < N * C; nc++)
    for (let h = 0; h < 2 * H; h++)
      for (let w = 0; w < 2 * W; w++) dx[(nc * H + Math.floor(h / 2)) * W + Math.floor(w / 2)] += dy[(nc * 2 * H + h) * 2 * W + w];
  return dx;
}

/** Source position along one axis: PyTorch's half-pixel mapping, negative coordinates clamped to 0. */
function source(o: number, inSize: number, outSize: number): { i0: number; i1: number; t: number } {
  const src = Math.max(((o + 0.5) * inSize) / outSize - 0.5, 0);
  const i0 = Math.min(Math.floor(src), inSize - 1);
  return { i0, i1: Math.min(i0 + 1, inSize - 1), t: src - i0 };
}

export function resizeBilinear(x: Arr, [N, C, H, W]: Shape, OH: number, OW: number): Float64Array {
  const y = new Float64Array(N * C * OH * OW);
  for (let nc = 0; nc < N * C; nc++)
    for (let oh = 0; oh < OH; oh++)
      for (let ow = 0; ow < OW; ow++) {
        const r = source(oh, H, OH);
        const c = source(ow, W, OW);
        const at = (h: number, w: number) => x[(nc * H + h) * W + w];
        y[(nc * OH + oh) * OW + ow] =
          (1 - r.t) * ((1 - c.t) * at(r.i0, c.i0) + c.t * at(r.i0, c.i1)) + r.t * ((1 - c.t) * at(r.i1, c.i0) + c.t * at(r.i1, c.i1));
      }
  return y;
}

/** Scatter form: each output sends dy times its four interpolation weights back to its taps. */
export function resizeBilinearBackward(dy: Arr, [N, C, H, W]: Shape, OH: number, OW: number): Float64Array {
  const dx = new Float64Array(N * C * H * W);
  for (let nc = 0; nc < N * C; nc++)
    for (let oh = 0; oh < OH; oh++)
      for (let ow = 0; ow < OW; ow++) {
        const r = source(oh, H, OH);
        const c = source(ow, W, OW);
        const g = dy[(nc * OH + oh) * OW + ow];
        const at = (h: number, w: number) => (nc * H + h) * W + w;
        dx[at(r.i0, c.i0)] += (1 - r.t) * (1 - c.t) * g;
        dx[at(r.i0, c.i1)] += (1 - r.t) * c.t * g;
        dx[at(r.i1, c.i0)] += r.t * (1 - c.t) * g;
        dx[at(r.i1, c.i1)] += r.t * c.t * g;
      }
  return dx;
}

export function blur3x3(x: Arr, [N, C, H, W]: Shape): Float64Array {
  const k = [1, 2, 1];
  const y = new Float64Array(x.length);
  for (let nc = 0; nc < N * C; nc++)
    for (let h = 0; h < H; h++)
      for (let w = 0; w < W; w++) {
        let s = 0;
        for (let a = 0; a < 3; a++)
          for (let b = 0; b < 3; b++) {
            const hh = h + a - 1;
            const ww = w + b - 1;
            if (hh >= 0 && hh < H && ww >= 0 && ww < W) s += (k[a] * k[b] * x[(nc * H + hh) * W + ww]) / 16;
          }
        y[(nc * H + h) * W + w] = s;
      }
  return y;
}
