// The benchmark tool's --model mode: one model's unit of work under each fusion setting, side by side —
// dispatches, bytes bound, GPU and wall time. Gatys: one evaluation of the L-BFGS objective (VGG19 to relu5_1
// forward and backward, content, style and TV losses: the work of an iteration); fast-style: one forward pass;
// stylegan: one image from the StyledGenerator (mapping and synthesis; --widths tiny (default) or upstream's full
// widths, --noise random (default, as generation runs) or zeros). Random weights of the real shapes
// (bench/random-weights.ts), photo-like inputs (bench/inputs.ts). In Node.
//
// "Bytes bound" is, per dispatch, the sizes of the storage buffers it binds, summed: what the dispatch would
// move if it read (or wrote) each binding once — a fusion that drops a pass drops its bindings.
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { enabledFusions, FUSION_NAMES, type FusionOptions } from '../../src/graph/fusion.ts';
import { imageToPlanes } from '../../src/image/io.ts';
import { FastStyleNet } from '../../src/models/fastStyle.ts';
import { GatysProblem } from '../../src/models/gatys.ts';
import { StyledGenerator } from '../../src/models/styleGan.ts';
import { latentsForSeeds, noiseForSeed, splitNoise } from '../../src/models/styleGanControls.ts';
import { Vgg19 } from '../../src/models/vgg19.ts';
import { Engine, fmtBytes } from '../../src/runtime/engine.ts';
import type { KernelTimes } from '../../src/runtime/profiler.ts';
import { CONTENT_IMAGE, ROOT, STYLE_IMAGE, loadSquare } from '../inputs.ts';
import { randomFastStyleWeights, randomStyleGan, randomVgg19 } from '../random-weights.ts';
import type { ModelName, StyleGanWork } from './args.ts';
import { barsSvg, escapeHtml, page } from './report.ts';
import { type Stats, stats } from './run.ts';
import { KernelProfiler } from '../../src/runtime/profiler.ts';

/** A fusion setting by name: 'all', 'none', a rewrite's name (that one alone on: what it buys over none) or
 *  'no-NAME' (every rewrite but that one: what it buys over all). */
export function fusionSetting(name: string): FusionOptions {
  const names: readonly string[] = FUSION_NAMES;
  if (name === 'all') return true;
  if (name === 'none') return false;
  const only = name.startsWith('no-') ? name.slice(3) : undefined;
  const rewrite = only ?? name;
  if (!names.includes(rewrite)) throw new Error(`--fusion: 'all', 'none', a rewrite (${names.join(', ')}) or no-REWRITE expected, got '${name}'`);
  return Object.fromEntries(names.map((n) => [n, only ? n !== rewrite : n === rewrite]));
}

export interface ModelRow {
  fusion: string;
  rewrites: string[];
  dispatches: number;
  bytesBound: number;
  wallMs: Stats;
  gpuMs?: Stats;
  reps: number;
  /** GPU time and dispatches per kernel in the last round (timestamp queries), where granted. */
  kernels?: KernelTimes;
}

/** Counts the dispatches and bound bytes of everything `e` runs from now on (wraps Engine.run). */
function countBindings(e: Engine): { dispatches: number; bytes: number } {
  const tally = { dispatches: 0, bytes: 0 };
  const run = e.run.bind(e);
  e.run = (kernel, data) => {
    tally.dispatches++;
    for (const t of Object.values(data.bindings)) tally.bytes += t.sizeBytes;
    run(kernel, data);
  };
  return tally;
}

/** A model's unit of work for a fusion setting, returning what it made (for release). */
type Work = (fusion: FusionOptions) => Promise<() => void>;

