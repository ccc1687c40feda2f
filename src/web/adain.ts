// AdaIN in a page ('stylegpu/adain'): arbitrary style transfer (Huang & Belongie 2017) with pytorch-AdaIN's
// vgg_normalised.pth and decoder.pth, given as URLs or as files the user dropped or picked.
//   const sg = await StyleGpu.create();
//   const adain = await loadAdain(sg, { vgg: vggFile, decoder: decoderFile });
//   await adain.run(contentImg, [styleImg], { alpha: 0.8, canvas });
import { AdaIN, type AdainOptions } from '../models/adain.ts';
import type { Engine } from '../runtime/engine.ts';
import { type ImageInput, drawImage, readPixels, toImageData } from './images.ts';
import { type WeightFile, type WeightFileOptions, openWeightInput, weightFileName } from './weightFile.ts';
import { weightsError } from './weights.ts';

/** pytorch-AdaIN's released weights (GitHub release assets of naoto0804/pytorch-AdaIN v0.0.0). */
export const ADAIN_WEIGHT_URLS = {
  vgg: 'https://github.com/naoto0804/pytorch-AdaIN/releases/download/v0.0.0/vgg_normalised.pth',
  decoder: 'https://github.com/naoto0804/pytorch-AdaIN/releases/download/v0.0.0/decoder.pth',
} as const;

export interface AdainLoadOptions extends WeightFileOptions {
  /** vgg_normalised.pth (URL or file); default its public release. */
  vgg?: WeightFile;
  /** decoder.pth (URL or file); default its public release. */
  decoder?: WeightFile;
}

export interface AdainRunOptions extends Omit<AdainOptions, 'mask'> {
  /** Resize the content first (GPU bilinear) so its longest side has this many pixels. */
  longestSide?: number;
  /** The same for the style images (default: their own size). */
  styleLongestSide?: number;
  /** Also draw the result into this canvas (resized to it). */
  canvas?: HTMLCanvasElement | OffscreenCanvas;
  signal?: AbortSignal;
}

/** The AdaIN encoder and decoder on the page's GPU. */
export class AdainStyler {
  constructor(readonly model: AdaIN) {}

  /** content and one or more styles (`weights` interpolates between them; `alpha` is the degree of
   *  stylisation; `preserveColor` gives each style the content's colours first) → the stylized image,
   *  8⌈H/8⌉ × 8⌈W/8⌉ of the resized content. */
  async run(content: ImageInput, styles: ImageInput | readonly ImageInput[], opts: AdainRunOptions = {}): Promise<ImageData> {
    const [c, ...s] = await Promise.all([content, ...(Array.isArray(styles) ? styles : [styles])].map(readPixels));
    opts.signal?.throwIfAborted();
    const { canvas, signal, ...options } = opts;
    const out = toImageData(await this.model.stylize(c, s, options));
    signal?.throwIfAborted();
    if (canvas) drawImage(canvas, out);
    return out;
  }

  release(): void {
    this.model.release();
  }
}

/** Both weight files read (in parallel) and uploaded; WeightsError names the file that is missing or wrong. */
export async function loadAdain(target: Engine | { engine: Engine }, opts: AdainLoadOptions = {}): Promise<AdainStyler> {
  const engine = 'engine' in target ? target.engine : target;
  const vgg = opts.vgg ?? ADAIN_WEIGHT_URLS.vgg;
  const decoder = opts.decoder ?? ADAIN_WEIGHT_URLS.decoder;
  const [v, d] = await Promise.all([openWeightInput(vgg, opts), openWeightInput(decoder, opts)]);
  opts.signal?.throwIfAborted();
  try {
    return new AdainStyler(await AdaIN.load(engine, v, d));
  } catch (e) {
    throw weightsError(`${weightFileName(vgg)} + ${weightFileName(decoder)}`, e);
  }
}

export { type WeightFile } from './weightFile.ts';
