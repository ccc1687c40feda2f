// Kernel benchmark cases, run the same way in Node (bench/node.ts) and in headless Chromium
// (bench/chromium.ts): our default kernels vs our general blocked and naive ones vs tfjs-webgpu on the
// same adapter, as GFLOP/s measured side by side (interleaved rounds) in one run. Timings are of the whole
// op as a caller sees it: ours include their layout passes (input padding, weight packing), tfjs its own.
import { conv2d, conv2dBackwardInput, conv2dBackwardWeight, convTranspose2d, samePadding, tfConvTranspose2dSame } from '../src/kernels/conv2d.ts';
import { gramMatrix } from '../src/kernels/gram.ts';
import type { Engine } from '../src/runtime/engine.ts';
import type { Tensor } from '../src/runtime/tensor.ts';
import { type BenchRow, type Contender, gflops, measureFmaPeak, timeInterleaved } from './harness.ts';

/** The slice of @tensorflow/tfjs-core the benchmark uses (loaded by the runner, absent if unavailable). */
export interface Tfjs {
  randomNormal(shape: number[]): TfTensor;
  conv2d(x: TfTensor, f: TfTensor, strides: number, pad: 'same' | 'valid'): TfTensor;
  conv2dTranspose(x: TfTensor, f: TfTensor, outputShape: [number, number, number, number], strides: number, pad: 'same' | 'valid'): TfTensor;
  matMul(a: TfTensor, b: TfTensor, transposeA?: boolean, transposeB?: boolean): TfTensor;
  backend(): unknown;
}
export interface TfTensor {
  dispose(): void;
}

export interface BenchResult {
  adapter: string;
  fmaPeakGflops: number;
  rows: BenchRow[];
}

export const VGG_SHAPES = [
  { C: 64, S: 128 },
  { C: 128, S: 64 },
  { C: 256, S: 32 },
  { C: 512, S: 16 },
];

/** A tensor of seeded uniform values in [−0.5, 0.5) (an LCG: the same operands on every host). */
export function random(e: Engine, shape: readonly number[], seed: number): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = s / 2 ** 32 - 0.5;
  }
  return e.tensor([...shape], data);
}

export interface BenchOptions {
  /** 3 samples per case instead of 5. */
  quick?: boolean;
  /** The VGG conv shapes to run (default VGG_SHAPES). */
  shapes?: readonly { C: number; S: number }[];
  /** Also time the naive reference kernels (seconds per call on CPU adapters). Default true. */
  naive?: boolean;
  /** Also time the general register-blocked kernels on the 3×3 cases (the path before the direct one). Default true. */
  blocked?: boolean;
  /** Also time the shared-memory tiled kernels (the 'gpu' profile's) where 'auto' did not pick them. Default true. */
  tiled?: boolean;
  /** Also run the Gram-matrix and 1024³ matmul cases. Default true. */
  extras?: boolean;
  log?: (line: string) => void;
}

