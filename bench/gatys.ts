// Gatys L-BFGS iterations: seconds per iteration, peak GPU bytes, dispatches and read-back bytes per iteration
// on our engine, beside PyTorch CPU doing the same work in the same run (bench/gatys_torch.py; the ratio is
// the figure). VGG19 has random weights of the real shapes (the pretrained ones are not needed for timing).
//   npm run bench:gatys -- [--sizes 256,512] [--iterations N] [--no-torch] [--profile]
// --profile adds GPU time per kernel over the steady iterations (timestamp queries).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { gatys } from '../src/models/gatys.ts';
import { CAFFE_PREPROCESSING, VGG19_CONVS, Vgg19, type VggWeights } from '../src/models/vgg19.ts';
import { Engine, fmtBytes } from '../src/runtime/engine.ts';
import { type KernelTimes, formatKernelTimes } from '../src/runtime/profiler.ts';
import type { RgbaImage } from '../src/image/io.ts';

const { values } = parseArgs({ options: { sizes: { type: 'string', default: '256,512' }, iterations: { type: 'string', default: '3' }, 'no-torch': { type: 'boolean' }, profile: { type: 'boolean' } } });
const sizes = values.sizes!.split(',').map(Number);
const iterations = Number(values.iterations);
const PYTHON = '/usr/bin/python3';

/** VGG19's real channel counts with He-scaled random weights (seeded). */
function randomVgg19(): VggWeights {
  let s = 12345;
  const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5) * 2;
  const channels = [64, 64, 128, 128, 256, 256, 256, 256, 512, 512, 512, 512, 512, 512, 512, 512];
  return {
    preprocessing: CAFFE_PREPROCESSING,
    async conv(layer) {
      const k = VGG19_CONVS.findIndex(([b, i]) => `conv${b}_${i}` === layer);
      const cin = k === 0 ? 3 : channels[k - 1];
      const std = Math.sqrt(2 / (9 * cin)) * Math.sqrt(3);
      const weight = Float32Array.from({ length: channels[k] * cin * 9 }, () => rand() * std);
      return { weight: { shape: [channels[k], cin, 3, 3], data: weight }, bias: { shape: [channels[k]], data: new Float32Array(channels[k]) } };
    },
  };
}

function noiseImage(size: number, seed: number): RgbaImage {
  const data = new Uint8ClampedArray(size * size * 4);
  let s = seed;
  for (let i = 0; i < data.length; i++) data[i] = (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) >>> 24;
  return { width: size, height: size, data };
}

const e = await Engine.create();
const vgg = await Vgg19.load(e, randomVgg19(), 'relu5_1');
const rows = [];
console.log(`adapter: ${e.describe()}; ${iterations} L-BFGS iterations per size, content relu4_2, style relu1_1…relu5_1`);
for (const size of sizes) {
  const stamps: number[] = [];
  // Profiling (--profile) starts after the first iteration, as the timing does.
  const onIteration = () => {
    if (values.profile && !stamps.length) e.startProfiling();
    stamps.push(performance.now());
  };
  const r = await gatys(e, vgg, noiseImage(size, 1), [noiseImage(size, 2)], { imageSize: size, iterations, onIteration });
  let kernelTimes: KernelTimes | undefined;
  if (values.profile && stamps.length) {
    kernelTimes = await e.stopProfiling();
    console.log(`${size}²: GPU time per kernel over ${stamps.length - 1} steady iteration(s):\n${formatKernelTimes(kernelTimes)}`);
  }
  // The first iteration includes compiling pipelines; time the steady ones.
  const ours = stamps.length > 1 ? (stamps.at(-1)! - stamps[0]) / (stamps.length - 1) / 1000 : NaN;
  if (stamps.length < 2) console.log(`${size}²: L-BFGS stopped after ${r.iterations} iteration(s) (loss ${r.initialLoss} → ${r.finalLoss}); no steady iteration to time`);
  let torch: { secondsPerIteration: number; peakRssBytes: number } | undefined;
  if (!values['no-torch'] && existsSync(PYTHON)) {
    try {
      torch = JSON.parse(execFileSync(PYTHON, ['bench/gatys_torch.py', String(size), String(iterations)], { encoding: 'utf8' }).trim().split('\n').at(-1)!);
    } catch (err) {
      console.log(`PyTorch run failed (${(err as Error).message.split('\n')[0]}); install Debian's python3-torch for the comparison`);
    }
  }
  const row = {
    size,
    oursSecondsPerIteration: ours,
    torchSecondsPerIteration: torch?.secondsPerIteration,
    ratio: torch ? ours / torch.secondsPerIteration : undefined,
    peakGpuBytes: r.peakBytes,
    torchPeakRssBytes: torch?.peakRssBytes,
    dispatchesPerIteration: r.dispatchesPerEvaluation,
    readbackBytesPerIteration: r.readbackBytes / r.iterations,
    kernelTimes,
  };
  rows.push(row);
  console.log(
    `${size}²: ours ${ours.toFixed(2)} s/iteration, peak ${fmtBytes(row.peakGpuBytes)} GPU, ${row.dispatchesPerIteration} dispatches and ${row.readbackBytesPerIteration.toFixed(0)} bytes read back per iteration` +
      (torch ? `; PyTorch CPU ${torch.secondsPerIteration.toFixed(2)} s/iteration (peak RSS ${fmtBytes(torch.peakRssBytes)}): ours/PyTorch = ${row.ratio!.toFixed(1)}×` : ''),
  );
}
await mkdir('bench/results', { recursive: true });
await writeFile('bench/results/gatys.json', JSON.stringify({ date: new Date().toISOString(), adapter: e.describe(), iterations, rows }, null, 2));
console.log('wrote bench/results/gatys.json');
process.exit(0);
