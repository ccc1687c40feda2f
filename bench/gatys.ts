// Gatys L-BFGS iterations: seconds per iteration, peak GPU bytes, dispatches and read-back bytes per iteration
// on our engine, beside PyTorch doing the same work in the same run (bench/gatys_torch.py; the ratio is the
// figure). VGG19 has random weights of the real shapes (the pretrained ones are not needed for timing); the
// inputs are like a real run's on both sides: a photograph as content, a painting as style (bench/inputs.ts),
// and neural-style's init (randn · 0.001 in input space, or the content).
//   npm run bench:gatys -- [--sizes 256,512] [--iterations N] [--init random|content] [--content FILE]
//     [--style FILE] [--no-torch] [--torch-device cpu|cuda] [--python PATH] [--out DIR] [--profile]
// PyTorch runs as a fair baseline (see gatys_torch.py): denormals flushed, one thread per core, its BLAS named.
// --profile adds GPU time per kernel over the steady iterations (timestamp queries).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { gatys } from '../src/models/gatys.ts';
import { CAFFE_PREPROCESSING } from '../src/image/preprocess.ts';
import { Vgg19 } from '../src/models/vgg19.ts';
import { Engine, fmtBytes } from '../src/runtime/engine.ts';
import { type KernelTimes, formatKernelTimes } from '../src/runtime/profiler.ts';
import { CONTENT_IMAGE, CORES, ROOT, STYLE_IMAGE, cpuDescription, loadSquare, rgbBytes } from './inputs.ts';
import { conv2dProblems } from '../src/kernels/conv2d.ts';
import { CONV_KERNELS, type ConvWork, addConvWork, profileWithPeak } from './profile.ts';
import { randomVgg19 } from './random-weights.ts';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '256,512' },
    iterations: { type: 'string', default: '3' },
    init: { type: 'string', default: 'random' },
    content: { type: 'string', default: CONTENT_IMAGE },
    style: { type: 'string', default: STYLE_IMAGE },
    'no-torch': { type: 'boolean' },
    'torch-device': { type: 'string', default: 'cpu' },
    python: { type: 'string', default: process.env.STYLEGPU_PYTHON ?? '/usr/bin/python3' },
    out: { type: 'string', default: path.join(ROOT, 'bench/results') },
    profile: { type: 'boolean' },
  },
});
const sizes = values.sizes!.split(',').map(Number);
const iterations = Number(values.iterations);
const init = values.init as 'random' | 'content';
const torchDevice = values['torch-device']!;
if (sizes.some((s) => !Number.isInteger(s) || s < 16)) throw new Error(`--sizes: whole numbers ≥ 16 expected, got ${values.sizes}`);
if (!(Number.isInteger(iterations) && iterations >= 2)) throw new Error(`--iterations: a whole number ≥ 2 expected (the first is not timed), got ${values.iterations}`);
if (init !== 'random' && init !== 'content') throw new Error(`--init: 'random' or 'content' expected, got ${values.init}`);
if (torchDevice !== 'cpu' && torchDevice !== 'cuda') throw new Error(`--torch-device: 'cpu' or 'cuda' expected, got ${torchDevice}`);
for (const f of [values.content!, values.style!]) if (!existsSync(path.resolve(ROOT, f))) throw new Error(`no image ${f}`);


/** FLOP of VGG19's convolutions to relu5_1 at size², forward and input gradient: one evaluation's model work,
 *  per kernel the planner gives each pass here. */
function convWorkPerEvaluation(e: Engine, size: number): ConvWork {
  const channels = [64, 64, 128, 128, 256, 256, 256, 256, 512];
  const scale = [1, 1, 2, 2, 4, 4, 4, 4, 8, 8, 8, 8, 16];
  const work: ConvWork = new Map();
  scale.forEach((down, k) => {
    const cin = k === 0 ? 3 : channels[Math.min(k - 1, channels.length - 1)];
    const cout = channels[Math.min(k, channels.length - 1)];
    const side = size / down;
    const flop = 2 * cin * cout * 9 * side ** 2;
    const { forward, inputGradient } = conv2dProblems('profile', [1, cin, side, side], [cout, cin, 3, 3], { padding: 1 });
    addConvWork(work, e, flop, { correlation: forward });
    addConvWork(work, e, flop, { gather: inputGradient });
  });
  return work;
}

/** `work` times `n` evaluations. */
const scaleWork = (work: ConvWork, n: number): ConvWork => new Map([...work].map(([k, flop]) => [k, flop * n]));

/** The PyTorch baseline's result line (gatys_torch.py). */
interface TorchRun {
  secondsPerIteration: number;
  secondsPerEvaluation: number;
  peakRssBytes: number;
  peakDeviceBytes?: number;
  settings: Record<string, unknown>;
}

