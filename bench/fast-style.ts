// Pretrained fast style network, ms per image: stylegpu's engine (FastStyleNet.forward + readback) beside
// onnxruntime-node (CPU) running the same network, exported from the PyTorch port by bench/export_fast_style_onnx.py.
//   npm run bench:fast-style [-- --style wave --size 512 --reps 3 --profile]
// --profile adds GPU time per kernel for one more forward pass (timestamp queries).
// The ONNX file derives from the weights, so it is not committed: it is made on first use under bench/results/ when
// Debian's /usr/bin/python3 has torch, else the run says how to make it and times the engine alone.
// Writes bench/results/fast-style-node.json. Medians over --reps runs after one warm-up run each.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { imageToPlanes } from '../src/image/io.ts';
import { resizeBilinear } from '../src/kernels/resample.ts';
import { FastStyleNet } from '../src/models/fastStyle.ts';
import { readImageFile } from '../src/node/files.ts';
import { Engine } from '../src/runtime/engine.ts';
import { type KernelTimes, formatKernelTimes } from '../src/runtime/profiler.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({ options: { style: { type: 'string', default: 'wave' }, size: { type: 'string', default: '512' }, reps: { type: 'string', default: '3' }, profile: { type: 'boolean' } } });
const style = values.style!;
const size = Number(values.size);
const reps = Number(values.reps);
const sharedMirror = path.resolve(root, '../shared/mirror');
const mirror = process.env.STYLEGPU_WEIGHTS_MIRROR ?? (existsSync(sharedMirror) ? sharedMirror : undefined);

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

const e = await Engine.create();
const net = await FastStyleNet.load(e, style, { mirror });
const photo = await readImageFile(path.join(root, 'examples/content/astronaut.png'));
const original = e.tensor([1, 3, photo.height, photo.width], imageToPlanes(photo, 1));
const x = photo.height === size && photo.width === size ? original : resizeBilinear(e, original, size, size);
const input = await x.read();
console.log(`fast style "${style}", ${size}×${size} (examples/content/astronaut.png), ${reps} runs after a warm-up, medians`);
console.log('note: this 2-core machine may be shared with other benchmarks; compare the two rows of one run only\n');

let ours: Float32Array | undefined;
const engine = await median(async () => {
  const y = await net.forward(x);
  ours = await y.read();
  y.release();
});
console.log(`stylegpu (${e.describe()}): ${engine.ms.toFixed(0)} ms/image`);
let kernelTimes: KernelTimes | undefined;
if (values.profile) {
  e.startProfiling();
  (await net.forward(x)).release();
  kernelTimes = await e.stopProfiling();
  console.log(`GPU time per kernel, one forward pass:\n${formatKernelTimes(kernelTimes)}\n`);
}

const onnxFile = path.join(root, `bench/results/fast-style-${style}-${size}.onnx`);
const exportCommand = `/usr/bin/python3 bench/export_fast_style_onnx.py ${style} ${size}`;
if (!existsSync(onnxFile) && existsSync('/usr/bin/python3')) {
  console.log(`exporting the ONNX model: ${exportCommand}`);
  const r = spawnSync('/usr/bin/python3', ['bench/export_fast_style_onnx.py', style, String(size), onnxFile], { cwd: root, stdio: ['ignore', 'inherit', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0) console.log(`export failed (exit ${r.status}): ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
}
let onnx: { ms: number; samples: number[]; threads: number; psnrVsStylegpu: number } | undefined;
if (existsSync(onnxFile)) {
  const ort = await import('onnxruntime-node');
  const threads = 2;
  const session = await ort.InferenceSession.create(onnxFile, { executionProviders: ['cpu'], intraOpNumThreads: threads, graphOptimizationLevel: 'all' });
  const feeds = { image: new ort.Tensor('float32', input, [1, 3, size, size]) };
  let out: Float32Array | undefined;
  const t = await median(async () => {
    out = (await session.run(feeds)).stylized.data as Float32Array;
  });
  onnx = { ...t, threads, psnrVsStylegpu: psnr(out!, ours!) };
  console.log(`onnxruntime-node ${ort.env.versions.node} (CPU, ${threads} threads): ${t.ms.toFixed(0)} ms/image; PSNR vs stylegpu ${onnx.psnrVsStylegpu.toFixed(1)} dB`);
  await session.release();
} else {
  console.log(`onnxruntime-node: skipped, no ${path.relative(root, onnxFile)}; make it with\n  ${exportCommand}\n(Debian's python3-torch; the file derives from the weights and is not committed)`);
}

await mkdir(path.join(root, 'bench/results'), { recursive: true });
const result = {
  date: new Date().toISOString(),
  style,
  size,
  reps,
  machine: 'may be shared with other benchmarks (2 cores): medians; compare rows of one run',
  stylegpu: { adapter: e.describe(), ...engine, kernelTimes },
  onnxruntime: onnx ?? { skipped: `no ${path.relative(root, onnxFile)}: ${exportCommand}` },
};
await writeFile(path.join(root, 'bench/results/fast-style-node.json'), JSON.stringify(result, null, 2));
console.log('\nwrote bench/results/fast-style-node.json');
process.exit(0);
