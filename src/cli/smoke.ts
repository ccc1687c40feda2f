// The foundation's smoke job: an image through the engine and back. Uploads RGB planes in 0…1, computes
// 1 − x with axpy, and the mean brightness with a GPU sum (one 4-byte read-back).
import { axpy } from '../kernels/elementwise.ts';
import { sum } from '../kernels/reduce.ts';
import { type RgbaImage, imageToPlanes, planesToImage } from '../image/io.ts';
import type { Engine } from '../runtime/engine.ts';

export async function negativeImage(engine: Engine, img: RgbaImage): Promise<{ image: RgbaImage; meanBrightness: number }> {
  const shape = [1, 3, img.height, img.width];
  const x = engine.tensor(shape, imageToPlanes(img));
  const ones = engine.tensor(shape, new Float32Array(x.size).fill(1));
  const negative = axpy(engine, -1, x, ones);
  const total = sum(engine, x);
  const [planes, [s]] = await Promise.all([negative.read(), total.read()]);
  for (const t of [x, ones, negative, total]) t.release();
  return { image: planesToImage(planes, img.width, img.height), meanBrightness: s / x.size };
}
