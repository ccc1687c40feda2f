// The library entry points refuse bad options up front, with the same rules as the CLI (src/options.ts): each case
// throws an OptionError naming the option, the value and what is allowed, before the model touches the engine
// (no engine or weights are passed at all: reaching the GPU would fail differently).
import { describe, expect, it } from 'vitest';
import type { RgbaImage } from '../src/image/io.ts';
import { AdaIN } from '../src/models/adain.ts';
import { FastStyleNet } from '../src/models/fastStyle.ts';
import { GatedGanGenerator } from '../src/models/gatedGan.ts';
import { type GatysOptions, gatys } from '../src/models/gatys.ts';
import { OptionError, gatysMinimumSize } from '../src/options.ts';

const image = (width: number, height: number): RgbaImage => ({ width, height, data: new Uint8ClampedArray(width * height * 4) });
const photo = image(40, 30);
const noEngine = undefined as never;

async function refusal(run: () => Promise<unknown>): Promise<OptionError> {
  const err = await run().then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(OptionError);
  return err as OptionError;
}

describe('gatys() options', () => {
  const small = { imageSize: 32, iterations: 1 };
  it.each<[Partial<GatysOptions> | Record<string, unknown>, string]>([
    [{ styleScale: -1 }, 'styleScale: expected a number > 0, got -1'],
    [{ styleWeight: -100 }, 'styleWeight: expected a number ≥ 0, got -100'],
    [{ tvWeight: -1e6 }, 'tvWeight: expected a number ≥ 0, got -1000000'],
    [{ learningRate: 0 }, 'learningRate: expected a number > 0, got 0'],
    [{ optimizer: 'sgd' }, "optimizer: expected one of lbfgs, adam, got 'sgd'"],
    [{ pooling: 'min' }, "pooling: expected one of max, avg, got 'min'"],
    [{ init: 'bogus' }, "init: expected one of random, content, got 'bogus'"],
    [{ init: new Float32Array(5) }, 'init: expected 3·24·32 = 2304 values (the image in input space), got 5 values'],
    [{ iterations: 0 }, 'iterations: expected an integer ≥ 1, got 0'],
    [{ imageSize: 8 }, 'imageSize: expected an integer ≥ 16, got 8 (the 4 pooling layers up to relu5_1 halve the image 4 times)'],
    [{ styleLayers: ['relu1_1', 'bogus'] }, "styleLayers: expected VGG19 layer names ("],
    [{ styleBlendWeights: [-1] }, 'styleBlendWeights: expected 1 number ≥ 0 (one per style image) with a positive sum, got [-1]'],
  ])('%j', async (options, message) => {
    const err = await refusal(() => gatys(noEngine, noEngine, photo, [photo], { ...small, ...(options as GatysOptions) }));
    expect(err.message.startsWith(message)).toBe(true);
  });

  it('pixel data must be width·height·4 bytes, for the content, the styles and an init image', async () => {
    const short = { width: 40, height: 30, data: new Uint8ClampedArray(40 * 30 * 3) };
    expect((await refusal(() => gatys(noEngine, noEngine, short, [photo], small))).message).toBe(
      "content: expected width·height·4 = 40·30·4 = 4800 RGBA bytes, got 3600 bytes of pixel data",
    );
    await refusal(() => gatys(noEngine, noEngine, photo, [short], small));
    await refusal(() => gatys(noEngine, noEngine, photo, [photo], { ...small, init: short }));
    await refusal(() => gatys(noEngine, noEngine, image(0, 3), [photo], small));
  });

  it('a content image smaller than the layers need is refused, not blown up', async () => {
    const err = await refusal(() => gatys(noEngine, noEngine, image(1, 1), [photo], small));
    expect(err.message).toBe('content: expected at least 16×16 pixels, got an image of 1×1 (the layers up to relu5_1 need 16 px on each side; a smaller image would only be blown up)');
    // A long thin image whose short side falls below the minimum once fitted.
    expect((await refusal(() => gatys(noEngine, noEngine, image(400, 20), [photo], small))).message).toMatch(/got an image of 400×20, 32×2 at 32 px \(the layers up to relu5_1 need 16 px on each side; try a larger imageSize\)/);
  });

  it('the minimum size follows the pooling depth of the layers used', () => {
    expect(gatysMinimumSize(['relu1_1']).side).toBe(1);
    expect(gatysMinimumSize(['relu2_1', 'relu1_1']).side).toBe(2);
    expect(gatysMinimumSize(['relu3_1']).side).toBe(4);
    expect(gatysMinimumSize(['pool3']).side).toBe(8);
    expect(gatysMinimumSize(['relu4_2']).side).toBe(8);
    expect(gatysMinimumSize(['relu5_1', 'relu1_1']).side).toBe(16);
  });
});

describe('the feed-forward models check before running', () => {
  // The instances have no weights: a check that passed would fail on the missing engine instead.
  const fast = Object.create(FastStyleNet.prototype) as FastStyleNet;
  const adain = Object.create(AdaIN.prototype) as AdaIN;
  const gated = Object.create(GatedGanGenerator.prototype) as GatedGanGenerator;

  it('FastStyleNet.stylize', async () => {
    expect((await refusal(() => fast.stylize(photo, { longestSide: 0 }))).message).toBe('longestSide: expected an integer ≥ 1, got 0');
    expect((await refusal(() => fast.stylize({ width: 2, height: 2, data: new Uint8Array(3) }))).message).toMatch(/^content: expected width·height·4 = 2·2·4 = 16 RGBA bytes/);
  });

  it('AdaIN.stylize', async () => {
    expect((await refusal(() => adain.stylize(photo, [photo], { alpha: 1.5 }))).message).toBe('alpha: expected a number in [0, 1], got 1.5');
    expect((await refusal(() => adain.stylize(photo, [photo], { longestSide: 8 }))).message).toMatch(/^longestSide: expected an integer ≥ 9, got 8/);
    expect((await refusal(() => adain.stylize(image(8, 40), [photo]))).message).toMatch(/^content: expected at least 9×9 pixels, got an image of 8×40/);
    expect((await refusal(() => adain.stylize(photo, [photo, photo], { weights: [1] }))).message).toMatch(/^weights: expected 2 numbers ≥ 0/);
    expect((await refusal(() => adain.stylize(photo, []))).message).toMatch(/^style: expected one or more style images/);
  });

  it('GatedGanGenerator.stylize', async () => {
    expect((await refusal(() => gated.stylize(photo, [1, 0], { longestSide: 4 }))).message).toMatch(/^longestSide: expected an integer ≥ 5, got 4/);
    expect((await refusal(() => gated.stylize(photo, [1, Number.NaN]))).message).toMatch(/^styleWeights: expected finite numbers/);
    expect((await refusal(() => gated.stylize(image(4, 4), [1, 0]))).message).toMatch(/^content: expected at least 5×5 pixels/);
  });
});
