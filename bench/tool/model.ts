// The benchmark tool's --model mode, measuring side: one model's unit of work under each fusion setting, side by
// side — dispatches, bytes bound, GPU and wall time. The same code runs in Node (Dawn) and in the Chromium page;
// the host gives the engine and the photo decoder (bench/tool/hosts.ts, the page), the command line writes the
// files (bench/tool/outputs.ts).
// Gatys: one evaluation of the L-BFGS objective (VGG19 to relu5_1 forward and backward, content, style and TV
// losses: the work of an iteration); fast-style: one forward pass; stylegan: one image from the StyledGenerator
// (mapping and synthesis; --widths tiny (default) or upstream's full widths, --noise random (default, as
// generation runs) or zeros). Random weights of the real shapes (bench/random-weights.ts), photo-like inputs
// squared on the GPU (bench/photos.ts).
//
// "Bytes bound" is, per dispatch, the sizes of the storage buffers it binds, summed: what the dispatch would
// move if it read (or wrote) each binding once — a fusion that drops a pass drops its bindings. The padded
// inputs of the subgroup convolutions are sized by the adapter's subgroup lanes (8 on lavapipe, 4 on
// SwiftShader), so two adapters may differ by one amount in every setting; the dispatches do not, nor (in every
// run compared so far) what a rewrite saves.
import { enabledFusions, type FusionOptions } from '../../src/graph/fusion.ts';
import { type RgbaImage, imageToPlanes } from '../../src/image/io.ts';
import { FastStyleNet } from '../../src/models/fastStyle.ts';
import { GatysProblem } from '../../src/models/gatys.ts';
import { StyledGenerator } from '../../src/models/styleGan.ts';
import { latentsForSeeds, noiseForSeed, splitNoise } from '../../src/models/styleGanControls.ts';
import { Vgg19 } from '../../src/models/vgg19.ts';
import { type Engine, fmtBytes } from '../../src/runtime/engine.ts';
import { KernelProfiler, type KernelTimes } from '../../src/runtime/profiler.ts';
import { CONTENT_IMAGE, FAST_STYLE_IMAGE, STYLE_IMAGE, pixelDigest, squareImage } from '../photos.ts';
import { randomFastStyleWeights, randomStyleGan, randomVgg19 } from '../random-weights.ts';
import type { ModelName, StyleGanWork } from './args.ts';
import { fusionSetting } from './fusions.ts';
import { barsSvg, escapeHtml, page } from './report.ts';
import { type Stats, stats } from './run.ts';

/** What a model run measures: the model's unit of work at a size, under each named fusion setting, in rounds. */
export interface ModelSettings {
  model: ModelName;
  size: number;
  fusions: string[];
  iterations: number;
  stylegan: StyleGanWork;
}

/** A photo of the repository (path relative to its root) decoded to RGBA at its natural size: sharp in Node,
 *  the browser's own decoder in the page. */
export type ReadPhoto = (file: string) => Promise<RgbaImage>;

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

