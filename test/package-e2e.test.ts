// The path a real user takes: `npm pack`, the tarball installed into a temporary project, a minimal page of its
// own (test/package/) built with vite against it and run in headless Chromium (SwiftShader), served from
// localhost with the development weight mirror; its stylized canvas compared with Node (Dawn on lavapipe) on the
// same pixels, and the page API's typed errors checked.
// The tarball is unpacked where `npm install` puts it (node_modules/stylegpu); its dependencies are linked from
// this repository's node_modules, since tests never use the network.
import { execFileSync } from 'node:child_process';
import { copyFileSync, createReadStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve, sep } from 'node:path';
import puppeteer, { type Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFastStyle } from '../src/models/fastStyle.ts';
import { gatys } from '../src/models/gatys.ts';
import { Vgg19, vggWeights } from '../src/models/vgg19.ts';
import { loadWeights } from '../src/weights/index.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './helpers/chromium.ts';
import { useEngine } from './helpers/gpu.ts';
import { REPO, buildPackage, bundlePage } from './helpers/package.ts';

const MIRROR = resolve(REPO, '../shared/mirror');
const CONTENT = join(REPO, 'examples/content/chelsea.png');
/** The page's longest side (test/package/page.js). */
const SIDE = 48;
/** The page's Gatys job (test/package/page.js). */
const GATYS_JOB = { imageSize: 32, iterations: 3, contentLayers: ['relu3_2'], styleLayers: ['relu1_1', 'relu2_1', 'relu3_1'] };
/** Gatys' losses, Chromium against Node: L-BFGS steps amplify the adapters' rounding differences (measured 6e-8). */
const GATYS_LOSS_RTOL = 1e-3;
/**
 * Output bytes, Chromium against Node: the same f32 program on two software adapters whose sums may associate
 * differently and whose multiply-adds may or may not fuse, so a byte may land one level away after rounding
 * (measured 2026-12-06: none did, max |Δ| 0).
 */
const MAX_BYTE_DIFF = 1;
const MEAN_BYTE_DIFF = 0.01;

const engine = useEngine();
let project: string;
let server: Server;
let browser: Browser;
let baseUrl: string;
let mirrorRequests = 0;

function send(res: import('node:http').ServerResponse, file: string, corrupt = false): void {
  res.setHeader('Content-Type', file.endsWith('.html') ? 'text/html' : file.endsWith('.js') ? 'text/javascript' : file.endsWith('.png') ? 'image/png' : 'application/octet-stream');
  if (!corrupt) {
    res.setHeader('Content-Length', String(statSync(file).size));
    createReadStream(file).pipe(res);
    return;
  }
  const bytes = readFileSync(file);
  bytes[bytes.length >> 1] ^= 0x40;
  res.end(bytes);
}

/** dist/ of the page, /content.png, the mirror at /mirror/, and at /corrupt/ the mirror with one byte flipped in
 *  every weight file (manifests intact). */
function serve(dist: string): Promise<string> {
  server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0]);
    if (path === '/mark-requests') {
      mirrorRequests = 0;
      return res.end('ok');
    }
    if (path === '/content.png') return send(res, CONTENT);
    const [, top, ...rest] = path.split('/');
    const root = top === 'mirror' || top === 'corrupt' ? MIRROR : dist;
    const file = resolve(root, (top === 'mirror' || top === 'corrupt' ? rest.join('/') : path.slice(1)) || 'index.html');
    if (!file.startsWith(root + sep) || !existsSync(file) || !statSync(file).isFile()) {
      res.statusCode = 404;
      return res.end('not found');
    }
    if (top === 'mirror') mirrorRequests++;
    send(res, file, top === 'corrupt' && !file.endsWith('.json'));
  });
  return new Promise((ok) => server.listen(0, 'localhost', () => ok(`http://localhost:${(server.address() as { port: number }).port}`)));
}

beforeAll(async () => {
  await buildPackage();
  project = mkdtempSync(join(tmpdir(), 'stylegpu-e2e-'));
  execFileSync('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', project], { cwd: REPO, stdio: ['ignore', 'ignore', 'inherit'] });
  const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8'));
  const installed = join(project, 'node_modules/stylegpu');
  mkdirSync(installed, { recursive: true });
  execFileSync('tar', ['-xzf', join(project, `stylegpu-${pkg.version}.tgz`), '-C', installed, '--strip-components=1']);
  for (const dep of Object.keys(pkg.dependencies)) symlinkSync(join(REPO, 'node_modules', dep), join(project, 'node_modules', dep), 'dir');
  await bundlePage(readFileSync(join(REPO, 'test/package/page.js'), 'utf8'), project, readFileSync(join(REPO, 'test/package/index.html'), 'utf8'));
  baseUrl = await serve(join(project, 'dist'));
  browser = await puppeteer.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  server?.close();
  if (project) rmSync(project, { recursive: true, force: true });
});

interface Pixels {
  width: number;
  height: number;
  data: number[];
}
interface PageResult {
  error?: string;
  adapter: string;
  layers: number;
  downloadEvents: number;
  input: Pixels;
  output: Pixels;
  cachedKeys: number;
  errors: Record<string, { name: string; message: string; reason?: string; instance?: boolean }>;
  limit?: { largestSide: number; limitBytes: number; fits: boolean; nextFits: boolean };
  ownDeviceAlive: boolean;
  gatys: { iterations: number; initialLoss: number; finalLoss: number; width: number; height: number };
}

