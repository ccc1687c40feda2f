// float64 CPU references for the elementwise and reduction kernels, written independently of the GPU code.
export const add = (a: ArrayLike<number>, b: ArrayLike<number>) => Float64Array.from(a, (v, i) => v + b[i]);
export const scale = (a: ArrayLike<number>, alpha: number) => Float64Array.from(a, (v) => alpha * v);
export const axpy = (alpha: number, x: ArrayLike<number>, y: ArrayLike<number>) => Float64Array.from(x, (v, i) => alpha * v + y[i]);

export function sum(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i];
  return s;
}
export function dot(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * y[i];
  return s;
}
export function sumAbs(x: ArrayLike<number>, y?: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += Math.abs(x[i] * (y ? y[i] : 1));
  return s;
}
