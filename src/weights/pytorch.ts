// PyTorch `torch.save` files of state dicts, in both containers torch has written:
//  - zip (PyTorch ≥ 1.6): `<name>/data.pkl` (the pickled object) and `<name>/data/<key>` (one raw storage each).
//    torch writes the entries STORED and 64-byte aligned (so float32 tensors come back as views); DEFLATE is
//    accepted too. Sizes come from the central directory: torch's local headers leave them zero.
//  - legacy (PyTorch < 1.6; torchvision's 2017 vgg19-dcbb9e9d.pth is one): consecutive pickles (magic number,
//    protocol version, sys_info, the object, the sorted list of storage keys), then every storage in that order
//    as an int64 element count followed by its raw little-endian bytes.
// The object is read by a minimal pickle VM that knows what torch.save emits for a state dict: an OrderedDict
// (BUILD then sets its `_metadata`, ignored here) of `_rebuild_tensor_v2(storage, offset, size, stride, …)`
// calls, each storage a persistent id ('storage', torch.FloatStorage, key, location, numel[, view]). Nested dicts
// (checkpoints like {'g_running': state_dict, …}) are flattened with '.'; other values are ignored. Tensors are
// decoded (views materialised by their strides) only when asked for.
import { type FloatType, type TensorEntry, type WeightSet, decodeFloats, fmtShape, numel, weightSet } from './tensors.ts';

// Storage classes by name: element size (to step over legacy data) and, for floating types, how to decode them.
const STORAGES: Record<string, { bytes: number; dtype: string; float?: FloatType }> = {
  FloatStorage: { bytes: 4, dtype: 'float32', float: 'f32' },
  HalfStorage: { bytes: 2, dtype: 'float16', float: 'f16' },
  BFloat16Storage: { bytes: 2, dtype: 'bfloat16', float: 'bf16' },
  DoubleStorage: { bytes: 8, dtype: 'float64', float: 'f64' },
  LongStorage: { bytes: 8, dtype: 'int64' },
  IntStorage: { bytes: 4, dtype: 'int32' },
  ShortStorage: { bytes: 2, dtype: 'int16' },
  CharStorage: { bytes: 1, dtype: 'int8' },
  ByteStorage: { bytes: 1, dtype: 'uint8' },
  BoolStorage: { bytes: 1, dtype: 'bool' },
};

const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;

class Global {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
}

/** An object the VM does not model (an instance of some other class): harmless unless a tensor needs it. */
class Opaque {
  constructor(readonly what: string) {}
}

class StorageRef {
  constructor(
    readonly key: string,
    readonly type: string,
    readonly numel: number,
    readonly viewOffset: number,
  ) {}
}

class TensorRef {
  constructor(
    readonly storage: unknown,
    readonly offset: number,
    readonly size: number[],
    readonly stride: number[],
  ) {}
}

/** The tensors of a torch.save file's bytes; `description` (its path or URL) is used in messages. */
export async function torchWeights(bytes: Uint8Array, description: string): Promise<WeightSet> {
  if (bytes[0] === 0x50 && bytes[1] === 0x4b) return zipWeights(bytes, description);
  if (bytes[0] === 0x80) return legacyWeights(bytes, description);
  throw new Error(`${description}: not a PyTorch file (neither a zip archive nor a pickle)`);
}

async function zipWeights(bytes: Uint8Array, description: string): Promise<WeightSet> {
  const zip = readZip(bytes, description);
  const pkl = [...zip.keys()].find((name) => name === 'data.pkl' || name.endsWith('/data.pkl'));
  if (!pkl) throw new Error(`${description}: zip archive without data.pkl (not a torch.save file)`);
  const prefix = pkl.slice(0, -'data.pkl'.length);
  const byteorder = zip.get(`${prefix}byteorder`);
  if (byteorder && new TextDecoder().decode(await zip.read(byteorder)) !== 'little') throw new Error(`${description}: big-endian tensor data is not supported`);
  const { value } = unpickle(await zip.read(zip.get(pkl)!), 0, storagePid, `${description}: data.pkl`);
  return tensorsOf(value, description, (storage) => {
    const entry = zip.get(`${prefix}data/${storage.key}`);
    if (!entry) throw new Error(`storage data/${storage.key} is missing`);
    return zip.read(entry);
  });
}

