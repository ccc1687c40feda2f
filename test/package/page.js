// The minimal page of the packed-package test (test/package-e2e.test.ts): what a page author writes, from the
// installed tarball, plus the checks of the typed errors. It leaves its findings in window.__result.
import { AdapterLimitError, ImageDecodeError, NoWebGpuError, StyleGpu, WeightsError, readPixels } from 'stylegpu';
import { loadGatys } from 'stylegpu/gatys';

const SIDE = 48;
/** The Gatys job, the same in test/package-e2e.test.ts. */
const GATYS_JOB = { imageSize: 32, iterations: 3, contentLayers: ['relu3_2'], styleLayers: ['relu1_1', 'relu2_1', 'relu3_1'] };
const result = { errors: {} };
const named = (e, cls) => ({ name: e?.name, message: String(e?.message ?? e), reason: e?.reason, instance: cls ? e instanceof cls : undefined });

/** Runs `run`, which must fail, and records its error (and whether it is an instance of `cls`). */
async function expectError(key, run, cls) {
  try {
    await run();
    result.errors[key] = { name: 'none' };
  } catch (e) {
    result.errors[key] = named(e, cls);
    return e;
  }
}

try {
  const img = document.querySelector('img');
  const canvas = document.querySelector('canvas');

  // The three lines.
  const sg = await StyleGpu.create();
  const net = await sg.network('wave', { baseUrl: '/mirror/', onProgress: () => (result.downloadEvents = (result.downloadEvents ?? 0) + 1) });
  let layers = 0;
  await net.stylize(img, { longestSide: SIDE, canvas, onProgress: () => layers++ });

  result.adapter = sg.describe();
  result.layers = layers;
  const input = await readPixels(img);
  result.input = { width: input.width, height: input.height, data: Array.from(input.data) };
  const drawn = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
  result.output = { width: drawn.width, height: drawn.height, data: Array.from(drawn.data) };

  // Gatys from 'stylegpu/gatys': the mirror's VGG19 holds relu3_x only.
  const gatys = await loadGatys(sg, { baseUrl: '/mirror/', deepestLayer: 'relu3_2' });
  const g = await gatys.run(img, img, { ...GATYS_JOB, canvas: document.querySelector('#gatys') });
  result.gatys = { iterations: g.iterations, initialLoss: g.initialLoss, finalLoss: g.finalLoss, width: g.image.width, height: g.image.height };
  gatys.release();

  // A second load comes from the Cache API (the test counts the server's requests in between).
  result.cachedKeys = (await (await caches.open('stylegpu-weights')).keys()).length;
  await fetch('/mark-requests');
  await sg.network('wave', { baseUrl: '/mirror/' });

  await expectError('aborted', () => net.stylize(img, { longestSide: SIDE, signal: AbortSignal.abort() }), DOMException);
  await expectError('undecodable', () => net.stylize(new Blob([new Uint8Array([1, 2, 3, 4])], { type: 'image/png' })), ImageDecodeError);
  await expectError('notFound', () => sg.network('/mirror/ml5-style-transfer/no-such-style/manifest.json'), WeightsError);
  await expectError('corrupt', () => sg.network('wave', { baseUrl: '/corrupt/', cache: false }), WeightsError);

  // The page's own device, with WebGPU's default limits: too small for a 4000-pixel image.
  const adapter = await navigator.gpu.requestAdapter();
  const own = await StyleGpu.create({ gpu: { adapter, device: await adapter.requestDevice() } });
  const small = await own.network('wave', { baseUrl: '/mirror/' });
  const limit = await expectError('tooLarge', () => small.stylize(img, { longestSide: 4000 }), AdapterLimitError);
  if (limit instanceof AdapterLimitError) {
    // The largest side claimed must fit and one more pixel must not.
    const fit = (side) => small.neededBytes(Math.max(1, Math.round((input.height * side) / input.width)), side);
    result.limit = { largestSide: limit.largestSide, limitBytes: limit.limitBytes, fits: fit(limit.largestSide) <= limit.limitBytes, nextFits: fit(limit.largestSide + 1) <= limit.limitBytes };
  }
  await own.destroy();
  result.ownDeviceAlive = await own.engine.device.queue.onSubmittedWorkDone().then(() => true);

  Object.defineProperty(navigator, 'gpu', { value: undefined, configurable: true });
  await expectError('noWebGpu', () => StyleGpu.create(), NoWebGpuError);
} catch (e) {
  result.error = String(e?.stack ?? e);
}
window.__result = result;
