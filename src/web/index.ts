// stylegpu in a page, in three lines:
//   const sg = await StyleGpu.create();
//   const net = await sg.network('wave');
//   await net.stylize(document.querySelector('img')!, { canvas: document.querySelector('canvas')! });
// This entry holds the engine and the pretrained feed-forward networks only; Gatys is 'stylegpu/gatys'.
import { Graph } from '../graph/graph.ts';
import { FastStyleNet } from '../models/fastStyle.ts';
import type { Engine } from '../runtime/engine.ts';
import { ml5Checkpoint } from '../weights/ml5Checkpoint.ts';
import { ML5_MODELS, ML5_STYLES } from '../weights/registry.ts';
import { type EngineOptions, createEngine } from './engine.ts';
import { checkFits, largestTensorBytes } from './fit.ts';
import { type ImageInput, drawImage, readPixels, toImageData } from './images.ts';
import { type WeightOptions, openWeightsAs, weightsError } from './weights.ts';

export { AdapterLimitError, ImageDecodeError, NoWebGpuError, WeightsError } from './errors.ts';
export { type EngineOptions, createEngine } from './engine.ts';
export { type ImageInput, drawImage, readPixels, toImageData } from './images.ts';
export { DEFAULT_CACHE, type IndexFormat, type WeightOptions, openWeights, openWeightsAs } from './weights.ts';
export { type PixelAffine, type PixelMapping, TensorPreview, TensorRenderer } from './preview.ts';
export { ML5_STYLES, type Ml5Style } from '../weights/registry.ts';
export type { Engine } from '../runtime/engine.ts';
export type { RgbaImage } from '../image/io.ts';

export interface RunOptions {
  /** Resize first (on the GPU, bilinear) so that the longest side has this many pixels. */
  longestSide?: number;
  /** Also draw the result into this canvas (resized to it). */
  canvas?: HTMLCanvasElement | OffscreenCanvas;
  /** Layers done so far (the engine waits for each, so the page stays responsive between them). */
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

/** A pretrained feed-forward style network on the page's GPU. */
export class StyleNetwork {
  constructor(readonly net: FastStyleNet) {}

  /** The largest tensor (bytes) the network needs for an input of height × width. */
  neededBytes(height: number, width: number): number {
    const g = new Graph();
    this.net.build(g.input('x', [1, 3, height, width]));
    return largestTensorBytes(g);
  }

  /** The stylized image (4⌈H/4⌉ × 4⌈W/4⌉ of the resized input) as ImageData, drawn into `canvas` if given.
   *  AdapterLimitError, before any work, when the size does not fit the adapter. */
  async stylize(input: ImageInput, opts: RunOptions = {}): Promise<ImageData> {
    const image = await readPixels(input);
    opts.signal?.throwIfAborted();
    const upload = image.width * image.height * 3 * 4;
    checkFits(this.net.engine, image.height, image.width, opts.longestSide ?? Math.max(image.width, image.height), (h, w) => Math.max(upload, this.neededBytes(h, w)));
    const out = toImageData(await this.net.stylize(image, { longestSide: opts.longestSide, onProgress: opts.onProgress, signal: opts.signal }));
    if (opts.canvas) drawImage(opts.canvas, out);
    return out;
  }

  release(): void {
    this.net.release();
  }
}

/** The engine a page talks to. */
export class StyleGpu {
  constructor(
    readonly engine: Engine,
    /** false when the page passed its own device in (destroy() then leaves it alive). */
    private readonly ownsDevice = true,
  ) {}

  /** NoWebGpuError when the browser has no WebGPU. */
  static async create(opts: EngineOptions = {}): Promise<StyleGpu> {
    return new StyleGpu(await createEngine(opts), !opts.gpu);
  }

  /** The adapter in one line, e.g. "google swiftshader … [browser]". */
  describe(): string {
    return this.engine.describe();
  }

  /**
   * A pretrained network: one of ML5_STYLES ('wave', 'udnie', …: fetched from its public source or
   * `opts.baseUrl`, kept in the Cache API), or the URL of a deeplearn.js manifest.json of the same network.
   * WeightsError when the weights are missing or damaged.
   */
  async network(nameOrUrl: string, opts: WeightOptions = {}): Promise<StyleNetwork> {
    const id = (ML5_STYLES as readonly string[]).includes(nameOrUrl) ? `ml5-style-transfer/${nameOrUrl}` : nameOrUrl;
    const set = await openWeightsAs(ml5Checkpoint, ML5_MODELS, id, opts);
    try {
      return new StyleNetwork(await FastStyleNet.load(this.engine, set));
    } catch (e) {
      throw weightsError(nameOrUrl, e);
    }
  }

  /** Frees the device (one the page passed in stays the page's; only stylegpu's buffers go). */
  async destroy(): Promise<void> {
    if (this.ownsDevice) return this.engine.destroy();
    await this.engine.sync();
    this.engine.pool.trim();
  }
}
