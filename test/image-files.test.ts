// Image files as the CLI reads them (src/node/files.ts, sharp/libvips): every common kind of real photo decodes to
// the right size, orientation and colours; large photos are shrunk on the CPU within a bounded memory; anything
// else is a clear error naming the file. Fixtures are written with sharp at test time.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import sharp, { type Sharp } from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readImageFile } from '../src/node/files.ts';

const dir = mkdtempSync(join(tmpdir(), 'stylegpu-image-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const root = resolve(__dirname, '..');

/** W×H RGB: red on the left half, blue on the right, a green bar along the top rows (orientation is visible). */
function quadrants(width: number, height: number): Buffer {
  const px = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) px.set(y < height / 4 ? [0, 200, 0] : x < width / 2 ? [220, 20, 20] : [20, 20, 220], 3 * (y * width + x));
  return px;
}
const rawRgb = (width: number, height: number) => sharp(quadrants(width, height), { raw: { width, height, channels: 3 } });

/** RGBA at (x, y). */
function pixel(img: { width: number; data: ArrayLike<number> }, x: number, y: number): number[] {
  const i = 4 * (y * img.width + x);
  return [img.data[i], img.data[i + 1], img.data[i + 2], img.data[i + 3]];
}
const near = (a: number[], b: number[], tol = 24) => a.every((v, i) => Math.abs(v - b[i]) <= tol);

const RED = [220, 20, 20, 255];
const BLUE = [20, 20, 220, 255];
const GREEN = [0, 200, 0, 255];

describe('real photos of every common kind', () => {
  const kinds: [string, (s: Sharp) => Sharp, 'colour' | 'grey'][] = [
    ['baseline.jpg', (s) => s.jpeg({ quality: 95 }), 'colour'],
    ['progressive.jpg', (s) => s.jpeg({ quality: 95, progressive: true }), 'colour'],
    ['cmyk.jpg', (s) => s.toColourspace('cmyk').jpeg({ quality: 95 }), 'colour'],
    ['grey.jpg', (s) => s.greyscale().jpeg({ quality: 95 }), 'grey'],
    ['grey.png', (s) => s.greyscale().png(), 'grey'],
    ['palette.png', (s) => s.png({ palette: true, colours: 8, dither: 0 }), 'colour'],
    ['16bit.png', (s) => s.toColourspace('rgb16').png(), 'colour'],
    ['interlaced.png', (s) => s.png({ progressive: true }), 'colour'],
    ['alpha.png', (s) => s.ensureAlpha(0.5).png(), 'colour'],
    ['image.webp', (s) => s.webp({ lossless: true }), 'colour'],
  ];
  it.each(kinds)('%s decodes to 8-bit sRGB at its size with the right colours', async (name, encode, colours) => {
    const path = join(dir, name);
    await encode(rawRgb(48, 32)).toFile(path);
    const meta = await sharp(path).metadata();
    if (name === '16bit.png') expect(meta.depth).toBe('ushort');
    if (name === 'cmyk.jpg') expect(meta.space).toBe('cmyk');
    if (name === 'interlaced.png') expect(meta.isProgressive).toBe(true);
    if (name === 'palette.png') expect(meta.isPalette).toBe(true);
    const img = await readImageFile(path);
    expect([img.width, img.height, img.data.length]).toEqual([48, 32, 48 * 32 * 4]);
    const at = (x: number, y: number) => pixel(img, x, y);
    const [red, blue, green] = [at(10, 20), at(40, 20), at(24, 2)];
    if (colours === 'grey') {
      // One grey level per pixel, brightest where the source was green, darkest where it was blue.
      for (const p of [red, blue, green]) expect(p[0] === p[1] && p[1] === p[2] && p[3] === 255, `${name}: ${p}`).toBe(true);
      expect(green[0] > red[0] && red[0] > blue[0], `${name}: ${green} > ${red} > ${blue}`).toBe(true);
    } else if (name === 'cmyk.jpg') {
      // Through a CMYK profile and back the colours shift, but each region keeps its dominant channel.
      const dominant = (p: number[]) => p.slice(0, 3).indexOf(Math.max(...p.slice(0, 3)));
      expect([dominant(red), dominant(green), dominant(blue)]).toEqual([0, 1, 2]);
    } else {
      const alpha = name === 'alpha.png' ? 128 : 255;
      for (const [got, want] of [[red, RED], [blue, BLUE], [green, GREEN]]) {
        expect(near(got, [...want.slice(0, 3), alpha]), `${name}: ${got} vs ${want}`).toBe(true);
      }
    }
  });

  it('applies EXIF orientation 6 (stored sideways: shown turned 90° clockwise)', async () => {
    const path = join(dir, 'orientation6.jpg');
    await rawRgb(48, 32).jpeg({ quality: 95 }).withMetadata({ orientation: 6 }).toFile(path);
    expect((await sharp(path).metadata()).orientation).toBe(6);
    const img = await readImageFile(path);
    expect([img.width, img.height]).toEqual([32, 48]);
    // Turned clockwise: the stored top (green) is now on the right, the stored left (red) on top.
    expect(near(pixel(img, 30, 24), GREEN)).toBe(true);
    expect(near(pixel(img, 10, 10), RED)).toBe(true);
    expect(near(pixel(img, 10, 40), BLUE)).toBe(true);
    // Fitted to a longest side the same way.
    const small = await readImageFile(path, 24);
    expect([small.width, small.height]).toEqual([16, 24]);
  });

  it('shrinks only when asked, never enlarges, and fits exact sizes', async () => {
    const path = join(dir, 'fit.png');
    await rawRgb(48, 32).png().toFile(path);
    expect([(await readImageFile(path, 96)).width, (await readImageFile(path, 96)).height]).toEqual([48, 32]);
    const fitted = await readImageFile(path, 30);
    expect([fitted.width, fitted.height]).toEqual([30, 20]);
    const exact = await readImageFile(path, { width: 64, height: 40 });
    expect([exact.width, exact.height]).toEqual([64, 40]);
  });
});

describe('large photos', () => {
  const readInChild = async (path: string, fit?: number) => {
    const args = ['--import', './src/node/register.js', 'test/helpers/read-image.ts', path, ...(fit === undefined ? [] : [String(fit)])];
    const r = await promisify(execFile)('node', args, { cwd: root });
    return JSON.parse(r.stdout) as { width: number; height: number; maxRssMiB: number };
  };
  /** The same child reading a small image: Node, tsx and libvips themselves. */
  let baseline = 0;
  beforeAll(async () => {
    baseline = (await readInChild(resolve(root, 'examples/content/chelsea.png'), 64)).maxRssMiB;
  }, 30_000);

  it('a 12 MP phone JPEG (4032×3024, EXIF orientation 6) is read at 256 px in bounded memory', async () => {
    const path = join(dir, 'phone.jpg');
    await sharp({ create: { width: 4032, height: 3024, channels: 3, background: { r: 90, g: 140, b: 200 }, noise: { type: 'gaussian', mean: 128, sigma: 40 } } })
      .jpeg({ quality: 85 })
      .withMetadata({ orientation: 6 })
      .toFile(path);
    const r = await readInChild(path, 256);
    expect([r.width, r.height]).toEqual([192, 256]);
    // The whole photo as RGBA bytes would be 46.5 MiB, as float32 planes 139.5 MiB: shrink-on-load holds neither.
    console.log(`12 MP JPEG → 192×256: peak RSS ${r.maxRssMiB.toFixed(0)} MiB (${baseline.toFixed(0)} MiB reading a small image)`);
    expect(r.maxRssMiB - baseline).toBeLessThan(40);
  }, 60_000);

  it('a 100 MP PNG (10000×10000) is read at 512 px in bounded memory', async () => {
    const path = join(dir, 'huge.png');
    await sharp({ create: { width: 10000, height: 10000, channels: 3, background: { r: 200, g: 100, b: 50 } } }).png({ compressionLevel: 1 }).toFile(path);
    const r = await readInChild(path, 512);
    expect([r.width, r.height]).toEqual([512, 512]);
    // RGBA bytes alone would be 381 MiB, float32 planes 1.1 GiB.
    console.log(`100 MP PNG → 512×512: peak RSS ${r.maxRssMiB.toFixed(0)} MiB (${baseline.toFixed(0)} MiB reading a small image)`);
    expect(r.maxRssMiB - baseline).toBeLessThan(128);
  }, 120_000);
});

describe('everything else is a clear error naming the file', () => {
  it.each([
    ['notes.txt', Buffer.from('just some text, not an image'), /notes\.txt: not an image file this program reads \(PNG, JPEG/],
    ['empty.png', Buffer.alloc(0), /empty\.png: not an image file this program reads/],
    ['drawing.svg', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'), /drawing\.svg: unsupported image format 'svg'/],
  ])('%s', async (name, bytes, message) => {
    const path = join(dir, name);
    writeFileSync(path, bytes);
    await expect(readImageFile(path)).rejects.toThrow(message);
  });

  it('truncated PNG and JPEG files: the file and the decoder\'s complaint, no JavaScript internals', async () => {
    const png = await rawRgb(64, 64).png().toBuffer();
    const jpg = await rawRgb(64, 64).jpeg().toBuffer();
    for (const [name, bytes] of [['cut.png', png.subarray(0, 60)], ['cut2.png', png.subarray(0, png.length - 40)], ['cut.jpg', jpg.subarray(0, jpg.length / 2)]] as const) {
      const path = join(dir, name);
      writeFileSync(path, bytes);
      const err = await readImageFile(path).then(() => undefined, (e: Error) => e);
      expect(err?.message, name).toMatch(new RegExp(`^${path.replace(/[.]/g, '\\.')}: corrupt or unsupported (PNG file|JPEG file|image) \\(.+\\)$`));
      expect(err?.message).not.toMatch(/undefined|properties|TypeError/);
    }
  });

  it('a missing file or a folder', async () => {
    await expect(readImageFile(join(dir, 'missing.jpg'))).rejects.toThrow(`cannot read image ${join(dir, 'missing.jpg')}: no such file`);
    await expect(readImageFile(dir)).rejects.toThrow(`cannot read image ${dir}: it is a folder`);
  });
});
