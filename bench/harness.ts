// Benchmark plumbing shared by the Node and Chromium runners: timing by wall clock around a GPU sync,
// medians over repeats, GFLOP/s, and the FMA-peak probe of the adapter. Implementations of one case are
// timed in interleaved rounds (one sample of each per round), so a machine shared with other work slows
// them alike instead of whichever happened to run while it was busy.
import type { Engine } from '../src/runtime/engine.ts';
import { grid1d, kernel, shaderModule } from '../src/runtime/kernel.ts';
import { uniformStruct } from '../src/runtime/uniforms.ts';
import fmaSource from './fma-peak.wgsl?raw';

export interface Timing {
  /** Median milliseconds of one call. */
  ms: number;
  reps: number;
}

export interface Contender {
  name: string;
  call: () => void;
  /** Waits for the GPU work `call` queued (and frees what it made). */
  sync: () => Promise<void>;
}

/** Median time of one call of each contender: `warmup` rounds, then `reps` rounds of one sample each, a
 *  sample being `inner` calls followed by the contender's sync. */
export async function timeInterleaved(contenders: readonly Contender[], { warmup = 1, reps = 5, inner = 2 } = {}): Promise<Map<string, Timing>> {
  for (let i = 0; i < warmup; i++) {
    for (const c of contenders) {
      c.call();
      await c.sync();
    }
  }
  const samples = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
  for (let r = 0; r < reps; r++) {
    for (const c of contenders) {
      const t0 = performance.now();
      for (let i = 0; i < inner; i++) c.call();
      await c.sync();
      samples.get(c.name)!.push((performance.now() - t0) / inner);
    }
  }
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
  return new Map([...samples].map(([name, v]) => [name, { ms: median(v), reps }]));
}

export const gflops = (flop: number, ms: number) => flop / (ms * 1e6);

const FmaPeakParams = uniformStruct('FmaPeakParams', { n: 'u32', iters: 'u32', mul: 'f32', add: 'f32' });
const fmaModule = shaderModule('fma-peak', fmaSource, [FmaPeakParams]);
const fmaPeakKernel = kernel(fmaModule, { entryPoint: 'fmaPeak', bindings: ['out'], uniforms: FmaPeakParams, constants: { WG: 64 } });

/** The adapter's FMA-bound throughput in GFLOP/s: the best of `reps` runs of one dispatch of `invocations`
 *  threads, each doing 320 · iters FLOP (bench/fma-peak.wgsl). The best run, not the median: on a shared
 *  machine it is the one least slowed by other processes. */
export async function measureFmaPeak(e: Engine, invocations = 64 * 1024, iters = 1024, reps = 5): Promise<number> {
  const out = e.empty([invocations]);
  const run = () => e.run(fmaPeakKernel, { bindings: { out }, uniforms: { n: invocations, iters, mul: 0.999, add: 1e-3 }, workgroups: grid1d(invocations, 64) });
  run();
  await e.sync();
  let best = Infinity;
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    run();
    await e.sync();
    best = Math.min(best, performance.now() - t0);
  }
  out.release();
  return gflops(2 * 4 * 5 * 8 * iters * invocations, best);
}

export interface BenchRow {
  case: string;
  flop: number;
  impl: string;
  ms: number;
  gflops: number;
}

export function formatTable(rows: BenchRow[], baseline = 'tfjs-webgpu'): string {
  const cases = [...new Set(rows.map((r) => r.case))];
  const impls = [...new Set(rows.map((r) => r.impl))];
  const head = ['case', ...impls.map((i) => `${i} GFLOP/s`), ...impls.filter((i) => i !== baseline).map((i) => `${i}/${baseline}`)];
  const lines = [head];
  for (const c of cases) {
    const byImpl = new Map(rows.filter((r) => r.case === c).map((r) => [r.impl, r]));
    const base = byImpl.get(baseline);
    lines.push([
      c,
      ...impls.map((i) => (byImpl.get(i) ? byImpl.get(i)!.gflops.toFixed(2) : '—')),
      ...impls.filter((i) => i !== baseline).map((i) => (base && byImpl.get(i) ? `${(byImpl.get(i)!.gflops / base.gflops).toFixed(1)}×` : '—')),
    ]);
  }
  const widths = head.map((_, j) => Math.max(...lines.map((l) => l[j].length)));
  return lines.map((l) => l.map((s, j) => s.padEnd(widths[j])).join('  ')).join('\n');
}
