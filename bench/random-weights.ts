// Random weights of the real shapes for the model benchmarks (bench/gatys.ts, bench/fast-style.ts,
// bench/stylegan.ts and the tool's --model mode): values do not matter for timing, shapes do. Seeded.
import { FAST_STYLE_LAYERS, fastStyleShapes } from '../src/models/fastStyle.ts';
import { type StyleGanArchitecture, styleGanShapes } from '../src/models/styleGan.ts';
import { CAFFE_PREPROCESSING } from '../src/image/preprocess.ts';
import { VGG19_CONVS, type VggWeights } from '../src/models/vgg19.ts';
import { type TensorEntry, type WeightSet, numel, weightSet } from '../src/weights/tensors.ts';

export const FULL_WIDTHS = [512, 512, 512, 512, 256, 128, 64];

/** VGG19's real channel counts with He-scaled random weights (seeded). */
export function randomVgg19(): VggWeights {
  let s = 12345;
  const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5) * 2;
  const channels = [64, 64, 128, 128, 256, 256, 256, 256, 512, 512, 512, 512, 512, 512, 512, 512];
  return {
    preprocessing: CAFFE_PREPROCESSING,
    async conv(layer) {
      const k = VGG19_CONVS.findIndex(([b, i]) => `conv${b}_${i}` === layer);
      const cin = k === 0 ? 3 : channels[k - 1];
      const std = Math.sqrt(2 / (9 * cin)) * Math.sqrt(3);
      const weight = Float32Array.from({ length: channels[k] * cin * 9 }, () => rand() * std);
      return { weight: { shape: [channels[k], cin, 3, 3], data: weight }, bias: { shape: [channels[k]], data: new Float32Array(channels[k]) } };
    },
  };
}

/** The checkpoint's variables with random values (seeded): He-scaled filters, instance-norm shift 0 and scale 1. */
export function randomFastStyleWeights(): WeightSet {
  const shapes = fastStyleShapes();
  const fanIn = new Map(FAST_STYLE_LAYERS.map((l) => [l.id, l.inChannels * l.kernel * l.kernel]));
  let s = 4242;
  const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5) * 2;
  return {
    description: 'random weights of the real shapes',
    names: () => Object.keys(shapes),
    shape: (name) => shapes[name],
    async get(name) {
      const shape = shapes[name];
      const id = name === 'Variable' ? 0 : Number(name.slice('Variable_'.length));
      const n = shape.reduce((a, b) => a * b, 1);
      const std = fanIn.has(id) ? Math.sqrt(6 / fanIn.get(id)!) : 0;
      const isScale = !fanIn.has(id) && fanIn.has(id - 2);
      return { shape, data: Float32Array.from({ length: n }, () => (isScale ? 1 : rand() * std)) };
    },
  };
}

/** Upstream's architecture up to 256 px with uniform random weights of unit variance (values do not matter for
 *  timing: lavapipe flushes denormals). */
export function randomFullWidth(): WeightSet {
  return randomStyleGan(256, 'full');
}

/** Block widths of upstream's generator (4 px … 1024 px) and of a tiny one with the same structure. */
const STYLEGAN_WIDTHS = { full: [...FULL_WIDTHS, 32, 16, 8], tiny: [16, 16, 16, 16, 8, 8, 8, 8, 8] };

/** A StyledGenerator up to `size` px (a power of two ≥ 4) with uniform random weights of unit variance: upstream's
 *  widths and code dimension 512 ('full'), or widths ≤ 16 and code dimension 16 ('tiny'); FusedUpsample from
 *  128 px on, as upstream. */
export function randomStyleGan(size: number, widths: 'full' | 'tiny'): WeightSet {
  const blocks = Math.log2(size / 4) + 1;
  const all = STYLEGAN_WIDTHS[widths];
  if (!Number.isInteger(blocks) || blocks < 1 || blocks > all.length) throw new Error(`StyleGAN size ${size}: a power of two from 4 to ${4 * 2 ** (all.length - 1)} expected`);
  const channels = all.slice(0, blocks);
  const arch: StyleGanArchitecture = { codeDim: widths === 'full' ? 512 : 16, mappingLayers: widths === 'full' ? 8 : 2, channels, fused: channels.map((_, i) => i >= 5) };
  let s = 2019;
  const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5) * Math.sqrt(12);
  const entries = new Map<string, TensorEntry>();
  for (const [name, shape] of Object.entries(styleGanShapes(arch))) {
    entries.set(name, { shape, load: () => Float32Array.from({ length: numel(shape) }, () => (name.includes('adain') && name.endsWith('bias') ? 1 : rand())) });
  }
  return weightSet(`random ${widths === 'full' ? 'full-width' : 'tiny'} StyledGenerator up to ${size} px`, entries);
}
