// Where weight files come from: a local folder, a URL (kept in a disk cache under Node; the browser's HTTP cache
// applies there), or a known model by name (registry.ts), downloaded from its public source on first use.
//
// Environment variables (Node; in a browser pass the same settings as SourceOptions):
//   STYLEGPU_WEIGHTS_MIRROR  A local folder or base URL laid out like ../shared/mirror, one folder per known model
//                            (registry.ts `folder`): <mirror>/vgg19-tfjs/model.json,
//                            <mirror>/ml5-style-transfer/<style>/manifest.json, <mirror>/torchvision/vgg19-dcbb9e9d.pth.
//                            Known models are then read from it instead of the network: a folder in place (nothing
//                            is written to the cache), a URL downloaded into the cache. Tests, examples and CI set it
//                            to ../shared/mirror.
//   STYLEGPU_CACHE           Where downloads are kept (default ~/.cache/stylegpu), laid out the same way, so a file
//                            put there by hand (offline machines) is used as if it had been downloaded.
// Every file read is checked against the size and SHA-256 known for it (registry.ts and its digests, the model's index
// file, Content-Length), wherever it comes from: a download before it reaches the cache, and a cached or mirrored
// file each time it is read, since it may have been damaged on disk since. Hashing costs about 3 ms per MB, so a
// process hashes a file on disk once and remembers the digest for as long as its size and mtime stay the same.
import { IN_NODE } from '../platform.ts';
import type { KnownModel } from './registry.ts';

export interface FileCheck {
  size?: number;
  /** Hex SHA-256, or a prefix of it (torchvision names files after the first 8 digits). */
  sha256?: string;
}

/** Parallel downloads (a model's shards) report interleaved: `file` tells them apart. */
export interface DownloadProgress {
  file: string;
  loadedBytes: number;
  totalBytes?: number;
}

export interface SourceOptions {
  /** Overrides STYLEGPU_WEIGHTS_MIRROR ('' for none). */
  mirror?: string;
  /** Overrides STYLEGPU_CACHE. */
  cacheDir?: string;
  /** Called as download bytes arrive (not for files already on disk). */
  onProgress?: (p: DownloadProgress) => void;
}

export interface FileSource {
  /** The path or URL of `file`, for messages. */
  where(file: string): string;
  /** The whole file, checked; a file that is not there rejects with MissingFileError. */
  read(file: string, check?: FileCheck): Promise<Uint8Array>;
}

export class MissingFileError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(message);
    this.name = 'MissingFileError';
  }
}

// Tested where it is read (never through a helper), so that the page build, where it is false, drops what it guards.
const isNode = IN_NODE;
const env = (name: string): string | undefined => (isNode ? process.env[name] || undefined : undefined);

interface NodeModules {
  fs: typeof import('node:fs/promises');
  os: typeof import('node:os');
  path: typeof import('node:path');
  crypto: typeof import('node:crypto');
}
let nodeModules: Promise<NodeModules> | undefined;

function node(): Promise<NodeModules> {
  // Variable specifiers keep browser bundlers away from Node built-ins (as in runtime/device.ts).
  const load = (name: string) => import(/* @vite-ignore */ name);
  nodeModules ??= Promise.all([load('node:fs/promises'), load('node:os'), load('node:path'), load('node:crypto')]).then(([fs, os, path, crypto]) => ({ fs, os, path, crypto }));
  return nodeModules;
}

const isUrl = (location: string) => /^https?:\/\//i.test(location);

/** The absolute URL of a location that is not a local path (in a page every location is a URL, relative to it). */
const absoluteUrl = (location: string) => (isUrl(location) ? location : new URL(location, globalThis.location?.href).href);

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  // Node's own hash is about twice as fast as WebCrypto's there (80 MB of VGG shards: 0.25 s against 0.5 s).
  if (isNode) return (await node()).crypto.createHash('sha256').update(bytes).digest('hex');
  const digest = await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** A file whose bytes are not the ones its digest says: names the file, both digests, and what to do about it. */
export class DigestMismatchError extends Error {
  constructor(
    readonly file: string,
    readonly expected: string,
    readonly actual: string,
    remedy: string,
  ) {
    super(`${file}: SHA-256 mismatch: expected ${expected}${expected.length < 64 ? '…' : ''}, got ${actual}${remedy ? `: ${remedy}` : ''}`);
    this.name = 'DigestMismatchError';
  }
}

/**
 * Checks `bytes` (the contents of `what`) against `check`; `remedy` says what to do on a mismatch. `known` is a
 * digest already computed for these very bytes (a file on disk unchanged since it was last hashed).
 */
