// stylegpu in a dedicated Worker ('stylegpu/worker'): the page API's calls, run by workerScript.ts off the main
// thread, in the same three lines:
//   const sg = await StyleGpuWorker.create();
//   const net = await sg.network('wave');
//   await net.stylize(document.querySelector('img')!, { canvas: document.querySelector('canvas')! });
// and for Gatys: `const g = await sg.gatys(); await g.run(content, style, { canvas })`. Images go over as
// ImageBitmap/ImageData/Blob, results come back as ImageData (drawn into `canvas` here); progress callbacks and
// AbortSignal work as in the page; errors arrive as the page API's classes (NoWebGpuError, AdapterLimitError,
// WeightsError, ImageDecodeError; an abort as the signal's reason).
import type { EngineOptions } from './engine.ts';
import type { GatysLoadOptions, GatysPageResult, GatysRunOptions } from './gatys.ts';
import { type ImageInput, decoded, drawImage } from './images.ts';
import type { RunOptions } from './index.ts';
import type { WeightOptions } from './weights.ts';
import { type CallName, type FromWorker, type PreviewTarget, type ToWorker, type WorkerCalls, type WorkerEvent, type WorkerImage, type WorkerWeightOptions, receiveError } from './workerProtocol.ts';

export type WorkerEngineOptions = Omit<EngineOptions, 'gpu'>;

interface Pending {
  resolve(value: unknown): void;
  reject(error: unknown): void;
  onEvent?: (event: WorkerEvent) => void;
}

/** The input as something postMessage can carry: an element becomes an ImageBitmap (decoded here, by the browser,
 *  off the main thread); ImageData, ImageBitmap and Blob are cloned as they are. */
async function forWorker(input: ImageInput): Promise<WorkerImage> {
  if (input instanceof Blob || input instanceof ImageData || input instanceof ImageBitmap) return input;
  if (typeof HTMLImageElement !== 'undefined' && input instanceof HTMLImageElement) return createImageBitmap(await decoded(input));
  return createImageBitmap(input);
}

/** The shipped Worker's script. From the sources, vite's dev server serves workerScript.ts itself; the package
 *  build (scripts/build.mjs) makes workerScript.js an entry of its own and writes its name here as a literal, so
 *  that a page's bundler finds `new Worker(new URL('…', import.meta.url))` and bundles the Worker with the page.
 *  (Not a literal in the sources: vite would bundle the Worker into the package.) */
const workerScriptFile = './workerScript.ts';
const startWorkerScript = () => new Worker(new URL(workerScriptFile, import.meta.url), { type: 'module', name: 'stylegpu' });

const weightsFor = (o: WeightOptions): WorkerWeightOptions => ({ baseUrl: o.baseUrl, cache: o.cache });

/** A stylegpu engine running in its own Worker. */
export class StyleGpuWorker {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  /** Preview canvases already handed to the Worker (a canvas gives its control away once). */
  private readonly previewCanvases = new WeakMap<HTMLCanvasElement | OffscreenCanvas, number>();
  private description = '';

  private constructor(readonly worker: Worker) {
    worker.onmessage = ({ data }: MessageEvent<FromWorker>) => {
      const p = this.pending.get(data.id);
      if (!p) return;
      if (data.kind === 'event') return p.onEvent?.(data.event);
      this.pending.delete(data.id);
      if (data.kind === 'result') p.resolve(data.value);
      else p.reject(receiveError(data.error));
    };
    worker.onerror = (e) => {
      e.preventDefault();
      const error = new Error(`the stylegpu Worker failed: ${e.message || 'its script did not load'}`);
      for (const p of this.pending.values()) p.reject(error);
      this.pending.clear();
    };
  }

  /** Starts the Worker and its engine; NoWebGpuError when the Worker has no WebGPU. `worker` replaces the
   *  shipped script (a page that serves it from elsewhere). */
  static async create(opts: WorkerEngineOptions & { worker?: Worker } = {}): Promise<StyleGpuWorker> {
    const worker = opts.worker ?? startWorkerScript();
    const sg = new StyleGpuWorker(worker);
    try {
      sg.description = (await sg.call('init', { powerPreference: opts.powerPreference, profile: opts.profile })).description;
    } catch (e) {
      worker.terminate();
      throw e;
    }
    return sg;
  }

  /** The Worker's adapter in one line. */
  describe(): string {
    return this.description;
  }

  /** @internal One call to the Worker; `signal` aborts it there, `onEvent` gets its progress. */
  call<K extends CallName>(call: K, args: WorkerCalls[K]['args'], opts: { signal?: AbortSignal; onEvent?: (e: WorkerEvent) => void; transfer?: Transferable[] } = {}): Promise<WorkerCalls[K]['result']> {
    const { signal } = opts;
    signal?.throwIfAborted();
    const id = this.nextId++;
    const onAbort = () => this.post({ kind: 'abort', id });
    return new Promise<WorkerCalls[K]['result']>((resolve, reject) => {
      this.pending.set(id, {
        resolve: resolve as (v: unknown) => void,
        // An abort rejects with the page's own reason, as in the page.
        reject: (e) => reject(signal?.aborted && (e as Error)?.name === 'AbortError' ? signal.reason : e),
        onEvent: opts.onEvent,
      });
      signal?.addEventListener('abort', onAbort, { once: true });
      this.post({ kind: 'call', id, call, args }, opts.transfer);
    }).finally(() => signal?.removeEventListener('abort', onAbort));
  }

