// The benchmarks' photo-like inputs, host-independent: which files (relative to the repository root; they travel
// with the repository, so every host reads the same pixels) and how a decoded photo becomes the square the
// benchmark times. Node reads the files with sharp (bench/inputs.ts), the benchmark tool's Chromium page with
// the browser's decoder (bench/tool/browser/main.ts); both square them here, on the GPU.
import { type RgbaImage, imageToPlanes, planesToImage } from '../src/image/io.ts';
import { resizeBilinear } from '../src/kernels/resample.ts';
import type { Engine } from '../src/runtime/engine.ts';

/** Photo-like default inputs: a photograph as content, a painting as style (examples/LICENSES.md). */
export const CONTENT_IMAGE = 'examples/content/chelsea.png';
export const STYLE_IMAGE = 'examples/style/starry_night.png';
/** The fast-style benchmark's photo. */
export const FAST_STYLE_IMAGE = 'examples/content/astronaut.png';

/** A decoded photo resized on the GPU to size×size, as RGBA. The aspect ratio is not kept: the benchmarks time
 *  square work, and both sides of a comparison get these same pixels. */
export async function squareImage(e: Engine, img: RgbaImage, size: number): Promise<RgbaImage> {
  const planes = e.tensor([1, 3, img.height, img.width], imageToPlanes(img, 1));
  const resized = img.height === size && img.width === size ? planes : resizeBilinear(e, planes, size, size);
  const data = await resized.read();
  if (resized !== planes) resized.release();
  planes.release();
  return planesToImage(data, size, size, 1);
}

/** FNV-1a (32 bits) of an image's RGBA bytes, as 8 hex digits: printed beside a run so two hosts can show
 *  they fed the same pixels. The decoded photos are the same bytes; the GPU resize may round differently by an
 *  ulp on two adapters, which flips a byte where a value lands on an exact half: lavapipe and SwiftShader agree
 *  on every square up to 256² here, but not on the content photo enlarged to 512² (451×300 → 512×512). */
export function pixelDigest(img: RgbaImage): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < img.data.length; i++) h = Math.imul(h ^ img.data[i], 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}
