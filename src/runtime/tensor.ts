// A tensor is a shape, a dtype and a GPU buffer borrowed from the engine's pool. Layout is row-major over
// the shape (NCHW for images), or a padded layout (kernels/geometry.ts: the values inside a zero border, as a
// convolution reads them). Data moves only on upload and on an explicit read().
import type { PaddedLayout } from '../kernels/geometry.ts';
import type { Engine } from './engine.ts';

export type DType = 'f32';
export type Shape = readonly number[];

export function sizeOf(shape: Shape): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function shapeString(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

declare const derivedKeyBrand: unique symbol;
/** The cache key of a derived tensor (Tensor.derived): what was computed (e.g. 'conv2d.packWeights') and
 *  the variant (layout, lanes…). Made by derivedKey() only, so every packing names itself the same way. */
export type DerivedKey = string & { readonly [derivedKeyBrand]: true };

export function derivedKey(kind: string, ...variant: (string | number | boolean)[]): DerivedKey {
  return [kind, ...variant].join(' ') as DerivedKey;
}

export class Tensor {
  readonly size: number;
  readonly sizeBytes: number;
  private _buffer: GPUBuffer | undefined;
  /** Bumped whenever the contents may change (Engine.write, zeros, or a kernel binding the buffer
   *  read_write); kept by the tensor that owns the buffer. */
  private _version = 0;
  /** Tensors computed from this one (derived()), each with the version it was computed from. */
  private derivedCache: Map<DerivedKey, { version: number; tensor: Tensor }> | undefined;

  constructor(
    readonly engine: Engine,
    readonly shape: Shape,
    buffer: GPUBuffer,
    readonly dtype: DType = 'f32',
    /** For a view (reshape, storage): the tensor that owns the buffer. */
    readonly base?: Tensor,
    /** A tensor stored in a padded layout: the layout and the buffer's shape [N, C, height, width]
     *  (Engine.zeros makes them). Its kernels bind storage(); binding the tensor itself is refused. */
    padded?: { layout: PaddedLayout; storageShape: Shape },
  ) {
    for (const d of shape) {
      if (!Number.isInteger(d) || d < 0) throw new Error(`invalid tensor shape ${shapeString(shape)}`);
    }
    this.size = sizeOf(shape);
    this.layout = padded?.layout;
    this.storageShape = padded?.storageShape ?? shape;
    this.sizeBytes = sizeOf(this.storageShape) * 4;
    this._buffer = buffer;
  }

  /** Undefined for row-major over `shape`; else where the values sit in the buffer. */
  readonly layout: PaddedLayout | undefined;
  private readonly storageShape: Shape;

  /** The whole buffer as a row-major tensor of its shape (for a padded layout [N, C, height, width], border
   *  included): what a kernel that reads or writes the layout binds. A view: it never frees the buffer. */
  storage(): Tensor {
    return this.layout ? new Tensor(this.engine, this.storageShape, this.buffer, this.dtype, this.base ?? this) : this;
  }

  get buffer(): GPUBuffer {
    if (!this._buffer || this.base?.released) throw new Error(`tensor ${shapeString(this.shape)} used after release()`);
    return this._buffer;
  }

  /** The same data under another shape of the same size (row-major), sharing the buffer: the view never
   *  frees it, and is unusable once this tensor is released. */
  reshape(shape: Shape): Tensor {
    if (this.layout) throw new Error(`reshape: tensor ${shapeString(this.shape)} is stored in a padded layout, not row-major`);
    if (sizeOf(shape) !== this.size) throw new Error(`reshape: ${shapeString(this.shape)} has ${this.size} elements, ${shapeString(shape)} has ${sizeOf(shape)}`);
    return new Tensor(this.engine, shape, this.buffer, this.dtype, this.base ?? this);
  }

  get released(): boolean {
    return this._buffer === undefined || !!this.base?.released;
  }

  get version(): number {
    return this.base ? this.base.version : this._version;
  }

  /** Marks the contents as changed: every derived() tensor of the buffer is computed afresh on next use. */
  changed(): void {
    if (this.base) this.base.changed();
    else this._version++;
  }

  /** A tensor computed from this one by `make` — frozen weights packed for a kernel, say — cached under `key`
   *  until this tensor's contents change or it is released, so work on constant inputs runs once. The
   *  cache owns the result: callers must not release it. */
  derived(key: DerivedKey, make: () => Tensor): Tensor {
    if (this.base) return this.base.derived(key, make);
    this.derivedCache ??= new Map();
    const hit = this.derivedCache.get(key);
    if (hit && hit.version === this._version && !hit.tensor.released) return hit.tensor;
    hit?.tensor.release();
    const version = this._version;
    const tensor = make();
    this.derivedCache.set(key, { version, tensor });
    return tensor;
  }

  /** Copy the tensor to the CPU (flushes pending GPU work). */
  read(): Promise<Float32Array> {
    return this.engine.read(this);
  }

  write(data: ArrayLike<number>): this {
    this.engine.write(this, data);
    return this;
  }

  /** Give the buffer back to the pool (a view only lets go of it); the tensor is unusable afterwards. */
  release(): void {
    if (this._buffer && !this.base) this.engine.releaseBuffer(this._buffer);
    this._buffer = undefined;
    this.derivedCache?.forEach(({ tensor }) => tensor.release());
    this.derivedCache = undefined;
  }
}
