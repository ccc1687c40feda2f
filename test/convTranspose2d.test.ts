import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  type ConvTranspose2dGeometry, type Tile, conv2dBackwardBias, convTranspose2d, convTranspose2dBackwardInput, convTranspose2dBackwardWeight,
  convTranspose2dProblems, correlationKernels, gatherKernels, tfConvTranspose2dSame, torchConvTranspose2d, weightGradientKernels,
} from '../src/kernels/conv2d.ts';
import { expectClose } from './helpers/compare.ts';
import { useEngine } from './helpers/gpu.ts';
import { gradCheck } from './helpers/gradcheck.ts';
import { type Choice, choiceLabel, fittingChoices } from './helpers/kernelTables.ts';
import { uniform } from './helpers/random.ts';
import * as ref from './reference/conv.ts';

const engine = useEngine();

// f32 sums of `terms` products of values in [-1, 1]: see test/conv2d.test.ts for why atol = 1e-5·√terms.
const atol = (terms: number) => 1e-5 * Math.sqrt(terms);
const RTOL = 1e-4;
const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

interface Case {
  name: string;
  xs: ref.Shape4;
  /** [Cin, Cout, KH, KW] */
  ws: ref.Shape4;
  geometry: ConvTranspose2dGeometry;
  bias?: boolean;
}
const torchCase = (name: string, xs: ref.Shape4, ws: ref.Shape4, stride: number, p: number, op: number, bias = true): Case => ({
  name: `${name}: torch stride ${stride} padding ${p} output_padding ${op}`, xs, ws, geometry: torchConvTranspose2d(xs[2], xs[3], ws[2], ws[3], stride, p, op), bias,
});
const tfCase = (name: string, xs: ref.Shape4, ws: ref.Shape4, stride: number): Case => ({
  name: `${name}: TF SAME stride ${stride}`, xs, ws, geometry: tfConvTranspose2dSame(xs[2], xs[3], ws[2], ws[3], stride),
});

const CASES: Case[] = [
  torchCase('3×3, 5×4 input', [2, 3, 5, 4], [3, 2, 3, 3], 2, 1, 1),
  torchCase('2×2, exact upsampling', [1, 5, 3, 4], [5, 6, 2, 2], 2, 0, 0, false),
  torchCase('3×3, output_padding > padding (negative bottom crop)', [1, 2, 3, 3], [2, 3, 3, 3], 2, 0, 1),
  torchCase('3×3 on a 1×1 image', [2, 4, 1, 1], [4, 3, 3, 3], 2, 1, 1),
  torchCase('9×9', [1, 3, 5, 6], [3, 2, 9, 9], 1, 4, 0),
  torchCase('3×3, stride 1, 17 channels', [1, 4, 3, 7], [4, 17, 3, 3], 1, 1, 0),
  torchCase('3×3, stride 3, output_padding 2', [1, 2, 4, 3], [2, 3, 3, 3], 3, 1, 2),
  tfCase('3×3, 5×7 input', [1, 3, 5, 7], [3, 4, 3, 3], 2),
  tfCase('4×4, 4×3 input', [2, 2, 4, 3], [2, 3, 4, 4], 2),
  tfCase('5×5, 3×3 input', [1, 2, 3, 3], [2, 2, 5, 5], 2),
  tfCase('1×1 kernel (no overlap, zero pad)', [1, 3, 3, 2], [3, 2, 1, 1], 2),
];

/** The problems of case `c` with `lanes`, as the kernels' planners see them. */
const problems = (c: Case, lanes?: 4) => convTranspose2dProblems('convTranspose2d', c.xs, c.ws, { ...c.geometry, lanes });
const label = choiceLabel;

