// float64 CPU references for per-channel statistics, instance norm and AdaIN, written independently of the GPU
// code. Tensors are flat NCHW arrays with P = H·W positions per (n, c).

export interface Moments {
  unbiased: boolean;
  eps: number;
}

/** Mean and sqrt(var + eps) per (n, c), two-pass in float64. */
export function meanStd(x: ArrayLike<number>, N: number, C: number, P: number, { unbiased, eps }: Moments) {
  const mean = new Float64Array(N * C);
  const std = new Float64Array(N * C);
  for (let k = 0; k < N * C; k++) {
    let s = 0;
    for (let p = 0; p < P; p++) s += x[k * P + p];
    const mu = s / P;
    let q = 0;
    for (let p = 0; p < P; p++) q += (x[k * P + p] - mu) ** 2;
    mean[k] = mu;
    std[k] = Math.sqrt(q / (unbiased ? P - 1 : P) + eps);
  }
  return { mean, std };
}

/** y = (x − μ)/σ · scale[k] + shift[k], k = n·stride + c (scale 1, shift 0 when absent). */
function scaleShiftNormalize(
  x: ArrayLike<number>, N: number, C: number, P: number, m: Moments,
  scale: ArrayLike<number> | undefined, shift: ArrayLike<number> | undefined, stride: number,
): Float64Array {
  const { mean, std } = meanStd(x, N, C, P, m);
  const y = new Float64Array(N * C * P);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const k = n * C + c;
      const g = scale ? scale[n * stride + c] : 1;
      const b = shift ? shift[n * stride + c] : 0;
      for (let p = 0; p < P; p++) y[k * P + p] = ((x[k * P + p] - mean[k]) / std[k]) * g + b;
    }
  }
  return y;
}

export function instanceNorm(x: ArrayLike<number>, N: number, C: number, P: number, m: Moments, gamma?: ArrayLike<number>, beta?: ArrayLike<number>): Float64Array {
  return scaleShiftNormalize(x, N, C, P, m, gamma, beta, 0);
}

/** d/dx of Σ dy·(γ x̂): with σ = sqrt(v + eps), v = Σ(x − μ)²/D,
 *  dx_i = γ/σ·(dy_i − mean(dy)) − γ/σ³·(x_i − μ)·Σ_j dy_j (x_j − μ)/D. */
function scaledBackward(
  x: ArrayLike<number>, dy: ArrayLike<number>, N: number, C: number, P: number, m: Moments,
  scale: ArrayLike<number> | undefined, stride: number,
): Float64Array {
  const { mean, std } = meanStd(x, N, C, P, m);
  const D = m.unbiased ? P - 1 : P;
  const dx = new Float64Array(N * C * P);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const k = n * C + c;
      const g = scale ? scale[n * stride + c] : 1;
      let sdy = 0;
      let sdyx = 0;
      for (let p = 0; p < P; p++) {
        sdy += dy[k * P + p];
        sdyx += dy[k * P + p] * (x[k * P + p] - mean[k]);
      }
      const s = std[k];
      for (let p = 0; p < P; p++) {
        dx[k * P + p] = (g / s) * (dy[k * P + p] - sdy / P) - (g / s ** 3) * (x[k * P + p] - mean[k]) * (sdyx / D);
      }
    }
  }
  return dx;
}

export function instanceNormBackward(x: ArrayLike<number>, dy: ArrayLike<number>, N: number, C: number, P: number, m: Moments, gamma?: ArrayLike<number>) {
  const dx = scaledBackward(x, dy, N, C, P, m, gamma, 0);
  const { mean, std } = meanStd(x, N, C, P, m);
  const dgamma = new Float64Array(C);
  const dbeta = new Float64Array(C);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const k = n * C + c;
      for (let p = 0; p < P; p++) {
        dgamma[c] += (dy[k * P + p] * (x[k * P + p] - mean[k])) / std[k];
        dbeta[c] += dy[k * P + p];
      }
    }
  }
  return { dx, dgamma, dbeta };
}

/** AdaIN(x, y) = σ(y)·(x − μ(x))/σ(x) + μ(y); style y has Ps positions per (n, c). */
export function adain(x: ArrayLike<number>, style: ArrayLike<number>, N: number, C: number, P: number, Ps: number, m: Moments): Float64Array {
  const s = meanStd(style, N, C, Ps, m);
  return scaleShiftNormalize(x, N, C, P, m, s.std, s.mean, C);
}

export function adainBackward(x: ArrayLike<number>, style: ArrayLike<number>, dy: ArrayLike<number>, N: number, C: number, P: number, Ps: number, m: Moments): Float64Array {
  return scaledBackward(x, dy, N, C, P, m, meanStd(style, N, C, Ps, m).std, C);
}
