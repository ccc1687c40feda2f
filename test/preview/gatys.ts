// test/preview.test.ts's Gatys page: gatys.run with `preview` (a texture: see preview.test.ts for why not a
// canvas here), the read-backs counted by wrapping WebGPU's own methods, per preview frame and per run, and the
// last frame copied out at the end to compare with the run's result. A timer keeps ticking during the runs, to
// see that the page gets its turn between iterations.
import { StyleGpu, TensorRenderer } from '../../src/web/index.ts';
import { PageTicker } from '../helpers/pageTicker.ts';
import { type GatysPageResult, type GatysRunOptions, loadGatys } from '../../src/web/gatys.ts';

interface Run {
  image: number[];
  iterations: number;
  /** mapAsync calls and copies into MAP_READ buffers or out of textures, over the whole run. */
  readbacks: number;
  frames: number;
  /** Read-backs made while a frame was being drawn. */
  readbacksInFrames: number;
  /** The timer's ticks seen at each iteration. */
  ticksAtIterations: number[];
  longestTickGapMs: number;
  /** The preview texture after the run, RGBA. */
  shown?: number[];
}

declare global {
  interface Window {
    __gatysPreview?: { error?: string; width?: number; height?: number; plain?: Run; previewed?: Run; originalColors?: Run };
  }
}

let readbacks = 0;
const mapAsync = GPUBuffer.prototype.mapAsync;
GPUBuffer.prototype.mapAsync = function (...args) {
  readbacks++;
  return mapAsync.apply(this, args);
};
const copyBufferToBuffer = GPUCommandEncoder.prototype.copyBufferToBuffer as (this: GPUCommandEncoder, ...a: unknown[]) => void;
GPUCommandEncoder.prototype.copyBufferToBuffer = function (this: GPUCommandEncoder, ...args: unknown[]) {
  // Both overloads: (src, dst, size?) and (src, srcOffset, dst, dstOffset, size).
  const destination = (typeof args[1] === 'number' ? args[2] : args[1]) as GPUBuffer;
  if (destination.usage & GPUBufferUsage.MAP_READ) readbacks++;
  return copyBufferToBuffer.apply(this, args);
} as GPUCommandEncoder['copyBufferToBuffer'];
const copyTextureToBuffer = GPUCommandEncoder.prototype.copyTextureToBuffer;
GPUCommandEncoder.prototype.copyTextureToBuffer = function (...args) {
  readbacks++;
  return copyTextureToBuffer.apply(this, args);
};
let frames = 0;
let readbacksInFrames = 0;
const draw = TensorRenderer.prototype.draw;
TensorRenderer.prototype.draw = function (...args) {
  frames++;
  const before = readbacks;
  try {
    return draw.apply(this, args);
  } finally {
    readbacksInFrames += readbacks - before;
  }
};

const ticker = new PageTicker();

let step = 'engine';
try {
  const sg = await StyleGpu.create();
  const e = sg.engine;
  e.device.lost.then((l) => console.log(`LOST ${l.reason} ${l.message} at step ${step}`));
  step = 'vgg';
  const gatys = await loadGatys(sg, { baseUrl: '/mirror/', cache: false, deepestLayer: 'relu3_2' });
  step = 'decode';
  const blob = async (url: string) => (await fetch(url)).blob();
  const [content, style] = await Promise.all([blob('/examples/content/chelsea.png'), blob('/examples/style/starry_night.png')]);
  const options: GatysRunOptions = { imageSize: 32, iterations: 4, contentLayers: ['relu3_2'], styleLayers: ['relu1_1', 'relu2_1', 'relu3_1'] };
  // chelsea 451×300 at a longest side of 32.
  const [width, height] = [32, 21];

  const run = async (name: string, extra: GatysRunOptions, texture?: GPUTexture): Promise<Run> => {
    step = name;
    readbacks = frames = readbacksInFrames = 0;
    ticker.restart();
    const ticksAtIterations: number[] = [];
    const r: GatysPageResult = await gatys.run(content, style, { ...options, ...extra, preview: texture, onIteration: () => void ticksAtIterations.push(ticker.ticks) });
    const counted = { readbacks, frames, readbacksInFrames, ticksAtIterations, longestTickGapMs: ticker.longestGapMs };
    return { image: Array.from(r.image.data), iterations: r.iterations, ...counted, shown: texture && (await copyOut(texture)) };
  };
  const copyOut = async (texture: GPUTexture): Promise<number[]> => {
    const rowBytes = 256;
    const out = e.device.createBuffer({ size: rowBytes * height, usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ });
    const encoder = e.device.createCommandEncoder();
    encoder.copyTextureToBuffer({ texture }, { buffer: out, bytesPerRow: rowBytes }, [width, height]);
    e.device.queue.submit([encoder.finish()]);
    await out.mapAsync(GPUMapMode.READ);
    const raw = new Uint8Array(out.getMappedRange());
    const rgba: number[] = [];
    for (let y = 0; y < height; y++) rgba.push(...raw.subarray(y * rowBytes, y * rowBytes + width * 4));
    out.unmap();
    out.destroy();
    return rgba;
  };
  const target = () => e.device.createTexture({ size: [width, height], format: 'rgba8unorm', usage: GPUTextureUsage.RENDER_ATTACHMENT | GPUTextureUsage.COPY_SRC });

  const plain = await run('plain', {});
  const previewed = await run('previewed', {}, target());
  const originalColors = await run('originalColors', { originalColors: true }, target());
  window.__gatysPreview = { width, height, plain, previewed, originalColors };
} catch (err) {
  window.__gatysPreview = { error: `${step}: ${String((err as Error)?.stack ?? err)}` };
}
