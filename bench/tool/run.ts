// The benchmark tool's measuring code, the same in Node (Dawn) and in the Chromium page: the adapter's
// roofline (FMA peak, copy bandwidth), every planner candidate that fits a case (each lanes / tile option),
// tfjs-webgpu where it has the op, and per variant warm-up, then repetitions until a time budget.
// Per repetition: GPU time from the engine's timestamp queries where the device has 'timestamp-query',
// and always the wall time from submit to done (the figure used where timestamps are missing).
import { conv2d, conv2dBackwardInput, conv2dProblems, correlationKernels, gatherKernels, type Tile } from '../../src/kernels/conv2d.ts';
import type { Lanes } from '../../src/kernels/conv2dSubgroup.ts';
import { gramKernels, gramMatrix } from '../../src/kernels/gram.ts';
import type { KernelCandidate } from '../../src/kernels/planner.ts';
import type { GpuContext } from '../../src/runtime/device.ts';
import type { Engine } from '../../src/runtime/engine.ts';
import type { Tensor } from '../../src/runtime/tensor.ts';
import { measureFmaPeak } from '../harness.ts';
import { type Tfjs, type TfTensor, random, tfjsSync } from '../kernels.ts';
import { type BenchCase, caseName, convOutput, work } from './cases.ts';
import { KernelProfiler } from '../../src/runtime/profiler.ts';

/** A way to run a case: a planner candidate with its option, 'auto' (what the planner picks), or tfjs. */
export interface Variant {
  /** e.g. "conv3x3Subgroup lanes=8", "conv2dBlocked tile=8x2", "auto (conv2d3x3)", "tfjs-webgpu". */
  name: string;
  impl: string;
  tile?: Tile;
  lanes?: Lanes;
}

export interface RunSettings {
  /** Milliseconds of repetitions per variant (after warm-up); at least `minReps` run whatever it takes. */
  budgetMs: number;
  warmup: number;
  minReps: number;
  /** Keep only candidates whose impl name is listed (and 'auto' / 'tfjs-webgpu' when listed); all if absent. */
  impls?: readonly string[];
  /** Tiles tried for candidates that take one; [] or absent: their default tile only. */
  tiles?: readonly Tile[];
}

export interface Stats {
  median: number;
  min: number;
  max: number;
}
export interface CaseResult {
  case: BenchCase;
  name: string;
  variant: string;
  flop: number;
  bytes: number;
  reps: number;
  /** Submit-to-done milliseconds of one call. */
  wallMs: Stats;
  /** GPU milliseconds of one call from timestamp queries; absent where the device grants none (or for tfjs). */
  gpuMs?: Stats;
  /** The time the rates use: gpuMs' median where present, else wallMs'. */
  ms: number;
  timeSource: 'gpu' | 'wall';
  gflops: number;
  gbps: number;
  /** Fractions of the adapter's FMA peak and copy bandwidth. */
  ofPeak: number;
  ofBandwidth: number;
}
export interface Roofline {
  fmaGflops: number;
  copyGBps: number;
}
export interface RunResult {
  host: string;
  adapter: string;
  profile: string;
  timestamps: string;
  roofline: Roofline;
  settings: RunSettings;
  results: CaseResult[];
  /** Variants left out, with the planner's reason, per case. */
  skipped: { case: string; variant: string; reason: string }[];
}

export const stats = (v: readonly number[]): Stats => {
  const s = [...v].sort((a, b) => a - b);
  return { median: s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2, min: s[0], max: s[s.length - 1] };
};

/** The table a case's op plans from, and the problem it poses for a variant's options. */
function tableOf(e: Engine, c: BenchCase, v: { tile?: Tile; lanes?: Lanes }): { candidates: readonly KernelCandidate<unknown>[]; problem: unknown } {
  if (c.op === 'gram') return { candidates: gramKernels.candidates as readonly KernelCandidate<unknown>[], problem: { F: [c.n, c.c, c.h, c.w], lanes: v.lanes } };
  const p = conv2dProblems('conv2d', [c.n, c.cin, c.h, c.w], [c.cout, c.cin, c.k, c.k], { stride: c.s, padding: c.p, ...v });
  if (c.op === 'conv2d') return { candidates: correlationKernels.candidates as readonly KernelCandidate<unknown>[], problem: p.forward };
  return { candidates: gatherKernels.candidates as readonly KernelCandidate<unknown>[], problem: p.inputGradient };
}

/** Every variant of the case's planner table that fits on this device (each of its options), with the
 *  reasons of those that do not. */