describe.each(CASES)('convTranspose2d, $name', (c) => {
  const seed = 300 + CASES.indexOf(c) * 10;
  const g = c.geometry;
  const rg: ref.TransposeGeometry = { stride: g.stride, top: g.padding.top, left: g.padding.left, outH: g.outH, outW: g.outW };
  const ys: ref.Shape4 = [c.xs[0], c.ws[1], g.outH, g.outW];
  const x = uniform(size(c.xs), seed);
  const w = uniform(size(c.ws), seed + 1);
  const b = c.bias ? uniform(c.ws[1], seed + 2) : undefined;
  const dyData = uniform(size(ys), seed + 3);
  // Each output collects at most ceil(K/s)² taps per input channel; each input gradient K² per output channel.
  const forwardTerms = c.ws[0] * Math.ceil(c.ws[2] / g.stride) * Math.ceil(c.ws[3] / g.stride);
  const inputTerms = c.ws[1] * c.ws[2] * c.ws[3];
  const weightTerms = c.xs[0] * c.xs[2] * c.xs[3];

  it('forward, every kernel that serves it, matches the reference', async () => {
    const e = engine();
    const want = ref.convTranspose2d(x, c.xs, w, c.ws, rg, b);
    const bias = b && e.tensor([c.ws[1]], b);
    const run = (choice: Choice) => convTranspose2d(e, e.tensor(c.xs, x), e.tensor(c.ws, w), { ...g, bias, ...choice });
    for (const choice of fittingChoices(gatherKernels, e, (lanes) => problems(c, lanes).forward, 'convTranspose2d', run)) {
      const y = run(choice);
      expect(y.shape).toEqual(ys);
      expectClose(await y.read(), want, atol(forwardTerms), RTOL, `y ${label(choice)}`);
    }
  });

  it('convTranspose2dBackwardInput matches the reference and finite differences', async () => {
    const e = engine();
    const want = ref.convTranspose2dBackwardInput(dyData, w, c.ws, c.xs, rg);
    const run = (choice: Choice) => convTranspose2dBackwardInput(e, e.tensor(ys, dyData), e.tensor(c.ws, w), c.xs, { ...g, ...choice });
    for (const choice of fittingChoices(correlationKernels, e, (lanes) => problems(c, lanes).inputGradient, 'convTranspose2dBackwardInput', run)) {
      const dx = await run(choice).read();
      expectClose(dx, want, atol(inputTerms), RTOL, `dx ${label(choice)}`);
      gradCheck((v) => ref.convTranspose2d(v, c.xs, w, c.ws, rg), x, dyData, dx, { atol: atol(inputTerms), maxPoints: 150, what: `dx ${label(choice)}` });
    }
  });

  it('convTranspose2dBackwardWeight and the bias gradient match the reference and finite differences', async () => {
    const e = engine();
    const dy = e.tensor(ys, dyData);
    const want = ref.convTranspose2dBackwardWeight(x, c.xs, dyData, c.ws, rg);
    const run = (choice: Choice) => convTranspose2dBackwardWeight(e, e.tensor(c.xs, x), dy, c.ws, { ...g, ...choice });
    for (const choice of fittingChoices(weightGradientKernels, e, (lanes) => problems(c, lanes).weightGradient, 'convTranspose2dBackwardWeight', run)) {
      const dw = await run(choice).read();
      expectClose(dw, want, atol(weightTerms), RTOL, `dw ${label(choice)}`);
      gradCheck((v) => ref.convTranspose2d(x, c.xs, v, c.ws, rg), w, dyData, dw, { atol: atol(weightTerms), maxPoints: 150, what: `dw ${label(choice)}` });
    }
    const db = await conv2dBackwardBias(e, dy).read();
    gradCheck((v) => ref.convTranspose2d(x, c.xs, w, c.ws, rg, v), new Float64Array(c.ws[1]), dyData, db, { atol: atol(size(ys) / c.ws[1]), what: 'db' });
  });
});

describe('convTranspose2d: naive and blocked gather agree', () => {
  // Ragged channel and phase blocks: 17 and 3 channels, rows whose pixel count per phase is not a multiple of px.
  const TILES: Tile[] = [{ co: 4, px: 1 }, { co: 4, px: 3 }, { co: 12, px: 1 }, { co: 16, px: 4 }, { co: 8, px: 2 }];
  const shapes = [CASES[0], CASES[5], CASES[6], CASES[9]];
  it.each(TILES)('tile $co × $px', async (tile) => {
    const e = engine();
    for (const c of shapes) {
      const x = e.tensor(c.xs, uniform(size(c.xs), 5));
      const w = e.tensor(c.ws, uniform(size(c.ws), 6));
      const bias = c.bias ? e.tensor([c.ws[1]], uniform(c.ws[1], 7)) : undefined;
      const naive = await convTranspose2d(e, x, w, { ...c.geometry, bias, impl: 'convTranspose2dNaive' }).read();
      const blocked = await convTranspose2d(e, x, w, { ...c.geometry, bias, tile }).read();
      expectClose(blocked, naive, atol(c.ws[0] * c.ws[2] * c.ws[3]), RTOL, `${c.name}, tile ${tile.co}×${tile.px}`);
    }
  });
});

