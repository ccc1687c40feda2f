// --profile for the model benchmarks: GPU time per kernel (the engine's timestamp queries) beside the adapter's
// FMA-bound peak (bench/fma-peak.wgsl), so a profile says how far the work it shows sits from what the
// adapter can do. The peak is measured before profiling starts, never inside the profiled span.
import { type CorrelationProblem, type GatherProblem, correlationKernels, gatherKernels } from '../src/kernels/conv2d.ts';
import { plan } from '../src/kernels/planner.ts';
import type { Engine } from '../src/runtime/engine.ts';
import type { KernelTimes } from '../src/runtime/profiler.ts';
import { measureFmaPeak } from './harness.ts';
import { KernelProfiler } from '../src/runtime/profiler.ts';

export interface PeakProfile {
  /** Measures the FMA peak (once), then starts the engine's profiler. */
  start(): Promise<void>;
  stop(): Promise<KernelTimes>;
  /** The FMA peak in GFLOP/s, once measured. */
  readonly peakGflops: number | undefined;
  /** One line: the peak, and for `flop` of convolution work done in the profiled span, the fraction of the peak
   *  that work reached over the span's GPU time (and over the time of the kernels `kernels.match` names only). */
  peakLine(flop?: number, kernels?: { label: string; match: RegExp }): string;
  /** One line per kernel of `work` (convWork): its FLOP, GFLOP/s over its own GPU time, and % of the peak. */
  kernelRates(work: ConvWork): string;
}

/** FLOP of profiled convolution work per kernel, keyed by the planner's candidate name (the profile's entry
 *  point after the module name). */
export type ConvWork = Map<string, number>;

/** Adds `flop` of a conv pass to the kernel the planner gives it on this device ('auto'), as the models run it. */
export function addConvWork(work: ConvWork, e: Engine, flop: number, pass: { correlation: CorrelationProblem } | { gather: GatherProblem }): void {
  const name = 'correlation' in pass ? plan(correlationKernels, 'profile', pass.correlation, e.ctx).name : plan(gatherKernels, 'profile', pass.gather, e.ctx).name;
  work.set(name, (work.get(name) ?? 0) + flop);
}

/** The convolution kernels proper, without their layout passes (input padding, weight packing). */
export const CONV_KERNELS = { label: 'convolution kernels', match: /^conv2d(Subgroup)?\.(?!pad|pack)/ };

export function profileWithPeak(e: Engine): PeakProfile {
  let peak: number | undefined;
  let times: KernelTimes | undefined;
  return {
    async start() {
      peak ??= await measureFmaPeak(e);
      e.startProfiling(KernelProfiler.create);
    },
    async stop() {
      times = await e.stopProfiling();
      return times;
    },
    get peakGflops() {
      return peak;
    },
    peakLine(flop, kernels) {
      if (peak === undefined || !times) return 'FMA peak: not measured (profiling never started)';
      const entries = Object.entries(times);
      const total = entries.reduce((s, [, v]) => s + v.ms, 0);
      let line = `FMA peak ${peak.toFixed(1)} GFLOP/s (bench/fma-peak.wgsl)`;
      if (flop !== undefined && total > 0) {
        const rate = flop / (total * 1e6);
        line += `; ${(flop / 1e9).toFixed(1)} GFLOP of convolution work in ${total.toFixed(0)} ms of GPU time = ${rate.toFixed(1)} GFLOP/s, ${((100 * rate) / peak).toFixed(1)} % of the peak`;
        if (kernels) {
          const ms = entries.filter(([k]) => kernels.match.test(k)).reduce((s, [, v]) => s + v.ms, 0);
          if (ms > 0) line += ` (${((100 * flop) / (ms * 1e6) / peak).toFixed(1)} % over the ${kernels.label}' ${ms.toFixed(0)} ms alone)`;
        }
      }
      return line;
    },
    kernelRates(work) {
      const fma = peak;
      if (fma === undefined || !times) return 'per-kernel rates: not measured (profiling never started)';
      const entries = Object.entries(times);
      return [...work].map(([name, flop]) => {
        const ms = entries.filter(([k]) => k.endsWith(`.${name}`)).reduce((s, [, v]) => s + v.ms, 0);
        const rate = ms > 0 ? flop / (ms * 1e6) : NaN;
        return `  ${name.padEnd(24)} ${(flop / 1e9).toFixed(2).padStart(7)} GFLOP in ${ms.toFixed(0).padStart(6)} ms = ${rate.toFixed(1).padStart(5)} GFLOP/s, ${((100 * rate) / fma).toFixed(1).padStart(4)} % of the peak`;
      }).join('\n');
    },
  };
}
