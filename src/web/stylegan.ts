// StyleGAN in a page ('stylegpu/stylegan'): images from seeds with a rosinality generator checkpoint (.model/.pt
// training checkpoint, .pth or .safetensors state dict) the user dropped, picked or linked; truncation ψ and
// style mixing as the CLI's `stylegpu stylegan` does them, so a seed gives the same image in both.
//   const sg = await StyleGpu.create();
//   const gan = await loadStyleGan(sg, checkpointFile);
//   await gan.generate({ seed: 7, psi: 0.7, mix: { seed: 3, range: 'coarse' }, canvas });
import { type StyleGanWeights, StyledGenerator } from '../models/styleGan.ts';
import { latentsForSeeds, meanStyleLatents, namedMixRange, noiseForSeed, splitNoise } from '../models/styleGanControls.ts';
import { OptionError, checkChoice, checkNumber } from '../options.ts';
import type { Engine } from '../runtime/engine.ts';
import { drawImage, toImageData } from './images.ts';
import { type WeightFile, type WeightFileOptions, openWeightInput } from './weightFile.ts';
import { weightsError } from './weights.ts';

/** The CLI's default number of latents averaged for the mean style (generate.py's 10 × 1024). */
export const MEAN_STYLE_SAMPLES = 10240;
export const MIX_RANGE_NAMES = ['coarse', 'middle', 'fine'] as const;
const SEED = { integer: true, min: 0, max: 0xffffffff };

export interface StyleGanGenerateOptions {
  /** The latent's seed (integer 0 … 2³²−1); the CLI's --seeds. */
  seed: number;
  /** Output size, one of `sizes` (default the largest). */
  size?: number;
  /** Truncation ψ: each style w becomes mean + ψ·(w − mean); default none. */
  psi?: number;
  /** Latents mapped for the mean style that ψ pulls toward (default MEAN_STYLE_SAMPLES). */
  meanSamples?: number;
  /** Noise maps from the seed ('seed', the CLI's --noise const; default) or none. */
  noise?: 'seed' | 'none';
  /** Style mixing: the blocks of `range` (inclusive block indices, or coarse/middle/fine) take the style of
   *  `seed`'s latent. */
  mix?: { seed: number; range: readonly [number, number] | (typeof MIX_RANGE_NAMES)[number] };
  /** Also draw the image into this canvas (resized to it). */
  canvas?: HTMLCanvasElement | OffscreenCanvas;
  signal?: AbortSignal;
}

/** A StyleGAN generator on the page's GPU. */
export class StyleGanSampler {
  private readonly meanStyles = new Map<number, Float32Array>();

  constructor(readonly model: StyledGenerator) {}

  /** The sizes the checkpoint can produce (4·2^block). */
  get sizes(): number[] {
    return this.model.sizes;
  }

  /** The mixing range a name (coarse, middle, fine) or [first, last] block means for this checkpoint. */
  mixRange(range: readonly [number, number] | string): [number, number] {
    const blocks = this.sizes.length;
    if (typeof range === 'string') checkChoice('mix.range', range, MIX_RANGE_NAMES);
    const r = typeof range === 'string' ? namedMixRange(range, blocks)! : ([range[0], range[1]] as [number, number]);
    if (!(Number.isInteger(r[0]) && Number.isInteger(r[1]) && 0 <= r[0] && r[0] <= r[1] && r[1] < blocks)) {
      throw new OptionError('mix.range', range, `blocks a-b with 0 ≤ a ≤ b ≤ ${blocks - 1} (this checkpoint's ${blocks} blocks, ${this.sizes[0]}–${this.sizes[blocks - 1]} px)`);
    }
    return r;
  }

  /** One image for the options, as ImageData (size × size). Bad options throw an OptionError before any work. */
  async generate(o: StyleGanGenerateOptions): Promise<ImageData> {
    checkNumber('seed', o.seed, SEED);
    checkNumber('psi', o.psi, {});
    checkNumber('meanSamples', o.meanSamples, { integer: true, min: 1 });
    checkChoice('noise', o.noise, ['seed', 'none']);
    if (o.mix) checkNumber('mix.seed', o.mix.seed, SEED);
    const size = o.size ?? this.sizes[this.sizes.length - 1];
    if (!this.sizes.includes(size)) throw new OptionError('size', size, `one of ${this.sizes.join(', ')} (what this checkpoint produces)`);
    const range = o.mix && this.mixRange(o.mix.range);
    const D = this.model.codeDim;
    const truncation = o.psi === undefined ? undefined : { psi: o.psi, meanStyle: await this.meanStyle(o.meanSamples ?? MEAN_STYLE_SAMPLES) };
    o.signal?.throwIfAborted();
    const [image] = await this.model.images({
      size,
      latents: latentsForSeeds([o.seed], D),
      mix: o.mix && { latents: latentsForSeeds([o.mix.seed], D), range: range! },
      truncation,
      noise: (o.noise ?? 'seed') === 'seed' ? splitNoise([noiseForSeed(o.seed, size)], size) : 'zeros',
    });
    o.signal?.throwIfAborted();
    const out = toImageData(image);
    if (o.canvas) drawImage(o.canvas, out);
    return out;
  }

  /** The mean style of `samples` mapped latents (stream 'mean' of seed 0, as the CLI), computed once. */
  private async meanStyle(samples: number): Promise<Float32Array> {
    let mean = this.meanStyles.get(samples);
    if (!mean) this.meanStyles.set(samples, (mean = await this.model.meanStyle(meanStyleLatents(samples, this.model.codeDim))));
    return mean;
  }

  release(): void {
    this.model.release();
  }
}

/** A rosinality checkpoint (URL or file); `which` picks a training checkpoint's generator (default g_running).
 *  WeightsError when it is missing or not a StyleGAN generator. */
export async function loadStyleGan(target: Engine | { engine: Engine }, checkpoint: WeightFile, opts: WeightFileOptions & { which?: StyleGanWeights } = {}): Promise<StyleGanSampler> {
  const engine = 'engine' in target ? target.engine : target;
  const set = await openWeightInput(checkpoint, opts);
  opts.signal?.throwIfAborted();
  try {
    return new StyleGanSampler(await StyledGenerator.load(engine, set, { which: opts.which }));
  } catch (e) {
    throw weightsError(set.description, e);
  }
}

export { type WeightFile } from './weightFile.ts';