function legacyWeights(bytes: Uint8Array, description: string): WeightSet {
  const types = new Map<string, string>();
  const pid = (id: unknown) => {
    const s = storagePid(id);
    types.set(s.key, s.type);
    return s;
  };
  let pos = 0;
  const next = (what: string, persistentLoad = storagePid) => {
    const r = unpickle(bytes, pos, persistentLoad, `${description}: ${what}`);
    pos = r.end;
    return r.value;
  };
  if (next('magic number') !== LEGACY_MAGIC) throw new Error(`${description}: not a PyTorch file (pickle without torch's magic number)`);
  if (next('protocol version') !== 1001) throw new Error(`${description}: unknown legacy PyTorch protocol version`);
  const sysInfo = next('sys_info');
  if (sysInfo instanceof Map && sysInfo.get('little_endian') === false) throw new Error(`${description}: big-endian tensor data is not supported`);
  const value = next('pickled object', pid);
  const keys = next('storage keys');
  if (!Array.isArray(keys)) throw new Error(`${description}: storage key list missing`);
  // Index the storages that are there; a tensor whose storage a truncated file lacks fails alone, by name.
  const storages = new Map<string, Uint8Array>();
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  for (const key of keys.map(String)) {
    const info = STORAGES[types.get(key) ?? ''];
    if (!info) throw new Error(`${description}: storage ${key} has type ${types.get(key)}, whose element size is unknown`);
    if (pos + 8 > bytes.length) break;
    const count = Number(view.getBigInt64(pos, true));
    if (count < 0) throw new Error(`${description}: storage ${key} has a negative element count (${count})`);
    const end = pos + 8 + count * info.bytes;
    storages.set(key, bytes.subarray(pos + 8, Math.min(end, bytes.length)));
    pos = end;
  }
  return tensorsOf(value, description, (storage) => {
    const data = storages.get(storage.key);
    if (!data) throw new Error(`storage ${storage.key} is missing (file truncated?)`);
    return data;
  });
}

const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

function storagePid(pid: unknown): StorageRef {
  const [kind, type, key, , size, view] = Array.isArray(pid) ? pid : [];
  if (kind !== 'storage' || !(type instanceof Global)) throw new Error(`unsupported persistent id ${String(kind)}`);
  // Legacy files may refer to a view of a storage: (view_key, offset, size).
  const numel = Number(size);
  const viewOffset = Array.isArray(view) ? Number(view[1]) : 0;
  if (!isCount(numel) || !isCount(viewOffset)) throw new Error(`storage ${String(key)}: element count ${String(size)} or view offset ${String(viewOffset)} is not a non-negative integer`);
  return new StorageRef(String(key), type.name, numel, viewOffset);
}

/** The tensors found in the unpickled object, flattened to dotted names, decoded on demand. */
function tensorsOf(root: unknown, description: string, storageBytes: (s: StorageRef) => Uint8Array | Promise<Uint8Array>): WeightSet {
  const found = new Map<string, TensorRef>();
  const walk = (v: unknown, name: string) => {
    if (v instanceof TensorRef) found.set(name, v);
    else if (v instanceof Map) for (const [k, x] of v) walk(x, name ? `${name}.${String(k)}` : String(k));
  };
  walk(root, '');
  if (found.size === 0) throw new Error(`${description}: holds no tensors (expected a state dict)`);
  const entries = new Map<string, TensorEntry>();
  for (const [name, t] of found) {
    entries.set(name, {
      shape: t.size,
      async load() {
        const s = t.storage;
        if (!(s instanceof StorageRef)) throw new Error(`${name}: tensor without a torch storage in ${description}`);
        const info = STORAGES[s.type];
        if (!info?.float) {
          throw new Error(`${name}: dtype ${info?.dtype ?? s.type} is not supported, only floating point (float32, float16, bfloat16, float64) (${description})`);
        }
        let raw: Uint8Array;
        try {
          raw = await storageBytes(s);
        } catch (e) {
          throw new Error(`${name}: ${(e as Error).message} (${description})`, { cause: e });
        }
        if (raw.length < s.numel * info.bytes) {
          throw new Error(`${name}: storage ${s.key} holds ${raw.length} bytes, expected ${s.numel * info.bytes} (truncated) (${description})`);
        }
        return gather(raw, info.float, info.bytes, s.numel, s.viewOffset + t.offset, t.size, t.stride, `${name} (${description})`);
      },
    });
  }
  return weightSet(description, entries);
}

