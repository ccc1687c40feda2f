// `stylegpu stylegan`: images from a StyleGAN generator (rosinality's checkpoints; src/models/styleGan.ts): a grid of
// seeds, or with --mix-seeds the style-mixing matrix of the paper's figure 3.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { StyledGenerator, type StyleGanWeights } from '../models/styleGan.ts';
import {
  type ImageSpec,
  type NoiseSource,
  imageGrid,
  imageNoise,
  latentsForSeeds,
  meanStyleLatents,
  mixingMatrix,
  namedMixRange,
  noiseLength,
  sampleImages,
} from '../models/styleGanControls.ts';
import { checkOutputPath, writePngFile } from '../node/files.ts';
import { Engine } from '../runtime/engine.ts';
import { type NpyArray, parseNpy } from '../weights/npy.ts';
import { type Command, UsageError, parseCommandArgs, parseList, parseNumber, requireOption } from './command.ts';

const NAME = 'stylegan';

export const stylegan: Command = {
  name: NAME,
  summary: 'generate images with a StyleGAN generator (seed grids, truncation, style-mixing matrices)',
  usage: `stylegpu stylegan --checkpoint PATH --output PATH [--size N] [--seeds 1,2,3 | --z FILE.npy] [options]

  --checkpoint    rosinality/style-based-gan-pytorch checkpoint: train.py's .model (torch.save of 'generator' and
                  'g_running'), or a StyledGenerator state dict (.pth or .safetensors); a path or URL
  --model         g_running (default: the running average, what upstream samples from) or generator
  --output        the PNG to write (refused if it exists, unless --overwrite)
  --size          output size in pixels, 4·2^step; default the largest the checkpoint has
  --seeds         latents from these seeds (integers 0 … 4294967295; see below), one image each; default 0
  --cols          images per row of a seed grid (default: all in one row, up to 8 per row)
  --z             latents from a float32 .npy [N, code dim] instead of seeds: one image per row; with
                  --mix-range, row 0 is the main latent and row 1 the mixing latent (one image)
  --truncation    ψ: each style w becomes mean + ψ·(w − mean) (upstream samples with 0.7); default none
  --mean-samples  latents mapped for the mean style (default 10240, as generate.py's 10 × 1024; at code dim
                  512 that is ~43 GFLOP, 5–17 s on lavapipe on a busy 2-core machine: lower it to start faster)
  --mix-seeds     columns of a style-mixing matrix (rows: --seeds): each cell takes its row's latent and the
                  column's styles in --mix-range
  --mix-range     blocks that take the mixing latent's style: A-B (block i is the 4·2^i px layer pair), A- (a
                  crossover: block A to the last), or coarse (0-1: 4²–8²), middle (2-3: 16²–32²), fine (4-: 64²
                  and up); default coarse
  --noise         const (default: fixed per seed; with --z, per row index), random (fresh each run), none, or
                  FILE.npy: float32 noise maps 4×4, 8×8, … size×size flattened and concatenated, one row for all
                  images or one per image (a mixing-matrix cell uses its row's noise)
  --alpha         fade-in between the last two resolutions, 0 … 1 (default 1: none)
  --overwrite     replace --output if it exists
  --no-fusion     switch the graph's fusion rewrites off (for comparison)

Seeds: latent i of seed s is the i-th standard normal of xoshiro128** seeded from (s, 'z') through FNV-1a and
splitmix32, Box–Muller; noise uses stream (s, 'noise'), the mean style stream (0, 'mean'). The same seed gives
the same image on every machine. Pixels are round((clamp(x, −1, 1) + 1)/2 · 255), as upstream saves images.`,
  async run(args, interrupt) {
    const { values } = parseCommandArgs(args, {
        checkpoint: { type: 'string' }, model: { type: 'string' }, output: { type: 'string' }, size: { type: 'string' },
        seeds: { type: 'string' }, cols: { type: 'string' }, z: { type: 'string' }, truncation: { type: 'string' },
        'mean-samples': { type: 'string' }, 'mix-seeds': { type: 'string' }, 'mix-range': { type: 'string' },
        noise: { type: 'string' }, alpha: { type: 'string' }, overwrite: { type: 'boolean' }, 'no-fusion': { type: 'boolean' },
    });
    // ---- every option checked before the checkpoint is read
    const checkpoint = requireOption(values.checkpoint, '--checkpoint');
    const output = requireOption(values.output, '--output');
    if (!output.toLowerCase().endsWith('.png')) throw new UsageError(`--output: writes PNG, give a .png path, got '${output}'`);
    checkOutputPath('--output', output, [checkpoint]);
    if (existsSync(output) && !values.overwrite) throw new UsageError(`--output: ${output} exists; pass --overwrite to replace it`);
    const which = (values.model ?? 'g_running') as StyleGanWeights;
    if (which !== 'g_running' && which !== 'generator') throw new UsageError(`--model: expected g_running or generator, got '${values.model}'`);
    const size = parseNumber(values.size, '--size', { integer: true, min: 4 });
    if (size !== undefined && (size & (size - 1)) !== 0) throw new UsageError(`--size: must be a power of two (4, 8, 16, …), got ${size}`);
    if (values.z !== undefined && (values.seeds !== undefined || values['mix-seeds'] !== undefined)) throw new UsageError('--z: give latents either from a file or from --seeds/--mix-seeds, not both');
    const seeds = parseSeeds(values.seeds ?? (values.z === undefined ? '0' : undefined), '--seeds');
    const mixSeeds = parseSeeds(values['mix-seeds'], '--mix-seeds');
    const cols = parseNumber(values.cols, '--cols', { integer: true, min: 1 });
    if (cols !== undefined && mixSeeds.length) throw new UsageError('--cols: a mixing matrix has one column per --mix-seeds entry, plus one');
    const psi = parseNumber(values.truncation, '--truncation');
    const meanSamples = parseNumber(values['mean-samples'], '--mean-samples', { integer: true, min: 1 }) ?? 10240;
    const alpha = parseNumber(values.alpha, '--alpha', { min: 0, max: 1 }) ?? 1;
    const mixRangeText = values['mix-range'];
    if (mixRangeText !== undefined && values.z === undefined && !mixSeeds.length) throw new UsageError('--mix-range: needs --mix-seeds (or --z with two rows)');
    const parsedRange = mixRangeText === undefined ? undefined : parseMixRange(mixRangeText);
    const noiseOption = values.noise ?? 'const';
    if (!['const', 'random', 'none'].includes(noiseOption) && !noiseOption.toLowerCase().endsWith('.npy')) {
      throw new UsageError(`--noise: expected const, random, none or a .npy file, got '${noiseOption}'`);
    }
    const zFile = values.z === undefined ? undefined : await readNpy(values.z, '--z');
    if (zFile && (zFile.shape.length !== 2 || zFile.shape[0] < 1)) throw new UsageError(`--z: ${values.z} must be [N, code dim], got [${zFile.shape}]`);
    if (zFile && mixRangeText !== undefined && zFile.shape[0] !== 2) throw new UsageError(`--z: with --mix-range, ${values.z} must have 2 rows (main, mixing), got ${zFile.shape[0]}`);
    const noiseFile = noiseOption.toLowerCase().endsWith('.npy') ? await readNpy(noiseOption, '--noise') : undefined;

    const engine = await Engine.create();
    try {
      const t0 = performance.now();
      const g = await StyledGenerator.load(engine, checkpoint, { which, fusion: !values['no-fusion'] });
      // ---- options checked against the checkpoint, before any image is made
      const outSize = size ?? g.sizes[g.sizes.length - 1];
      if (!g.sizes.includes(outSize)) throw new UsageError(`--size: ${outSize} px is not one this checkpoint can produce (${g.sizes.join(', ')})`);
      const D = g.codeDim;
      if (zFile && zFile.shape[1] !== D) throw new UsageError(`--z: rows of ${zFile.shape[1]} values, the checkpoint's code dimension is ${D}`);
      const blocks = g.sizes.length;
      const range = parsedRange && (typeof parsedRange === 'string' ? namedMixRange(parsedRange, blocks) : ([parsedRange[0], parsedRange[1] === Infinity ? blocks - 1 : parsedRange[1]] as [number, number]));
      if (range && !(range[0] <= range[1] && range[1] < blocks)) throw new UsageError(`--mix-range: ${mixRangeText} names blocks this checkpoint lacks; it has blocks 0-${blocks - 1}`);
      const images = zFile ? (mixRangeText !== undefined ? 1 : zFile.shape[0]) : seeds.length + mixSeeds.length;
      const noise: NoiseSource = noiseFile ? { kind: 'file', rows: noiseRows(noiseFile, outSize, images, noiseOption) } : ({ kind: noiseOption } as NoiseSource);

      const truncation = psi === undefined ? undefined : { psi, meanStyle: await g.meanStyle(meanStyleLatents(meanSamples, D)) };
      const o = { size: outSize, truncation, alpha };
      const rowOf = (m: Float32Array, i: number) => m.subarray(i * D, (i + 1) * D);
      const specsOf = (list: number[], offset: number): ImageSpec[] => {
        const z = latentsForSeeds(list, D);
        return list.map((seed, i) => ({ latent: rowOf(z, i), noise: imageNoise(noise, seed, offset + i, outSize) }));
      };
      let grid;
      let what: string;
      if (zFile) {
        const z = zFile.data;
        if (mixRangeText !== undefined) {
          const spec = { latent: rowOf(z, 0), noise: imageNoise(noise, 0, 0, outSize) };
          grid = imageGrid(await sampleImages(g, [spec], o, { latents: [rowOf(z, 1)], range: range! }), 1);
          what = `latents of ${values.z}, mixing range ${range}`;
        } else {
          const specs = [...Array(zFile.shape[0]).keys()].map((i) => ({ latent: rowOf(z, i), noise: imageNoise(noise, i, i, outSize) }));
          grid = imageGrid(await sampleImages(g, specs, o), cols ?? Math.min(specs.length, 8));
          what = `${specs.length} latents of ${values.z}`;
        }
      } else if (mixSeeds.length) {
        const r = range ?? namedMixRange('coarse', blocks)!;
        grid = imageGrid(await mixingMatrix(g, specsOf(seeds, 0), specsOf(mixSeeds, seeds.length), r, o), mixSeeds.length + 1);
        what = `mixing matrix of seeds ${seeds} × ${mixSeeds}, blocks ${r[0]}-${r[1]}`;
      } else {
        grid = imageGrid(await sampleImages(g, specsOf(seeds, 0), o), cols ?? Math.min(seeds.length, 8));
        what = `seeds ${seeds}`;
      }
      interrupt.throwIfAborted();
      await writePngFile(output, grid);
      const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
      console.log(`${g.description}: ${what}, ${outSize} px${psi === undefined ? '' : `, ψ ${psi}`}, noise ${noiseOption} → ${output} (${grid.width}×${grid.height}) in ${s(performance.now() - t0)}`);
      g.release();
    } finally {
      await engine.destroy();
    }
    return 0;
  },
};

