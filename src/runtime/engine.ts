// The engine: a device, a buffer pool, a pipeline cache and a batch of recorded dispatches.
// run() only records; work reaches the GPU on flush() (or when a read needs it), many dispatches per
// submit. GPU errors are collected per submit and thrown, naming the kernels, at the next read()/sync().
import { type AdapterDescription, type DeviceOptions, type GpuContext, createDevice, describeAdapter } from './device.ts';
import { type PaddedLayout, paddedStorageShape } from '../kernels/geometry.ts';
import type { KernelSpec } from './kernel.ts';
import { PipelineCache } from './pipelines.ts';
import { BufferPool } from './pool.ts';
import type { KernelProfiler, KernelTimes } from './profiler.ts';
import { type Shape, Tensor, shapeString, sizeOf } from './tensor.ts';
import type { UniformFields, UniformValues } from './uniforms.ts';
import type { Defines } from './wgsl.ts';

export interface RunData<F extends UniformFields> {
  /** Storage bindings by WGSL name. */
  bindings: Record<string, Tensor>;
  uniforms?: UniformValues<F>;
  workgroups: readonly [number, number?, number?];
  defines?: Defines;
}

export interface EngineStats {
  dispatches: number;
  /** Dispatches per kernel name (`family.entryPoint`): which implementation ran, asserted in tests. */
  byKernel: Record<string, number>;
  submits: number;
  uploadBytes: number;
  readbackBytes: number;
}

export class GpuError extends Error {
  override name = 'GpuError';
}

/** Dispatches per submit before the engine flushes on its own. */
const MAX_BATCH = 512;
/** Bytes of one uniform arena chunk. */
const UNIFORM_CHUNK_BYTES = 64 * 1024;

interface UniformChunk {
  buffer: GPUBuffer;
  bytes: ArrayBuffer;
  used: number;
}

export class Engine {
  readonly device: GPUDevice;
  readonly pool: BufferPool;
  readonly pipelines: PipelineCache;
  readonly stats: EngineStats = { dispatches: 0, byKernel: {}, submits: 0, uploadBytes: 0, readbackBytes: 0 };

  private uniformPool: BufferPool;
  private stagingPool: BufferPool;
  private encoder: GPUCommandEncoder | undefined;
  private batchKernels: string[] = [];
  private chunks: UniformChunk[] = [];
  private pending: Promise<string | undefined>[] = [];
  private lost: GPUDeviceLostInfo | undefined;
  private lastKernel = '(none)';
  private readonly uniformAlign: number;
  private profiler: KernelProfiler | undefined;

  /** An engine on a device of its own (destroy() ends it). */
  static async create(options?: DeviceOptions): Promise<Engine> {
    return new Engine(await createDevice(options));
  }

  constructor(readonly ctx: GpuContext) {
    this.device = ctx.device;
    const U = GPUBufferUsage;
    this.pool = new BufferPool(this.device, U.STORAGE | U.COPY_SRC | U.COPY_DST, 'tensor');
    this.uniformPool = new BufferPool(this.device, U.UNIFORM | U.COPY_DST, 'uniforms');
    this.stagingPool = new BufferPool(this.device, U.MAP_READ | U.COPY_DST, 'readback');
    this.pipelines = new PipelineCache(this.device);
    this.uniformAlign = ctx.limits.minUniformBufferOffsetAlignment;
    this.device.lost.then((info) => {
      this.lost = info;
    });
  }

  get adapter(): AdapterDescription {
    return this.ctx.adapterInfo;
  }

  describe(): string {
    const { profile, detectedProfile } = this.ctx;
    return describeAdapter(this.ctx.adapterInfo) + (profile === detectedProfile ? '' : ` (kernel profile '${profile}')`);
  }

  // ---- tensors

  /** A tensor with undefined contents. Fails up front if the device cannot hold it. */
  empty(shape: Shape): Tensor {
    return this.allocate(shape);
  }

  private allocate(shape: Shape, layout?: PaddedLayout): Tensor {
    this.assertAlive();
    const storageShape = layout ? paddedStorageShape(shape, layout) : shape;
    const sizeBytes = Math.max(4, sizeOf(storageShape) * 4);
    this.checkFits(storageShape, sizeBytes);
    return new Tensor(this, shape, this.pool.acquire(sizeBytes), 'f32', undefined, layout && { layout, storageShape });
  }

  tensor(shape: Shape, data?: ArrayLike<number>): Tensor {
    const t = this.empty(shape);
    if (data) this.write(t, data);
    return t;
  }

  /** A tensor of zeros; with `layout`, stored in that padded layout (its border stays zero, a producer
   *  writes the values: the program's paddedOutput plan). */
  zeros(shape: Shape, layout?: PaddedLayout): Tensor {
    const t = this.allocate(shape, layout);
    if (t.sizeBytes > 0) this.encode().clearBuffer(t.buffer, 0, t.sizeBytes);
    t.changed();
    return t;
  }

