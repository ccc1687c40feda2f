// What the benchmarks feed both sides of a comparison: photo-like images from examples/ (they travel with the
// repository, so a lent GPU machine without ../shared runs on the same pixels), squared to the benchmark size,
// and the machine facts printed beside every baseline figure.
import { existsSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RgbaImage } from '../src/image/io.ts';
import { readImageFile } from '../src/node/files.ts';
import type { Engine } from '../src/runtime/engine.ts';
import { squareImage } from './photos.ts';

export { CONTENT_IMAGE, STYLE_IMAGE } from './photos.ts';

/** The repository root: the nearest folder above this module that holds examples/ — bench/ for the sources,
 *  .device/bench/ for the bundled copy that bench/device/pack.sh makes. */
export const ROOT = (() => {
  for (let url = new URL('..', import.meta.url); ; url = new URL('..', url)) {
    if (existsSync(new URL('examples/content', url))) return fileURLToPath(url);
    if (url.pathname === '/') throw new Error(`no examples/content/ above ${fileURLToPath(import.meta.url)}: run the benchmarks inside the repository`);
  }
})();

/** Cores a CPU baseline may use: every core this process may run on. */
export const CORES = availableParallelism();

/** One line naming the CPU, for baseline figures. */
export const cpuDescription = () => `${cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${CORES} cores`;

/** An image file (relative to the repository root), read with sharp and squared on the GPU (bench/photos.ts). */
export async function loadSquare(e: Engine, file: string, size: number): Promise<RgbaImage> {
  return squareImage(e, await readImageFile(path.resolve(ROOT, file)), size);
}

/** Packed RGB bytes (row-major, 3 per pixel) of an RGBA image: what the Python baselines read. */
export function rgbBytes(img: RgbaImage): Uint8Array {
  const out = new Uint8Array(img.width * img.height * 3);
  for (let i = 0; i < img.width * img.height; i++) for (let c = 0; c < 3; c++) out[3 * i + c] = img.data[4 * i + c];
  return out;
}

/** The tfjs-webgpu baseline's versions, printed and stored beside its figures (Node side; the Chromium page
 *  loads the same packages through Vite). */
export async function tfjsBaseline(): Promise<{ name: string; versions: Record<string, string>; line: string }> {
  const [core, webgpu] = await Promise.all([
    import('@tensorflow/tfjs-core/package.json', { with: { type: 'json' } }),
    import('@tensorflow/tfjs-backend-webgpu/package.json', { with: { type: 'json' } }),
  ]);
  const versions = { '@tensorflow/tfjs-core': core.default.version, '@tensorflow/tfjs-backend-webgpu': webgpu.default.version };
  return { name: 'tfjs-webgpu', versions, line: `tfjs-webgpu = tfjs-core ${versions['@tensorflow/tfjs-core']} + tfjs-backend-webgpu ${versions['@tensorflow/tfjs-backend-webgpu']}` };
}
