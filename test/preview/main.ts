// test/preview.test.ts's page: a network's output tensor drawn by TensorRenderer (TensorPreview's pass), the
// engine's read-back counter around the frames, and the read-back result and the frame's texture copied out
// by the page itself for the test to compare.
import { imageToPlanes } from '../../src/image/io.ts';
import { StyleGpu, TensorRenderer, readPixels } from '../../src/web/index.ts';

declare global {
  interface Window {
    __preview?: { error?: string; readbackDuringFrame?: number; frames?: number; width?: number; height?: number; want?: number[]; shown?: number[] };
  }
}

let step = 'engine';
try {
  const sg = await StyleGpu.create();
  const e = sg.engine;
  e.device.lost.then((l) => console.log(`LOST ${l.reason} ${l.message} at step ${step}`));
  e.device.onuncapturederror = (ev) => console.log(`UNCAPTURED ${ev.error.message}`);
  const net = await sg.network('wave', { baseUrl: '/mirror/', cache: false });
  step = 'decode';
  const img = await readPixels(await (await fetch('/examples/content/chelsea.png')).blob());
  // 48 × 32 crop of the content, uploaded as the network's input (RGB 0…255).
  const crop = new ImageData(48, 32);
  for (let y = 0; y < 32; y++) crop.data.set(img.data.subarray((y * img.width + 100) * 4, (y * img.width + 148) * 4), y * 48 * 4);
  const x = e.tensor([1, 3, 32, 48], imageToPlanes(crop, 1));
  const y = await net.net.forward(x);
  await e.sync();

  const want = await net.stylize(crop);
  step = 'preview';
  // A plain texture as the target: in this headless Chromium (SwiftShader) a WebGPU canvas context destroys the
  // device at its first frame, so TensorPreview's canvas path cannot run here; its render pass is this one.
  const format = navigator.gpu.getPreferredCanvasFormat();
  const texture = e.device.createTexture({ size: [48, 32], format, usage: GPUTextureUsage.RENDER_ATTACHMENT | GPUTextureUsage.COPY_SRC });
  const renderer = new TensorRenderer(e, format);
  step = 'draw';
  const before = e.stats.readbackBytes;
  const frames = 3;
  for (let i = 0; i < frames; i++) renderer.draw(y, texture, { scale: 1 });
  await e.sync();
  const readbackDuringFrame = e.stats.readbackBytes - before;

  // The last frame's texture, copied out by the test itself, outside the engine.
  step = 'copy';
  const rowBytes = 256;
  const out = e.device.createBuffer({ size: rowBytes * 32, usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ });
  const encoder = e.device.createCommandEncoder();
  encoder.copyTextureToBuffer({ texture }, { buffer: out, bytesPerRow: rowBytes }, [48, 32]);
  e.device.queue.submit([encoder.finish()]);
  await out.mapAsync(GPUMapMode.READ);
  const raw = new Uint8Array(out.getMappedRange());
  const bgra = format === 'bgra8unorm';
  const shown: number[] = [];
  for (let yy = 0; yy < 32; yy++) {
    for (let xx = 0; xx < 48; xx++) {
      const p = yy * rowBytes + xx * 4;
      shown.push(raw[p + (bgra ? 2 : 0)], raw[p + 1], raw[p + (bgra ? 0 : 2)], raw[p + 3]);
    }
  }
  out.unmap();
  window.__preview = { readbackDuringFrame, frames, width: texture.width, height: texture.height, want: Array.from(want.data), shown };
  x.release();
  y.release();
} catch (err) {
  window.__preview = { error: `${step}: ${String((err as Error)?.stack ?? err)}` };
}
