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
import { type BundleSize, buildPackage, bundlePage } from './helpers/package.ts';

const KB = 1024;
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

const WORKER_PAGE = `
import { StyleGpuWorker } from 'stylegpu/worker';
const sg = await StyleGpuWorker.create();
const net = await sg.network('wave');
await net.stylize(document.querySelector('img'), { canvas: document.querySelector('canvas') });`;

/** Markers only their code carries: a L-BFGS kernel's entry point, the Keras VGG19 weight names. */
const LBFGS_MARK = 'acceptPair';
const VGG_MARK = 'block1_conv1';
/** Strings only the AdaIN, Gated GAN and StyleGAN models carry (two messages, StyleGAN's equalised-lr keys). */
const OTHER_MODEL_MARKS = ['AdaIN: give at least one style', 'not a Gated GAN generator', 'weight_orig'];

let network: BundleSize;
let gatys: BundleSize;
let worker: BundleSize;

beforeAll(async () => {
  await buildPackage();
  network = await bundlePage(NETWORK_PAGE);
  gatys = await bundlePage(GATYS_PAGE);
  worker = await bundlePage(WORKER_PAGE);
  for (const [name, b] of [['network page', network], ['Gatys page', gatys]] as const) {
    console.log(`${name}: ${(b.rawBytes / KB).toFixed(1)} KB, ${(b.gzipBytes / KB).toFixed(1)} KB gzip`);
  }
}, 180_000);

describe('page bundles from the built package', () => {
  it('a page with one pretrained network ships no L-BFGS and no VGG19', () => {
    expect(network.code).not.toContain(LBFGS_MARK);
    expect(network.code).not.toContain(VGG_MARK);
    // Nor the AdaIN, Gated GAN and StyleGAN entries ('stylegpu/adain', '/gatedgan', '/stylegan').
    for (const mark of OTHER_MODEL_MARKS) expect(network.code).not.toContain(mark);
    // …and they are there when a page does use Gatys (so the markers mean something).
    expect(gatys.code).toContain(LBFGS_MARK);
    expect(gatys.code).toContain(VGG_MARK);
  });

  it('a Worker-mode page gets the Worker bundled by its own bundler; the other pages ship no Worker code', () => {
    // The page's vite found new Worker(new URL(…)) in stylegpu/worker and emitted the Worker with the engine.
    expect(/new Worker\(new URL\([`"'][^`"']*workerScript-[^`"']*\.js[`"']/.test(worker.code)).toBe(true);
    expect(worker.code).toContain(VGG_MARK);
    expect(worker.code.includes('onmessage')).toBe(true);
    for (const b of [network, gatys]) expect(/stylegpu Worker|new Worker\(/.test(b.code)).toBe(false);
  });

  it('pages import no Node built-in, no Dawn and no JS image decoder', () => {
    for (const b of [network, gatys, worker]) {
      expect(b.code).not.toMatch(/(from|import)\s*\(?\s*["'`](node:|webgpu["'`]|sharp["'`])/);
      // upng-js inflates PNGs with pako; jpeg-js has its Huffman decoder: the browser decodes instead.
      expect(b.code).not.toMatch(/invalid distance too far back|huffman/i);
    }
  });

  it('stays under today\'s ceilings (the issue\'s budgets, 40 KB and 70 KB, not yet met)', () => {
    expect(network.gzipBytes).toBeLessThanOrEqual(NETWORK_PAGE_CEILING);
    expect(gatys.gzipBytes).toBeLessThanOrEqual(GATYS_PAGE_CEILING);
    expect(network.gzipBytes).toBeLessThan(gatys.gzipBytes);
  });
});
