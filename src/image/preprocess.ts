// Images to and from a network's input space (VGG19's two conventions), on the CPU.
import type { RgbaImage } from './io.ts';

/** How input images are turned into the network's input space. */
export interface Preprocessing {
  /** 'rgb' or 'bgr' channel order. */
  order: 'rgb' | 'bgr';
  /** input = (byte / 255 · range − mean[c]) / std[c], in the network's channel order. */
  range: number;
  mean: [number, number, number];
  std: [number, number, number];
}

/** torchvision: RGB in 0…1 normalised by the ImageNet mean/std. */
export const TORCH_PREPROCESSING: Preprocessing = { order: 'rgb', range: 1, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
/** Keras "caffe" (the original VGG weights): BGR in 0…255 minus the mean pixel. */
export const CAFFE_PREPROCESSING: Preprocessing = { order: 'bgr', range: 255, mean: [103.939, 116.779, 123.68], std: [1, 1, 1] };

/** neural-style's -original_colors: RGB → Y, U, V (BT.601) and U, V back to each RGB channel. */
const LUMA = [0.299, 0.587, 0.114] as const;
const CHROMA_U = [-0.14713, -0.28886, 0.436] as const;
const CHROMA_V = [0.615, -0.51499, -0.10001] as const;
const RGB_FROM_UV = [
  [0, 1.13983],
  [-0.39465, -0.5806],
  [2.03211, 0],
] as const;

type Vec3 = [number, number, number];
const dot3 = (a: readonly number[], b: readonly number[]) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];

/** Network input space → RGBA bytes, clipped; with `content`, keep its chrominance (neural-style's
 *  -original_colors: YUV of the result's luminance and the content's U, V). */
export function deprocess(x: Float32Array, pre: Preprocessing, H: number, W: number, content?: Float32Array): RgbaImage {
  const n = H * W;
  const rgb = (v: Float32Array, i: number): Vec3 => {
    const out: Vec3 = [0, 0, 0];
    for (let c = 0; c < 3; c++) out[pre.order === 'rgb' ? c : 2 - c] = ((v[c * n + i] * pre.std[c] + pre.mean[c]) * 255) / pre.range;
    return out;
  };
  const data = new Uint8ClampedArray(4 * n);
  for (let i = 0; i < n; i++) {
    let [r, g, b] = rgb(x, i);
    if (!Number.isFinite(r + g + b)) throw new Error(`gatys: the image became non-finite at pixel ${i % W},${Math.floor(i / W)}`);
    if (content) {
      const y = dot3(LUMA, [r, g, b]);
      const c = rgb(content, i);
      const u = dot3(CHROMA_U, c);
      const v = dot3(CHROMA_V, c);
      [r, g, b] = RGB_FROM_UV.map(([fromU, fromV]) => y + fromU * u + fromV * v) as Vec3;
    }
    data[4 * i] = Math.round(r);
    data[4 * i + 1] = Math.round(g);
    data[4 * i + 2] = Math.round(b);
    data[4 * i + 3] = 255;
  }
  return { width: W, height: H, data };
}

/** A 3×3 matrix, rows first. */
export type Mat3 = [Vec3, Vec3, Vec3];

/**
 * deprocess as one affine map per pixel, for drawing on the GPU: RGB bytes (before rounding and clipping) =
 * image · x + content · c + bias, where x and c are the pixel's three values of the image and of the content in
 * input space (channel order of the network). `content` is absent without original colours.
 */
export interface DisplayAffine {
  image: Mat3;
  content?: Mat3;
  bias: Vec3;
}

export function displayAffine(pre: Preprocessing, originalColors = false): DisplayAffine {
  // rgb = A·x + b (A: a channel permutation scaled per channel).
  const A: Mat3 = [
    [0, 0, 0],
    [0, 0, 0],
    [0, 0, 0],
  ];
  const b: Vec3 = [0, 0, 0];
  for (let c = 0; c < 3; c++) {
    const out = pre.order === 'rgb' ? c : 2 - c;
    A[out][c] = (pre.std[c] * 255) / pre.range;
    b[out] = (pre.mean[c] * 255) / pre.range;
  }
  if (!originalColors) return { image: A, bias: b };
  const columns = [0, 1, 2].map((k) => A.map((row) => row[k]));
  // Every channel gets the result's luminance L·(A·x + b) plus the content's chrominance W·(A·c + b), where row o
  // of W is RGB_FROM_UV[o] · [U; V].
  const lumaRow = columns.map((col) => dot3(LUMA, col)) as Vec3;
  const W = RGB_FROM_UV.map(([fromU, fromV]) => [0, 1, 2].map((j) => fromU * CHROMA_U[j] + fromV * CHROMA_V[j]));
  return {
    image: [lumaRow, [...lumaRow], [...lumaRow]],
    content: W.map((w) => columns.map((col) => dot3(w, col))) as Mat3,
    bias: W.map((w) => dot3(LUMA, b) + dot3(w, b)) as Vec3,
  };
}