function parseSeeds(text: string | undefined, flag: string): number[] {
  return parseList(text).map((s) => {
    return parseNumber(s, flag, { integer: true, min: 0, max: 0xffffffff })!;
  });
}

/** 'A-B', 'A-' (a crossover: block A to the last, Infinity until the checkpoint says which that is), or a name. */
function parseMixRange(text: string): [number, number] | 'coarse' | 'middle' | 'fine' {
  if (text === 'coarse' || text === 'middle' || text === 'fine') return text;
  const m = /^(\d+)-(\d*)$/.exec(text);
  const range: [number, number] | undefined = m ? [Number(m[1]), m[2] === '' ? Infinity : Number(m[2])] : undefined;
  if (!range || range[0] > range[1]) throw new UsageError(`--mix-range: expected A-B with A ≤ B (blocks), A- (block A to the last), or coarse, middle, fine; got '${text}'`);
  return range;
}

async function readNpy(path: string, flag: string): Promise<NpyArray> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new UsageError(`${flag}: cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  try {
    return parseNpy(bytes, path);
  } catch (e) {
    throw new UsageError(`${flag}: ${(e as Error).message}`);
  }
}

/** The noise file's rows: [L] or [1, L] for every image, [images, L] for one each; L = noiseLength(size). */
function noiseRows(file: NpyArray, size: number, images: number, path: string): Float32Array[] {
  const L = noiseLength(size);
  const rows = file.data.length / L;
  if (!Number.isInteger(rows) || (rows !== 1 && rows !== images)) {
    throw new UsageError(`--noise: ${path} has ${file.data.length} values; a ${size} px image needs ${L} (maps 4² … ${size}²), one row for all images or ${images} rows`);
  }
  return [...Array(rows).keys()].map((i) => file.data.subarray(i * L, (i + 1) * L));
}
