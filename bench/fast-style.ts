// Pretrained fast style network, ms per image: stylegpu's engine (FastStyleNet.forward + readback) beside
// onnxruntime-node (CPU, one intra-op thread per core) running the same network, exported from the PyTorch port by
// bench/export_fast_style_onnx.py. The input is a photograph (examples/content/astronaut.png) on both sides.
//   npm run bench:fast-style [-- --style wave --size 512 --reps 3 --profile --random-weights --out DIR]
// --profile adds GPU time per kernel for one more forward pass (timestamp queries), beside the FMA peak.
// --random-weights (taken on its own when the weight mirror is absent, as on a lent GPU machine): random weights
// of the real shapes, which time the same; onnxruntime then has no model and is skipped.
// The ONNX file derives from the weights, so it is not committed: it is made on first use under bench/results/ when
// Debian's /usr/bin/python3 has torch, else the run says how to make it and times the engine alone.
// Writes fast-style-node.json into --out (default bench/results/). Medians over --reps runs after one warm-up each.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { imageToPlanes } from '../src/image/io.ts';
import { FAST_STYLE_LAYERS, FastStyleNet, loadFastStyle } from '../src/models/fastStyle.ts';
import { Engine } from '../src/runtime/engine.ts';
import { type KernelTimes, formatKernelTimes } from '../src/runtime/profiler.ts';
import { CORES, ROOT as root, cpuDescription, loadSquare } from './inputs.ts';
import { conv2dProblems, convTranspose2dProblems } from '../src/kernels/conv2d.ts';
import { samePadding, tfConvTranspose2dSame } from '../src/kernels/geometry.ts';
import { CONV_KERNELS, type ConvWork, addConvWork, profileWithPeak } from './profile.ts';
import { randomFastStyleWeights } from './random-weights.ts';

const { values } = parseArgs({
  options: {
    style: { type: 'string', default: 'wave' },
    size: { type: 'string', default: '512' },
    reps: { type: 'string', default: '3' },
    profile: { type: 'boolean' },
    'random-weights': { type: 'boolean' },
    out: { type: 'string', default: path.join(root, 'bench/results') },
  },
});
const style = values.style!;
const size = Number(values.size);
const reps = Number(values.reps);
if (!Number.isInteger(size) || size < 16) throw new Error(`--size: a whole number ≥ 16 expected, got ${values.size}`);
if (!Number.isInteger(reps) || reps < 1) throw new Error(`--reps: a whole number ≥ 1 expected, got ${values.reps}`);
const sharedMirror = path.resolve(root, '../shared/mirror');
const mirror = process.env.STYLEGPU_WEIGHTS_MIRROR ?? (existsSync(sharedMirror) ? sharedMirror : undefined);
const randomWeights = values['random-weights'] || !mirror;


async function median(run: () => Promise<unknown>): Promise<{ ms: number; samples: number[] }> {
  await run();
  const samples: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await run();
    samples.push(performance.now() - t0);
  }
  const sorted = [...samples].sort((a, b) => a - b);
  return { ms: sorted[Math.floor(sorted.length / 2)], samples };
}

function psnr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const clip = (v: number) => Math.min(255, Math.max(0, v));
  let se = 0;
  for (let i = 0; i < a.length; i++) se += (clip(a[i]) - clip(b[i])) ** 2;
  return 10 * Math.log10((255 * 255) / (se / a.length));
}

/** FLOP of the network's convolutions at size², one forward pass, per kernel the planner gives each layer here
 *  (transposed ones counted over their input, the work of their phases). */
function fastStyleWork(e: Engine, size: number): ConvWork {
  const work: ConvWork = new Map();
  let side = size;
  for (const l of FAST_STYLE_LAYERS) {
    const inSide = side;
    const xs = [1, l.inChannels, inSide, inSide];
    const k = l.kernel;
    if (l.transposed) side *= l.stride;
    else side = Math.ceil(side / l.stride);
    const flop = 2 * l.inChannels * l.outChannels * k * k * (l.transposed ? inSide : side) ** 2;
    if (l.transposed) {
      const { forward } = convTranspose2dProblems('profile', xs, [l.inChannels, l.outChannels, k, k], tfConvTranspose2dSame(inSide, inSide, k, k, l.stride));
      addConvWork(work, e, flop, { gather: forward });
    } else {
      const { forward } = conv2dProblems('profile', xs, [l.outChannels, l.inChannels, k, k], { stride: l.stride, padding: samePadding(inSide, inSide, k, k, l.stride) });
      addConvWork(work, e, flop, { correlation: forward });
    }
  }
  return work;
}
const totalFlop = (work: ConvWork) => [...work.values()].reduce((a, b) => a + b, 0);

