// Node-side files: images read with sharp (libvips) and shrunk on the CPU to the size a run asks for before
// anything becomes float32, and every output written atomically (a temporary file beside the target, then a
// rename), so an interrupted or failed run never leaves a half-written or blank file over an existing one.
import { randomBytes } from 'node:crypto';
import { type WriteStream, accessSync, constants, createWriteStream, mkdirSync, realpathSync, statSync, unlinkSync } from 'node:fs';
import { mkdir, open, rename, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import sharp, { type Metadata } from 'sharp';
import { type RgbaImage, detectFormat, fitLongestSide } from '../image/io.ts';
import { OptionError } from '../options.ts';

/** Decoded pixels are not cached between files (libvips would otherwise keep recent images). */
sharp.cache(false);

/** What sharp decodes here (sharp.format lists more, e.g. SVG, which we do not want as a photo). */
const ACCEPTED_FORMATS = ['jpeg', 'png', 'webp', 'gif', 'tiff', 'heif'];

/** How a read image is sized: as it is, fitted so its longest side is N pixels (only ever shrunk: a smaller image
 *  is kept and the GPU enlarges it, as before), or exactly width × height. */
export type ImageFit = undefined | number | { width: number; height: number };

/**
 * Read an image file as RGBA bytes: EXIF orientation applied, any colour space (grey, CMYK, palette, 16-bit)
 * converted to 8-bit sRGB, and shrunk on the CPU (libvips' shrink-on-load for JPEG, then a linear filter) to
 * `fit`, so a 12 MP or 100 MP photo never has to exist as float32. Errors name the file and the problem.
 */
export async function readImageFile(path: string, fit?: ImageFit): Promise<RgbaImage> {
  if (statOrUndefined(path)?.isDirectory()) throw new Error(`cannot read image ${path}: it is a folder`);
  let meta: Metadata;
  try {
    meta = await sharp(path).metadata();
  } catch (e) {
    throw imageError(path, e, await sniffFormat(path));
  }
  if (!meta.format || !ACCEPTED_FORMATS.includes(meta.format) || !meta.width || !meta.height) {
    throw new Error(`${path}: unsupported image format '${meta.format ?? 'unknown'}' (accepted: PNG, JPEG, WebP, GIF, TIFF, HEIF/AVIF)`);
  }
  // EXIF orientations 5–8 swap the sides.
  const swap = (meta.orientation ?? 1) >= 5;
  const [height, width] = swap ? [meta.width, meta.height] : [meta.height, meta.width];
  const target = targetSize(height, width, fit);
  try {
    let pipeline = sharp(path, { failOn: 'error' }).rotate();
    if (target[0] !== height || target[1] !== width) pipeline = pipeline.resize(target[1], target[0], { fit: 'fill', kernel: 'linear' });
    const { data, info } = await pipeline.toColourspace('srgb').ensureAlpha().raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    if (info.channels !== 4 || data.length !== info.width * info.height * 4) {
      throw new Error(`decoded ${info.channels} channels, ${data.length} bytes for ${info.width}×${info.height}`);
    }
    return { width: info.width, height: info.height, data: new Uint8ClampedArray(data.buffer, data.byteOffset, data.byteLength) };
  } catch (e) {
    throw imageError(path, e, meta.format);
  }
}

/** [height, width] of the image as it will be read: the fit rule of the models (fitLongestSide), shrink only. */
function targetSize(height: number, width: number, fit: ImageFit): [number, number] {
  if (fit === undefined) return [height, width];
  if (typeof fit === 'number') return Math.max(height, width) > fit ? fitLongestSide(height, width, fit) : [height, width];
  return [fit.height, fit.width];
}

/** PNG or JPEG by the file's first bytes, for naming a file whose header libvips could not read. */
async function sniffFormat(path: string): Promise<string | undefined> {
  const head = new Uint8Array(8);
  const file = await open(path, 'r').catch(() => undefined);
  if (!file) return undefined;
  try {
    await file.read(head, 0, head.length, 0);
    return detectFormat(head);
  } catch {
    return undefined; // a folder, or unreadable: the libvips error says which
  } finally {
    await file.close();
  }
}

function imageError(path: string, e: unknown, format?: string): Error {
  const message = e instanceof Error ? e.message : String(e);
  if (/Input file is missing/.test(message)) return new Error(`cannot read image ${path}: no such file`);
  if (/unsupported image format/.test(message)) return new Error(`${path}: not an image file this program reads (PNG, JPEG, WebP, GIF, TIFF, HEIF/AVIF)`);
  if (/EACCES|permission denied/i.test(message)) return new Error(`cannot read image ${path}: permission denied`);
  if (/EISDIR|is a directory/i.test(message)) return new Error(`cannot read image ${path}: it is a directory`);
  // libvips repeats its complaints over several lines: each once, on one line.
  const why = [...new Set(message.split('\n').map((l) => l.trim().replace(/:$/, '')).filter(Boolean))].join('; ');
  return new Error(`${path}: corrupt or unsupported ${format ? `${format.toUpperCase()} file` : 'image'} (${why})`);
}

// ---- outputs ---------------------------------------------------------------------------------------------

/** Temporary files being written now: removed if the process is stopped before they are renamed. */
const pending = new Set<string>();

/** Remove every temporary file still being written (for a forced exit). */
export function removePendingFiles(): void {
  for (const path of pending) {
    try {
      unlinkSync(path);
    } catch {
      // already gone
    }
  }
  pending.clear();
}

function temporaryPath(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
}

/** Write `bytes` to `path` atomically: a temporary file beside it, then a rename over the target. */
export async function writeFileAtomic(path: string, bytes: Uint8Array | string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = temporaryPath(path);
  pending.add(temp);
  try {
    await writeFile(temp, bytes);
    await rename(temp, path);
  } catch (e) {
    await unlink(temp).catch(() => {});
    throw new Error(`cannot write ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  } finally {
    pending.delete(temp);
  }
}

export async function writePngFile(path: string, img: RgbaImage): Promise<void> {
  const png = await sharp(Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength), { raw: { width: img.width, height: img.height, channels: 4 } })
    .png()
    .toBuffer();
  await writeFileAtomic(path, png);
}

/** A text file written line by line into a temporary file, which becomes `path` only on commit(); discard() leaves
 *  any existing file untouched. Write errors are kept and reported by commit(), never thrown as an 'error' event. */
export class AtomicTextFile {
  private stream: WriteStream;
  private readonly temp: string;
  private failure: Error | undefined;

  constructor(readonly path: string) {
    this.temp = temporaryPath(path);
    mkdirSync(dirname(path), { recursive: true });
    pending.add(this.temp);
    this.stream = createWriteStream(this.temp);
    this.stream.on('error', (e) => (this.failure ??= new Error(`cannot write ${path}: ${(e as NodeJS.ErrnoException).code ?? e.message}`)));
  }

  write(text: string): void {
    if (!this.failure) this.stream.write(text);
  }

  async commit(): Promise<void> {
    await new Promise<void>((done) => this.stream.end(done));
    try {
      if (this.failure) throw this.failure;
      await rename(this.temp, this.path);
    } finally {
      await this.discard();
    }
  }

  async discard(): Promise<void> {
    this.stream.destroy();
    await unlink(this.temp).catch(() => {});
    pending.delete(this.temp);
  }
}

/**
 * Check, before any work, that a file can be written at `path`: not a directory, its folder either exists as a
 * writable folder or can be created (the nearest existing ancestor is a writable folder), and not one of `inputs`.
 * Throws an OptionError naming `what`, the option (e.g. '--output').
 */
export function checkOutputPath(what: string, path: string, inputs: readonly string[] = []): void {
  const target = resolve(path);
  const same = inputs.find((input) => sameFile(input, target));
  if (same !== undefined) throw new OptionError(what, path, 'a file that is not one of the inputs', `it is the input ${same}; refusing to overwrite it`);
  const stat = statOrUndefined(target);
  if (stat?.isDirectory()) throw new OptionError(what, path, 'a file name', 'it is a directory');
  if (stat && !writable(target)) throw new OptionError(what, path, 'a writable file', 'it exists and is not writable');
  checkFolderCreatable(what, path, dirname(target));
}

/** The same check for a folder that files will be written into. */
export function checkOutputFolder(what: string, folder: string): void {
  const target = resolve(folder);
  const stat = statOrUndefined(target);
  if (stat && !stat.isDirectory()) throw new OptionError(what, folder, 'a folder', 'it is a file');
  checkFolderCreatable(what, folder, target);
}

function checkFolderCreatable(what: string, path: string, folder: string): void {
  let dir = folder;
  for (;;) {
    const stat = statOrUndefined(dir);
    if (stat) {
      if (!stat.isDirectory()) throw new OptionError(what, path, 'a path whose folder exists or can be created', `${dir} is a file, not a folder`);
      if (!writable(dir)) throw new OptionError(what, path, 'a path in a writable folder', `${dir} is not writable`);
      return;
    }
    const parent = dirname(dir);
    if (parent === dir) return;
    dir = parent;
  }
}

function sameFile(input: string, target: string): boolean {
  if (resolve(input) === target) return true;
  try {
    return realpathSync(input) === realpathSync(target);
  } catch {
    return false;
  }
}

function statOrUndefined(path: string) {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

function writable(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}
