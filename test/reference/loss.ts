// float64 CPU references for the loss kernels, written independently of the GPU code.

export function mse(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return s / a.length;
}

export const mseBackward = (a: ArrayLike<number>, b: ArrayLike<number>, dL: number) =>
  Float64Array.from(a, (v, i) => (2 * (v - b[i]) * dL) / a.length);

/** Σ over n, c of Σ (x[i+1, j] − x[i, j])² + (x[i, j+1] − x[i, j])², x flat [N·C planes, H, W]. */
export function tv(x: ArrayLike<number>, planes: number, H: number, W: number): number {
  let s = 0;
  for (let q = 0; q < planes; q++) {
    const at = (i: number, j: number) => x[(q * H + i) * W + j];
    for (let i = 0; i < H; i++) {
      for (let j = 0; j < W; j++) {
        if (i + 1 < H) s += (at(i + 1, j) - at(i, j)) ** 2;
        if (j + 1 < W) s += (at(i, j + 1) - at(i, j)) ** 2;
      }
    }
  }
  return s;
}

/** dTV/dx · dL, accumulated pair by pair: each squared difference (u − v)² adds 2(u − v) to u and −2(u − v) to v. */
export function tvBackward(x: ArrayLike<number>, planes: number, H: number, W: number, dL: number): Float64Array {
  const g = new Float64Array(x.length);
  const pair = (u: number, v: number) => {
    const d = 2 * (x[u] - x[v]) * dL;
    g[u] += d;
    g[v] -= d;
  };
  for (let q = 0; q < planes; q++) {
    for (let i = 0; i < H; i++) {
      for (let j = 0; j < W; j++) {
        const k = (q * H + i) * W + j;
        if (i + 1 < H) pair(k + W, k);
        if (j + 1 < W) pair(k + 1, k);
      }
    }
  }
  return g;
}
