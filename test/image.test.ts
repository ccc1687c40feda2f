// Image I/O and bad input: PNG round trip, JPEG decoding, and clear errors for files that are not images,
// truncated files, and images too big for the device.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { encode as encodeJpeg } from 'jpeg-js';
import { describe, expect, it } from 'vitest';
import { decodeImage, encodePng, imageToPlanes, planesToImage } from '../src/image/io.ts';
import { GatysProblem } from '../src/models/gatys.ts';
import { Vgg19, vggWeights } from '../src/models/vgg19.ts';
import { loadWeights } from '../src/weights/index.ts';
import { useEngine } from './helpers/gpu.ts';

const engine = useEngine();

function gradient(width: number, height: number) {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) data.set([(x * 255) / (width - 1), (y * 255) / (height - 1), 128, 255], 4 * (y * width + x));
  return { width, height, data };
}

describe('image files', () => {
  it('PNG encodes and decodes losslessly, planes convert both ways', () => {
    // 91 colours: upng-js would pick a palette here, and write a broken stream (see encodePng).
    const img = gradient(13, 7);
    const back = decodeImage(encodePng(img), 'round-trip.png');
    expect([back.width, back.height]).toEqual([13, 7]);
    expect(Array.from(back.data)).toEqual(Array.from(img.data));
    expect(Array.from(planesToImage(imageToPlanes(img), 13, 7).data)).toEqual(Array.from(img.data));
  });

  it('decodes JPEG', () => {
    const img = gradient(16, 8);
    const jpg = encodeJpeg({ width: 16, height: 8, data: new Uint8Array(img.data) }, 100).data;
    const back = decodeImage(new Uint8Array(jpg), 'gradient.jpg');
    expect([back.width, back.height]).toEqual([16, 8]);
    let worst = 0;
    for (let i = 0; i < img.data.length; i++) worst = Math.max(worst, Math.abs(back.data[i] - img.data[i]));
    expect(worst).toBeLessThanOrEqual(8); // quality 100 still rounds through the DCT and chroma
  });

  it('names the file and the problem for bad input', () => {
    expect(() => decodeImage(new Uint8Array([1, 2, 3, 4]), 'notes.txt')).toThrow('notes.txt: not a PNG or JPEG file (first bytes 01 02 03 04)');
    expect(() => decodeImage(new Uint8Array(), 'empty.png')).toThrow('empty.png: not a PNG or JPEG file (first bytes (empty file))');
    const png = encodePng(gradient(32, 32));
    expect(() => decodeImage(png.subarray(0, 60), 'cut.png')).toThrow(/^cut\.png: corrupt or unsupported PNG file/);
    const jpg = new Uint8Array(encodeJpeg({ width: 16, height: 16, data: new Uint8Array(16 * 16 * 4) }, 90).data);
    expect(() => decodeImage(jpg.subarray(0, 40), 'cut.jpg')).toThrow(/^cut\.jpg: corrupt or unsupported JPEG file/);
    expect(() => planesToImage(new Float32Array(3).fill(NaN), 1, 1)).toThrow(/NaN at pixel 0,0/);
  });

  it('the CLI reports a corrupt image and exits 1', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'stylegpu-image-'));
    await writeFile(join(dir, 'bad.png'), (await readFile(resolve(__dirname, '../examples/content/chelsea.png'))).subarray(0, 100));
    const run = promisify(execFile);
    const r = await run('node', ['bin/stylegpu.js', 'smoke', '--content', join(dir, 'bad.png'), '--output', join(dir, 'out.png')]).catch((e) => e);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bad\.png: corrupt or unsupported PNG file/);
  });
});

describe('images too big for the device', () => {
  it('Gatys refuses up front with the size needed and the limit', async () => {
    const e = engine();
    const vgg = await Vgg19.load(e, vggWeights(await loadWeights(resolve(__dirname, 'fixtures/gatys/vgg19_tiny.pth'))), 'relu1_1');
    const small = gradient(8, 8);
    const live = e.pool.stats.liveBytes;
    expect(() => GatysProblem.create(e, vgg, small, [small], { imageSize: 8192, contentLayers: ['relu1_1'], styleLayers: ['relu1_1'] })).toThrow(
      /image 8192×8192 is too big for this device: conv1_1's activation \(4×8192×8192 f32\) needs 1\.0 GiB, the device allows .* use an image size of at most about \d+ px/,
    );
    expect(e.pool.stats.liveBytes).toBe(live); // nothing was allocated
    vgg.release();
  });
});
