// The built package as a page bundles it: what a page that uses one pretrained network, and one that uses Gatys,
// ships (vite production build, gzip -9, every emitted .js; weights are fetched at run time and not counted).
//
// The budgets are 40 KB (network page) and 70 KB (Gatys page). They do not hold yet, and the ceilings
// below are today's sizes plus a small margin, so that the pages cannot grow unnoticed. Measured by this test
// (2026-12-06): 67.8 KB and 76.8 KB. What stands between them and the budgets, outside the package build:
//   - weights/digests.ts, every known file's SHA-256 (≈ 19 KB gzip), all of it reached through registry.ts;
//   - models/fastStyle.ts loads by name through weights/index.ts, which reaches the .pth and safetensors readers;
//   - the graph's op registry imports every kernel, so unused kernels' WGSL ships too.
import { beforeAll, describe, expect, it } from 'vitest';
import { type BundleSize, type PageChunk, buildPackage, bundlePage, loadedChunks } from './helpers/package.ts';

const KB = 1024;
const WAVE = 'ml5-style-transfer/wave';
const VGG = 'vgg19-tfjs';
const NETWORK_PAGE_CEILING = 72 * KB;
const GATYS_PAGE_CEILING = 81 * KB;

const NETWORK_PAGE = `
import { StyleGpu } from 'stylegpu';
const sg = await StyleGpu.create();
const net = await sg.network('wave');
await net.stylize(document.querySelector('img'), { canvas: document.querySelector('canvas') });`;

const GATYS_PAGE = `
import { StyleGpu } from 'stylegpu';
import { loadGatys } from 'stylegpu/gatys';
const sg = await StyleGpu.create();
const gatys = await loadGatys(sg);
await gatys.run(document.images[0], document.images[1], { canvas: document.querySelector('canvas') });`;

/** Markers only their code carries: a L-BFGS kernel's entry point, the Keras VGG19 weight names. */
const LBFGS_MARK = 'acceptPair';
const VGG_MARK = 'block1_conv1';

let network: BundleSize;
let gatys: BundleSize;

/** A chunk that holds nothing but a model's digest list (registry.ts imports one per model when it opens it). */
const DIGEST_LINE = /[0-9a-f]{64} {2}[\w./-]+\n/g;
const isDigestList = (c: PageChunk) => (c.code.match(DIGEST_LINE)?.length ?? 0) > 0 && c.code.replace(DIGEST_LINE, '').length < 200;
const holdsDigestsOf = (folder: string) => (c: PageChunk) => isDigestList(c) && c.code.includes(`  ${folder}/`);

/** What the browser loads: the pages' static chunks, and the digests of the one model each opens. */
const loadedBytes = (page: BundleSize, folder: string) => {
  const chunks = loadedChunks(page, holdsDigestsOf(folder));
  return { gzipBytes: chunks.reduce((n, c) => n + c.gzipBytes, 0), chunks };
};

beforeAll(async () => {
  await buildPackage();
  network = await bundlePage(NETWORK_PAGE);
  gatys = await bundlePage(GATYS_PAGE);
  for (const [name, b, folder] of [['network page', network, WAVE], ['Gatys page', gatys, VGG]] as const) {
    const loaded = loadedBytes(b, folder);
    console.log(`${name}: loads ${(loaded.gzipBytes / KB).toFixed(1)} KB gzip in ${loaded.chunks.length} file(s); emits ${b.chunks.length} files, ${(b.rawBytes / KB).toFixed(1)} KB, ${(b.gzipBytes / KB).toFixed(1)} KB gzip`);
  }
}, 180_000);

describe('page bundles from the built package', () => {
  it('a page with one pretrained network ships no L-BFGS and no VGG19', () => {
    expect(network.code).not.toContain(LBFGS_MARK);
    expect(network.code).not.toContain(VGG_MARK);
    // …and they are there when a page does use Gatys (so the markers mean something).
    expect(gatys.code).toContain(LBFGS_MARK);
    expect(gatys.code).toContain(VGG_MARK);
  });

  it('pages import no Node built-in, no Dawn and no JS image decoder', () => {
    for (const b of [network, gatys]) {
      expect(b.code).not.toMatch(/(from|import)\s*\(?\s*["'`](node:|webgpu["'`]|sharp["'`])/);
      // upng-js inflates PNGs with pako; jpeg-js has its Huffman decoder: the browser decodes instead.
      expect(b.code).not.toMatch(/invalid distance too far back|huffman/i);
    }
  });

  it('a page loads the digests of the model it opens only: every file it does not load at start is a digest list', () => {
    for (const [page, folder] of [[network, WAVE], [gatys, VGG]] as const) {
      const atStart = new Set(loadedChunks(page));
      const lazy = page.chunks.filter((c) => !atStart.has(c));
      for (const c of lazy) expect(isDigestList(c), `${c.fileName} is not a digest list`).toBe(true);
      expect(lazy.filter(holdsDigestsOf(folder))).toHaveLength(1);
      for (const c of atStart) expect(c.code, `${c.fileName} carries digests`).not.toMatch(DIGEST_LINE);
    }
    // Every known model's digests are there to be loaded: nine styles and VGG19.
    expect(network.chunks.filter(isDigestList)).toHaveLength(10);
  });

  it('stays under today\'s ceilings (the issue\'s budgets, 40 KB and 70 KB, not yet met)', () => {
    const [net, vgg] = [loadedBytes(network, WAVE).gzipBytes, loadedBytes(gatys, VGG).gzipBytes];
    expect(net).toBeLessThanOrEqual(NETWORK_PAGE_CEILING);
    expect(vgg).toBeLessThanOrEqual(GATYS_PAGE_CEILING);
    expect(net).toBeLessThan(vgg);
  });
});
