// Image decoding and encoding, the same in a page and in Node: PNG through upng-js, JPEG through jpeg-js.
// Images are ImageData-like: { width, height, data: RGBA bytes, row-major }.
import UPNG from 'upng-js';
import { decode as decodeJpeg } from 'jpeg-js';

export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8ClampedArray | Uint8Array;
}

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export function detectFormat(bytes: Uint8Array): 'png' | 'jpeg' | undefined {
  if (PNG_MAGIC.every((b, i) => bytes[i] === b)) return 'png';
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  return undefined;
}

/** Decode a PNG or JPEG; `name` (a path or URL) is used in error messages. */
export function decodeImage(bytes: Uint8Array, name = 'image'): RgbaImage {
  const format = detectFormat(bytes);
  if (!format) throw new Error(`${name}: not a PNG or JPEG file (first bytes ${hex(bytes.subarray(0, 8))})`);
  let img: RgbaImage;
  try {
    if (format === 'png') {
      checkPngStructure(bytes);
      const png = UPNG.decode(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
      if (!(png.width > 0 && png.height > 0)) throw new Error('no image data');
      const rgba = UPNG.toRGBA8(png)[0];
      img = { width: png.width, height: png.height, data: new Uint8ClampedArray(rgba) };
    } else {
      const j = decodeJpeg(bytes, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 1024 });
      img = { width: j.width, height: j.height, data: new Uint8ClampedArray(j.data.buffer, j.data.byteOffset, j.data.byteLength) };
    }
  } catch (e) {
    // The pure-JS decoders fail on truncated data with JavaScript's own TypeError/RangeError ("Cannot read
    // properties of undefined"): say what it means instead of leaking it.
    const why = e instanceof TypeError || e instanceof RangeError ? 'the data ends early or is malformed' : e instanceof Error ? e.message : String(e);
    throw new Error(`${name}: corrupt or unsupported ${format.toUpperCase()} file (${why})`);
  }
  if (img.data.length !== img.width * img.height * 4) {
    throw new Error(`${name}: corrupt ${format.toUpperCase()} file (decoded ${img.data.length} bytes for ${img.width}×${img.height} RGBA)`);
  }
  return img;
}

/**
 * upng-js trusts the file: a chunk length past the end of the file (4 GiB of IDAT), a damaged height (2³¹ rows of
 * a 23-pixel-wide image) or an interlaced 2³¹×0 image keeps it busy for seconds to hours. So chunks must lie within
 * the file, neither side may be 0, and the file must be able to hold the filtered rows its header claims (DEFLATE
 * expands at most 1032×).
 */
function checkPngStructure(bytes: Uint8Array): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  for (let at = 8; at + 8 <= bytes.length; at += 12 + view.getUint32(at)) {
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    if (at + 12 + view.getUint32(at) > bytes.length) throw new Error(`chunk ${type} at byte ${at} runs past the end of the file (truncated?)`);
  }
  if (bytes.length < 33) throw new Error('no IHDR chunk');
  const [width, height, depth, colourType] = [view.getUint32(16), view.getUint32(20), bytes[24], bytes[25]];
  const samples = ({ 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as Record<number, number>)[colourType] ?? 1;
  const filtered = height * (1 + Math.ceil((width * samples * depth) / 8));
  if (width === 0 || height === 0) throw new Error(`its header says ${width}×${height}`);
  if (filtered > 1032 * bytes.length) throw new Error(`its header says ${width}×${height}, more than its ${bytes.length} bytes can hold`);
}

export function encodePng(img: RgbaImage): Uint8Array {
  const data = img.data;
  const ab = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer;
  // forbidPlte: upng-js 2.1.0 writes a truncated zlib stream when it picks a palette (images of ≤ 256
  // colours), so always write truecolour.
  return new Uint8Array(UPNG.encode([ab], img.width, img.height, 0, undefined, true));
}

/** RGBA bytes → planar [1, 3, H, W] floats, value = byte · scale + offset[channel]. */
export function imageToPlanes(img: RgbaImage, scale = 1 / 255, offset: readonly [number, number, number] = [0, 0, 0]): Float32Array {
  const n = img.width * img.height;
  const out = new Float32Array(3 * n);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++) out[c * n + i] = img.data[4 * i + c] * scale + offset[c];
  }
  return out;
}

/** Planar [1, 3, H, W] floats → opaque RGBA bytes, byte = clamp(round((value − offset[c]) / scale)). */
export function planesToImage(planes: ArrayLike<number>, width: number, height: number, scale = 1 / 255, offset: readonly [number, number, number] = [0, 0, 0]): RgbaImage {
  const n = width * height;
  if (planes.length !== 3 * n) throw new Error(`planesToImage: ${planes.length} values for 3×${height}×${width}`);
  const data = new Uint8ClampedArray(4 * n);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++) {
      const v = (planes[c * n + i] - offset[c]) / scale;
      if (Number.isNaN(v)) throw new Error(`planesToImage: NaN at pixel ${i % width},${Math.floor(i / width)} channel ${c}`);
      data[4 * i + c] = Math.round(v);
    }
    data[4 * i + 3] = 255;
  }
  return { width, height, data };
}

function hex(b: Uint8Array): string {
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join(' ') || '(empty file)';
}

/** [height, width] scaled so the longer side is `side` pixels (each at least 1). */
export function fitLongestSide(height: number, width: number, side: number): [number, number] {
  if (!Number.isInteger(side) || side < 1) throw new Error(`longest side must be a positive integer, got ${side}`);
  const s = side / Math.max(height, width);
  return [Math.max(1, Math.round(height * s)), Math.max(1, Math.round(width * s))];
}
