// Spatial masks for AdaIN's spatial control (pytorch-AdaIN's test.py with --mask; AdaIN-style's test.lua).
import type { RgbaImage } from './io.ts';

/** One value per pixel, row-major, 0…1: ≥ 0.5 is foreground (the first style), below is background (the second). */
export interface SpatialMask {
  width: number;
  height: number;
  data: ArrayLike<number>;
}

/** Which of the h×w feature positions are foreground: the mask resized as Torch's image.scale(mask, w, h, 'simple')
 *  does (source index ⌊i · (size/outSize)⌋ in float32), then ≥ 0.5. */
export function maskAtFeatures(mask: SpatialMask, h: number, w: number): boolean[] {
  const index = (i: number, size: number, out: number) => Math.min(Math.floor(Math.fround(i * Math.fround(size / out))), size - 1);
  const fg: boolean[] = [];
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) fg.push(mask.data[index(y, mask.height, h) * mask.width + index(x, mask.width, w)] >= 0.5);
  }
  return fg;
}

/** A mask from an image: its luminance (ITU-R 601, as Torch's image.load(path, 1)) in 0…1. */
export function maskFromImage(img: RgbaImage): SpatialMask {
  const data = new Float32Array(img.width * img.height);
  for (let i = 0; i < data.length; i++) data[i] = (0.299 * img.data[4 * i] + 0.587 * img.data[4 * i + 1] + 0.114 * img.data[4 * i + 2]) / 255;
  return { width: img.width, height: img.height, data };
}
