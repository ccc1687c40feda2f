// Finite-difference gradient checks. The loss is L(x) = Σ dy ⊙ f(x) with f the float64 CPU reference of a
// forward kernel, so central differences are accurate to ~1e-9 and any disagreement is the backward
// kernel's. `grad` is what a GPU backward kernel returned for the same x and dy.
import { expect } from 'vitest';

export interface GradCheckOptions {
  /** Step of the central difference (default 1e-4; smaller for smooth, larger near kinks). */
  h?: number;
  atol?: number;
  rtol?: number;
  /** Check at most this many coordinates, spread evenly (default all). */
  maxPoints?: number;
  what?: string;
}

export function gradCheck(
  forward: (x: Float64Array) => ArrayLike<number>,
  x: ArrayLike<number>,
  dy: ArrayLike<number>,
  grad: ArrayLike<number>,
  { h = 1e-4, atol = 1e-4, rtol = 1e-3, maxPoints = Infinity, what = 'gradient' }: GradCheckOptions = {},
): void {
  const base = Float64Array.from(x);
  expect(grad.length, `${what}: length`).toBe(base.length);
  const loss = (v: Float64Array) => {
    const y = forward(v);
    let s = 0;
    for (let i = 0; i < y.length; i++) s += dy[i] * y[i];
    return s;
  };
  const step = Math.max(1, Math.floor(base.length / Math.min(base.length, maxPoints)));
  for (let i = 0; i < base.length; i += step) {
    const keep = base[i];
    base[i] = keep + h;
    const up = loss(base);
    base[i] = keep - h;
    const down = loss(base);
    base[i] = keep;
    const fd = (up - down) / (2 * h);
    if (!(Math.abs(grad[i] - fd) <= atol + rtol * Math.abs(fd))) {
      expect.fail(`${what}: d/dx[${i}] is ${grad[i]}, finite difference gives ${fd} (h ${h}, atol ${atol}, rtol ${rtol})`);
    }
  }
}
