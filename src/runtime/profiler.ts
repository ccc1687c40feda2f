// GPU time per kernel, from timestamp queries (the 'timestamp-query' feature): every compute pass of a batch
// writes a timestamp as it begins and ends; before the batch is submitted its pairs are resolved and copied
// to a mappable buffer, read when profiling stops. The engine drives it: engine.startProfiling(kernelProfiler).
// The engine takes the profiler as an argument rather than importing it, so a page that never profiles does not
// ship it.

/** GPU milliseconds and dispatch count per kernel name (`family.entryPoint`). */
export type KernelTimes = Record<string, { dispatches: number; ms: number }>;

export class KernelProfiler {
  /** A profiler for batches of up to `capacity` passes: what Engine.startProfiling takes. */
  static create(device: GPUDevice, capacity: number): KernelProfiler {
    return new KernelProfiler(device, capacity);
  }

  private readonly querySet: GPUQuerySet;
  private readonly resolved: GPUBuffer;
  private batches: { readback: GPUBuffer; kernels: string[] }[] = [];

  /** `capacity`: the most passes one batch (one submit) holds. */
  constructor(
    private readonly device: GPUDevice,
    readonly capacity: number,
  ) {
    this.querySet = device.createQuerySet({ type: 'timestamp', count: 2 * capacity, label: 'kernel profile' });
    this.resolved = device.createBuffer({ size: 16 * capacity, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC, label: 'kernel profile' });
  }

  /** Pass `index` of the batch writes timestamps 2·index (begin) and 2·index + 1 (end). */
  timestampWrites(index: number): GPUComputePassTimestampWrites {
    if (index >= this.capacity) throw new Error(`profiler: pass ${index} of a batch, past its capacity of ${this.capacity}`);
    return { querySet: this.querySet, beginningOfPassWriteIndex: 2 * index, endOfPassWriteIndex: 2 * index + 1 };
  }

  /** Records, at the end of a batch's encoder, the copy-out of its timestamps (one pair per kernel, in order). */
  endBatch(encoder: GPUCommandEncoder, kernels: readonly string[]): void {
    if (!kernels.length) return;
    const bytes = 16 * kernels.length;
    encoder.resolveQuerySet(this.querySet, 0, 2 * kernels.length, this.resolved, 0);
    const readback = this.device.createBuffer({ size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST, label: 'kernel profile readback' });
    encoder.copyBufferToBuffer(this.resolved, 0, readback, 0, bytes);
    this.batches.push({ readback, kernels: [...kernels] });
  }

  /** Sums the submitted batches per kernel and frees the profiler's buffers. A pass whose end reads before
   *  its begin (implementations may quantise or reset timestamps) counts 0 ms. */
  async collect(): Promise<KernelTimes> {
    const out: KernelTimes = {};
    try {
      for (const { readback, kernels } of this.batches) {
        await readback.mapAsync(GPUMapMode.READ);
        const t = new BigUint64Array(readback.getMappedRange());
        kernels.forEach((k, i) => {
          const entry = (out[k] ??= { dispatches: 0, ms: 0 });
          entry.dispatches++;
          entry.ms += t[2 * i + 1] > t[2 * i] ? Number(t[2 * i + 1] - t[2 * i]) / 1e6 : 0;
        });
      }
    } finally {
      for (const { readback } of this.batches) readback.destroy();
      this.batches = [];
      this.querySet.destroy();
      this.resolved.destroy();
    }
    return out;
  }
}

/** The kernels of `times`, most GPU time first, as aligned text lines with their share of the total. */
export function formatKernelTimes(times: KernelTimes, top = 15): string {
  const rows = Object.entries(times).sort((a, b) => b[1].ms - a[1].ms);
  const total = rows.reduce((s, [, v]) => s + v.ms, 0);
  const width = Math.max(6, ...rows.slice(0, top).map(([k]) => k.length));
  const lines = rows.slice(0, top).map(([k, v]) =>
    `${k.padEnd(width)} ${v.ms.toFixed(1).padStart(10)} ms ${(total ? (100 * v.ms) / total : 0).toFixed(1).padStart(5)} % ${String(v.dispatches).padStart(7)} dispatches`);
  if (rows.length > top) {
    const rest = rows.slice(top);
    const ms = rest.reduce((s, [, v]) => s + v.ms, 0);
    lines.push(`${`(${rest.length} more)`.padEnd(width)} ${ms.toFixed(1).padStart(10)} ms ${(total ? (100 * ms) / total : 0).toFixed(1).padStart(5)} %`);
  }
  lines.push(`${'total'.padEnd(width)} ${total.toFixed(1).padStart(10)} ms`);
  return lines.join('\n');
}
