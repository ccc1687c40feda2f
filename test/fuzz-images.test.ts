// Fuzzing the image decoders (src/image/io.ts decodeImage: PNG through upng-js, JPEG through jpeg-js) with
// mutations of small valid files of several kinds (test/helpers/fuzz.ts), including header dimensions set huge
// with the checksum kept right. Every case must decode to a consistent RGBA image or fail with an error naming
// the file, within the time and memory bounds. More cases:
// STYLEGPU_FUZZ_CASES=20000 npx vitest run test/fuzz-images.test.ts
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32 } from 'node:zlib';
import sharp, { type Sharp } from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeImage } from '../src/image/io.ts';
import { type Field, InvalidResult, type Random, below, fuzz, isNamedError, mutateBytes, pick, setField } from './helpers/fuzz.ts';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const SOURCE = path.join(repoRoot, 'test/golden/fast_style_all_input.png'); // 23×17 RGB photo
const NAME = 'fuzzed-image';

interface Seed {
  kind: string;
  bytes: Uint8Array;
}
interface ImageCase {
  bytes: Uint8Array;
}

function decodes({ bytes }: ImageCase): void {
  const img = decodeImage(bytes, NAME);
  if (!(Number.isInteger(img.width) && Number.isInteger(img.height) && img.width > 0 && img.height > 0 && img.data.length === img.width * img.height * 4)) {
    throw new InvalidResult(`${img.width}×${img.height} image with ${img.data.length} bytes`);
  }
}
const named = (e: unknown) => isNamedError(e, NAME);
const report = (what: string, r: { cases: number; valid: number; slowestMs: number; rssGrowth: number }) =>
  console.log(`${what}: ${r.cases} cases, ${r.valid} decoded, slowest ${r.slowestMs.toFixed(1)} ms, resident set +${(r.rssGrowth / 2 ** 20).toFixed(0)} MiB`);

// ---- PNG: chunk lengths, IHDR fields

interface Chunk {
  at: number;
  type: string;
  length: number;
}

function pngChunks(bytes: Uint8Array): Chunk[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const chunks: Chunk[] = [];
  for (let at = 8; at + 12 <= bytes.length; ) {
    const length = view.getUint32(at);
    chunks.push({ at, type: String.fromCharCode(...bytes.subarray(at + 4, at + 8)), length });
    at += 12 + length;
  }
  return chunks;
}

const pngFields = (bytes: Uint8Array): Field[] => pngChunks(bytes).map((c) => ({ at: c.at, bytes: 4, bigEndian: true }));

/** IHDR width and height set (huge, zero or odd), or its depth, colour type or interlace byte changed; CRC recomputed. */
function mutateIhdr(r: Random, bytes: Uint8Array): { bytes: Uint8Array; what: string } {
  const out = bytes.slice();
  const ihdr = pngChunks(out).find((c) => c.type === 'IHDR')!;
  const body = ihdr.at + 8;
  let what: string;
  if (r() < 0.7) {
    const [w, h] = [pick(r, [0, 1, 65_535, 100_000, 2 ** 31 - 1, 2 ** 32 - 1]), pick(r, [0, 1, 3, 40_000, 2 ** 31 - 1, 2 ** 32 - 1])];
    const which = below(r, 3);
    if (which !== 1) setField(out, { at: body, bytes: 4, bigEndian: true }, w);
    if (which !== 0) setField(out, { at: body + 4, bytes: 4, bigEndian: true }, h);
    what = `IHDR ${which !== 1 ? `width ${w} ` : ''}${which !== 0 ? `height ${h}` : ''}`;
  } else {
    const field = pick(r, [8, 9, 12]);
    out[body + field] = pick(r, [0, 1, 2, 3, 4, 6, 8, 16, 7, 255]);
    what = `IHDR byte ${field} = ${out[body + field]}`;
  }
  new DataView(out.buffer).setUint32(body + ihdr.length, crc32(out.subarray(ihdr.at + 4, body + ihdr.length)));
  return { bytes: out, what: `${what} (CRC fixed)` };
}

// ---- JPEG: segment lengths, frame dimensions

function jpegFields(bytes: Uint8Array): { lengths: Field[]; frames: number[] } {
  const lengths: Field[] = [];
  const frames: number[] = [];
  for (let at = 2; at + 4 <= bytes.length; ) {
    if (bytes[at] !== 0xff) break;
    const marker = bytes[at + 1];
    if (marker === 0xda || marker === 0xd9) break; // entropy-coded data follows: stop at the first scan
    lengths.push({ at: at + 2, bytes: 2, bigEndian: true });
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) frames.push(at + 4);
    at += 2 + ((bytes[at + 2] << 8) | bytes[at + 3]);
  }
  return { lengths, frames };
}

