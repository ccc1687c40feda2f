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

/** Network input space → RGBA bytes, clipped; with `content`, keep its chrominance (neural-style's
 *  -original_colors: YUV of the result's luminance and the content's U, V). */
export function deprocess(x: Float32Array, pre: Preprocessing, H: number, W: number, content?: Float32Array): RgbaImage {
  const n = H * W;
  const rgb = (v: Float32Array, i: number): [number, number, number] => {
    const out: [number, number, number] = [0, 0, 0];
    for (let c = 0; c < 3; c++) out[pre.order === 'rgb' ? c : 2 - c] = ((v[c * n + i] * pre.std[c] + pre.mean[c]) * 255) / pre.range;
    return out;
  };
  const data = new Uint8ClampedArray(4 * n);
  for (let i = 0; i < n; i++) {
    let [r, g, b] = rgb(x, i);
    if (!Number.isFinite(r + g + b)) throw new Error(`gatys: the image became non-finite at pixel ${i % W},${Math.floor(i / W)}`);
    if (content) {
      const y = 0.299 * r + 0.587 * g + 0.114 * b;
      const [cr, cg, cb] = rgb(content, i);
      const u = -0.14713 * cr - 0.28886 * cg + 0.436 * cb;
      const v = 0.615 * cr - 0.51499 * cg - 0.10001 * cb;
      [r, g, b] = [y + 1.13983 * v, y - 0.39465 * u - 0.5806 * v, y + 2.03211 * u];
    }
    data[4 * i] = Math.round(r);
    data[4 * i + 1] = Math.round(g);
    data[4 * i + 2] = Math.round(b);
    data[4 * i + 3] = 255;
  }
  return { width: W, height: H, data };
}
