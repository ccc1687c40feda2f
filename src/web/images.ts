// Page images in and out: whatever a page holds (an <img>, ImageBitmap, ImageData, canvas, Blob/File) as the
// engine's RgbaImage, decoded by the browser itself (no JS decoder ships), and results drawn into a canvas.
import type { RgbaImage } from '../image/io.ts';
import { ImageDecodeError } from './errors.ts';

export type ImageInput = HTMLImageElement | ImageBitmap | ImageData | HTMLCanvasElement | OffscreenCanvas | Blob;

type Canvas2D = OffscreenCanvasRenderingContext2D | CanvasRenderingContext2D;

function context2d(width: number, height: number): Canvas2D {
  const canvas = typeof OffscreenCanvas !== 'undefined' ? new OffscreenCanvas(width, height) : Object.assign(document.createElement('canvas'), { width, height });
  const ctx = canvas.getContext('2d', { willReadFrequently: true }) as Canvas2D | null;
  if (!ctx) throw new Error('this browser gives no 2D canvas context, needed to read image pixels');
  return ctx;
}

/** The pixels of `input`, RGBA bytes, at its natural size (EXIF orientation applied for Blobs). */
export async function readPixels(input: ImageInput): Promise<RgbaImage> {
  if (typeof ImageData !== 'undefined' && input instanceof ImageData) return input;
  let source: CanvasImageSource;
  let width: number;
  let height: number;
  if (typeof Blob !== 'undefined' && input instanceof Blob) {
    try {
      source = await createImageBitmap(input, { imageOrientation: 'from-image' });
    } catch (e) {
      const name = (input as File).name ?? `a ${input.type || 'untyped'} blob`;
      throw new ImageDecodeError(`${name} (${input.size} bytes): the browser cannot decode it as an image`, { cause: e });
    }
    ({ width, height } = source as ImageBitmap);
  } else if (typeof HTMLImageElement !== 'undefined' && input instanceof HTMLImageElement) {
    source = await decoded(input);
    width = input.naturalWidth;
    height = input.naturalHeight;
  } else {
    source = input as CanvasImageSource;
    ({ width, height } = input as ImageBitmap);
  }
  if (!(width > 0 && height > 0)) throw new ImageDecodeError(`the input image is empty (${width}×${height})`);
  const ctx = context2d(width, height);
  ctx.drawImage(source, 0, 0);
  return ctx.getImageData(0, 0, width, height);
}

/** `img` once it has loaded and decoded; ImageDecodeError when it cannot. */
export async function decoded(img: HTMLImageElement): Promise<HTMLImageElement> {
  try {
    await img.decode();
  } catch (e) {
    throw new ImageDecodeError(`<img src="${img.currentSrc || img.src}">: the image did not load or cannot be decoded`, { cause: e });
  }
  return img;
}

/** `img` as an ImageData (the same object when it is one). */
export function toImageData(img: RgbaImage): ImageData {
  if (img instanceof ImageData) return img;
  const data = img.data instanceof Uint8ClampedArray ? img.data : new Uint8ClampedArray(img.data.buffer, img.data.byteOffset, img.data.byteLength);
  return new ImageData(data as Uint8ClampedArray<ArrayBuffer>, img.width, img.height);
}

/** Draws `img` into `canvas` (2D context), resizing the canvas to the image. */
export function drawImage(canvas: HTMLCanvasElement | OffscreenCanvas, img: RgbaImage): void {
  canvas.width = img.width;
  canvas.height = img.height;
  const ctx = canvas.getContext('2d') as Canvas2D | null;
  if (!ctx) throw new Error('the output canvas gives no 2D context (is it already used for WebGPU or WebGL?)');
  ctx.putImageData(toImageData(img), 0, 0);
}