export async function verify(bytes: Uint8Array, what: string, check: FileCheck = {}, remedy = '', known?: string): Promise<string | undefined> {
  if (check.size !== undefined && bytes.length !== check.size) {
    throw new Error(`${what}: size mismatch: expected ${check.size} bytes, found ${bytes.length}${remedy ? `: ${remedy}` : ''}`);
  }
  if (!check.sha256) return known;
  const digest = known ?? (await sha256Hex(bytes));
  const want = check.sha256.toLowerCase();
  if (!digest.startsWith(want)) throw new DigestMismatchError(what, want, digest, remedy);
  return digest;
}

// Digests of files on disk hashed by this process, by path, valid while the file keeps the size and mtime it had.
const hashedFiles = new Map<string, { size: number; mtimeMs: number; sha256: string }>();

/** Reads a file on disk and verifies it, hashing it only if this process has not hashed it as it is now. */
async function readVerified(file: string, what: string, check: FileCheck, remedy: string): Promise<Uint8Array> {
  const { fs } = await node();
  const before = await fs.stat(file);
  const bytes = await fs.readFile(file);
  const seen = hashedFiles.get(file);
  const known = seen && seen.size === before.size && seen.mtimeMs === before.mtimeMs && bytes.length === before.size ? seen.sha256 : undefined;
  const sha256 = await verify(bytes, what, check, remedy, known);
  if (sha256) hashedFiles.set(file, { size: before.size, mtimeMs: before.mtimeMs, sha256 });
  return bytes;
}

/** File names come from index files (model.json, manifest.json): they must stay inside their folder. */
function checkName(file: string): void {
  if (/^[/\\]|^[a-z]:|(^|[/\\])\.\.([/\\]|$)/i.test(file)) throw new Error(`${file}: file name leaves its folder`);
}

/**
 * Files in a local folder (Node). `help(file)` is added to the message when a file is missing, `remedy(file)`
 * when it fails its check.
 */
export function folderSource(dir: string, help: (file: string) => string = () => '', remedy: (file: string) => string = () => ''): FileSource {
  const where = (file: string) => `${dir.replace(/\/$/, '')}/${file}`;
  return {
    where,
    async read(file, check = {}) {
      checkName(file);
      try {
        return await readVerified(where(file), where(file), check, remedy(file));
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') throw new MissingFileError(file, `${where(file)} does not exist${help(file)}`);
        if (code) throw new Error(`cannot read ${where(file)}: ${code}`, { cause: e });
        throw e;
      }
    },
  };
}

/** Files under a base URL, fetched on every read (browsers, whose HTTP cache keeps them). */
export function urlSource(baseUrl: string, opts: SourceOptions = {}): FileSource {
  const where = (file: string) => new URL(file, baseUrl).href;
  return {
    where,
    async read(file, check) {
      const bytes = await download(where(file), file, check, opts.onProgress, '');
      await verify(bytes, where(file), check, downloadRemedy(where(file)));
      return bytes;
    },
  };
}

/**
 * Files under a base URL, downloaded once into `<cache>/<cacheFolder>/` (Node). `help(file)` is added to the
 * message when a download fails (e.g. which env var would avoid it).
 */
export function cachedUrlSource(baseUrl: string, cacheFolder: string, opts: SourceOptions = {}, help: (file: string) => string = () => ''): FileSource {
  const where = (file: string) => new URL(file, baseUrl).href;
  return {
    where,
    async read(file, check = {}) {
      checkName(file);
      const { fs, os, path } = await node();
      const cacheDir = path.resolve(opts.cacheDir ?? env('STYLEGPU_CACHE') ?? path.join(os.homedir(), '.cache', 'stylegpu'));
      const cached = path.join(cacheDir, cacheFolder, file);
      const stat = await fs.stat(cached).catch(() => undefined);
      if (stat?.isFile()) {
        if (check.size !== undefined && stat.size !== check.size) {
          throw new Error(`${cached}: cached file has ${stat.size} bytes, expected ${check.size}: delete it to download ${where(file)} again`);
        }
        return readVerified(cached, cached, check, `the cached copy is damaged: delete it to download ${where(file)} again`);
      }
      const offlineHelp = `To work offline, download it yourself and save it as ${cached}${help(file)}`;
      const bytes = await download(where(file), `${cacheFolder}/${file}`, check, opts.onProgress, offlineHelp);
      await verify(bytes, `download of ${where(file)}`, check, downloadRemedy(where(file)));
      const partial = `${cached}.${process.pid}.part`;
      try {
        await fs.mkdir(path.dirname(cached), { recursive: true });
        await fs.writeFile(partial, bytes);
        await fs.rename(partial, cached);
      } catch (e) {
        await fs.rm(partial, { force: true });
        throw new Error(`cannot write ${cached}: ${(e as NodeJS.ErrnoException).code ?? String(e)} (set STYLEGPU_CACHE to a writable folder)`, { cause: e });
      }
      return bytes;
    },
  };
}

const downloadRemedy = (url: string) =>
  `the download was damaged on the way, or ${url} no longer holds the file stylegpu knows: nothing was saved; try again, and if it recurs, report it`;

