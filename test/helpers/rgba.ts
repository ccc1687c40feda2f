import type { RgbaImage } from '../../src/image/io.ts';

/** An opaque size×size RGBA image from RGB bytes, row-major (as the golden scripts store images). */
export function rgbaFromRgb(bytes: readonly number[], size: number): RgbaImage {
  const data = new Uint8ClampedArray(size * size * 4);
  for (let i = 0; i < size * size; i++) {
    data.set(bytes.slice(3 * i, 3 * i + 3), 4 * i);
    data[4 * i + 3] = 255;
  }
  return { width: size, height: size, data };
}
