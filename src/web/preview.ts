// A live preview with no read-back: a tensor on the GPU drawn by a small render pass (preview.wgsl) into a
// WebGPU canvas, or any render target, in the same queue as the work that made it, so nothing crosses to the CPU.
import type { DisplayAffine, Mat3 } from '../image/preprocess.ts';
import type { Engine } from '../runtime/engine.ts';
import { type Tensor, shapeString } from '../runtime/tensor.ts';
import previewWgsl from './preview.wgsl?raw';

/** How tensor values map to bytes: value = byte · scale + offset[c] (as planesToImage). */
export interface PixelMapping {
  scale: number;
  offset?: readonly [number, number, number];
}

/** Any affine map to RGB bytes (deprocess's, from displayAffine), with the second tensor it reads when it has a
 *  `content` matrix (same shape as the drawn one). */
export interface PixelAffine extends DisplayAffine {
  contentTensor?: Tensor;
}

function affineOf(m: PixelMapping | PixelAffine): PixelAffine {
  if ('image' in m) return m;
  const k = 1 / m.scale;
  const [r, g, b] = m.offset ?? [0, 0, 0];
  return {
    image: [
      [k, 0, 0],
      [0, k, 0],
      [0, 0, k],
    ],
    bias: [-r * k, -g * k, -b * k],
  };
}

/** preview.wgsl's Params: width, height, 2 × padding (u32), then the image and content matrices (mat3x3f: three
 *  columns of vec4 size) and bias (vec4f). */
const PARAMS_BYTES = 128;

function paramsOf(width: number, height: number, a: PixelAffine): ArrayBuffer {
  const params = new ArrayBuffer(PARAMS_BYTES);
  new Uint32Array(params, 0, 2).set([width, height]);
  const floats = new Float32Array(params, 16);
  const columns = (m: Mat3 | undefined, at: number) => {
    for (let k = 0; k < 3; k++) for (let row = 0; row < 3; row++) floats[at + 4 * k + row] = m ? m[row][k] : 0;
  };
  columns(a.image, 0);
  columns(a.content, 12);
  floats.set(a.bias, 24);
  return params;
}

/** Draws [1, 3, H, W] tensors into render targets of one format. */
export class TensorRenderer {
  private readonly pipeline: GPURenderPipeline;
  private readonly params: GPUBuffer;

  constructor(
    readonly engine: Engine,
    readonly format: GPUTextureFormat,
  ) {
    const device = engine.device;
    const module = device.createShaderModule({ code: previewWgsl, label: 'stylegpu preview' });
    this.pipeline = device.createRenderPipeline({
      label: 'stylegpu preview',
      layout: 'auto',
      vertex: { module, entryPoint: 'vs' },
      fragment: { module, entryPoint: 'fs', targets: [{ format }] },
      primitive: { topology: 'triangle-list' },
    });
    this.params = device.createBuffer({ size: PARAMS_BYTES, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST, label: 'stylegpu preview params' });
  }

  /** Draws image tensor `t` [1, 3, H, W] into `target` (H × W, this renderer's format), queued after the
   *  engine's pending work. */
  draw(t: Tensor, target: GPUTexture, mapping: PixelMapping | PixelAffine = { scale: 1 / 255 }): void {
    checkImageTensor(t);
    const [, , height, width] = t.shape;
    if (target.width !== width || target.height !== height) throw new Error(`preview: target ${target.width}×${target.height} for a ${width}×${height} image`);
    const affine = affineOf(mapping);
    const content = affine.content ? affine.contentTensor : t;
    if (!content) throw new Error('preview: the mapping has a content matrix but no contentTensor');
    if (content.shape.join() !== t.shape.join()) throw new Error(`preview: content ${shapeString(content.shape)} for an image ${shapeString(t.shape)}`);
    const e = this.engine;
    e.flush();
    e.device.queue.writeBuffer(this.params, 0, paramsOf(width, height, affine));
    const bindGroup = e.device.createBindGroup({
      layout: this.pipeline.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: this.params } },
        { binding: 1, resource: { buffer: t.buffer, size: t.sizeBytes } },
        { binding: 2, resource: { buffer: content.buffer, size: content.sizeBytes } },
      ],
    });
    const encoder = e.device.createCommandEncoder({ label: 'stylegpu preview' });
    const pass = encoder.beginRenderPass({ colorAttachments: [{ view: target.createView(), loadOp: 'clear', storeOp: 'store', clearValue: [0, 0, 0, 1] }] });
    pass.setPipeline(this.pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.draw(3);
    pass.end();
    e.device.queue.submit([encoder.finish()]);
  }

  destroy(): void {
    this.params.destroy();
  }
}

function checkImageTensor(t: Tensor): void {
  if (t.shape.length !== 4 || t.shape[0] !== 1 || t.shape[1] !== 3) throw new Error(`preview: expected a [1, 3, H, W] tensor, got ${shapeString(t.shape)}`);
}

/** A WebGPU canvas showing tensors: `draw(t)` sizes the canvas to the image and renders it. */
export class TensorPreview {
  private readonly context: GPUCanvasContext;
  private readonly renderer: TensorRenderer;

  constructor(
    readonly engine: Engine,
    readonly canvas: HTMLCanvasElement | OffscreenCanvas,
  ) {
    const context = canvas.getContext('webgpu') as GPUCanvasContext | null;
    if (!context) throw new Error('the preview canvas gives no WebGPU context (is it already used for 2D or WebGL?)');
    this.context = context;
    const format = navigator.gpu.getPreferredCanvasFormat();
    context.configure({ device: engine.device, format, alphaMode: 'opaque' });
    this.renderer = new TensorRenderer(engine, format);
  }

  draw(t: Tensor, mapping?: PixelMapping | PixelAffine): void {
    checkImageTensor(t);
    const [, , height, width] = t.shape;
    if (this.canvas.width !== width || this.canvas.height !== height) {
      this.canvas.width = width;
      this.canvas.height = height;
    }
    this.renderer.draw(t, this.context.getCurrentTexture(), mapping);
  }

  /** Frees the renderer; `keepFrame` leaves the canvas configured, showing the last frame. */
  destroy({ keepFrame = false } = {}): void {
    this.renderer.destroy();
    if (!keepFrame) this.context.unconfigure();
  }
}
