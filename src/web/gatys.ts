// Gatys et al. in a page ('stylegpu/gatys'): VGG19 (the public TensorFlow.js Keras weights, or a mirror) and
// L-BFGS on the page's GPU, yielding to the page between iterations.
//   const sg = await StyleGpu.create();
//   const g = await loadGatys(sg);
//   await g.run(contentImg, styleImg, { imageSize: 256, iterations: 100, canvas });
import { GATYS_DEFAULTS, type GatysOptions, deepestLayer, gatys } from '../models/gatys.ts';
import { Vgg19, vggWeights } from '../models/vgg19.ts';
import type { Engine } from '../runtime/engine.ts';
import { type ImageInput, drawImage, readPixels, toImageData } from './images.ts';
import { type WeightOptions, openWeights, weightsError } from './weights.ts';

export interface GatysLoadOptions extends WeightOptions {
  /** The deepest VGG19 layer any run will use (default relu5_1; relu3_2 with a mirror holding relu3_x only). */
  deepestLayer?: string;
}

export interface GatysRunOptions extends Omit<GatysOptions, 'onIteration'> {
  /** Drawn with the result, and every `previewEvery` iterations with the image so far. */
  canvas?: HTMLCanvasElement | OffscreenCanvas;
  /** Iterations between preview frames (default 10; 0: none). */
  previewEvery?: number;
  onIteration?: (info: { iteration: number; loss: number }) => void;
}

export interface GatysPageResult {
  image: ImageData;
  iterations: number;
  initialLoss: number;
  finalLoss: number;
  /** True when the signal stopped the run; the image is the one reached by then. */
  aborted: boolean;
}

/** VGG19 loaded on the page's GPU, ready for runs. */
export class GatysStyler {
  constructor(
    readonly engine: Engine,
    readonly vgg: Vgg19,
  ) {}

  async run(content: ImageInput, style: ImageInput | ImageInput[], opts: GatysRunOptions = {}): Promise<GatysPageResult> {
    const [c, ...s] = await Promise.all([content, ...(Array.isArray(style) ? style : [style])].map(readPixels));
    const every = opts.previewEvery ?? 10;
    const r = await gatys(this.engine, this.vgg, c, s, {
      ...opts,
      onIteration: async ({ iteration, loss, image }) => {
        opts.onIteration?.({ iteration, loss });
        if (opts.canvas && image && every > 0 && iteration % every === 0) drawImage(opts.canvas, await image());
        // A macrotask between iterations, so that input and painting get their turn.
        await new Promise((resolve) => setTimeout(resolve, 0));
      },
    });
    if (opts.canvas) drawImage(opts.canvas, r.image);
    return { image: toImageData(r.image), iterations: r.iterations, initialLoss: r.initialLoss, finalLoss: r.finalLoss, aborted: r.aborted };
  }

  release(): void {
    this.vgg.release();
  }
}

/** VGG19 up to the deepest layer the runs need, from its public source, `baseUrl` or the Cache API. */
export async function loadGatys(target: Engine | { engine: Engine }, opts: GatysLoadOptions = {}): Promise<GatysStyler> {
  const engine = 'engine' in target ? target.engine : target;
  const set = await openWeights('vgg19-tfjs', opts);
  const deepest = opts.deepestLayer ?? deepestLayer([...GATYS_DEFAULTS.contentLayers, ...GATYS_DEFAULTS.styleLayers]);
  try {
    return new GatysStyler(engine, await Vgg19.load(engine, vggWeights(set), deepest));
  } catch (e) {
    throw weightsError('vgg19-tfjs', e);
  }
}

export { GATYS_DEFAULTS, type GatysOptions } from '../models/gatys.ts';
