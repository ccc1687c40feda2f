// float64 CPU references for the optimiser kernels (shaders/lbfgs.wgsl), and the float64 objectives of the
// golden optimiser runs (test/golden/make_lbfgs_golden.py defines the same ones in PyTorch).

export function sumAbs(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += Math.abs(x[i]);
  return s;
}

export function maxAbs(x: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]));
  return m;
}

/** y + c·x */
export function axpy(c: number, x: ArrayLike<number>, y: ArrayLike<number>): Float64Array {
  return Float64Array.from(y, (v, i) => v + c * x[i]);
}

/** torch's `if ys > 1e-10: ro = 1/ys; H_diag = ys/yy` on a copy of coef (the threshold as f32, as torch compares). */
export function acceptPair(coef: ArrayLike<number>, ys: number, yy: number, rho: number, hDiag: number): Float64Array {
  const out = Float64Array.from(coef);
  if (ys > Math.fround(1e-10)) {
    out[rho] = 1 / ys;
    out[hDiag] = ys / yy;
  }
  return out;
}

export interface AdamMoments {
  param: Float64Array;
  expAvg: Float64Array;
  expAvgSq: Float64Array;
}

/** Step `step` (from 1) of torch.optim.Adam on copies of the state. */
export function adamStep(s: AdamMoments, grad: ArrayLike<number>, step: number, lr: number, beta1: number, beta2: number, eps: number): AdamMoments {
  const out = { param: Float64Array.from(s.param), expAvg: Float64Array.from(s.expAvg), expAvgSq: Float64Array.from(s.expAvgSq) };
  const stepSize = lr / (1 - beta1 ** step);
  const bc2Sqrt = Math.sqrt(1 - beta2 ** step);
  for (let i = 0; i < grad.length; i++) {
    const g = grad[i];
    out.expAvg[i] = beta1 * s.expAvg[i] + (1 - beta1) * g;
    out.expAvgSq[i] = beta2 * s.expAvgSq[i] + (1 - beta2) * g * g;
    out.param[i] = s.param[i] - (stepSize * out.expAvg[i]) / (Math.sqrt(out.expAvgSq[i]) / bc2Sqrt + eps);
  }
  return out;
}

// ---- objectives: loss and gradient in float64

export interface LossAndGrad {
  loss: number;
  grad: Float64Array;
}

/** ½ xᵀAx − bᵀx with A = diag(1 + i/2) + 0.3·cos(i − j) (symmetric positive definite), b_i = sin(0.7 i + 0.3). */
export function quadratic(x: ArrayLike<number>): LossAndGrad {
  const n = x.length;
  const grad = new Float64Array(n);
  let loss = 0;
  for (let i = 0; i < n; i++) {
    let ax = (1 + 0.5 * i) * x[i];
    for (let j = 0; j < n; j++) ax += 0.3 * Math.cos(i - j) * x[j];
    const b = Math.sin(0.7 * i + 0.3);
    loss += 0.5 * x[i] * ax - b * x[i];
    grad[i] = ax - b;
  }
  return { loss, grad };
}

/** Σ 100 (x_{i+1} − x_i²)² + (1 − x_i)² */
export function rosenbrock(x: ArrayLike<number>): LossAndGrad {
  const grad = new Float64Array(x.length);
  let loss = 0;
  for (let i = 0; i + 1 < x.length; i++) {
    const u = x[i + 1] - x[i] * x[i];
    const v = 1 - x[i];
    loss += 100 * u * u + v * v;
    grad[i] += -400 * x[i] * u - 2 * v;
    grad[i + 1] += 200 * u;
  }
  return { loss, grad };
}

/** Σ (x_i² − 1)² + 0.1 Σ x_i x_{i+1}: a double well per coordinate, with negative curvature near 0. */
export function wells(x: ArrayLike<number>): LossAndGrad {
  const grad = new Float64Array(x.length);
  let loss = 0;
  for (let i = 0; i < x.length; i++) {
    const w = x[i] * x[i] - 1;
    loss += w * w;
    grad[i] += 4 * x[i] * w;
    if (i + 1 < x.length) {
      loss += 0.1 * x[i] * x[i + 1];
      grad[i] += 0.1 * x[i + 1];
      grad[i + 1] += 0.1 * x[i];
    }
  }
  return { loss, grad };
}