  write(t: Tensor, data: ArrayLike<number>): void {
    this.assertAlive();
    if (t.layout) throw new Error(`write: tensor ${shapeString(t.shape)} is stored in a padded layout; write its storage()`);
    if (data.length !== t.size) {
      throw new Error(`write: tensor ${shapeString(t.shape)} holds ${t.size} values, got ${data.length}`);
    }
    // queue.writeBuffer runs before any commands still being recorded, so those go first.
    this.flush();
    const src = data instanceof Float32Array ? data : Float32Array.from(data);
    this.device.queue.writeBuffer(t.buffer, 0, src.buffer, src.byteOffset, src.byteLength);
    t.changed();
    this.stats.uploadBytes += src.byteLength;
  }

  releaseBuffer(b: GPUBuffer): void {
    this.pool.release(b);
  }

  private checkFits(shape: Shape, sizeBytes: number): void {
    const { maxStorageBufferBindingSize, maxBufferSize } = this.ctx.limits;
    const limit = Math.min(maxStorageBufferBindingSize, maxBufferSize);
    if (sizeBytes > limit) {
      const which = maxStorageBufferBindingSize <= maxBufferSize ? 'maxStorageBufferBindingSize' : 'maxBufferSize';
      throw new RangeError(
        `tensor ${shapeString(shape)} f32 needs ${fmtBytes(sizeBytes)} (${sizeBytes} bytes), more than this device allows ` +
          `(${which} = ${limit} bytes, ${fmtBytes(limit)}) on ${this.describe()}`,
      );
    }
  }

  // ---- dispatch

  run<F extends UniformFields>(kernel: KernelSpec<F>, data: RunData<F>): void {
    this.assertAlive();
    const compiled = this.pipelines.get(kernel, data.defines ? { ...kernel.defines, ...data.defines } : kernel.defines);
    if (!this.pending.includes(compiled.check)) this.pending.push(compiled.check);
    const entries: GPUBindGroupEntry[] = compiled.storage.map(({ name, binding, kind }) => {
      const t = data.bindings[name];
      if (!t) throw new Error(`kernel ${kernel.name}: binding '${name}' not given`);
      if (t.layout) throw new Error(`kernel ${kernel.name}: binding '${name}' is stored in a padded layout; a kernel that reads or writes that layout binds its storage()`);
      if (kind === 'storage') t.changed();
      return { binding, resource: { buffer: t.buffer, offset: 0, size: Math.max(4, t.sizeBytes) } };
    });
    if (compiled.uniformBinding !== undefined) {
      if (!data.uniforms) throw new Error(`kernel ${kernel.name}: uniforms not given`);
      entries.push({ binding: compiled.uniformBinding, resource: this.packUniforms(kernel, data.uniforms) });
    }
    const bindGroup = this.device.createBindGroup({ layout: compiled.layout, entries, label: kernel.name });
    const timestampWrites = this.profiler?.timestampWrites(this.batchKernels.length);
    const pass = this.encode().beginComputePass(timestampWrites ? { label: kernel.name, timestampWrites } : { label: kernel.name });
    pass.setPipeline(compiled.pipeline);
    pass.setBindGroup(0, bindGroup);
    const [x, y = 1, z = 1] = data.workgroups;
    const maxDim = this.ctx.limits.maxComputeWorkgroupsPerDimension;
    if (x > maxDim || y > maxDim || z > maxDim) {
      throw new Error(`kernel ${kernel.name}: dispatch [${x}, ${y}, ${z}] exceeds maxComputeWorkgroupsPerDimension = ${maxDim}`);
    }
    pass.dispatchWorkgroups(x, y, z);
    pass.end();
    this.batchKernels.push(kernel.name);
    this.lastKernel = kernel.name;
    this.stats.dispatches++;
    this.stats.byKernel[kernel.name] = (this.stats.byKernel[kernel.name] ?? 0) + 1;
    if (this.batchKernels.length >= MAX_BATCH) this.flush();
  }

  private packUniforms<F extends UniformFields>(kernel: KernelSpec<F>, values: UniformValues<F>): GPUBufferBinding {
    const size = kernel.uniforms!.sizeBytes;
    let chunk = this.chunks[this.chunks.length - 1];
    if (!chunk || chunk.used + size > UNIFORM_CHUNK_BYTES) {
      chunk = { buffer: this.uniformPool.acquire(UNIFORM_CHUNK_BYTES), bytes: new ArrayBuffer(UNIFORM_CHUNK_BYTES), used: 0 };
      this.chunks.push(chunk);
    }
    const offset = chunk.used;
    kernel.uniforms!.pack(values, chunk.bytes, offset);
    chunk.used = Math.ceil((offset + size) / this.uniformAlign) * this.uniformAlign;
    return { buffer: chunk.buffer, offset, size };
  }

