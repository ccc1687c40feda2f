// A live preview with no read-back: a tensor on the GPU drawn by a small render pass (preview.wgsl) into a
// WebGPU canvas, or any render target, in the same queue as the work that made it, so nothing crosses to the CPU.
import type { Engine } from '../runtime/engine.ts';
import { type Tensor, shapeString } from '../runtime/tensor.ts';
import previewWgsl from './preview.wgsl?raw';

/** How tensor values map to bytes: value = byte · scale + offset[c] (as planesToImage). */
export interface PixelMapping {
  scale: number;
  offset?: readonly [number, number, number];
}

/** preview.wgsl's Params: width, height, 2 × padding (u32), then inverseScale and offset (vec4f each). */
const PARAMS_BYTES = 48;

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
  draw(t: Tensor, target: GPUTexture, { scale, offset = [0, 0, 0] }: PixelMapping = { scale: 1 / 255 }): void {
    checkImageTensor(t);
    const [, , height, width] = t.shape;
    if (target.width !== width || target.height !== height) throw new Error(`preview: target ${target.width}×${target.height} for a ${width}×${height} image`);
    const e = this.engine;
    e.flush();
    const params = new ArrayBuffer(PARAMS_BYTES);
    new Uint32Array(params, 0, 2).set([width, height]);
    new Float32Array(params, 16, 8).set([1 / scale, 1 / scale, 1 / scale, 0, offset[0], offset[1], offset[2], 0]);
    e.device.queue.writeBuffer(this.params, 0, params);
    const bindGroup = e.device.createBindGroup({
      layout: this.pipeline.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: this.params } },
        { binding: 1, resource: { buffer: t.buffer, size: t.sizeBytes } },
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

  draw(t: Tensor, mapping?: PixelMapping): void {
    checkImageTensor(t);
    const [, , height, width] = t.shape;
    if (this.canvas.width !== width || this.canvas.height !== height) {
      this.canvas.width = width;
      this.canvas.height = height;
    }
    this.renderer.draw(t, this.context.getCurrentTexture(), mapping);
  }

  destroy(): void {
    this.renderer.destroy();
    this.context.unconfigure();
  }
}
