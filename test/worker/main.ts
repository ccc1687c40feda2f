// test/web-worker.test.ts's page: the same jobs in the page (StyleGpu, loadGatys) and in the Worker mode
// (StyleGpuWorker), their outputs handed to the test; aborts; the page API's errors as they arrive from the
// Worker; a timer on the main thread ticking while the Worker runs Gatys.
import { AdapterLimitError, ImageDecodeError, StyleGpu, WeightsError } from '../../src/web/index.ts';
import { type GatysRunOptions, loadGatys } from '../../src/web/gatys.ts';
import { PageTicker } from '../helpers/pageTicker.ts';
import { StyleGpuWorker, type WorkerNetwork } from '../../src/web/worker.ts';

interface Caught {
  name?: string;
  isClass?: boolean;
  message?: string;
  fields?: Record<string, unknown>;
}

interface NetworkOutputs {
  fromBlob: number[];
  fromImg: number[];
}

interface PageNetworkJobs extends NetworkOutputs {
  /** The main thread's timer ticks seen at each layer of the in-page run. */
  ticksAtLayers: number[];
}

interface WorkerNetworkJobs extends NetworkOutputs {
  adapter: string;
  layers: number[];
}

interface NetworkFailures {
  aborted: Caught & { layersBeforeAbort: number; sameReason: boolean };
  errors: { weights: Caught; decode: Caught; limit: Caught };
}

interface GatysOutput {
  image: number[];
  iterations: number;
}

interface WorkerGatysJobs extends GatysOutput {
  iterationsSeen: number[];
  frames: number;
  canvas: number[];
  aborted: { aborted: boolean; iterations: number };
  ticksAtIterations: number[];
  longestTickGapMs: number;
}

declare global {
  interface Window {
    __pageNetwork?: () => Promise<PageNetworkJobs>;
    __workerNetwork?: () => Promise<WorkerNetworkJobs>;
    __networkFailures?: () => Promise<NetworkFailures>;
    __pageGatys?: () => Promise<GatysOutput>;
    __workerGatys?: () => Promise<WorkerGatysJobs>;
  }
}


const caught = async (work: () => Promise<unknown>, cls?: abstract new (...a: never[]) => Error): Promise<Caught> => {
  try {
    await work();
    return {};
  } catch (e) {
    const err = e as Error & Record<string, unknown>;
    const fields = Object.fromEntries(['reason', 'location', 'requestedSide', 'largestSide', 'limitBytes', 'neededBytes'].filter((k) => k in err).map((k) => [k, err[k]]));
    return { name: err.name, isClass: cls ? err instanceof cls : err instanceof DOMException, message: err.message, fields };
  }
};

const weights = { baseUrl: '/mirror/', cache: false as const };
const blob = async (url: string) => (await fetch(url)).blob();
const img = document.getElementById('content') as HTMLImageElement;
/** The Worker and network of __networkJobs, kept for __networkFailures. */
let networkWorker: { w: StyleGpuWorker; net: WorkerNetwork } | undefined;

window.__pageNetwork = async () => {
  const content = await blob('/examples/content/chelsea.png');
  const sg = await StyleGpu.create();
  const net = await sg.network('wave', weights);
  const ticker = new PageTicker();
  const ticksAtLayers: number[] = [];
  const fromBlob = Array.from((await net.stylize(content, { longestSide: 40, onProgress: () => void ticksAtLayers.push(ticker.ticks) })).data);
  const fromImg = Array.from((await net.stylize(img, { longestSide: 40 })).data);
  await sg.destroy();
  return { fromBlob, fromImg, ticksAtLayers };
};

window.__workerNetwork = async () => {
  const content = await blob('/examples/content/chelsea.png');
  const w = await StyleGpuWorker.create();
  const layers: number[] = [];
  const net = await w.network('wave', weights);
  const fromBlob = Array.from((await net.stylize(content, { longestSide: 40, onProgress: (done) => void layers.push(done) })).data);
  const fromImg = Array.from((await net.stylize(img, { longestSide: 40 })).data);
  networkWorker = { w, net };
  return { adapter: w.describe(), fromBlob, fromImg, layers };
};

window.__networkFailures = async () => {
  const { w, net } = networkWorker!;
  const content = await blob('/examples/content/chelsea.png');
  // Aborted from the page once the Worker has done its first layer.
  const stop = new AbortController();
  let layersBeforeAbort = 0;
  const aborted = await caught(() => net.stylize(content, { longestSide: 64, signal: stop.signal, onProgress: (done) => ((layersBeforeAbort = done), stop.abort()) }));
  const errors = {
    weights: await caught(() => w.network('/mirror/no-such-model/manifest.json', weights), WeightsError),
    decode: await caught(() => net.stylize(new Blob([new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3])], { type: 'image/png' })), ImageDecodeError),
    limit: await caught(() => net.stylize(content, { longestSide: 40_000 }), AdapterLimitError),
  };
  await w.destroy();
  return { aborted: { ...aborted, layersBeforeAbort, sameReason: aborted.message === (stop.signal.reason as Error).message }, errors };
};

const gatysInputs = () => Promise.all([blob('/examples/content/chelsea.png'), blob('/examples/style/starry_night.png')]);
const gatysOptions: GatysRunOptions = { imageSize: 32, iterations: 4, contentLayers: ['relu3_2'], styleLayers: ['relu1_1', 'relu2_1', 'relu3_1'] };

window.__pageGatys = async () => {
  const [content, style] = await gatysInputs();
  const sg = await StyleGpu.create();
  const r = await (await loadGatys(sg, { ...weights, deepestLayer: 'relu3_2' })).run(content, style, gatysOptions);
  await sg.destroy();
  return { image: Array.from(r.image.data), iterations: r.iterations };
};

window.__workerGatys = async () => {
  const [content, style] = await gatysInputs();
  const options = gatysOptions;
  const w = await StyleGpuWorker.create();
  const g = await w.gatys({ ...weights, deepestLayer: 'relu3_2' });
  const iterationsSeen: number[] = [];
  const ticksAtIterations: number[] = [];
  let frames = 0;
  const canvas = document.createElement('canvas');
  const ticker = new PageTicker();
  const r = await g.run(content, style, {
    ...options,
    canvas,
    previewEvery: 2,
    onFrame: () => void frames++,
    onIteration: ({ iteration }) => {
      iterationsSeen.push(iteration);
      ticksAtIterations.push(ticker.ticks);
    },
  });
  const tickGap = ticker.longestGapMs;
  const shown = Array.from(canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data);
  const stop = new AbortController();
  const aborted = await g.run(content, style, { ...options, iterations: 2000, signal: stop.signal, onIteration: () => stop.abort() });
  await w.destroy();
  return {
    image: Array.from(r.image.data),
    iterations: r.iterations,
    iterationsSeen,
    frames,
    canvas: shown,
    aborted: { aborted: aborted.aborted, iterations: aborted.iterations },
    ticksAtIterations,
    longestTickGapMs: tickGap,
  };
};