export function variantsOf(e: Engine, c: BenchCase, settings: Pick<RunSettings, 'impls' | 'tiles'>): { fit: Variant[]; misfit: { variant: string; reason: string }[] } {
  const ctx: GpuContext = e.ctx;
  const fit: Variant[] = [];
  const misfit: { variant: string; reason: string }[] = [];
  const wanted = (name: string) => !settings.impls || settings.impls.includes(name);
  if (wanted('auto')) {
    const { candidates, problem } = tableOf(e, c, {});
    const table = c.op === 'gram' ? gramKernels : c.op === 'conv2d' ? correlationKernels : gatherKernels;
    const order = table.preference[ctx.profile];
    const chosen = order.find((n) => !candidates.find((k) => k.name === n)!.fits(problem, ctx));
    fit.push({ name: `auto (${chosen ?? 'none fits'})`, impl: 'auto' });
  }
  for (const cand of tableOf(e, c, {}).candidates) {
    if (!wanted(cand.name)) continue;
    const options: { tile?: Tile; lanes?: Lanes }[] = cand.options.includes('lanes')
      ? [{ lanes: 4 }, { lanes: 8 }]
      : cand.options.includes('tile') && settings.tiles?.length
        ? settings.tiles.map((tile) => ({ tile }))
        : [{}];
    for (const o of options) {
      const name = [cand.name, o.lanes ? `lanes=${o.lanes}` : '', o.tile ? `tile=${o.tile.co}x${o.tile.px}` : ''].filter(Boolean).join(' ');
      const { problem } = tableOf(e, c, o);
      const reason = cand.fits(problem, ctx);
      if (reason) misfit.push({ variant: name, reason });
      else fit.push({ name, impl: cand.name, ...o });
    }
  }
  return { fit, misfit };
}

/** A call of one variant on the case's operands, and how to free them. */
interface Runner {
  call(v: Variant): Tensor;
  release(): void;
}
function runnerOf(e: Engine, c: BenchCase): Runner {
  if (c.op === 'gram') {
    const F = random(e, [c.n, c.c, c.h, c.w], 1);
    return { call: (v) => gramMatrix(e, F, 1, { impl: v.impl, lanes: v.lanes }), release: () => F.release() };
  }
  const w = random(e, [c.cout, c.cin, c.k, c.k], 2);
  const geometry = { stride: c.s, padding: c.p };
  if (c.op === 'conv2d') {
    const x = random(e, [c.n, c.cin, c.h, c.w], 1);
    return { call: (v) => conv2d(e, x, w, { ...geometry, impl: v.impl, tile: v.tile, lanes: v.lanes }), release: () => (x.release(), w.release()) };
  }
  const dy = random(e, convOutput(c), 1);
  return {
    call: (v) => conv2dBackwardInput(e, dy, w, [c.n, c.cin, c.h, c.w], { ...geometry, impl: v.impl, tile: v.tile, lanes: v.lanes }),
    release: () => (dy.release(), w.release()),
  };
}

/** tfjs's op for a case (NHWC operands), where tfjs has one with the same geometry. */
function tfjsCall(tf: Tfjs, c: BenchCase): { call: () => TfTensor; release: () => void } | undefined {
  if (c.op === 'gram') {
    const F = tf.randomNormal([c.c, c.h * c.w]);
    return c.n === 1 ? { call: () => tf.matMul(F, F, false, true), release: () => F.dispose() } : (F.dispose(), undefined);
  }
  // tfjs pads 'same' (stride 1: (k − 1)/2 each side) or 'valid' (none).
  const pad = c.p === 0 ? 'valid' : c.s === 1 && 2 * c.p === c.k - 1 ? 'same' : undefined;
  if (!pad) return undefined;
  const w = tf.randomNormal([c.k, c.k, c.cin, c.cout]);
  if (c.op === 'conv2d') {
    const x = tf.randomNormal([c.n, c.h, c.w, c.cin]);
    return { call: () => tf.conv2d(x, w, c.s, pad), release: () => (x.dispose(), w.dispose()) };
  }
  const [, , ho, wo] = convOutput(c);
  const dy = tf.randomNormal([c.n, ho, wo, c.cout]);
  return { call: () => tf.conv2dTranspose(dy, w, [c.n, c.h, c.w, c.cin], c.s, pad), release: () => (dy.dispose(), w.dispose()) };
}

/** Warm-up, then repetitions until the budget (at least minReps): per repetition the wall time and, where
 *  `gpuTime` is given, the GPU time it reports. */
export async function repeat(once: () => Promise<{ wallMs: number; gpuMs?: number }>, s: Pick<RunSettings, 'budgetMs' | 'warmup' | 'minReps'>) {
  for (let i = 0; i < s.warmup; i++) await once();
  const wall: number[] = [];
  const gpu: number[] = [];
  const start = performance.now();
  while (wall.length < s.minReps || performance.now() - start < s.budgetMs) {
    const r = await once();
    wall.push(r.wallMs);
    if (r.gpuMs !== undefined) gpu.push(r.gpuMs);
  }
  return { reps: wall.length, wallMs: stats(wall), gpuMs: gpu.length ? stats(gpu) : undefined };
}