function reason(e: unknown): string {
  const err = e as Error & { cause?: { code?: string; message?: string } };
  const cause = err.cause?.code ?? err.cause?.message;
  return cause ? `${err.message} (${cause})` : String(err.message ?? e);
}

async function download(url: string, label: string, check: FileCheck = {}, onProgress: SourceOptions['onProgress'], offlineHelp: string): Promise<Uint8Array> {
  let res: Response;
  try {
    res = await fetch(url);
  } catch (e) {
    throw new Error(`cannot download ${url}: ${reason(e)}. ${offlineHelp}`.trim(), { cause: e });
  }
  if (res.status === 404) throw new MissingFileError(label, `${url}: not found (HTTP 404)`);
  if (!res.ok || !res.body) throw new Error(`cannot download ${url}: HTTP ${res.status} ${res.statusText}. ${offlineHelp}`.trim());
  // Content-Length counts encoded bytes: it says nothing about a compressed body's decoded size.
  const encoded = (res.headers.get('content-encoding') ?? 'identity') !== 'identity';
  const length = res.headers.get('content-length');
  const announced = !encoded && length !== null ? Number(length) : undefined;
  const total = check.size ?? announced;
  let buffer = new Uint8Array(total ?? 1 << 20);
  let loaded = 0;
  const reader = res.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (loaded + value.length > buffer.length) {
        const grown = new Uint8Array(Math.max(2 * buffer.length, loaded + value.length));
        grown.set(buffer.subarray(0, loaded));
        buffer = grown;
      }
      buffer.set(value, loaded);
      loaded += value.length;
      onProgress?.({ file: label, loadedBytes: loaded, totalBytes: total });
    }
  } catch (e) {
    throw new Error(`download of ${url} broke off after ${loaded} of ${total ?? 'unknown'} bytes: ${reason(e)}`, { cause: e });
  }
  if (announced !== undefined && loaded !== announced) {
    throw new Error(`download of ${url} truncated: received ${loaded} of ${announced} bytes (Content-Length)`);
  }
  return buffer.subarray(0, loaded);
}

function remoteSource(baseUrl: string, cacheFolder: string, opts: SourceOptions, help?: (file: string) => string): FileSource {
  return isNode ? cachedUrlSource(baseUrl, cacheFolder, opts, help) : urlSource(baseUrl, opts);
}

/** A known model's files: from the mirror when one is set, else from upstream through the cache. */
export function modelSource(model: KnownModel, opts: SourceOptions = {}): FileSource {
  const mirror = opts.mirror ?? env('STYLEGPU_WEIGHTS_MIRROR');
  const upstream = (file: string) => `${model.url}${file}`;
  let inner: FileSource;
  if (!mirror) {
    inner = remoteSource(model.url, model.folder, opts, (file) => `, or set STYLEGPU_WEIGHTS_MIRROR to a folder holding ${model.folder}/${file}`);
  } else if (isNode && !isUrl(mirror)) {
    inner = folderSource(
      `${mirror.replace(/\/$/, '')}/${model.folder}`,
      (file) => `: the weights mirror ${mirror} (STYLEGPU_WEIGHTS_MIRROR) lacks it; upstream: ${upstream(file)}`,
      (file) => `the weights mirror ${mirror} (STYLEGPU_WEIGHTS_MIRROR) holds a damaged or different copy: replace it with ${upstream(file)}`,
    );
  } else {
    const base = new URL(`${model.folder}/`, absoluteUrl(mirror).replace(/\/?$/, '/')).href;
    inner = remoteSource(base, model.folder, opts, (file) => ` (the mirror ${mirror} lacks it? upstream: ${upstream(file)})`);
  }
  return { where: inner.where, read: async (file, check) => inner.read(file, { ...(await model.checks())[file], ...check }) };
}

/**
 * The source for a local path or URL, and the file it names (`file` undefined when it names a folder: a URL
 * ending in `/`, or a local directory). URLs are cached under `<cache>/<host>/<path>/`.
 */
export async function resolveLocation(location: string, opts: SourceOptions = {}): Promise<{ source: FileSource; file?: string }> {
  if (!isNode || isUrl(location)) {
    const url = absoluteUrl(location);
    const cut = url.lastIndexOf('/') + 1;
    const base = new URL(url.slice(0, cut));
    return { source: remoteSource(base.href, `${base.host}${base.pathname}`.replace(/\/$/, ''), opts), file: url.slice(cut) || undefined };
  }
  const { fs, path } = await node();
  const full = path.resolve(location);
  const stat = await fs.stat(full).catch(() => undefined);
  if (!stat) throw new MissingFileError(path.basename(full), `${full} does not exist`);
  return stat.isDirectory() ? { source: folderSource(full) } : { source: folderSource(path.dirname(full)), file: path.basename(full) };
}
