// Every method of the web demo (demo/) in headless Chromium, driven through its controls, each result compared
// with what Node (Dawn on lavapipe) makes of the same job: the same weights, the same input files, the same
// options. Weights are served to the page by the test's Vite server (the tiny generated AdaIN/Gated GAN/StyleGAN
// fixtures of test/fixtures, the real ml5 networks and VGG19 from ../shared/mirror at /mirror/). Screenshots of
// every result go to out/e2e/ (git-ignored).
//
// Tolerance: max |page − Node| ≤ 2 per RGB byte (0–255), for every method. Both sides compute in float32 but on
// different adapters (SwiftShader in the page, lavapipe in Node; on real GPUs different kernels and tilings too),
// so a sum may come out in a different order and a value that lands near a rounding boundary of the 8-bit
// output may round the other way (1 unit); the deep nets and L-BFGS's feedback may stretch that to 2. Measured
// here (2026-12-06) at 32 px: 0 for every method, 1 for the ml5 net matta. What the
// tolerance must still catch: a control the page drops or misreads — α 0.7 → 0.65 (AdaIN), one style weight
// +0.05 (Gated GAN), ψ 0.7 → 0.65 (StyleGAN) already move the output by 16, 11 and 41 units.
import { mkdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ElementHandle, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RgbaImage, decodeImage } from '../src/image/io.ts';
import { AdaIN } from '../src/models/adain.ts';
import { loadFastStyle } from '../src/models/fastStyle.ts';
import { GatedGanGenerator } from '../src/models/gatedGan.ts';
import { gatys } from '../src/models/gatys.ts';
import { StyledGenerator } from '../src/models/styleGan.ts';
import { latentsForSeeds, meanStyleLatents, noiseForSeed, splitNoise } from '../src/models/styleGanControls.ts';
import { Vgg19, vggWeights } from '../src/models/vgg19.ts';
import { ML5_STYLES, loadWeights } from '../src/weights/index.ts';
import { type BrowserSession, startBrowserSession } from './helpers/chromium.ts';
import { useEngine } from './helpers/gpu.ts';

const root = resolve(__dirname, '..');
const ARTIFACTS = resolve(root, 'out/e2e');
const image = (path: string) => decodeImage(readFileSync(resolve(root, path)), path);
const CONTENT = image('examples/content/chelsea.png');
const STYLE = image('examples/style/starry_night.png');
const STYLE2 = image('examples/style/brick.png');
const fixture = (path: string) => resolve(root, 'test/fixtures', path);
const TOLERANCE = 2;

const engine = useEngine();
let session: BrowserSession | undefined;
let page: Page;

beforeAll(async () => {
  process.env.STYLEGPU_WEIGHTS_MIRROR = resolve(root, '../shared/mirror');
  mkdirSync(ARTIFACTS, { recursive: true });
  session = await startBrowserSession();
  page = await session.browser.newPage();
  await page.goto(`${session.baseUrl}/demo/?mirror=/mirror/`);
  await page.waitForFunction(() => /^(ready|error)/.test(document.getElementById('status')!.textContent!), { timeout: 60_000 });
  expect(await page.$eval('#status', (el) => el.textContent)).toBe('ready');
});
afterAll(async () => {
  await session?.close();
});

/** Chooses a method (showing its controls), then `setup` sets them in the page. */
async function choose(method: string, setup?: (...args: never[]) => void, ...args: unknown[]): Promise<void> {
  await page.click(`input[name=method][value=${method}]`);
  if (setup) await page.evaluate(setup as (...a: unknown[]) => void, ...args);
}

/** Clicks Run and waits for the run's final status line. */
async function run(): Promise<string> {
  await page.$eval('#status', (el) => (el.textContent = 'running'));
  await page.click('#run');
  const finished = page.waitForFunction(() => /^(done|stopped|error|\w+: \d+ ms)/.test(document.getElementById('status')!.textContent!), { timeout: 60_000 });
  await finished.catch(async (e) => expect.fail(`${(e as Error).message}; the status says: ${await page.$eval('#status', (el) => el.textContent)}`));
  return page.$eval('#status', (el) => el.textContent!);
}

/** The result canvas's pixels. */
async function canvasImage(): Promise<RgbaImage> {
  const { width, height, data } = await page.evaluate(() => {
    const c = document.getElementById('output') as HTMLCanvasElement;
    return { width: c.width, height: c.height, data: Array.from(c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data) };
  });
  return { width, height, data: Uint8ClampedArray.from(data) };
}

/** Max and mean |a − b| over the RGB bytes of two images of one size. */
function difference(a: RgbaImage, b: RgbaImage): { max: number; mean: number } {
  expect([a.width, a.height]).toEqual([b.width, b.height]);
  let max = 0;
  let sum = 0;
  for (let i = 0; i < a.data.length; i++) {
    if (i % 4 === 3) continue;
    const d = Math.abs(a.data[i] - b.data[i]);
    max = Math.max(max, d);
    sum += d;
  }
  return { max, mean: sum / ((a.data.length / 4) * 3) };
}

