// Device faults: an aborted run hands every buffer back to the pool, and a device lost mid-run (simulated with
// device.destroy()) ends the run with a named error instead of a hang; the engine then refuses further work by name.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RgbaImage } from '../src/image/io.ts';
import { loadFastStyle } from '../src/models/fastStyle.ts';
import { gatys } from '../src/models/gatys.ts';
import { Vgg19, vggWeights } from '../src/models/vgg19.ts';
import { Engine, GpuError } from '../src/runtime/engine.ts';
import { loadWeights } from '../src/weights/index.ts';
import { useEngine } from './helpers/gpu.ts';
import { rgbaFromRgb } from './helpers/rgba.ts';

const engine = useEngine();
const golden = JSON.parse(readFileSync(resolve(__dirname, 'golden/gatys.json'), 'utf8'));
const MIRROR = resolve(__dirname, '../../shared/mirror');
/** How long a run may take to fail once its device is gone: far above a tiny run, far below a hang. */
const FAIL_WITHIN_MS = 20_000;

const content = rgbaFromRgb(golden.content, golden.size);
const style = rgbaFromRgb(golden.styles[0], golden.size);
const layers = { contentLayers: ['relu4_2'], styleLayers: ['relu1_1', 'relu2_1', 'relu3_1', 'relu4_1', 'relu5_1'] };

async function tinyVgg(e: Engine): Promise<Vgg19> {
  return Vgg19.load(e, vggWeights(await loadWeights(resolve(__dirname, 'fixtures/gatys/vgg19_tiny.pth'))), 'relu5_1');
}

/** `run` settled within FAIL_WITHIN_MS, or a rejection saying it hung. */
function withinBound<T>(run: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still running ${FAIL_WITHIN_MS} ms after the device was lost`)), FAIL_WITHIN_MS);
  });
  return Promise.race([run, hang]).finally(() => clearTimeout(timer));
}

describe('an aborted Gatys run returns every buffer to the pool', () => {
  // A first run packs the frozen conv weights for their kernels (cached on the weights, freed with them): after
  // it, any run, finished or aborted, must leave the pool's live bytes where they were; releasing the network
  // then brings them back to where they were before it was loaded.
  for (const optimizer of ['lbfgs', 'adam'] as const) {
    for (const at of [0, 1, 4]) {
      it(`${optimizer}, aborted ${at === 0 ? 'before it starts' : `at evaluation ${at}`}`, async () => {
        const e = engine();
        const empty = e.pool.stats.liveBytes;
        const vgg = await tinyVgg(e);
        const options = { imageSize: golden.size, iterations: 10, optimizer, ...layers };
        try {
          await gatys(e, vgg, content, [style], { ...options, iterations: 1 });
          const live = e.pool.stats.liveBytes;
          const controller = new AbortController();
          if (at === 0) controller.abort();
          const onEvaluation = ({ evaluation }: { evaluation: number }) => {
            if (evaluation === at) controller.abort();
          };
          const result = await gatys(e, vgg, content, [style], { ...options, signal: controller.signal, onEvaluation });
          expect(result.aborted).toBe(true);
          expect(result.evaluations).toBe(at);
          expect(result.image.width).toBe(golden.size);
          expect(e.pool.stats.liveBytes).toBe(live);
        } finally {
          vgg.release();
        }
        expect(e.pool.stats.liveBytes).toBe(empty);
      });
    }
  }
});

describe('a device lost mid-run', () => {
  it('Gatys (graph program and L-BFGS) fails with a named error, and the engine refuses further work', async () => {
    const e = await Engine.create();
    try {
      const vgg = await tinyVgg(e);
      const run = gatys(e, vgg, content, [style], {
        imageSize: golden.size,
        iterations: 20,
        ...layers,
        onEvaluation: ({ evaluation }) => {
          if (evaluation === 3) e.device.destroy();
        },
      });
      const error = await withinBound(run).catch((err: unknown) => err);
      expect(error).toBeInstanceOf(GpuError);
      expect(String(error)).toMatch(/^GpuError: GPU device lost \(destroyed\)/);
      expect(() => e.tensor([4], [1, 2, 3, 4])).toThrow(/^GPU device lost \(destroyed\)/);
    } finally {
      await e.destroy().catch(() => {});
    }
  });

  for (const delay of [20, 150, 400]) {
    it(`Gatys with the device destroyed from outside after ${delay} ms (work and readbacks in flight): a named error`, async () => {
      const e = await Engine.create();
      try {
        const vgg = await tinyVgg(e);
        let evaluations = 0;
        const run = gatys(e, vgg, content, [style], { imageSize: golden.size, iterations: 10_000, ...layers, onEvaluation: () => void evaluations++ });
        await new Promise((done) => setTimeout(done, delay));
        e.device.destroy();
        const error = await withinBound(run).catch((err: unknown) => err);
        expect(error, `after ${evaluations} evaluations`).toBeInstanceOf(GpuError);
        expect(String(error)).toMatch(/^GpuError: GPU device lost \(destroyed\)/);
      } finally {
        await e.destroy().catch(() => {});
      }
    });
  }

  it('a fast style network fails with a named error', async () => {
    const e = await Engine.create();
    try {
      const net = await loadFastStyle(e, 'ml5-style-transfer/wave', { mirror: MIRROR });
      const image: RgbaImage = { width: 32, height: 24, data: new Uint8ClampedArray(32 * 24 * 4).fill(128) };
      const run = net.stylize(image, { onProgress: (done) => done === 5 && e.device.destroy() });
      const error = await withinBound(run).catch((err: unknown) => err);
      expect(error).toBeInstanceOf(GpuError);
      expect(String(error)).toMatch(/^GpuError: GPU device lost \(destroyed\)/);
    } finally {
      await e.destroy().catch(() => {});
    }
  });
});
