// Benchmark plumbing shared by the Node and Chromium runners: timing by wall clock around a GPU sync,
// medians over repeats, GFLOP/s, and the FMA-peak probe of the adapter.
import type { Engine } from '../src/runtime/engine.ts';
import { grid1d, kernel, shaderModule } from '../src/runtime/kernel.ts';
import { uniformStruct } from '../src/runtime/uniforms.ts';
import fmaSource from './fma-peak.wgsl?raw';

export interface Timing {
  /** Median milliseconds of one call. */
  ms: number;
  reps: number;
}

/** Median time of `call`, each sample being `inner` calls followed by `sync` (which waits for the GPU). */
export async function timeIt(call: () => void, sync: () => Promise<void>, { warmup = 1, reps = 5, inner = 3 } = {}): Promise<Timing> {
  for (let i = 0; i < warmup; i++) {
    call();
    await sync();
  }
  const samples: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    for (let i = 0; i < inner; i++) call();
    await sync();
    samples.push((performance.now() - t0) / inner);
  }
  samples.sort((a, b) => a - b);
  return { ms: samples[Math.floor(samples.length / 2)], reps };
}

export const gflops = (flop: number, ms: number) => flop / (ms * 1e6);

const FmaPeakParams = uniformStruct('FmaPeakParams', { n: 'u32', iters: 'u32', mul: 'f32', add: 'f32' });
const fmaModule = shaderModule('fma-peak', fmaSource, [FmaPeakParams]);
const fmaPeakKernel = kernel(fmaModule, { entryPoint: 'fmaPeak', bindings: ['out'], uniforms: FmaPeakParams, constants: { WG: 64 } });

/** The adapter's FMA-bound throughput in GFLOP/s (one dispatch of many long FMA chains). */
export async function measureFmaPeak(e: Engine, invocations = 64 * 1024, iters = 4096): Promise<number> {
  const out = e.empty([invocations]);
  const t = await timeIt(
    () => e.run(fmaPeakKernel, { bindings: { out }, uniforms: { n: invocations, iters, mul: 0.999, add: 1e-3 }, workgroups: grid1d(invocations, 64) }),
    () => e.sync(),
    { reps: 3, inner: 1 },
  );
  out.release();
  return gflops(2 * 4 * 8 * iters * invocations, t.ms);
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