/** The page's result against Node's, within `tolerance`; a screenshot of the page as the artefact. */
async function expectMatchesNode(name: string, node: RgbaImage): Promise<void> {
  const got = await canvasImage();
  const d = difference(got, node);
  console.log(`${name}: ${got.width}×${got.height}, page vs Node max |Δ| ${d.max}, mean ${d.mean.toFixed(3)} (0–255)`);
  await page.screenshot({ path: resolve(ARTIFACTS, `demo-${name}.png`) });
  expect(d.max, `${name}: max |page − Node|`).toBeLessThanOrEqual(TOLERANCE);
  // Not a blank or constant canvas that would match a blank Node result by accident.
  expect(new Set(Array.from(got.data.filter((_, i) => i % 4 === 0))).size).toBeGreaterThan(8);
}

describe('every demo method in Chromium matches Node', () => {
  it('the page reads the bundled example images as Node decodes them', async () => {
    const pixels = await page.evaluate(async () => {
      const img = document.getElementById('contentPreview') as HTMLImageElement;
      await img.decode();
      const c = Object.assign(document.createElement('canvas'), { width: img.naturalWidth, height: img.naturalHeight });
      const ctx = c.getContext('2d')!;
      ctx.drawImage(img, 0, 0);
      return { width: c.width, height: c.height, data: Array.from(ctx.getImageData(0, 0, c.width, c.height).data) };
    });
    expect(difference({ ...pixels, data: Uint8ClampedArray.from(pixels.data) }, CONTENT).max).toBe(0);
  });

  for (const name of ML5_STYLES) {
    it(`the ml5 network ${name}`, async () => {
      await choose('fast', (n: string) => {
        (document.getElementById('network') as HTMLSelectElement).value = n;
        (document.getElementById('size') as HTMLInputElement).value = '32';
      }, name);
      expect(await run()).toMatch(new RegExp(`^${name}: \\d+ ms$`));
      const net = await loadFastStyle(engine(), `ml5-style-transfer/${name}`);
      try {
        await expectMatchesNode(`fast-${name}`, await net.stylize(CONTENT, { longestSide: 32 }));
      } finally {
        net.release();
      }
    });
  }

  it('Gatys with content/style weights, a layer preset and original colours', async () => {
    await choose('gatys', () => {
      const set = (id: string, v: string) => ((document.getElementById(id) as HTMLInputElement).value = v);
      set('size', '32');
      set('iterations', '3');
      set('contentWeight', '20');
      set('styleWeight', '50');
      set('layers', 'textures');
      (document.getElementById('originalColors') as HTMLInputElement).checked = true;
    });
    const status = await run();
    expect(status).toMatch(/^done: \d+ iterations/);
    const vgg = await Vgg19.load(engine(), vggWeights(await loadWeights('vgg19-tfjs')), 'relu2_2');
    try {
      const r = await gatys(engine(), vgg, CONTENT, [STYLE], {
        imageSize: 32,
        iterations: 3,
        contentWeight: 20,
        styleWeight: 50,
        contentLayers: ['relu2_2'],
        styleLayers: ['relu1_1', 'relu2_1'],
        originalColors: true,
      });
      // The same number of iterations (L-BFGS may stop early on its tolerances), and the same image.
      expect(status).toMatch(new RegExp(`^done: ${r.iterations} iterations`));
      await expectMatchesNode('gatys', r.image);
    } finally {
      vgg.release();
    }
  });

  it('AdaIN with α, two interpolated styles and preserved colour, weights from URLs', async () => {
    await choose('adain', () => {
      const set = (id: string, v: string) => ((document.getElementById(id) as HTMLInputElement).value = v);
      set('size', '32');
      set('adainVggUrl', '/test/fixtures/adain/vgg_normalised.pth');
      set('adainDecoderUrl', '/test/fixtures/adain/decoder.pth');
      set('alpha', '0.7');
      set('style2Weight', '0.3');
      (document.getElementById('interpolate') as HTMLInputElement).checked = true;
      (document.getElementById('preserveColor') as HTMLInputElement).checked = true;
    });
    expect(await run()).toMatch(/^adain: \d+ ms$/);
    const model = await AdaIN.load(engine(), fixture('adain/vgg_normalised.pth'), fixture('adain/decoder.pth'));
    try {
      const want = await model.stylize(CONTENT, [STYLE, STYLE2], { longestSide: 32, styleLongestSide: 32, alpha: 0.7, weights: [0.7, 0.3], preserveColor: true });
      await expectMatchesNode('adain', want);
    } finally {
      model.release();
    }
  });

  it('Gated GAN from a picked checkpoint, one slider per style', async () => {
    await choose('gatedgan', () => ((document.getElementById('size') as HTMLInputElement).value = '32'));
    await page.$eval('#status', (el) => (el.textContent = 'loading'));
    const picker = (await page.$('#gatedganFile')) as ElementHandle<HTMLInputElement>;
    await picker.uploadFile(fixture('gatedgan/netG.safetensors'));
    await page.waitForFunction(() => /^(gatedgan: loaded|error)/.test(document.getElementById('status')!.textContent!), { timeout: 30_000 });
    const sliders = await page.$$eval('#styleSliders input.styleWeight', (s) => s.length);
    const model = await GatedGanGenerator.load(engine(), fixture('gatedgan/netG.safetensors'));
    try {
      expect(sliders).toBe(model.styles + 1);
      const weights = [...Array(sliders).keys()].map((i) => [0.25, 0.75, 0.5, 0.1][i % 4]);
      await page.$$eval('#styleSliders input.styleWeight', (s, w) => s.forEach((el, i) => ((el as HTMLInputElement).value = String(w[i]))), weights);
      expect(await run()).toMatch(/^gatedgan: \d+ ms$/);
      await expectMatchesNode('gatedgan', await model.stylize(CONTENT, weights, { longestSide: 32 }));
    } finally {
      model.release();
    }
  });

  it('StyleGAN from a dropped checkpoint: seed, ψ and coarse style mixing', async () => {
    await choose('stylegan');
    // A drop of the checkpoint on the StyleGAN box, as a user's drag from the desktop delivers it.
    await page.evaluate(async () => {
      const bytes = await (await fetch('/test/fixtures/stylegan/tiny.safetensors')).arrayBuffer();
      const dt = new DataTransfer();
      dt.items.add(new File([bytes], 'tiny.safetensors'));
      document.getElementById('styleganWeights')!.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    });
    await page.waitForFunction(() => /^(stylegan: loaded|error)/.test(document.getElementById('status')!.textContent!), { timeout: 30_000 });
    expect(await page.$$eval('#styleganSize option', (o) => o.map((x) => (x as HTMLOptionElement).value))).toEqual(['4', '8', '16', '32', '64', '128']);
    await page.evaluate(() => {
      const set = (id: string, v: string) => ((document.getElementById(id) as HTMLInputElement).value = v);
      set('styleganSize', '32');
      set('seed', '7');
      set('psi', '0.7');
      set('mixSeed', '3');
      set('mixRange', 'coarse');
      (document.getElementById('truncate') as HTMLInputElement).checked = true;
      (document.getElementById('mix') as HTMLInputElement).checked = true;
    });
    expect(await run()).toMatch(/^stylegan: \d+ ms$/);
    const g = await StyledGenerator.load(engine(), fixture('stylegan/tiny.safetensors'));
    try {
      const [want] = await g.images({
        size: 32,
        latents: latentsForSeeds([7], g.codeDim),
        mix: { latents: latentsForSeeds([3], g.codeDim), range: [0, 1] },
        truncation: { psi: 0.7, meanStyle: await g.meanStyle(meanStyleLatents(10240, g.codeDim)) },
        noise: splitNoise([noiseForSeed(7, 32)], 32),
      });
      await expectMatchesNode('stylegan', want);
    } finally {
      g.release();
    }
  });

  it('names the problem: a missing weight file, the wrong checkpoint, an impossible option', async () => {
    const set = (id: string, v: string) => page.$eval(`#${id}`, (el, value) => ((el as HTMLInputElement).value = value), v);
    await choose('adain');
    await set('adainVggUrl', '/test/fixtures/adain/vgg_normalised.pth');
    await set('adainDecoderUrl', '/test/fixtures/adain/no-such-decoder.pth');
    expect(await run()).toMatch(/^error: .*no-such-decoder\.pth.*404/);
    await set('adainDecoderUrl', '/test/fixtures/adain/decoder.pth');

    await choose('gatedgan');
    await page.$eval('#status', (el) => (el.textContent = 'loading'));
    const picker = (await page.$('#gatedganFile')) as ElementHandle<HTMLInputElement>;
    await picker.uploadFile(fixture('stylegan/tiny.safetensors'));
    await page.waitForFunction(() => /^(gatedgan: loaded|error)/.test(document.getElementById('status')!.textContent!), { timeout: 30_000 });
    expect(await page.$eval('#status', (el) => el.textContent)).toMatch(/^error: tiny\.safetensors: encoder\.model\.1\.weight: no such tensor in tiny\.safetensors/);

    await choose('stylegan');
    await set('styleganUrl', '/test/fixtures/stylegan/tiny.safetensors');
    await set('seed', '-1');
    expect(await run()).toBe('error: seed: expected an integer in [0, 4294967295], got -1');
    await set('seed', '7');
    await page.$eval('#mix', (el) => ((el as HTMLInputElement).checked = true));
    await page.$eval('#mixRange', (el) => ((el as HTMLSelectElement).value = 'custom'));
    await set('mixFrom', '2');
    await set('mixTo', '9');
    expect(await run()).toMatch(/^error: mix\.range: expected blocks a-b with 0 ≤ a ≤ b ≤ 5/);
  });
});
