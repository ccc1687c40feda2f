// VGG19's convolutional part (Simonyan & Zisserman 2015) as a graph of our ops, built only up to the
// deepest layer a run needs. Weights come from any format through VggWeights; channel counts are read
// from the weights, so small random-weight networks of the same topology run through the same code.
import { type Graph, type Node, avgPool2d, conv2d, maxPool2d, relu } from '../graph/index.ts';
import { CAFFE_PREPROCESSING, type Preprocessing, TORCH_PREPROCESSING } from '../image/preprocess.ts';
import type { Engine } from '../runtime/engine.ts';
import type { Tensor } from '../runtime/tensor.ts';
import type { WeightSet } from '../weights/index.ts';
import { tfFilterToTorch } from './layers.ts';

/** Convolution layers in order, as [block, index-in-block]; a 2×2 pool follows the last of each block. */
export const VGG19_CONVS = [
  [1, 1], [1, 2],
  [2, 1], [2, 2],
  [3, 1], [3, 2], [3, 3], [3, 4],
  [4, 1], [4, 2], [4, 3], [4, 4],
  [5, 1], [5, 2], [5, 3], [5, 4],
] as const;
export const VGG19_LAYER_NAMES: string[] = VGG19_CONVS.flatMap(([b, i]) => [`conv${b}_${i}`, `relu${b}_${i}`, ...(i === (b <= 2 ? 2 : 4) ? [`pool${b}`] : [])]);

/** torchvision's `features.N` index of each conv, in VGG19_CONVS order. */
export const TORCHVISION_FEATURE_INDEX = [0, 2, 5, 7, 10, 12, 14, 16, 19, 21, 23, 25, 28, 30, 32, 34];

export interface ConvWeights {
  /** [Cout, Cin, 3, 3] (PyTorch layout). */
  weight: { shape: number[]; data: Float32Array };
  bias: { shape: number[]; data: Float32Array };
}

export interface VggWeights {
  preprocessing: Preprocessing;
  /** Weights of conv `conv{b}_{i}`; errors name the tensor that is missing or malformed. */
  conv(layer: string): Promise<ConvWeights>;
}

/** Index of a layer name (conv/relu/pool) in VGG19_LAYER_NAMES; throws listing valid names. */
export function layerIndex(name: string): number {
  const i = VGG19_LAYER_NAMES.indexOf(name);
  if (i < 0) throw new Error(`unknown VGG19 layer '${name}' (valid: ${VGG19_LAYER_NAMES.join(', ')})`);
  return i;
}

export class Vgg19 {
  private constructor(
    /** Weight tensors on the GPU, by conv name, up to the deepest loaded layer. */
    readonly convs: Map<string, { weight: Tensor; bias: Tensor }>,
    readonly preprocessing: Preprocessing,
    readonly deepest: string,
  ) {}

  /** Load the convs needed to reach `deepestLayer` (e.g. 'relu5_1') and upload them. */
  static async load(e: Engine, weights: VggWeights, deepestLayer: string): Promise<Vgg19> {
    const last = layerIndex(deepestLayer);
    const convs = new Map<string, { weight: Tensor; bias: Tensor }>();
    let channels = 3;
    for (const name of VGG19_LAYER_NAMES.slice(0, last + 1)) {
      if (!name.startsWith('conv')) continue;
      const { weight, bias } = await weights.conv(name);
      const [cout, cin, kh, kw] = weight.shape;
      if (weight.shape.length !== 4 || cin !== channels || kh !== 3 || kw !== 3) {
        throw new Error(`${name}: weight shape [${weight.shape}] does not fit VGG19 (expected [Cout, ${channels}, 3, 3])`);
      }
      if (bias.shape.length !== 1 || bias.shape[0] !== cout) throw new Error(`${name}: bias shape [${bias.shape}] does not fit ${cout} output channels`);
      convs.set(name, { weight: e.tensor(weight.shape, weight.data), bias: e.tensor(bias.shape, bias.data) });
      channels = cout;
    }
    return new Vgg19(convs, weights.preprocessing, deepestLayer);
  }

  /** Add the network to `g` from `input` [1, 3, H, W] (already preprocessed); returns every layer's node
   *  by name, up to `deepest`. */
  build(g: Graph, input: Node, pooling: 'max' | 'avg' = 'max', deepest = this.deepest): Map<string, Node> {
    const out = new Map<string, Node>();
    let x = input;
    for (const name of VGG19_LAYER_NAMES.slice(0, layerIndex(deepest) + 1)) {
      if (name.startsWith('conv')) {
        const w = this.convs.get(name);
        if (!w) throw new Error(`VGG19: ${name} was not loaded (loaded up to ${this.deepest})`);
        x = conv2d(x, g.constant(`${name}.weight`, w.weight), g.constant(`${name}.bias`, w.bias), { padding: 1 });
      } else if (name.startsWith('relu')) {
        x = relu(x);
      } else {
        x = pooling === 'max' ? maxPool2d(x, 2) : avgPool2d(x, 2);
      }
      out.set(name, x);
    }
    return out;
  }

  release(): void {
    for (const { weight, bias } of this.convs.values()) {
      weight.release();
      bias.release();
    }
    this.convs.clear();
  }
}

/** Conv weights from a weight file, whichever convention it follows:
 *  - torchvision state dict / safetensors (`features.N.weight|bias`, [Cout, Cin, 3, 3]) → torch preprocessing;
 *  - Keras VGG19 as TensorFlow.js layers (`blockB_convI/kernel|bias`, kernels [3, 3, Cin, Cout]) → caffe
 *    preprocessing; kernels are transposed to [Cout, Cin, 3, 3]. */
export function vggWeights(set: WeightSet): VggWeights {
  const names = new Set(set.names());
  if (names.has('block1_conv1/kernel')) {
    return {
      preprocessing: CAFFE_PREPROCESSING,
      async conv(layer) {
        const keras = layer.replace(/^conv(\d)_(\d)$/, 'block$1_conv$2');
        const kernel = await set.get(`${keras}/kernel`);
        if (kernel.shape.length !== 4) throw new Error(`${keras}/kernel: expected [3, 3, Cin, Cout], got [${kernel.shape}] in ${set.description}`);
        const [kh, kw, cin, cout] = kernel.shape;
        return { weight: { shape: [cout, cin, kh, kw], data: tfFilterToTorch(kernel.data, kernel.shape) }, bias: await set.get(`${keras}/bias`) };
      },
    };
  }
  const prefix = set.names().find((n) => /(^|\.)features\.0\.weight$/.test(n))?.replace(/features\.0\.weight$/, '');
  if (prefix === undefined) {
    throw new Error(`${set.description}: no VGG19 weights found (expected torchvision keys features.N.weight or Keras keys block1_conv1/kernel)`);
  }
  return {
    preprocessing: TORCH_PREPROCESSING,
    async conv(layer) {
      const k = VGG19_CONVS.findIndex(([b, i]) => `conv${b}_${i}` === layer);
      const key = `${prefix}features.${TORCHVISION_FEATURE_INDEX[k]}`;
      return { weight: await set.get(`${key}.weight`), bias: await set.get(`${key}.bias`) };
    },
  };
}