  private post(message: ToWorker, transfer: Transferable[] = []): void {
    this.worker.postMessage(message, transfer);
  }

  /** A pretrained network in the Worker (StyleGpu.network's names and URLs). */
  async network(nameOrUrl: string, opts: WeightOptions = {}): Promise<WorkerNetwork> {
    const { handle } = await this.call('network', { nameOrUrl, weights: weightsFor(opts) }, { signal: opts.signal, onEvent: (e) => e.type === 'download' && opts.onProgress?.(e.progress) });
    return new WorkerNetwork(this, handle);
  }

  /** VGG19 for Gatys in the Worker (loadGatys's options). */
  async gatys(opts: GatysLoadOptions = {}): Promise<WorkerGatys> {
    const { handle } = await this.call('loadGatys', { weights: weightsFor(opts), deepestLayer: opts.deepestLayer }, { signal: opts.signal, onEvent: (e) => e.type === 'download' && opts.onProgress?.(e.progress) });
    return new WorkerGatys(this, handle);
  }

  /** @internal The Worker's end of `canvas` for a GPU preview: its control, transferred the first time. */
  previewTarget(canvas: HTMLCanvasElement | OffscreenCanvas): PreviewTarget {
    const known = this.previewCanvases.get(canvas);
    if (known !== undefined) return { id: known };
    const id = this.nextId++;
    this.previewCanvases.set(canvas, id);
    return { id, canvas: 'transferControlToOffscreen' in canvas ? canvas.transferControlToOffscreen() : canvas };
  }

  /** Frees the engine's device and ends the Worker. */
  async destroy(): Promise<void> {
    try {
      await this.call('destroy', {});
    } finally {
      this.worker.terminate();
    }
  }
}

/** A pretrained network held by the Worker. */
export class WorkerNetwork {
  constructor(
    readonly owner: StyleGpuWorker,
    readonly handle: number,
  ) {}

  /** StyleNetwork.stylize, in the Worker. */
  async stylize(input: ImageInput, opts: RunOptions = {}): Promise<ImageData> {
    const image = await forWorker(input);
    const { image: out } = await this.owner.call(
      'stylize',
      { handle: this.handle, image, longestSide: opts.longestSide },
      { signal: opts.signal, onEvent: (e) => e.type === 'layers' && opts.onProgress?.(e.done, e.total) },
    );
    if (opts.canvas) drawImage(opts.canvas, out);
    return out;
  }

  release(): Promise<void> {
    return this.owner.call('release', { handle: this.handle }).then(() => undefined);
  }
}

/** VGG19 for Gatys, held by the Worker. */
export class WorkerGatys {
  constructor(
    readonly owner: StyleGpuWorker,
    readonly handle: number,
  ) {}

  /** GatysStyler.run, in the Worker: `canvas` and `onFrame` get frames every `previewEvery` iterations (read back
   *  there), `preview` (a canvas, whose control moves to the Worker at its first run) every iteration from the GPU. */
  async run(content: ImageInput, style: ImageInput | ImageInput[], opts: GatysRunOptions = {}): Promise<GatysPageResult> {
    const { canvas, preview, signal, onIteration, onFrame, onEvaluation, previewEvery = 10, ...options } = opts;
    if (preview && 'createView' in preview) throw new Error('gatys.run in a Worker: `preview` must be a canvas (a GPUTexture cannot go to the Worker)');
    if (onEvaluation) throw new Error('gatys.run in a Worker: onEvaluation is not carried across (use onIteration)');
    const [c, ...s] = await Promise.all([content, ...(Array.isArray(style) ? style : [style])].map(forWorker));
    const target = preview ? this.owner.previewTarget(preview) : undefined;
    const r = await this.owner.call(
      'gatys',
      { handle: this.handle, content: c, styles: s, options, previewEvery: canvas || onFrame ? previewEvery : 0, preview: target },
      {
        signal,
        transfer: target?.canvas ? [target.canvas] : [],
        onEvent: (e) => {
          if (e.type === 'iteration') onIteration?.({ iteration: e.iteration, loss: e.loss });
          if (e.type !== 'frame') return;
          if (canvas) drawImage(canvas, e.image);
          onFrame?.(e.image, e.iteration);
        },
      },
    );
    if (canvas) drawImage(canvas, r.image);
    return r;
  }

  release(): Promise<void> {
    return this.owner.call('release', { handle: this.handle }).then(() => undefined);
  }
}