/** A model run's outcome, the same from either host. */
export interface ModelResult {
  /** 'node-dawn' or 'chromium <version>'. */
  host: string;
  adapter: string;
  /** Where the times come from: timestamp queries or wall time only. */
  timestamps: string;
  model: ModelName;
  size: number;
  what: string;
  /** The squared inputs with their pixel digests, so runs on two hosts show they fed the same pixels. */
  inputs: string;
  rows: ModelRow[];
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

async function modelWork(e: Engine, s: ModelSettings, readPhoto: ReadPhoto): Promise<{ what: string; inputs: string; work: Work }> {
  const { size, stylegan } = s;
  const photos: string[] = [];
  const square = async (file: string) => {
    const img = await squareImage(e, await readPhoto(file), size);
    photos.push(`${file.split('/').pop()} ${pixelDigest(img)}`);
    return img;
  };
  const inputs = () => (photos.length ? `${size}² inputs (FNV-1a of the RGBA bytes): ${photos.join(', ')}` : 'no input images');
  if (s.model === 'gatys') {
    const vgg = await Vgg19.load(e, randomVgg19(), 'relu5_1');
    const content = await square(CONTENT_IMAGE);
    const style = await square(STYLE_IMAGE);
    const problems = new Map<string, GatysProblem>();
    return {
      what: `Gatys, one L-BFGS objective evaluation (VGG19 to relu5_1 forward + backward, losses) at ${size}², random VGG19 weights`,
      inputs: inputs(),
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
  if (s.model === 'fast-style') {
    const net = await FastStyleNet.load(e, randomFastStyleWeights());
    const photo = await square(FAST_STYLE_IMAGE);
    const x = e.tensor([1, 3, size, size], imageToPlanes(photo, 1));
    return {
      what: `fast style (Johnson et al.), one forward pass at ${size}², random weights of the real shapes`,
      inputs: inputs(),
      work: async (fusion) => {
        const y = await net.forward(x, { fusion });
        return () => y.release();
      },
    };
  }
  const weights = randomStyleGan(size, stylegan.widths);
  // The rewrites are chosen when the generator loads: one generator per setting, the same weights.
  const generators = new Map<string, StyledGenerator>();
  const probe = await StyledGenerator.load(e, weights, { fusion: false });
  const latents = latentsForSeeds([1], probe.codeDim);
  generators.set('', probe);
  const noise = stylegan.noise === 'zeros' ? ('zeros' as const) : splitNoise([noiseForSeed(1, size)], size);
  return {
    what: `StyleGAN generator, one ${size}² image (mapping + synthesis), ${weights.description}, noise ${stylegan.noise === 'zeros' ? 'zero (no noise nodes)' : 'maps on'}`,
    inputs: inputs(),
    work: async (fusion) => {
      const key = enabledFusions(fusion).join('+');
      let g = generators.get(key);
      if (!g) generators.set(key, (g = await StyledGenerator.load(e, weights, { fusion })));
      await g.synthesize({ size, latents, noise });
      return () => {};
    },
  };
}

const range = (s: Stats) => `${s.median.toFixed(0)} ms (${s.min.toFixed(0)}–${s.max.toFixed(0)})`;

/** Measures the model's unit of work under each fusion setting on `e`: a warm-up of each, then `iterations`
 *  interleaved rounds (one run of each per round), so a machine shared with other work slows them alike.
 *  Progress goes to `log` per round. */
export async function measureModel(e: Engine, s: ModelSettings, readPhoto: ReadPhoto, host: string, log: (line: string) => void = console.log): Promise<ModelResult> {
  const settings = s.fusions.map((f) => ({ name: f, options: fusionSetting(f) }));
  const hasTimestamps = e.ctx.features.has('timestamp-query');
  const timestamps = hasTimestamps ? 'GPU time from timestamp queries' : "no 'timestamp-query': wall time only";
  const { what, inputs, work } = await modelWork(e, s, readPhoto);
  log(`${what}\n${inputs}\n${host}; adapter: ${e.describe()}; ${timestamps}; ${s.iterations} interleaved rounds after a warm-up of each setting`);
  const tally = countBindings(e);
  const samples = settings.map(() => ({ wall: [] as number[], gpu: [] as number[], dispatches: 0, bytes: 0, kernels: undefined as KernelTimes | undefined }));
  /** One run of setting k: its wall and (where granted) GPU milliseconds, kept as a sample unless a warm-up. */
  const once = async (k: number, keep: boolean): Promise<string> => {
    if (hasTimestamps) e.startProfiling(KernelProfiler.create);
    const before = { ...tally };
    const t0 = performance.now();
    const release = await work(settings[k].options);
    await e.sync();
    const wallMs = performance.now() - t0;
    release();
    const kernels = hasTimestamps ? await e.stopProfiling() : undefined;
    const gpuMs = kernels ? Object.values(kernels).reduce((a, t) => a + t.ms, 0) : undefined;
    if (keep) {
      const m = samples[k];
      m.kernels = kernels;
      m.wall.push(wallMs);
      if (gpuMs !== undefined) m.gpu.push(gpuMs);
      [m.dispatches, m.bytes] = [tally.dispatches - before.dispatches, tally.bytes - before.bytes];
    }
    return `${settings[k].name} ${gpuMs === undefined ? '' : `GPU ${gpuMs.toFixed(0)} ms, `}wall ${wallMs.toFixed(0)} ms`;
  };
  const round = async (label: string, keep: boolean) => {
    const parts: string[] = [];
    for (let k = 0; k < settings.length; k++) parts.push(await once(k, keep));
    log(`  ${label}: ${parts.join('; ')}`);
  };
  await round('warm-up', false);
  for (let r = 0; r < s.iterations; r++) await round(`round ${r + 1}/${s.iterations}`, true);
  const rows: ModelRow[] = settings.map((setting, k) => {
    const m = samples[k];
    return { fusion: setting.name, rewrites: enabledFusions(setting.options), dispatches: m.dispatches, bytesBound: m.bytes, reps: m.wall.length, wallMs: stats(m.wall), gpuMs: m.gpu.length ? stats(m.gpu) : undefined, kernels: m.kernels };
  });
  for (const row of rows) {
    log(`  ${row.fusion.padEnd(12)} rewrites [${row.rewrites.join(', ')}]: ${row.dispatches} dispatches, ${fmtBytes(row.bytesBound)} bound, GPU ${row.gpuMs ? range(row.gpuMs) : '—'}, wall ${range(row.wallMs)}`);
  }
  return { host, adapter: e.describe(), timestamps, model: s.model, size: s.size, what, inputs, rows };
}

/** The model run as a page: per fusion setting, bars of GPU time (else wall time), dispatches and bytes bound. */
export function modelReportHtml(r: Pick<ModelResult, 'host' | 'adapter' | 'timestamps' | 'what' | 'inputs' | 'rows'>, command: string): string {
  const time = (row: ModelRow) => row.gpuMs ?? row.wallMs;
  const label = (row: ModelRow) => `${row.fusion} [${row.rewrites.join(', ') || 'no rewrites'}]`;
  const source = r.rows.every((row) => row.gpuMs) ? 'GPU time (timestamp queries)' : 'wall time';
  return page(
    `stylegpu fusion benchmark: ${r.what}`,
    `<p><code>${escapeHtml(command)}</code></p>
<p>${escapeHtml(r.host)} — ${escapeHtml(r.adapter)}; ${escapeHtml(r.timestamps)}. ${escapeHtml(r.inputs)}.<br>
Medians of ${r.rows[0]?.reps ?? 0} interleaved rounds; bars show the median, the text min–max.</p>
<h2>${source}, ms</h2>
${barsSvg(r.rows.map((row) => ({ label: label(row), value: time(row).median, text: `${time(row).median.toFixed(0)} ms (${time(row).min.toFixed(0)}–${time(row).max.toFixed(0)})` })))}
<h2>Dispatches</h2>
${barsSvg(r.rows.map((row) => ({ label: label(row), value: row.dispatches, text: String(row.dispatches) })))}
<h2>Bytes bound (MiB)</h2>
${barsSvg(r.rows.map((row) => ({ label: label(row), value: row.bytesBound, text: `${(row.bytesBound / 2 ** 20).toFixed(1)} MiB` })))}`,
  );
}