  private encode(): GPUCommandEncoder {
    this.encoder ??= this.device.createCommandEncoder({ label: 'stylegpu batch' });
    return this.encoder;
  }

  /** Submit everything recorded so far. */
  flush(): void {
    if (!this.encoder) return;
    this.assertAlive();
    const kernels = this.batchKernels;
    const device = this.device;
    for (const c of this.chunks) device.queue.writeBuffer(c.buffer, 0, c.bytes, 0, c.used);
    this.profiler?.endBatch(this.encoder, kernels);
    device.pushErrorScope('out-of-memory');
    device.pushErrorScope('validation');
    device.queue.submit([this.encoder.finish()]);
    const validation = device.popErrorScope();
    const oom = device.popErrorScope();
    this.pending.push(
      Promise.all([validation, oom]).then(([v, o]) => {
        const e = v ?? o;
        if (!e) return undefined;
        const names = [...new Set(kernels)];
        return `GPU ${v ? 'validation' : 'out-of-memory'} error in a batch of ${kernels.length} dispatches (kernels: ${names.join(', ')}): ${e.message}`;
      }),
    );
    // Queue order makes it safe to reuse the chunks: later writes land after this submit's reads.
    for (const c of this.chunks) this.uniformPool.release(c.buffer);
    this.chunks = [];
    this.encoder = undefined;
    this.batchKernels = [];
    this.stats.submits++;
  }

  // ---- profiling

  /** From now on, time every dispatch on the GPU (timestamp queries) until stopProfiling(), with the profiler
   *  `create` makes (KernelProfiler.create: passed in, so that pages which never profile do not ship it). Needs
   *  the 'timestamp-query' feature, which createDevice asks for where the adapter has it. */
  startProfiling(create: (device: GPUDevice, capacity: number) => KernelProfiler): void {
    if (this.profiler) throw new Error('startProfiling: already profiling');
    if (!this.ctx.features.has('timestamp-query')) {
      throw new Error(`startProfiling: this device (${this.describe()}) has no 'timestamp-query' feature`);
    }
    this.flush();
    this.profiler = create(this.device, MAX_BATCH);
  }

  /** Stops profiling: GPU milliseconds and dispatches per kernel since startProfiling() (formatKernelTimes
   *  prints them). */
  async stopProfiling(): Promise<KernelTimes> {
    if (!this.profiler) throw new Error('stopProfiling: not profiling');
    this.flush();
    const profiler = this.profiler;
    this.profiler = undefined;
    await this.checkErrors();
    return profiler.collect();
  }

  /** Flush, wait for the GPU, and throw the first GPU error since the last check. */
  async sync(): Promise<void> {
    this.flush();
    await this.device.queue.onSubmittedWorkDone();
    await this.checkErrors();
  }

  private async checkErrors(): Promise<void> {
    const pending = this.pending;
    this.pending = [];
    const messages = (await Promise.all(pending)).filter((m): m is string => !!m);
    this.assertAlive();
    if (messages.length) throw new GpuError(messages.join('\n'));
  }

  async read(t: Tensor): Promise<Float32Array> {
    this.assertAlive();
    if (t.layout) throw new Error(`read: tensor ${shapeString(t.shape)} is stored in a padded layout; read its storage()`);
    this.flush();
    const bytes = Math.ceil(t.sizeBytes / 4) * 4;
    const staging = this.stagingPool.acquire(Math.max(4, bytes));
    const enc = this.device.createCommandEncoder({ label: 'readback' });
    if (bytes > 0) enc.copyBufferToBuffer(t.buffer, 0, staging, 0, bytes);
    this.device.queue.submit([enc.finish()]);
    this.stats.submits++;
    try {
      await Promise.race([staging.mapAsync(GPUMapMode.READ, 0, Math.max(4, bytes)), this.lostPromise()]);
      await this.checkErrors();
      const out = new Float32Array(t.size);
      if (bytes > 0) out.set(new Float32Array(staging.getMappedRange(0, bytes)));
      this.stats.readbackBytes += bytes;
      return out;
    } finally {
      if (staging.mapState === 'mapped') staging.unmap();
      this.stagingPool.release(staging);
    }
  }

  private lostPromise(): Promise<never> {
    return this.device.lost.then((info) => {
      throw new GpuError(`GPU device lost (${info.reason}): ${info.message}; last kernel recorded: ${this.lastKernel}`);
    });
  }

  private assertAlive(): void {
    if (this.lost) {
      throw new GpuError(`GPU device lost (${this.lost.reason}): ${this.lost.message}; last kernel recorded: ${this.lastKernel}`);
    }
  }

  /** Finish outstanding work and destroy the device. */
  async destroy(): Promise<void> {
    try {
      await this.sync();
    } finally {
      this.pool.trim();
      this.device.destroy();
    }
  }
}

export function fmtBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}
