// A pool of GPU buffers, reused by size class. Classes step by a quarter octave
// (2^k · {1, 1.25, 1.5, 1.75}), so a reused buffer wastes at most 25 % and most sizes hit a class exactly.

export interface PoolStats {
  /** Bytes in buffers handed out and not yet released. */
  liveBytes: number;
  /** Largest liveBytes seen since creation or the last resetPeak(). */
  peakLiveBytes: number;
  /** Bytes of every buffer the pool owns (live and free). */
  allocatedBytes: number;
  /** Buffers created by the device (misses) and requests served from the free lists (hits). */
  created: number;
  reused: number;
}

const MIN_CLASS_BYTES = 256;

export function sizeClass(sizeBytes: number): number {
  if (sizeBytes <= MIN_CLASS_BYTES) return MIN_CLASS_BYTES;
  const octave = 2 ** Math.floor(Math.log2(sizeBytes));
  const quarter = octave / 4;
  return Math.ceil(sizeBytes / quarter) * quarter;
}

export class BufferPool {
  private free = new Map<number, GPUBuffer[]>();
  private owned = new Set<GPUBuffer>();
  readonly stats: PoolStats = { liveBytes: 0, peakLiveBytes: 0, allocatedBytes: 0, created: 0, reused: 0 };

  constructor(
    private device: GPUDevice,
    readonly usage: GPUBufferUsageFlags,
    readonly label: string,
  ) {}

  acquire(sizeBytes: number): GPUBuffer {
    const cls = sizeClass(sizeBytes);
    const list = this.free.get(cls);
    let buffer = list?.pop();
    if (buffer) {
      this.stats.reused++;
    } else {
      buffer = this.device.createBuffer({ size: cls, usage: this.usage, label: `${this.label}:${cls}` });
      this.owned.add(buffer);
      this.stats.created++;
      this.stats.allocatedBytes += cls;
    }
    this.stats.liveBytes += cls;
    this.stats.peakLiveBytes = Math.max(this.stats.peakLiveBytes, this.stats.liveBytes);
    return buffer;
  }

  release(buffer: GPUBuffer): void {
    if (!this.owned.has(buffer)) throw new Error(`${this.label}: released a buffer this pool does not own`);
    const cls = buffer.size;
    this.stats.liveBytes -= cls;
    let list = this.free.get(cls);
    if (!list) this.free.set(cls, (list = []));
    list.push(buffer);
  }

  resetPeak(): void {
    this.stats.peakLiveBytes = this.stats.liveBytes;
  }

  /** Destroy every free buffer (live ones stay). */
  trim(): void {
    for (const list of this.free.values()) {
      for (const b of list) {
        this.owned.delete(b);
        this.stats.allocatedBytes -= b.size;
        b.destroy();
      }
    }
    this.free.clear();
  }
}