async function modelWork(e: Engine, model: ModelName, size: number, stylegan: StyleGanWork): Promise<{ what: string; work: Work }> {
  if (model === 'gatys') {
    const vgg = await Vgg19.load(e, randomVgg19(), 'relu5_1');
    const content = await loadSquare(e, CONTENT_IMAGE, size);
    const style = await loadSquare(e, STYLE_IMAGE, size);
    const problems = new Map<string, GatysProblem>();
    return {
      what: `Gatys, one L-BFGS objective evaluation (VGG19 to relu5_1 forward + backward, losses) at ${size}², random VGG19 weights`,
      work: async (fusion) => {
        const key = enabledFusions(fusion).join('+');
        let p = problems.get(key);
        if (!p) problems.set(key, (p = GatysProblem.create(e, vgg, content, [style], { imageSize: size, fusion })));
        const x = p.initialImage('random', 0);
        const out = p.evaluate(x);
        return () => [x, ...Object.values(out)].forEach((t) => t.release());
      },
    };
  }
  if (model === 'fast-style') {
    const net = await FastStyleNet.load(e, randomFastStyleWeights());
    const photo = await loadSquare(e, 'examples/content/astronaut.png', size);
    const x = e.tensor([1, 3, size, size], imageToPlanes(photo, 1));
    return {
      what: `fast style (Johnson et al.), one forward pass at ${size}², random weights of the real shapes`,
      work: async (fusion) => {
        const y = await net.forward(x, { fusion });
        return () => y.release();
      },
    };
  }
  if (model === 'stylegan') {
    const weights = randomStyleGan(size, stylegan.widths);
    // The rewrites are chosen when the generator loads: one generator per setting, the same weights.
    const generators = new Map<string, StyledGenerator>();
    const probe = await StyledGenerator.load(e, weights, { fusion: false });
    const latents = latentsForSeeds([1], probe.codeDim);
    generators.set('', probe);
    const noise = stylegan.noise === 'zeros' ? ('zeros' as const) : splitNoise([noiseForSeed(1, size)], size);
    return {
      what: `StyleGAN generator, one ${size}² image (mapping + synthesis), ${weights.description}, noise ${stylegan.noise === 'zeros' ? 'zero (no noise nodes)' : 'maps on'}`,
      work: async (fusion) => {
        const key = enabledFusions(fusion).join('+');
        let g = generators.get(key);
        if (!g) generators.set(key, (g = await StyledGenerator.load(e, weights, { fusion })));
        await g.synthesize({ size, latents, noise });
        return () => {};
      },
    };
  }
  throw new Error(`--model ${model}: no such model`);
}