describe('the packed package in a page of its own', () => {
  let r: PageResult;

  it('installs, builds with vite and stylizes in Chromium as Node does', async () => {
    const page = await browser.newPage();
    const lines: string[] = [];
    page.on('console', (m) => lines.push(m.text()));
    page.on('pageerror', (e) => lines.push(String(e)));
    await page.goto(`${baseUrl}/`);
    await page.waitForFunction(() => (window as { __result?: unknown }).__result !== undefined, { timeout: 60_000 });
    r = await page.evaluate(() => (window as unknown as { __result: PageResult }).__result);
    mkdirSync(join(REPO, 'out/e2e'), { recursive: true });
    await page.screenshot({ path: join(REPO, 'out/e2e/package-page.png') });
    expect(r.error, `${r.error}\n${lines.join('\n')}`).toBeUndefined();
    expect(r.adapter).toMatch(/\[browser\]$/);
    expect(r.layers).toBe(16);
    expect(r.downloadEvents).toBeGreaterThan(0);

    // Node on the very pixels the page decoded, the same job.
    const net = await loadFastStyle(engine(), 'wave', { mirror: MIRROR });
    const want = await net.stylize({ width: r.input.width, height: r.input.height, data: Uint8Array.from(r.input.data) }, { longestSide: SIDE });
    net.release();
    expect([r.output.width, r.output.height]).toEqual([want.width, want.height]);
    let worst = 0;
    let sum = 0;
    for (let i = 0; i < want.data.length; i++) {
      const d = Math.abs(want.data[i] - r.output.data[i]);
      worst = Math.max(worst, d);
      sum += d;
    }
    console.log(`Chromium vs Node, wave ${want.width}×${want.height}: max |Δ| ${worst}, mean ${(sum / want.data.length).toFixed(4)} (bytes)`);
    expect(worst).toBeLessThanOrEqual(MAX_BYTE_DIFF);
    expect(sum / want.data.length).toBeLessThanOrEqual(MEAN_BYTE_DIFF);
  });

  it('runs Gatys from stylegpu/gatys as Node does', async () => {
    const input = { width: r.input.width, height: r.input.height, data: Uint8Array.from(r.input.data) };
    const vgg = await Vgg19.load(engine(), vggWeights(await loadWeights('vgg19-tfjs', { mirror: MIRROR })), 'relu3_2');
    const want = await gatys(engine(), vgg, input, [input], GATYS_JOB);
    vgg.release();
    console.log(`Gatys at 32 px: ${r.gatys.iterations} iterations, loss ${r.gatys.initialLoss} → ${r.gatys.finalLoss} (Chromium); ${want.iterations}, ${want.initialLoss} → ${want.finalLoss} (Node)`);
    expect(r.gatys).toMatchObject({ iterations: want.iterations, width: want.image.width, height: want.image.height });
    expect(Math.abs(r.gatys.initialLoss - want.initialLoss) / want.initialLoss).toBeLessThan(GATYS_LOSS_RTOL);
    expect(Math.abs(r.gatys.finalLoss - want.finalLoss) / want.finalLoss).toBeLessThan(GATYS_LOSS_RTOL);
  });

  it('types a TypeScript page with the installed .d.ts (strict, no skipLibCheck)', () => {
    mkdirSync(join(project, 'node_modules/@webgpu'), { recursive: true });
    symlinkSync(join(REPO, 'node_modules/@webgpu/types'), join(project, 'node_modules/@webgpu/types'), 'dir');
    copyFileSync(join(REPO, 'test/package/page-types.ts'), join(project, 'page.ts'));
    const compilerOptions = { target: 'ES2022', module: 'ESNext', moduleResolution: 'Bundler', lib: ['ES2022', 'DOM'], types: ['@webgpu/types'], strict: true, noEmit: true };
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['page.ts'] }));
    execFileSync(process.execPath, [join(REPO, 'node_modules/typescript/bin/tsc'), '-p', project], { stdio: 'inherit' });
  });

  it('keeps weights in the Cache API: a second load downloads nothing', () => {
    expect(r.cachedKeys).toBeGreaterThan(1);
    expect(mirrorRequests).toBe(0);
  });

  it('names each problem with its own error', () => {
    const e = r.errors;
    expect(e.aborted).toMatchObject({ name: 'AbortError', instance: true });
    expect(e.undecodable).toMatchObject({ name: 'ImageDecodeError', instance: true });
    expect(e.notFound).toMatchObject({ name: 'WeightsError', reason: 'not-found', instance: true });
    expect(e.notFound.message).toMatch(/HTTP 404/);
    expect(e.corrupt).toMatchObject({ name: 'WeightsError', reason: 'corrupt', instance: true });
    expect(e.corrupt.message).toMatch(/SHA-256 mismatch/);
    expect(e.tooLarge).toMatchObject({ name: 'AdapterLimitError', instance: true });
    expect(e.tooLarge.message).toMatch(/largest longest side that fits is \d+ px/);
    expect(r.limit).toMatchObject({ fits: true, nextFits: false });
    expect(r.ownDeviceAlive).toBe(true);
    expect(e.noWebGpu).toMatchObject({ name: 'NoWebGpuError', instance: true });
  });
});