export async function runKernelBenchmarks(e: Engine, tf: Tfjs | undefined, opts: BenchOptions = {}): Promise<BenchResult> {
  const { quick = false, shapes = VGG_SHAPES, naive = true, blocked = true, tiled = true, extras = true, log = console.log } = opts;
  const reps = quick ? 3 : 5;
  const rows: BenchRow[] = [];
  const tfSync = tf ? tfjsSync(tf) : undefined;
  const ours = (name: string, call: () => Tensor): Contender => ({ name, call: () => call().release(), sync: () => e.sync() });
  const theirs = (call: () => TfTensor): Contender[] => {
    if (!tfSync) return [];
    const made: TfTensor[] = [];
    return [{ name: 'tfjs-webgpu', call: () => void made.push(call()), sync: async () => {
      await tfSync();
      made.splice(0).forEach((m) => m.dispose());
    } }];
  };
  const reference = (contender: Contender) => (naive ? [contender] : []);
  const general = (contender: Contender) => (blocked ? [contender] : []);
  // Under the 'gpu' profile 'auto' is already the tiled kernel: no second row of it.
  const tiledGemm = (contender: Contender) => (tiled && e.ctx.profile !== 'gpu' ? [contender] : []);
  /** Times the contenders of one case side by side (see timeInterleaved) and records a row each. */
  const race = async (name: string, flop: number, contenders: Contender[]) => {
    const timings = await timeInterleaved(contenders, { reps, inner: 2 });
    for (const [impl, t] of timings) {
      rows.push({ case: name, flop, impl, ms: t.ms, gflops: gflops(flop, t.ms) });
      log(`  ${name.padEnd(28)} ${impl.padEnd(12)} ${t.ms.toFixed(1).padStart(9)} ms  ${gflops(flop, t.ms).toFixed(2).padStart(7)} GFLOP/s`);
    }
  };

  log(`adapter: ${e.describe()}`);
  const fmaPeakGflops = await measureFmaPeak(e);
  log(`FMA peak: ${fmaPeakGflops.toFixed(1)} GFLOP/s`);

  for (const { C, S } of shapes) {
    const flop = 2 * C * C * 9 * S * S;
    const x = random(e, [1, C, S, S], 1);
    const w = random(e, [C, C, 3, 3], 2);
    const tx = tf?.randomNormal([1, S, S, C]);
    const tw = tf?.randomNormal([3, 3, C, C]);
    // ours: 'auto' (the 'cpu' profile: conv3x3Subgroup where subgroups exist, else conv2d3x3; the 'gpu' profile:
    // the shared-memory tiled implicit GEMMs); ours-tiled: those under the 'cpu' profile; ours-direct3x3:
    // conv2d3x3, the 4 × 4 × 4-tile direct kernel; ours-blocked: the general register-blocked kernels.
    await race(`conv3x3 ${C}→${C} @${S}²`, flop, [
      ours('ours', () => conv2d(e, x, w, { padding: 1 })),
      ...tiledGemm(ours('ours-tiled', () => conv2d(e, x, w, { padding: 1, impl: 'conv2dTiled' }))),
      ...general(ours('ours-direct3x3', () => conv2d(e, x, w, { padding: 1, impl: 'conv2d3x3' }))),
      ...general(ours('ours-blocked', () => conv2d(e, x, w, { padding: 1, impl: 'conv2dBlocked' }))),
      ...reference(ours('ours-naive', () => conv2d(e, x, w, { padding: 1, impl: 'conv2dNaive' }))),
      ...theirs(() => tf!.conv2d(tx!, tw!, 1, 'same')),
    ]);
    await race(`conv3x3 dX ${C}→${C} @${S}²`, flop, [
      ours('ours', () => conv2dBackwardInput(e, x, w, x.shape, { padding: 1 })),
      ...tiledGemm(ours('ours-tiled', () => conv2dBackwardInput(e, x, w, x.shape, { padding: 1, impl: 'convTranspose2dTiled' }))),
      ...general(ours('ours-direct3x3', () => conv2dBackwardInput(e, x, w, x.shape, { padding: 1, impl: 'conv2d3x3' }))),
      ...general(ours('ours-blocked', () => conv2dBackwardInput(e, x, w, x.shape, { padding: 1, impl: 'convTranspose2dBlocked' }))),
      ...reference(ours('ours-naive', () => conv2dBackwardInput(e, x, w, x.shape, { padding: 1, impl: 'convTranspose2dNaive' }))),
      ...theirs(() => tf!.conv2dTranspose(tx!, tw!, [1, S, S, C], 1, 'same')),
    ]);
    // The weight gradient (training only; nothing here trains): no public tfjs op to compare with.
    await race(`conv3x3 dW ${C}→${C} @${S}²`, flop, [
      ours('ours', () => conv2dBackwardWeight(e, x, x, w.shape, { padding: 1 })),
      ...reference(ours('ours-naive', () => conv2dBackwardWeight(e, x, x, w.shape, { padding: 1, impl: 'conv2dBackwardWeight' }))),
    ]);
    x.release();
    w.release();
    tx?.dispose();
    tw?.dispose();
  }

  if (extras) {
    const C = 256, S = 64;
    const F = random(e, [1, C, S, S], 3);
    const tF = tf?.randomNormal([C, S * S]);
    await race(`gram C=${C} @${S}²`, 2 * C * C * S * S, [
      ours('ours', () => gramMatrix(e, F, 1)),
      ...tiledGemm(ours('ours-tiled', () => gramMatrix(e, F, 1, { impl: 'gramTiled' }))),
      ...theirs(() => tf!.matMul(tF!, tF!, false, true)),
    ]);
    F.release();
    tF?.dispose();

    // A 1024³ matmul as our 1×1 convolution: [1024 out] × [1024 in] weights over 32·32 = 1024 positions.
    const n = 1024;
    const x = random(e, [1, n, 32, 32], 4);
    const w = random(e, [n, n, 1, 1], 5);
    const a = tf?.randomNormal([n, n]);
    const b = tf?.randomNormal([n, n]);
    await race('matmul 1024³ (conv 1×1)', 2 * n * n * n, [
      ours('ours', () => conv2d(e, x, w)),
      ...tiledGemm(ours('ours-tiled', () => conv2d(e, x, w, { impl: 'conv2dTiled' }))),
      ...reference(ours('ours-naive', () => conv2d(e, x, w, { impl: 'conv2dNaive' }))),
      ...theirs(() => tf!.matMul(a!, b!)),
    ]);
    x.release();
    w.release();
    a?.dispose();
    b?.dispose();

    // The fast-style network's other layers: a 9×9 conv, a stride-2 conv, a stride-2 transposed conv
    // (ours-blocked: the general kernel these ran on before the subgroup kernels).
    const layer = async (name: string, Cin: number, Cout: number, S: number, K: number, stride: number, transposed: boolean) => {
      const xs = random(e, [1, Cin, S, S], 6);
      const ws = random(e, transposed ? [Cin, Cout, K, K] : [Cout, Cin, K, K], 7);
      const tx = tf?.randomNormal([1, S, S, Cin]);
      const tw = tf?.randomNormal(transposed ? [K, K, Cout, Cin] : [K, K, Cin, Cout]);
      const geometry = tfConvTranspose2dSame(S, S, K, K, stride);
      const padding = samePadding(S, S, K, K, stride);
      const outS = transposed ? S * stride : Math.ceil(S / stride);
      const flop = transposed ? 2 * Cin * Cout * K * K * S * S : 2 * Cin * Cout * K * K * outS * outS;
      await race(name, flop, [
        ours('ours', () => (transposed ? convTranspose2d(e, xs, ws, geometry) : conv2d(e, xs, ws, { stride, padding }))),
        ...tiledGemm(ours('ours-tiled', () => (transposed ? convTranspose2d(e, xs, ws, { ...geometry, impl: 'convTranspose2dTiled' }) : conv2d(e, xs, ws, { stride, padding, impl: 'conv2dTiled' })))),
        ...general(ours('ours-blocked', () => (transposed ? convTranspose2d(e, xs, ws, { ...geometry, impl: 'convTranspose2dBlocked' }) : conv2d(e, xs, ws, { stride, padding, impl: 'conv2dBlocked' })))),
        ...theirs(() => (transposed ? tf!.conv2dTranspose(tx!, tw!, [1, outS, outS, Cout], stride, 'same') : tf!.conv2d(tx!, tw!, stride, 'same'))),
      ]);
      xs.release();
      ws.release();
      tx?.dispose();
      tw?.dispose();
    };
    await layer('conv9×9 3→32 @256²', 3, 32, 256, 9, 1, false);
    await layer('conv3×3 s2 64→128 @128²', 64, 128, 128, 3, 2, false);
    await layer('convT3×3 s2 128→64 @64²', 128, 64, 64, 3, 2, true);
  }
  return { adapter: e.describe(), fmaPeakGflops, rows };
}

/** Waits for tfjs-webgpu's queued work. Its backend records dispatches into an open compute pass and submits
 *  every few dispatches; submitQueue() alone would finish the command encoder while that pass is still open
 *  ("Parent encoder … is already finished") and leave tfjs broken, so end the pass first, as the backend does
 *  itself before a read-back (backend_webgpu.js getBufferData). */
export function tfjsSync(tf: Tfjs): () => Promise<void> {
  const backend = tf.backend() as { ensureCommandEncoderReady(): void; endComputePassEncoder(): void; submitQueue(): void; device: GPUDevice };
  return async () => {
    backend.ensureCommandEncoderReady();
    backend.endComputePassEncoder();
    backend.submitQueue();
    await backend.device.queue.onSubmittedWorkDone();
  };
}
