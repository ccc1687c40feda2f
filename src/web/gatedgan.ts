// Gated GAN in a page ('stylegpu/gatedgan'): one generator holding several styles, mixed by a weight per style
// (plus the identity branch), from a checkpoint (.pth or .safetensors) the user dropped, picked or linked.
//   const sg = await StyleGpu.create();
//   const gg = await loadGatedGan(sg, checkpointFile);
//   await gg.run(img, [0.5, 0.5, 0, 0], { canvas });   // gg.styles style weights, then the identity's
import { GatedGanGenerator } from '../models/gatedGan.ts';
import type { Engine } from '../runtime/engine.ts';
import { type ImageInput, drawImage, readPixels, toImageData } from './images.ts';
import { type WeightFile, type WeightFileOptions, openWeightInput } from './weightFile.ts';
import { weightsError } from './weights.ts';

export interface GatedGanRunOptions {
  /** Resize first (GPU bilinear) so that the longest side has this many pixels. */
  longestSide?: number;
  /** Also draw the result into this canvas (resized to it). */
  canvas?: HTMLCanvasElement | OffscreenCanvas;
  signal?: AbortSignal;
}

/** A Gated GAN generator on the page's GPU. */
export class GatedGanStyler {
  constructor(readonly model: GatedGanGenerator) {}

  /** The number of styles S; run() takes S + 1 weights, the last the identity branch's. */
  get styles(): number {
    return this.model.styles;
  }

  /** The image through the generator, its branches mixed by `styleWeights` (used as given, not normalised);
   *  4⌈H/4⌉ × 4⌈W/4⌉ of the resized input. */
  async run(input: ImageInput, styleWeights: readonly number[], opts: GatedGanRunOptions = {}): Promise<ImageData> {
    const image = await readPixels(input);
    opts.signal?.throwIfAborted();
    const out = toImageData(await this.model.stylize(image, styleWeights, { longestSide: opts.longestSide }));
    opts.signal?.throwIfAborted();
    if (opts.canvas) drawImage(opts.canvas, out);
    return out;
  }

  release(): void {
    this.model.release();
  }
}

/** A generator state dict (URL or file); WeightsError when it is missing or not a Gated GAN generator. */
export async function loadGatedGan(target: Engine | { engine: Engine }, checkpoint: WeightFile, opts: WeightFileOptions = {}): Promise<GatedGanStyler> {
  const engine = 'engine' in target ? target.engine : target;
  const set = await openWeightInput(checkpoint, opts);
  opts.signal?.throwIfAborted();
  try {
    return new GatedGanStyler(await GatedGanGenerator.load(engine, set));
  } catch (e) {
    throw weightsError(set.description, e);
  }
}

export { type WeightFile } from './weightFile.ts';