/** The frame header's height and width (or its precision or component count) changed. */
function mutateFrame(r: Random, bytes: Uint8Array, frame: number): { bytes: Uint8Array; what: string } {
  const out = bytes.slice();
  if (r() < 0.7) {
    const [h, w] = [pick(r, [0, 1, 8, 30_000, 65_535]), pick(r, [0, 1, 9, 30_000, 65_535])];
    setField(out, { at: frame + 1, bytes: 2, bigEndian: true }, h);
    setField(out, { at: frame + 3, bytes: 2, bigEndian: true }, w);
    return { bytes: out, what: `frame ${w}×${h}` };
  }
  const at = pick(r, [frame, frame + 5]);
  out[at] = pick(r, [0, 1, 2, 4, 8, 12, 16, 255]);
  return { bytes: out, what: `frame byte ${at - frame} = ${out[at]}` };
}

const seeds: { png: Seed[]; jpeg: Seed[] } = { png: [], jpeg: [] };

beforeAll(async () => {
  const photo = sharp(readFileSync(SOURCE));
  const buf = async (s: Sharp) => new Uint8Array(await s.toBuffer());
  seeds.png = [
    { kind: 'RGB 8-bit', bytes: new Uint8Array(readFileSync(SOURCE)) },
    { kind: 'RGBA 8-bit interlaced', bytes: await buf(photo.clone().ensureAlpha(0.5).png({ progressive: true })) },
    { kind: 'grey 8-bit', bytes: await buf(photo.clone().toColourspace('b-w').png()) },
    { kind: 'palette', bytes: await buf(photo.clone().png({ palette: true, colours: 16 })) },
    { kind: 'RGB 16-bit', bytes: await buf(photo.clone().toColourspace('rgb16').png()) },
    { kind: 'grey+alpha 16-bit interlaced', bytes: await buf(photo.clone().grayscale().ensureAlpha(0.3).toColourspace('grey16').png({ progressive: true })) },
  ];
  seeds.jpeg = [
    { kind: 'baseline', bytes: await buf(photo.clone().jpeg({ quality: 80 })) },
    { kind: 'progressive', bytes: await buf(photo.clone().jpeg({ quality: 80, progressive: true })) },
    { kind: 'grey', bytes: await buf(photo.clone().toColourspace('b-w').jpeg()) },
    { kind: 'baseline 4:4:4, optimised tables', bytes: await buf(photo.clone().jpeg({ chromaSubsampling: '4:4:4', optimiseCoding: true })) },
  ];
  for (const seed of [...seeds.png, ...seeds.jpeg]) {
    try {
      decodes(seed);
    } catch (e) {
      // A kind the decoder refuses is still a fine seed, as long as it refuses it by name.
      if (!named(e)) throw e;
    }
  }
});

describe('fuzzing the image decoders: every case is a valid image or a named error', () => {
  it('PNG (RGB, RGBA interlaced, grey, palette, 16-bit)', async () => {
    const r = await fuzz<ImageCase>({
      seed: 6_000_000,
      make(rand) {
        const seed = pick(rand, seeds.png);
        const m = rand() < 0.2 ? mutateIhdr(rand, seed.bytes) : mutateBytes(rand, seed.bytes, pngFields(seed.bytes));
        return { bytes: m.bytes, what: `${seed.kind}: ${m.what}` };
      },
      run: decodes,
      named,
    });
    report('PNG', r);
  });

  it('the PNGs that kept upng-js busy for seconds to hours are refused by name at once', () => {
    const rgba = seeds.png.find((s) => s.kind === 'RGBA 8-bit interlaced')!.bytes;
    const withIhdr = (width: number, height: number) => {
      const out = rgba.slice();
      const view = new DataView(out.buffer);
      view.setUint32(16, width);
      view.setUint32(20, height);
      view.setUint32(29, crc32(out.subarray(12, 29)));
      return out;
    };
    const idat = pngChunks(rgba).find((c) => c.type === 'IDAT')!;
    const hugeChunk = rgba.slice();
    new DataView(hugeChunk.buffer).setUint32(idat.at, 0xffffffff);
    const started = performance.now();
    expect(() => decodeImage(withIhdr(23, 2 ** 31 - 1), 'tall.png')).toThrow(`tall.png: corrupt or unsupported PNG file (its header says 23×2147483647, more than its ${rgba.length} bytes can hold)`);
    expect(() => decodeImage(withIhdr(2 ** 31 - 1, 0), 'flat.png')).toThrow('flat.png: corrupt or unsupported PNG file (its header says 2147483647×0)');
    expect(() => decodeImage(hugeChunk, 'chunk.png')).toThrow(`chunk.png: corrupt or unsupported PNG file (chunk IDAT at byte ${idat.at} runs past the end of the file (truncated?))`);
    expect(performance.now() - started).toBeLessThan(500);
  });

  it('JPEG (baseline, progressive, grey, 4:4:4)', async () => {
    const r = await fuzz<ImageCase>({
      seed: 7_000_000,
      make(rand) {
        const seed = pick(rand, seeds.jpeg);
        const { lengths, frames } = jpegFields(seed.bytes);
        const m = rand() < 0.2 && frames.length ? mutateFrame(rand, seed.bytes, frames[0]) : mutateBytes(rand, seed.bytes, lengths);
        return { bytes: m.bytes, what: `${seed.kind}: ${m.what}` };
      },
      run: decodes,
      named,
    });
    report('JPEG', r);
  });
});