function runTorch(size: number, content: Uint8Array, style: Uint8Array): TorchRun | { error: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'stylegpu-gatys-'));
  try {
    writeFileSync(path.join(dir, 'content.rgb'), content);
    writeFileSync(path.join(dir, 'style.rgb'), style);
    const args = [path.join(ROOT, 'bench/gatys_torch.py'), '--size', String(size), '--iterations', String(iterations), '--init', init, '--device', torchDevice,
      '--content', path.join(dir, 'content.rgb'), '--style', path.join(dir, 'style.rgb'), '--preprocessing', JSON.stringify(CAFFE_PREPROCESSING)];
    const out = execFileSync(values.python!, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    return JSON.parse(out.trim().split('\n').at(-1)!);
  } catch (err) {
    return { error: (err as Error).message.split('\n')[0] };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** How the PyTorch side ran, in one line beside its figure. */
function describeTorch(s: Record<string, unknown>): string {
  const cpu = `${s.threads} threads, flush-denormal ${s.flushDenormal ? 'on' : 'OFF'}, BLAS ${s.blas}`;
  return s.device === 'cuda' ? `PyTorch ${s.torch} CUDA ${s.cuda} on ${s.deviceName} (cuDNN ${s.cudnn}, TF32 ${s.tf32 ? 'on' : 'off'})` : `PyTorch ${s.torch} CPU (${cpu})`;
}

const e = await Engine.create();
const vgg = await Vgg19.load(e, randomVgg19(), 'relu5_1');
const rows = [];
console.log(`adapter: ${e.describe()}; host CPU ${cpuDescription()}`);
console.log(`${iterations} L-BFGS iterations per size (the first not timed), content relu4_2, style relu1_1…relu5_1, init ${init}; content ${values.content}, style ${values.style}`);
for (const size of sizes) {
  const content = await loadSquare(e, values.content!, size);
  const style = await loadSquare(e, values.style!, size);
  const stamps: number[] = [];
  const profiling = values.profile ? profileWithPeak(e) : undefined;
  // Profiling (--profile) starts after the first iteration, as the timing does.
  const onIteration = async () => {
    if (profiling && !stamps.length) await profiling.start();
    stamps.push(performance.now());
  };
  const r = await gatys(e, vgg, content, [style], { imageSize: size, iterations, init, onIteration });
  let kernelTimes: KernelTimes | undefined;
  if (profiling && stamps.length) {
    kernelTimes = await profiling.stop();
    const work = scaleWork(convWorkPerEvaluation(e, size), stamps.length - 1);
    const flop = [...work.values()].reduce((a, b) => a + b, 0);
    console.log(`${size}²: GPU time per kernel over ${stamps.length - 1} steady iteration(s):\n${formatKernelTimes(kernelTimes)}\n${profiling.peakLine(flop, CONV_KERNELS)}\n${profiling.kernelRates(work)}`);
  }
  // The first iteration includes compiling pipelines; time the steady ones.
  const ours = stamps.length > 1 ? (stamps.at(-1)! - stamps[0]) / (stamps.length - 1) / 1000 : NaN;
  if (stamps.length < 2) console.log(`${size}²: L-BFGS stopped after ${r.iterations} iteration(s) (loss ${r.initialLoss} → ${r.finalLoss}); no steady iteration to time`);
  let torch: TorchRun | undefined;
  let torchSkipped: string | undefined;
  if (values['no-torch']) torchSkipped = '--no-torch';
  else if (!existsSync(values.python!)) torchSkipped = `no ${values.python} (Debian's python3-torch, or --python)`;
  else {
    const t = runTorch(size, rgbBytes(content), rgbBytes(style));
    if ('error' in t) torchSkipped = `PyTorch run failed: ${t.error}`;
    else torch = t;
  }
  const row = {
    size,
    oursSecondsPerIteration: ours,
    torchSecondsPerIteration: torch?.secondsPerIteration,
    ratio: torch ? ours / torch.secondsPerIteration : undefined,
    peakGpuBytes: r.peakBytes,
    torchPeakRssBytes: torch?.peakRssBytes,
    torchPeakDeviceBytes: torch?.peakDeviceBytes,
    torch: torch?.settings ?? { skipped: torchSkipped },
    dispatchesPerIteration: r.dispatchesPerEvaluation,
    readbackBytesPerIteration: r.readbackBytes / r.iterations,
    kernelTimes,
    fmaPeakGflops: profiling?.peakGflops,
  };
  rows.push(row);
  console.log(`${size}²: ours ${ours.toFixed(3)} s/iteration, peak ${fmtBytes(row.peakGpuBytes)} GPU, ${row.dispatchesPerIteration} dispatches and ${row.readbackBytesPerIteration.toFixed(0)} bytes read back per iteration`);
  if (torch) {
    const mem = torch.peakDeviceBytes !== undefined ? `peak ${fmtBytes(torch.peakDeviceBytes)} on the device` : `peak RSS ${fmtBytes(torch.peakRssBytes)}`;
    console.log(`${size}²: ${describeTorch(torch.settings)}: ${torch.secondsPerIteration.toFixed(3)} s/iteration (${mem}); ours/PyTorch = ${row.ratio!.toFixed(1)}×`);
    if (torch.settings.device === 'cpu' && torch.settings.referenceBlas) console.log(`warning: PyTorch runs on the netlib reference BLAS, not a fair baseline: install libopenblas0-pthread (bash scripts/setup.sh --bench)`);
  } else console.log(`${size}²: PyTorch skipped: ${torchSkipped}`);
}
await mkdir(values.out!, { recursive: true });
const file = path.join(values.out!, 'gatys.json');
await writeFile(file, JSON.stringify({ date: new Date().toISOString(), adapter: e.describe(), cpu: cpuDescription(), cores: CORES, iterations, init, content: values.content, style: values.style, rows }, null, 2));
console.log(`wrote ${path.relative(process.cwd(), file) || file}`);
process.exit(0);
