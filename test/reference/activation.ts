// float64 CPU references for the activation kernels, written independently of the GPU code.
// Per-channel ops take the NCHW shape; the plane is everything after the channel axis.
type Arr = ArrayLike<number>;

export const leakyRelu = (x: Arr, slope: number) => Float64Array.from(x, (v) => (v > 0 ? v : slope * v));
export const leakyReluBackward = (x: Arr, dy: Arr, slope: number) => Float64Array.from(x, (v, i) => (v > 0 ? dy[i] : slope * dy[i]));
export const tanh = (x: Arr) => Float64Array.from(x, (v) => Math.tanh(v));
export const tanhBackward = (y: Arr, dy: Arr) => Float64Array.from(y, (v, i) => dy[i] * (1 - v * v));
export const scalarAffine = (x: Arr, a: number, b: number) => Float64Array.from(x, (v) => a * v + b);

function dims(shape: readonly number[]): [number, number, number] {
  return [shape[0], shape[1], shape.slice(2).reduce((a, b) => a * b, 1)];
}

export function affine(x: Arr, shape: readonly number[], scale: Arr, shift: Arr): Float64Array {
  const [N, C, P] = dims(shape);
  const y = new Float64Array(x.length);
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++)
      for (let p = 0; p < P; p++) {
        const i = (n * C + c) * P + p;
        y[i] = x[i] * scale[c] + shift[c];
      }
  return y;
}

export function affineBackward(x: Arr, shape: readonly number[], scale: Arr, dy: Arr) {
  const [N, C, P] = dims(shape);
  const dx = new Float64Array(x.length);
  const dscale = new Float64Array(C);
  const dshift = new Float64Array(C);
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++)
      for (let p = 0; p < P; p++) {
        const i = (n * C + c) * P + p;
        dx[i] = dy[i] * scale[c];
        dscale[c] += dy[i] * x[i];
        dshift[c] += dy[i];
      }
  return { dx, dscale, dshift };
}