describe('convTranspose2d geometry and validation', () => {
  it('torchConvTranspose2d and tfConvTranspose2dSame give the frameworks\' output sizes and crops', () => {
    // PyTorch: (in − 1)·s − 2p + k + output_padding.
    expect(torchConvTranspose2d(5, 4, 3, 3, 2, 1, 1)).toEqual({ stride: 2, padding: { top: 1, left: 1, bottom: 0, right: 0 }, outH: 10, outW: 8 });
    // TF SAME: out = in·s; crop = the SAME padding of a stride-s conv on the output (pad total (in−1)·s + k − out).
    expect(tfConvTranspose2dSame(5, 7, 3, 3, 2)).toEqual({ stride: 2, padding: { top: 0, bottom: 1, left: 0, right: 1 }, outH: 10, outW: 14 });
    expect(tfConvTranspose2dSame(4, 4, 4, 4, 2)).toEqual({ stride: 2, padding: { top: 1, bottom: 1, left: 1, right: 1 }, outH: 8, outW: 8 });
    expect(tfConvTranspose2dSame(3, 3, 5, 5, 2)).toEqual({ stride: 2, padding: { top: 1, bottom: 2, left: 1, right: 2 }, outH: 6, outW: 6 });
  });

  it('rejects inconsistent geometry and shapes, naming the op', () => {
    const e = engine();
    const x = e.tensor([1, 2, 3, 3]);
    const w = e.tensor([2, 4, 3, 3]);
    const g = torchConvTranspose2d(3, 3, 3, 3, 2, 1, 1);
    expect(() => convTranspose2d(e, x, w, { ...g, outH: g.outH + 2 })).toThrow(/convTranspose2d: output 8×6 .* does not invert a conv to 3×3/);
    expect(() => convTranspose2d(e, x, e.tensor([3, 4, 3, 3]), g)).toThrow(/convTranspose2d: input \[1, 2, 3, 3\] has 2 channels/);
    expect(() => convTranspose2d(e, x, w, { ...g, bias: e.tensor([2]) })).toThrow(/convTranspose2d: bias must be \[4\]/);
    expect(() => convTranspose2dBackwardInput(e, e.tensor([1, 4, 5, 5]), w, [1, 2, 3, 3], g)).toThrow(/convTranspose2dBackwardInput: output gradient/);
  });
});

interface GoldenTensor {
  shape: number[];
  data: number[];
}
interface GoldenConvTranspose {
  name: string;
  op: string;
  stride: number;
  padding: number;
  output_padding: number;
  x: GoldenTensor; w: GoldenTensor; b: GoldenTensor; y: GoldenTensor; dy: GoldenTensor; dx: GoldenTensor; dw: GoldenTensor; db: GoldenTensor;
}
const golden = JSON.parse(readFileSync(new URL('./golden/conv.json', import.meta.url), 'utf8')) as { cases: GoldenConvTranspose[] };

// PyTorch 1.13 (test/golden/make_conv_golden.py): F.conv_transpose2d in float64, gradients by autograd.
describe.each(golden.cases.filter((c) => c.op === 'conv_transpose2d'))('convTranspose2d vs PyTorch: $name', (c) => {
  it('forward and gradients', async () => {
    const e = engine();
    const t = (v: GoldenTensor) => e.tensor(v.shape, v.data);
    const [, , H, W] = c.x.shape;
    const [Cin, Cout, KH, KW] = c.w.shape;
    const g = torchConvTranspose2d(H, W, KH, KW, c.stride, c.padding, c.output_padding);
    const [x, w, dy] = [t(c.x), t(c.w), t(c.dy)];
    const y = convTranspose2d(e, x, w, { ...g, bias: t(c.b) });
    expect(y.shape).toEqual(c.y.shape);
    expectClose(await y.read(), c.y.data, atol(Cin * Math.ceil(KH / c.stride) * Math.ceil(KW / c.stride)), RTOL, 'y');
    expectClose(await convTranspose2dBackwardInput(e, dy, w, c.x.shape, g).read(), c.dx.data, atol(Cout * KH * KW), RTOL, 'dx');
    expectClose(await convTranspose2dBackwardWeight(e, x, dy, c.w.shape, g).read(), c.dw.data, atol(c.x.shape[0] * H * W), RTOL, 'dw');
    expectClose(await conv2dBackwardBias(e, dy).read(), c.db.data, atol(size(c.dy.shape) / Cout), RTOL, 'db');
  });
});
