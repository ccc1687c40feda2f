// StyleGAN generator: ms per image (batch 1, noise maps on, alpha 1) on our engine, beside PyTorch CPU running the same
// generator in the same run (bench/stylegan_torch.py: the golden script's port of rosinality's StyledGenerator,
// denormals flushed). PyTorch runs with every core and with one thread, and the faster is the baseline: on a
// machine whose cores other processes also use, OpenMP's spinning threads can make the all-core run many times
// slower than one thread (measured here: 790 ms against 18 ms per tiny image). Two configurations:
//   tiny   the test checkpoint (test/fixtures/stylegan/tiny.model, g_running) at its largest size, 128 px
//   full   upstream's widths (512, 512, 512, 512, 256, 128, 64, …; code dim 512; fused upsampling from 128 px)
//          with random weights, at 256 px
//   npm run bench:stylegan -- [--configs tiny,full] [--reps N] [--no-torch]
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { StyledGenerator } from '../src/models/styleGan.ts';
import { latentsForSeeds, meanStyleLatents, noiseForSeed, splitNoise } from '../src/models/styleGanControls.ts';
import { Engine } from '../src/runtime/engine.ts';
import { randomFullWidth } from './random-weights.ts';

const { values } = parseArgs({ options: { configs: { type: 'string', default: 'tiny,full' }, reps: { type: 'string', default: '3' }, 'no-torch': { type: 'boolean' } } });
const reps = Number(values.reps);
const PYTHON = '/usr/bin/python3';
const TINY = 'test/fixtures/stylegan/tiny.model';

const e = await Engine.create();
console.log(`adapter: ${e.describe()}; batch 1, median of ${reps} after one warm-up image`);
const rows = [];
for (const config of values.configs!.split(',')) {
  const g = await StyledGenerator.load(e, config === 'tiny' ? TINY : randomFullWidth());
  const size = g.sizes.at(-1)!;
  const times: number[] = [];
  for (let r = 0; r <= reps; r++) {
    const t0 = performance.now();
    await g.synthesize({ size, latents: latentsForSeeds([r], g.codeDim), noise: splitNoise([noiseForSeed(r, size)], size) });
    if (r) times.push(performance.now() - t0);
  }
  // Truncation's one-off cost: the mean style over 10240 mapped latents (the CLI's default, generate.py's count).
  const t0 = performance.now();
  await g.meanStyle(meanStyleLatents(10240, g.codeDim));
  const meanStyleMs = performance.now() - t0;
  g.release();
  const ours = median(times);
  const torchRuns: { msPerImage: number; threads: number }[] = [];
  if (!values['no-torch'] && existsSync(PYTHON)) {
    for (const threads of [...new Set([cpus().length, 1])]) {
      try {
        torchRuns.push(JSON.parse(execFileSync(PYTHON, ['bench/stylegan_torch.py', config, String(size), String(reps), String(threads)], { encoding: 'utf8' }).trim().split('\n').at(-1)!));
      } catch (err) {
        console.log(`PyTorch run failed (${(err as Error).message.split('\n')[0]}); install Debian's python3-torch for the comparison`);
      }
    }
  }
  const torch = torchRuns.reduce<(typeof torchRuns)[number] | undefined>((best, t) => (!best || t.msPerImage < best.msPerImage ? t : best), undefined);
  const torchText = torchRuns.map((t) => `${t.msPerImage.toFixed(0)} ms with ${t.threads} thread(s)`).join(', ');
  rows.push({ config, size, oursMsPerImage: ours, meanStyleMs, torchMsPerImage: torch?.msPerImage, torchThreads: torch?.threads, torchRuns });
  console.log(`${config} ${size}²: ours ${ours.toFixed(0)} ms/image (mean style of 10240 latents: ${meanStyleMs.toFixed(0)} ms)` + (torch ? `; PyTorch CPU ${torchText}: ours/PyTorch (best) = ${(ours / torch.msPerImage).toFixed(1)}×` : ''));
}
await mkdir('bench/results', { recursive: true });
await writeFile('bench/results/stylegan.json', JSON.stringify({ date: new Date().toISOString(), adapter: e.describe(), reps, rows }, null, 2));
console.log('wrote bench/results/stylegan.json');
process.exit(0);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}