/** The elements of a strided view of a storage, row-major; contiguous views are decoded in one go. */
function gather(raw: Uint8Array, type: FloatType, bytes: number, storageNumel: number, offset: number, size: number[], stride: number[], name: string): Float32Array {
  const count = numel(size);
  if (count === 0) return new Float32Array(0);
  const last = size.reduce((at, n, d) => at + (n - 1) * stride[d], offset);
  if (offset < 0 || last >= storageNumel) {
    throw new Error(`${name}: view (offset ${offset}, size ${fmtShape(size)}, stride ${fmtShape(stride)}) reaches element ${last} of a storage of ${storageNumel}`);
  }
  let contiguous = true;
  let expected = 1;
  for (let d = size.length - 1; d >= 0; d--) {
    if (size[d] !== 1 && stride[d] !== expected) contiguous = false;
    expected *= size[d];
  }
  if (contiguous) return decodeFloats(raw, offset * bytes, count, type);
  const span = decodeFloats(raw, offset * bytes, last - offset + 1, type);
  const out = new Float32Array(count);
  const index = new Array<number>(size.length).fill(0);
  for (let i = 0, src = 0; i < count; i++) {
    out[i] = span[src];
    for (let d = size.length - 1; d >= 0; d--) {
      if (++index[d] < size[d]) {
        src += stride[d];
        break;
      }
      src -= (size[d] - 1) * stride[d];
      index[d] = 0;
    }
  }
  return out;
}

// ---- pickle ----

const MARK = Symbol('mark');

/** Calls the few functions a state dict's pickle calls; throws (a message without position) on malformed arguments. */
function call(fn: unknown, args: unknown): unknown {
  const name = fn instanceof Global ? `${fn.module}.${fn.name}` : String(fn);
  if (!Array.isArray(args)) throw new Error(`${name} called with ${typeof args} arguments, not a tuple`);
  switch (name) {
    case 'collections.OrderedDict': { // Python 2 pickles pass the items as a list of [key, value] pairs
      const items = args[0] ?? [];
      if (!Array.isArray(items) || !items.every((kv) => Array.isArray(kv) && kv.length === 2)) throw new Error(`${name} called without a list of (key, value) pairs`);
      return new Map(items as [unknown, unknown][]);
    }
    case 'torch._utils._rebuild_tensor':
    case 'torch._utils._rebuild_tensor_v2': {
      const [storage, offset, size, stride] = args;
      const counts = (v: unknown) => Array.isArray(v) && v.every(isCount);
      if (!isCount(offset) || !counts(size) || !counts(stride) || (size as number[]).length !== (stride as number[]).length) {
        throw new Error(`${name}: storage offset ${String(offset)}, size ${JSON.stringify(size)} and stride ${JSON.stringify(stride)} do not describe a tensor view`);
      }
      return new TensorRef(storage, offset, size as number[], stride as number[]);
    }
    case 'torch._utils._rebuild_parameter':
      return args[0];
    default:
      return new Opaque(name);
  }
}