const e = await Engine.create();
const net = await loadFastStyle(e, randomWeights ? randomFastStyleWeights() : style, { mirror });
const photo = await loadSquare(e, 'examples/content/astronaut.png', size);
const input = imageToPlanes(photo, 1);
const x = e.tensor([1, 3, size, size], input);
const weights = randomWeights ? 'random weights of the real shapes' : `pretrained "${style}"`;
console.log(`fast style, ${weights}, ${size}×${size} (examples/content/astronaut.png), ${reps} runs after a warm-up, medians; host CPU ${cpuDescription()}`);
console.log('note: the machine may be shared with other work; compare the rows of one run only\n');

let ours: Float32Array | undefined;
const engine = await median(async () => {
  const y = await net.forward(x);
  ours = await y.read();
  y.release();
});
console.log(`stylegpu (${e.describe()}): ${engine.ms.toFixed(0)} ms/image`);
let kernelTimes: KernelTimes | undefined;
const profiling = values.profile ? profileWithPeak(e) : undefined;
if (profiling) {
  await profiling.start();
  (await net.forward(x)).release();
  kernelTimes = await profiling.stop();
  const work = fastStyleWork(e, size);
  console.log(`GPU time per kernel, one forward pass:\n${formatKernelTimes(kernelTimes)}\n${profiling.peakLine(totalFlop(work), CONV_KERNELS)}\n${profiling.kernelRates(work)}\n`);
}

const onnxFile = path.join(root, `bench/results/fast-style-${style}-${size}.onnx`);
const exportCommand = `/usr/bin/python3 bench/export_fast_style_onnx.py ${style} ${size}`;
if (randomWeights) console.log('onnxruntime-node: skipped, no pretrained weights to export (random weights)');
else if (!existsSync(onnxFile) && existsSync('/usr/bin/python3')) {
  console.log(`exporting the ONNX model: ${exportCommand}`);
  const r = spawnSync('/usr/bin/python3', ['bench/export_fast_style_onnx.py', style, String(size), onnxFile], { cwd: root, stdio: ['ignore', 'inherit', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0) console.log(`export failed (exit ${r.status}): ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
}
let onnx: { ms: number; samples: number[]; version: string; settings: Record<string, unknown>; psnrVsStylegpu: number } | undefined;
if (!randomWeights && existsSync(onnxFile)) {
  const ort = await import('onnxruntime-node');
  const settings = { executionProviders: ['cpu'], intraOpNumThreads: CORES, graphOptimizationLevel: 'all' as const };
  const session = await ort.InferenceSession.create(onnxFile, settings);
  const feeds = { image: new ort.Tensor('float32', input, [1, 3, size, size]) };
  let out: Float32Array | undefined;
  const t = await median(async () => {
    out = (await session.run(feeds)).stylized.data as Float32Array;
  });
  onnx = { ...t, version: ort.env.versions.node ?? '?', settings, psnrVsStylegpu: psnr(out!, ours!) };
  console.log(`onnxruntime-node ${onnx.version} (CPU, intraOpNumThreads ${CORES}, graph optimisation 'all'): ${t.ms.toFixed(0)} ms/image; PSNR vs stylegpu ${onnx.psnrVsStylegpu.toFixed(1)} dB`);
  await session.release();
} else if (!randomWeights) {
  console.log(`onnxruntime-node: skipped, no ${path.relative(root, onnxFile)}; make it with\n  ${exportCommand}\n(Debian's python3-torch; the file derives from the weights and is not committed)`);
}

await mkdir(values.out!, { recursive: true });
const result = {
  date: new Date().toISOString(),
  style: randomWeights ? 'random weights of the real shapes' : style,
  size,
  reps,
  cpu: cpuDescription(),
  machine: 'may be shared with other benchmarks: medians; compare rows of one run',
  stylegpu: { adapter: e.describe(), ...engine, kernelTimes, fmaPeakGflops: profiling?.peakGflops },
  onnxruntime: onnx ?? { skipped: randomWeights ? 'random weights: no model to export' : `no ${path.relative(root, onnxFile)}: ${exportCommand}` },
};
const file = path.join(values.out!, 'fast-style-node.json');
await writeFile(file, JSON.stringify(result, null, 2));
console.log(`\nwrote ${file}`);
process.exit(0);
