// Gatys et al. in a page ('stylegpu/gatys'): VGG19 (the public TensorFlow.js Keras weights, or a mirror) and
// L-BFGS on the page's GPU, yielding to the page between iterations.
//   const sg = await StyleGpu.create();
//   const g = await loadGatys(sg);
//   await g.run(contentImg, styleImg, { imageSize: 256, iterations: 100, canvas, preview: previewCanvas });
import { GATYS_DEFAULTS, type GatysOptions, deepestLayer, gatys } from '../models/gatys.ts';
import { Vgg19, vggWeights } from '../models/vgg19.ts';
import type { Engine } from '../runtime/engine.ts';
import { type ImageInput, drawImage, readPixels, toImageData } from './images.ts';
import { TensorPreview, TensorRenderer } from './preview.ts';
import { type WeightOptions, openWeights, weightsError } from './weights.ts';

export interface GatysLoadOptions extends WeightOptions {
  /** The deepest VGG19 layer any run will use (default relu5_1; relu3_2 with a mirror holding relu3_x only). */
  deepestLayer?: string;
}

export interface GatysRunOptions extends Omit<GatysOptions, 'onIteration'> {
  /** Drawn with the result, and every `previewEvery` iterations with the image so far. */
  canvas?: HTMLCanvasElement | OffscreenCanvas;
  /** Iterations between `canvas`'s and `onFrame`'s frames, each read back from the GPU (default 10; 0: none). */
  previewEvery?: number;
  /** Every `previewEvery` iterations, the image so far (read back from the GPU). */
  onFrame?: (image: ImageData, iteration: number) => void;
  /** Drawn every iteration straight from the GPU, nothing read back: a canvas (its WebGPU context, on the
   *  engine's device; not the 2D `canvas`), or a texture of the image's size that can be a render attachment. */
  preview?: HTMLCanvasElement | OffscreenCanvas | GPUTexture;
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
    const preview = opts.preview && previewOn(this.engine, opts.preview);
    try {
      const r = await gatys(this.engine, this.vgg, c, s, {
        ...opts,
        onIteration: async ({ iteration, loss, image, tensor, display }) => {
          opts.onIteration?.({ iteration, loss });
          preview?.draw(tensor, display);
          if ((opts.canvas || opts.onFrame) && every > 0 && iteration % every === 0) {
            const frame = toImageData(await image());
            if (opts.canvas) drawImage(opts.canvas, frame);
            opts.onFrame?.(frame, iteration);
          }
          // A macrotask between iterations, so that input and painting get their turn.
          await new Promise((resolve) => setTimeout(resolve, 0));
        },
      });
      if (opts.canvas) drawImage(opts.canvas, r.image);
      return { image: toImageData(r.image), iterations: r.iterations, initialLoss: r.initialLoss, finalLoss: r.finalLoss, aborted: r.aborted };
    } finally {
      preview?.destroy();
    }
  }

  release(): void {
    this.vgg.release();
  }
}

/** The preview's drawer: a canvas's WebGPU context (which keeps showing the last frame), or a texture. */
function previewOn(engine: Engine, target: HTMLCanvasElement | OffscreenCanvas | GPUTexture): Pick<TensorPreview, 'draw' | 'destroy'> {
  if (!('createView' in target)) {
    const canvas = new TensorPreview(engine, target);
    return { draw: (t, mapping) => canvas.draw(t, mapping), destroy: () => canvas.destroy({ keepFrame: true }) };
  }
  const renderer = new TensorRenderer(engine, target.format);
  return { draw: (t, mapping) => renderer.draw(t, target, mapping), destroy: () => renderer.destroy() };
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