/** Runs one pickle from byte `start` to its STOP; `end` is the byte after it. */
function unpickle(bytes: Uint8Array, start: number, persistentLoad: (pid: unknown) => unknown, where: string): { value: unknown; end: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const stack: unknown[] = [];
  const memo = new Map<number, unknown>();
  let pos = start;
  const fail = (problem: string): never => {
    throw new Error(`${where}: ${problem} (pickle byte ${pos - start})`);
  };
  const take = (n: number) => {
    if (pos + n > bytes.length) fail('truncated');
    pos += n;
    return pos - n;
  };
  const u8 = () => bytes[take(1)];
  const u16 = () => view.getUint16(take(2), true);
  const u32 = () => view.getUint32(take(4), true);
  const text = (n: number, encoding = 'utf-8') => new TextDecoder(encoding).decode(bytes.subarray(take(n), pos));
  const line = () => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) fail('truncated');
    return text(end - pos + 1, 'latin1').slice(0, -1);
  };
  const top = () => stack[stack.length - 1];
  const topList = (op: string) => {
    const t = top();
    return Array.isArray(t) ? t : fail(`${op} to a ${t === undefined ? 'missing' : typeof t} value, not a list`);
  };
  const topDict = (op: string) => {
    const t = top();
    return t instanceof Map ? t : fail(`${op} on a ${t === undefined ? 'missing' : typeof t} value, not a dict`);
  };
  const popMark = () => {
    const at = stack.lastIndexOf(MARK);
    if (at < 0) fail('MARK missing');
    return stack.splice(at).slice(1);
  };
  const long = (n: number) => {
    const at = take(n);
    let v = 0n;
    for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[at + i]);
    if (n > 0 && bytes[at + n - 1] & 0x80) v -= 1n << BigInt(8 * n); // two's complement
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  };
  const get = (i: number) => (memo.has(i) ? memo.get(i) : fail(`memo ${i} missing`));
  for (;;) {
    const op = u8();
    switch (op) {
      case 0x80: take(1); break; // PROTO
      case 0x95: take(8); break; // FRAME
      case 0x2e: return { value: stack.pop(), end: pos }; // STOP
      case 0x28: stack.push(MARK); break; // MARK
      case 0x7d: stack.push(new Map()); break; // EMPTY_DICT
      case 0x5d: case 0x29: stack.push([]); break; // EMPTY_LIST, EMPTY_TUPLE
      case 0x74: case 0x6c: stack.push(popMark()); break; // TUPLE, LIST
      case 0x85: case 0x86: case 0x87: stack.push(stack.splice(stack.length - (op - 0x84))); break; // TUPLE1..3
      case 0x64: { const items = popMark(); const d = new Map(); for (let i = 0; i < items.length; i += 2) d.set(items[i], items[i + 1]); stack.push(d); break; } // DICT
      case 0x61: { const v = stack.pop(); topList('APPEND').push(v); break; } // APPEND
      case 0x65: { const items = popMark(); topList('APPENDS').push(...items); break; } // APPENDS
      case 0x73: { const v = stack.pop(); const k = stack.pop(); topDict('SETITEM').set(k, v); break; } // SETITEM
      case 0x75: { const items = popMark(); const d = topDict('SETITEMS'); for (let i = 0; i < items.length; i += 2) d.set(items[i], items[i + 1]); break; } // SETITEMS
      case 0x4e: stack.push(null); break; // NONE
      case 0x88: stack.push(true); break; // NEWTRUE
      case 0x89: stack.push(false); break; // NEWFALSE
      case 0x4a: stack.push(view.getInt32(take(4), true)); break; // BININT
      case 0x4b: stack.push(u8()); break; // BININT1
      case 0x4d: stack.push(u16()); break; // BININT2
      case 0x8a: stack.push(long(u8())); break; // LONG1
      case 0x47: stack.push(view.getFloat64(take(8), false)); break; // BINFLOAT
      case 0x58: stack.push(text(u32())); break; // BINUNICODE
      case 0x8c: stack.push(text(u8())); break; // SHORT_BINUNICODE
      case 0x54: stack.push(text(u32(), 'latin1')); break; // BINSTRING (Python 2 str)
      case 0x55: stack.push(text(u8(), 'latin1')); break; // SHORT_BINSTRING
      case 0x42: { const n = u32(); stack.push(bytes.slice(take(n), pos)); break; } // BINBYTES
      case 0x43: { const n = u8(); stack.push(bytes.slice(take(n), pos)); break; } // SHORT_BINBYTES
      case 0x63: { const module = line(); stack.push(new Global(module, line())); break; } // GLOBAL
      case 0x93: { const name = stack.pop(); stack.push(new Global(String(stack.pop()), String(name))); break; } // STACK_GLOBAL
      case 0x71: memo.set(u8(), top()); break; // BINPUT
      case 0x72: memo.set(u32(), top()); break; // LONG_BINPUT
      case 0x94: memo.set(memo.size, top()); break; // MEMOIZE
      case 0x68: stack.push(get(u8())); break; // BINGET
      case 0x6a: stack.push(get(u32())); break; // LONG_BINGET
      case 0x51: { // BINPERSID
        const pid = stack.pop();
        try {
          stack.push(persistentLoad(pid));
        } catch (e) {
          fail((e as Error).message);
        }
        break;
      }
      case 0x52: { // REDUCE
        const args = stack.pop();
        const fn = stack.pop();
        try {
          stack.push(call(fn, args));
        } catch (e) {
          fail((e as Error).message);
        }
        break;
      }
      case 0x81: { stack.pop(); const cls = stack.pop(); stack.push(new Opaque(cls instanceof Global ? `${cls.module}.${cls.name}` : String(cls))); break; } // NEWOBJ
      case 0x62: stack.pop(); break; // BUILD: the state (a state dict's _metadata, an object's __dict__) is not needed
      default: fail(`unsupported pickle opcode 0x${op.toString(16).padStart(2, '0')}`);
    }
  }
}