export async function runModel(cmd: { model: ModelName; size: number; fusions: string[]; iterations: number; profile?: 'cpu' | 'gpu'; out?: string; stylegan: StyleGanWork }, command: string, engine?: Engine): Promise<ModelRow[]> {
  const settings = cmd.fusions.map((f) => ({ name: f, options: fusionSetting(f) }));
  const stem = (cmd.out ?? path.join(ROOT, 'bench/results', `model-${cmd.model}-${cmd.size}-${new Date().toISOString().replace(/[:.]/g, '-')}`)).replace(/\.json$/, '');
  for (const f of [`${stem}.json`, `${stem}.html`]) if (existsSync(f)) throw new Error(`${f} exists; give another --out (runs never overwrite results)`);
  const e = engine ?? (await Engine.create(cmd.profile ? { profile: cmd.profile } : {}));
  const timestamps = e.ctx.features.has('timestamp-query');
  const { what, work } = await modelWork(e, cmd.model, cmd.size, cmd.stylegan);
  console.log(`${what}\nadapter: ${e.describe()}; ${timestamps ? 'GPU time from timestamp queries' : "no 'timestamp-query': wall time only"}; ${cmd.iterations} interleaved rounds after a warm-up of each setting`);
  const tally = countBindings(e);
  // The settings run in interleaved rounds (one run of each per round, after a warm-up of each), so a
  // machine shared with other work slows them alike.
  const samples = settings.map(() => ({ wall: [] as number[], gpu: [] as number[], dispatches: 0, bytes: 0, kernels: undefined as KernelTimes | undefined }));
  const once = async (k: number, keep: boolean) => {
    if (timestamps) e.startProfiling(KernelProfiler.create);
    const before = { ...tally };
    const t0 = performance.now();
    const release = await work(settings[k].options);
    await e.sync();
    const wallMs = performance.now() - t0;
    release();
    const kernels = timestamps ? await e.stopProfiling() : undefined;
    const gpuMs = kernels ? Object.values(kernels).reduce((a, t) => a + t.ms, 0) : undefined;
    if (!keep) return;
    const s = samples[k];
    s.kernels = kernels;
    s.wall.push(wallMs);
    if (gpuMs !== undefined) s.gpu.push(gpuMs);
    [s.dispatches, s.bytes] = [tally.dispatches - before.dispatches, tally.bytes - before.bytes];
  };
  for (let k = 0; k < settings.length; k++) await once(k, false);
  for (let r = 0; r < cmd.iterations; r++) for (let k = 0; k < settings.length; k++) await once(k, true);
  const rows: ModelRow[] = settings.map((s, k) => {
    const m = samples[k];
    return { fusion: s.name, rewrites: enabledFusions(s.options), dispatches: m.dispatches, bytesBound: m.bytes, reps: m.wall.length, wallMs: stats(m.wall), gpuMs: m.gpu.length ? stats(m.gpu) : undefined, kernels: m.kernels };
  });
  for (const row of rows) {
    console.log(`  ${row.fusion.padEnd(12)} rewrites [${row.rewrites.join(', ')}]: ${row.dispatches} dispatches, ${fmtBytes(row.bytesBound)} bound, GPU ${row.gpuMs ? `${row.gpuMs.median.toFixed(0)} ms (${row.gpuMs.min.toFixed(0)}–${row.gpuMs.max.toFixed(0)})` : '—'}, wall ${row.wallMs.median.toFixed(0)} ms (${row.wallMs.min.toFixed(0)}–${row.wallMs.max.toFixed(0)})`);
  }
  await mkdir(path.dirname(stem), { recursive: true });
  const file = `${stem}.json`;
  await writeFile(file, JSON.stringify({ date: new Date().toISOString(), command, model: cmd.model, size: cmd.size, what, adapter: e.describe(), rows }, null, 2), { flag: 'wx' });
  await writeFile(`${stem}.html`, modelReportHtml({ command, what, adapter: e.describe(), rows }), { flag: 'wx' });
  console.log(`wrote ${file} and ${stem}.html`);
  return rows;
}

/** The model run as a page: per fusion setting, bars of GPU time (else wall time), dispatches and bytes bound. */
export function modelReportHtml(r: { command: string; what: string; adapter: string; rows: readonly ModelRow[] }): string {
  const time = (row: ModelRow) => row.gpuMs ?? row.wallMs;
  const label = (row: ModelRow) => `${row.fusion} [${row.rewrites.join(', ') || 'no rewrites'}]`;
  const source = r.rows.every((row) => row.gpuMs) ? 'GPU time (timestamp queries)' : 'wall time';
  return page(
    `stylegpu fusion benchmark: ${r.what}`,
    `<p><code>${escapeHtml(r.command)}</code></p>
<p>${escapeHtml(r.adapter)}. Medians of ${r.rows[0]?.reps ?? 0} interleaved rounds; bars show the median, the text min–max.</p>
<h2>${source}, ms</h2>
${barsSvg(r.rows.map((row) => ({ label: label(row), value: time(row).median, text: `${time(row).median.toFixed(0)} ms (${time(row).min.toFixed(0)}–${time(row).max.toFixed(0)})` })))}
<h2>Dispatches</h2>
${barsSvg(r.rows.map((row) => ({ label: label(row), value: row.dispatches, text: String(row.dispatches) })))}
<h2>Bytes bound (MiB)</h2>
${barsSvg(r.rows.map((row) => ({ label: label(row), value: row.bytesBound, text: `${(row.bytesBound / 2 ** 20).toFixed(1)} MiB` })))}`,
  );
}