/** The adapter's copy bandwidth in GB/s (read + write bytes): the best of 5 buffer-to-buffer copies of 64 MiB
 *  (less where the device allows less), timed from submit to done. */
export async function measureCopyBandwidth(e: Engine, reps = 5): Promise<number> {
  const size = Math.min(64 * 2 ** 20, e.ctx.limits.maxBufferSize);
  const usage = GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
  const device = e.ctx.device;
  const [a, b] = [0, 1].map(() => device.createBuffer({ size, usage, label: 'bench copy' }));
  const copy = async () => {
    const enc = device.createCommandEncoder();
    enc.copyBufferToBuffer(a, 0, b, 0, size);
    device.queue.submit([enc.finish()]);
    await device.queue.onSubmittedWorkDone();
  };
  await copy();
  let best = Infinity;
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    await copy();
    best = Math.min(best, performance.now() - t0);
  }
  a.destroy();
  b.destroy();
  return (2 * size) / (best * 1e6);
}

export async function measureRoofline(e: Engine): Promise<Roofline> {
  return { fmaGflops: await measureFmaPeak(e), copyGBps: await measureCopyBandwidth(e) };
}

/** The figures of one measured variant. */
export function caseResult(c: BenchCase, variant: string, m: Awaited<ReturnType<typeof repeat>>, roofline: Roofline): CaseResult {
  const { flop, bytes } = work(c);
  const timeSource = m.gpuMs ? 'gpu' : 'wall';
  const ms = (m.gpuMs ?? m.wallMs).median;
  const gflops = flop / (ms * 1e6);
  const gbps = bytes / (ms * 1e6);
  return { case: c, name: caseName(c), variant, flop, bytes, reps: m.reps, wallMs: m.wallMs, gpuMs: m.gpuMs, ms, timeSource, gflops, gbps, ofPeak: gflops / roofline.fmaGflops, ofBandwidth: gbps / roofline.copyGBps };
}

export async function runCases(e: Engine, cases: readonly BenchCase[], settings: RunSettings, host: string, tf?: Tfjs, log: (line: string) => void = console.log): Promise<RunResult> {
  const timestamps = e.ctx.features.has('timestamp-query');
  const timestampNote = timestamps ? "GPU time from timestamp queries (ours); tfjs: submit-to-done wall time" : "no 'timestamp-query' on this device: every time is submit-to-done wall time";
  log(`adapter: ${e.describe()}; kernel profile '${e.ctx.profile}'; ${timestampNote}`);
  const roofline = await measureRoofline(e);
  log(`roofline: FMA peak ${roofline.fmaGflops.toFixed(1)} GFLOP/s, copy ${roofline.copyGBps.toFixed(2)} GB/s`);
  const results: CaseResult[] = [];
  const skipped: RunResult['skipped'] = [];
  const tfSync = tf ? tfjsSync(tf) : undefined;
  for (const c of cases) {
    const name = caseName(c);
    const { fit, misfit } = variantsOf(e, c, settings);
    for (const m of misfit) skipped.push({ case: name, ...m });
    const runner = runnerOf(e, c);
    try {
      for (const v of fit) {
        const once = async () => {
          if (timestamps) e.startProfiling(KernelProfiler.create);
          const t0 = performance.now();
          const y = v.impl === 'auto' ? runner.call({ ...v, impl: 'auto' }) : runner.call(v);
          await e.sync();
          const wallMs = performance.now() - t0;
          y.release();
          if (!timestamps) return { wallMs };
          const times = await e.stopProfiling();
          return { wallMs, gpuMs: Object.values(times).reduce((s, t) => s + t.ms, 0) };
        };
        const r = caseResult(c, v.name, await repeat(once, settings), roofline);
        results.push(r);
        log(line(r));
      }
      const theirs = tf && (!settings.impls || settings.impls.includes('tfjs-webgpu')) ? tfjsCall(tf, c) : undefined;
      if (theirs) {
        const once = async () => {
          const t0 = performance.now();
          const y = theirs.call();
          await tfSync!();
          const wallMs = performance.now() - t0;
          y.dispose();
          return { wallMs };
        };
        const r = caseResult(c, 'tfjs-webgpu', await repeat(once, settings), roofline);
        results.push(r);
        log(line(r));
        theirs.release();
      }
    } finally {
      runner.release();
    }
  }
  return { host, adapter: e.describe(), profile: e.ctx.profile, timestamps: timestampNote, roofline, settings, results, skipped };
}

export const line = (r: CaseResult) =>
  `  ${r.name.padEnd(34)} ${r.variant.padEnd(30)} ${r.ms.toFixed(2).padStart(9)} ms (${r.timeSource}) ${r.gflops.toFixed(2).padStart(7)} GFLOP/s ${(100 * r.ofPeak).toFixed(1).padStart(5)} % peak ${r.gbps.toFixed(2).padStart(6)} GB/s  ×${r.reps}`;