// ---- zip ----

interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  localOffset: number;
}

interface Zip extends Map<string, ZipEntry> {
  /** An entry's bytes: a view of the archive when STORED, as torch writes them. */
  read(entry: ZipEntry): Promise<Uint8Array>;
}

function readZip(bytes: Uint8Array, description: string): Zip {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const fail = (problem: string): never => {
    throw new Error(`${description}: ${problem}`);
  };
  // The end record is the last 22 bytes, plus a comment of at most 65535.
  let eocd = bytes.length - 22;
  while (eocd >= Math.max(0, bytes.length - 22 - 65535) && view.getUint32(eocd, true) !== 0x06054b50) eocd--;
  if (eocd < Math.max(0, bytes.length - 22 - 65535)) fail('zip end record not found (truncated download?)');
  let count = view.getUint16(eocd + 10, true);
  let at = view.getUint32(eocd + 16, true);
  if (count === 0xffff || at === 0xffffffff) {
    // zip64: the locator just before the end record points at the zip64 end record.
    const record = eocd >= 20 && view.getUint32(eocd - 20, true) === 0x07064b50 ? Number(view.getBigUint64(eocd - 12, true)) : -1;
    if (record < 0 || record + 56 > bytes.length || view.getUint32(record, true) !== 0x06064b50) fail('zip64 end record not found');
    count = Number(view.getBigUint64(record + 32, true));
    at = Number(view.getBigUint64(record + 48, true));
  }
  const zip = new Map<string, ZipEntry>() as Zip;
  for (let i = 0; i < count; i++) {
    if (at + 46 > bytes.length || view.getUint32(at, true) !== 0x02014b50) fail('zip central directory is damaged');
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    if (at + 46 + nameLength + extraLength > bytes.length) fail('zip central directory is damaged');
    const name = new TextDecoder().decode(bytes.subarray(at + 46, at + 46 + nameLength));
    let compressedSize = view.getUint32(at + 20, true);
    let localOffset = view.getUint32(at + 42, true);
    // zip64 extra field: 64-bit values for the fields saturated above, in the order size, compressed size, offset.
    for (let e = at + 46 + nameLength; e + 4 <= at + 46 + nameLength + extraLength; e += 4 + view.getUint16(e + 2, true)) {
      if (view.getUint16(e, true) !== 1) continue;
      const fieldEnd = e + 4 + view.getUint16(e + 2, true);
      let f = e + 4;
      const next64 = () => (f + 8 <= fieldEnd && fieldEnd <= bytes.length ? Number(view.getBigUint64((f += 8) - 8, true)) : fail('zip64 extra field is damaged'));
      if (view.getUint32(at + 24, true) === 0xffffffff) next64();
      if (compressedSize === 0xffffffff) compressedSize = next64();
      if (localOffset === 0xffffffff) localOffset = next64();
    }
    zip.set(name, { name, method: view.getUint16(at + 10, true), compressedSize, localOffset });
    at += 46 + nameLength + extraLength + view.getUint16(at + 32, true);
  }
  const data = (entry: ZipEntry) => {
    const local = entry.localOffset;
    if (local + 30 > bytes.length || view.getUint32(local, true) !== 0x04034b50) fail(`zip entry ${entry.name} is damaged`);
    const start = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
    if (start + entry.compressedSize > bytes.length) fail(`zip entry ${entry.name} is truncated: ${entry.compressedSize} bytes expected, ${Math.max(0, bytes.length - start)} present`);
    return bytes.subarray(start, start + entry.compressedSize);
  };
  zip.read = async (entry) => {
    if (entry.method === 0) return data(entry);
    if (entry.method !== 8) fail(`zip entry ${entry.name} uses compression method ${entry.method}; only STORED and DEFLATE are supported`);
    const stream = new Blob([data(entry) as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream('deflate-raw'));
    try {
      return new Uint8Array(await new Response(stream).arrayBuffer());
    } catch (e) {
      return fail(`zip entry ${entry.name} has corrupt DEFLATE data (${(e as Error).message})`);
    }
  };
  return zip;
}
