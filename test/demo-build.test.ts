// The demo as `npm run build:demo` makes it (vite build demo --base ./): the static site, served as plain files
// from a subfolder of an HTTP origin (as from any static host), runs in Chromium. Weights come from the same
// origin: the ml5 network from the mirror (?mirror=), AdaIN's from URLs given in the query string.
import { createReadStream, existsSync, mkdirSync, statSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import { extname, resolve, sep } from 'node:path';
import puppeteer, { type Browser } from 'puppeteer-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './helpers/chromium.ts';

const root = resolve(__dirname, '..');
const SITE = resolve(root, 'out/demo-site');
const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.png': 'image/png', '.json': 'application/json' };

/** Plain files: /site/… from the built demo, /fixtures/… from test/fixtures, /mirror/… from ../shared/mirror. */
function staticServer(): Server {
  const mounts: [string, string][] = [
    ['/site/', SITE],
    ['/fixtures/', resolve(root, 'test/fixtures')],
    ['/mirror/', resolve(root, '../shared/mirror')],
  ];
  return createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0]);
    for (const [prefix, dir] of mounts) {
      if (!path.startsWith(prefix)) continue;
      const file = resolve(dir, path.slice(prefix.length) || 'index.html');
      if (!file.startsWith(dir + sep) || !existsSync(file) || !statSync(file).isFile()) break;
      res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Content-Length': statSync(file).size });
      createReadStream(file).pipe(res);
      return;
    }
    res.writeHead(404).end();
  });
}

let server: Server;
let browser: Browser;
let origin: string;

beforeAll(async () => {
  mkdirSync(SITE, { recursive: true });
  // What `npm run build:demo` runs, into a git-ignored folder.
  await build({ root: resolve(root, 'demo'), base: './', configFile: false, logLevel: 'error', build: { outDir: SITE, emptyOutDir: true, target: 'es2022' } });
  server = staticServer();
  await new Promise<void>((done) => server.listen(0, 'localhost', done));
  const address = server.address();
  origin = `http://localhost:${typeof address === 'object' && address ? address.port : 0}`;
  browser = await puppeteer.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
});
afterAll(async () => {
  await browser?.close();
  await new Promise((done) => server?.close(done));
});

describe('the built demo site', () => {
  it('runs a pretrained network and AdaIN from plain static files', async () => {
    const page = await browser.newPage();
    const query = new URLSearchParams({ mirror: '/mirror/', adainVgg: '/fixtures/adain/vgg_normalised.pth', adainDecoder: '/fixtures/adain/decoder.pth' });
    await page.goto(`${origin}/site/?${query}`);
    await page.waitForFunction(() => /^(ready|error)/.test(document.getElementById('status')!.textContent!), { timeout: 60_000 });
    expect(await page.$eval('#status', (el) => el.textContent)).toBe('ready');
    const runMethod = async (method: string, setup: () => void) => {
      await page.click(`input[name=method][value=${method}]`);
      await page.evaluate(setup);
      await page.$eval('#status', (el) => (el.textContent = 'running'));
      await page.click('#run');
      await page.waitForFunction(() => /^(done|stopped|error|\w+: \d+ ms)/.test(document.getElementById('status')!.textContent!), { timeout: 60_000 });
      return page.$eval('#status', (el) => el.textContent!);
    };
    expect(await runMethod('fast', () => ((document.getElementById('size') as HTMLInputElement).value = '32'))).toMatch(/^\w+: \d+ ms$/);
    expect(await runMethod('adain', () => ((document.getElementById('size') as HTMLInputElement).value = '32'))).toMatch(/^adain: \d+ ms$/);
    // chelsea (451×300) at 32 px: 32×21, decoded at 8⌈21/8⌉ = 24 rows.
    expect(await page.$eval('#output', (c) => [(c as HTMLCanvasElement).width, (c as HTMLCanvasElement).height])).toEqual([32, 24]);
    await page.screenshot({ path: resolve(root, 'out/e2e/demo-built-site.png') });
    await page.close();
  });
});
