// Kernel benchmark cases, run the same way in Node (bench/node.ts) and in headless Chromium
// (bench/chromium.ts): our blocked kernels vs our naive ones vs tfjs-webgpu on the same adapter, as
// GFLOP/s measured side by side in one run.
import { conv2d, conv2dBackwardInput } from '../src/kernels/conv2d.ts';
import { gramMatrix } from '../src/kernels/gram.ts';
import type { Engine } from '../src/runtime/engine.ts';
import type { Tensor } from '../src/runtime/tensor.ts';
import { type BenchRow, gflops, measureFmaPeak, timeIt } from './harness.ts';

/** The slice of @tensorflow/tfjs-core the benchmark uses (loaded by the runner, absent if unavailable). */
export interface Tfjs {
  randomNormal(shape: number[]): TfTensor;
  conv2d(x: TfTensor, f: TfTensor, strides: number, pad: 'same' | 'valid'): TfTensor;
  conv2dTranspose(x: TfTensor, f: TfTensor, outputShape: [number, number, number, number], strides: number, pad: 'same' | 'valid'): TfTensor;
  matMul(a: TfTensor, b: TfTensor, transposeA?: boolean, transposeB?: boolean): TfTensor;
  backend(): unknown;
}
interface TfTensor {
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

function random(e: Engine, shape: number[], seed: number): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = s / 2 ** 32 - 0.5;
  }
  return e.tensor(shape, data);
}

export async function runKernelBenchmarks(e: Engine, tf: Tfjs | undefined, { quick = false, log = console.log } = {}): Promise<BenchResult> {
  const reps = quick ? 3 : 5;
  const rows: BenchRow[] = [];
  const ours = async (name: string, flop: number, impl: string, call: () => Tensor) => {
    const t = await timeIt(() => call().release(), () => e.sync(), { reps, inner: 2 });
    rows.push({ case: name, flop, impl, ms: t.ms, gflops: gflops(flop, t.ms) });
    log(`  ${name.padEnd(28)} ${impl.padEnd(12)} ${t.ms.toFixed(1).padStart(9)} ms  ${gflops(flop, t.ms).toFixed(2).padStart(7)} GFLOP/s`);
  };
  const tfSync = tf ? tfjsSync(tf) : undefined;
  const theirs = async (name: string, flop: number, call: () => TfTensor) => {
    if (!tf || !tfSync) return;
    const made: TfTensor[] = [];
    const t = await timeIt(() => void made.push(call()), async () => {
      await tfSync();
      made.splice(0).forEach((m) => m.dispose());
    }, { reps, inner: 2 });
    rows.push({ case: name, flop, impl: 'tfjs-webgpu', ms: t.ms, gflops: gflops(flop, t.ms) });
    log(`  ${name.padEnd(28)} ${'tfjs-webgpu'.padEnd(12)} ${t.ms.toFixed(1).padStart(9)} ms  ${gflops(flop, t.ms).toFixed(2).padStart(7)} GFLOP/s`);
  };

  log(`adapter: ${e.describe()}`);
  const fmaPeakGflops = await measureFmaPeak(e);
  log(`FMA peak: ${fmaPeakGflops.toFixed(1)} GFLOP/s`);

  for (const { C, S } of VGG_SHAPES) {
    const flop = 2 * C * C * 9 * S * S;
    const x = random(e, [1, C, S, S], 1);
    const w = random(e, [C, C, 3, 3], 2);
    const name = `conv3x3 ${C}→${C} @${S}²`;
    await ours(name, flop, 'ours', () => conv2d(e, x, w, { padding: 1 }));
    await ours(name, flop, 'ours-naive', () => conv2d(e, x, w, { padding: 1, impl: 'naive' }));
    const bname = `conv3x3 dX ${C}→${C} @${S}²`;
    await ours(bname, flop, 'ours', () => conv2dBackwardInput(e, x, w, x.shape, { padding: 1 }));
    await ours(bname, flop, 'ours-naive', () => conv2dBackwardInput(e, x, w, x.shape, { padding: 1, impl: 'naive' }));
    x.release();
    w.release();
    if (tf) {
      const tx = tf.randomNormal([1, S, S, C]);
      const tw = tf.randomNormal([3, 3, C, C]);
      await theirs(name, flop, () => tf.conv2d(tx, tw, 1, 'same'));
      await theirs(bname, flop, () => tf.conv2dTranspose(tx, tw, [1, S, S, C], 1, 'same'));
      tx.dispose();
      tw.dispose();
    }
  }

  {
    const C = 256, S = 64;
    const flop = 2 * C * C * S * S;
    const F = random(e, [1, C, S, S], 3);
    const name = `gram C=${C} @${S}²`;
    await ours(name, flop, 'ours', () => gramMatrix(e, F, 1));
    F.release();
    if (tf) {
      const tF = tf.randomNormal([C, S * S]);
      await theirs(name, flop, () => tf.matMul(tF, tF, false, true));
      tF.dispose();
    }
  }

  {
    // A 1024³ matmul as our 1×1 convolution: [1024 out] × [1024 in] weights over 32·32 = 1024 positions.
    const n = 1024;
    const flop = 2 * n * n * n;
    const x = random(e, [1, n, 32, 32], 4);
    const w = random(e, [n, n, 1, 1], 5);
    const name = 'matmul 1024³ (conv 1×1)';
    await ours(name, flop, 'ours', () => conv2d(e, x, w));
    await ours(name, flop, 'ours-naive', () => conv2d(e, x, w, { impl: 'naive' }));
    x.release();
    w.release();
    if (tf) {
      const a = tf.randomNormal([n, n]);
      const b = tf.randomNormal([n, n]);
      await theirs(name, flop, () => tf.matMul(a, b));
      a.dispose();
      b.dispose();
    }
  }
  return { adapter: e.describe(), fmaPeakGflops, rows };
}

/** Waits for tfjs-webgpu's queued work: its backend batches commands until told to submit. */
function tfjsSync(tf: Tfjs): () => Promise<void> {
  const backend = tf.backend() as { submitQueue(): void; device: GPUDevice };
  return async () => {
    backend.submitQueue();
    await backend.device.queue.onSubmittedWorkDone();
  };
}
