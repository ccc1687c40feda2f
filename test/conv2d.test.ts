import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  type Activation, type Padding, type Tile, conv2d, conv2dBackwardBias, conv2dBackwardInput, conv2dBackwardWeight, conv2dProblems, correlationKernels, gatherKernels, samePadding,
  weightGradientKernels,
} from '../src/kernels/conv2d.ts';
import { subgroupConvSupported, subgroupLanes } from '../src/kernels/conv2dSubgroup.ts';
import type { Engine } from '../src/runtime/engine.ts';
import { expectClose } from './helpers/compare.ts';
import { useEngine } from './helpers/gpu.ts';
import { gradCheck } from './helpers/gradcheck.ts';
import { type Choice, choiceLabel, fittingChoices, tableChoices } from './helpers/kernelTables.ts';
import { uniform } from './helpers/random.ts';
import * as ref from './reference/conv.ts';

const engine = useEngine();

// Tolerance for f32 sums of `terms` products of values in [-1, 1]: such a sum is typically √terms/3 in
// size and f32 accumulation adds a relative error of about ε·√terms (ε = 6e-8), i.e. ~2e-8·terms in
// absolute terms, far below atol = 1e-5·√terms for the sizes here (terms ≤ 2·10³), while a dropped or
// misplaced term (|x·w| ~ 0.3) is far above it.
const atol = (terms: number) => 1e-5 * Math.sqrt(terms);
const RTOL = 1e-4;

const sym = (p: number): Padding => ({ top: p, bottom: p, left: p, right: p });
const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

interface Case {
  name: string;
  xs: ref.Shape4;
  ws: ref.Shape4;
  stride: number;
  pad: Padding;
  mode: 'zeros' | 'reflect';
  bias?: boolean;
  activation?: Activation;
}

// Awkward on purpose: 1×1 images, 9×9 kernels, odd sizes, channel counts and widths that are not multiples
// of the default 8 × 4 tile, asymmetric TF SAME and reflect padding, strides 1–3.
const CASES: Case[] = [
  { name: '1×1 image, 1×1 kernel', xs: [1, 1, 1, 1], ws: [1, 1, 1, 1], stride: 1, pad: sym(0), mode: 'zeros' },
  { name: '1×1 image, 3×3 kernel, padding 1, relu', xs: [2, 3, 1, 1], ws: [5, 3, 3, 3], stride: 1, pad: sym(1), mode: 'zeros', bias: true, activation: 'relu' },
  { name: '3×3, padding 1, 7×5 input', xs: [2, 3, 7, 5], ws: [5, 3, 3, 3], stride: 1, pad: sym(1), mode: 'zeros', bias: true },
  { name: '17 output channels, 13 wide', xs: [1, 4, 3, 13], ws: [17, 4, 3, 3], stride: 1, pad: sym(1), mode: 'zeros', bias: true, activation: { leakyRelu: 0.1 } },
  { name: '9×9 kernel, zero padding 4', xs: [1, 2, 11, 9], ws: [6, 2, 9, 9], stride: 1, pad: sym(4), mode: 'zeros', bias: true },
  { name: '9×9 kernel, reflect padding 4, leaky relu', xs: [1, 3, 10, 12], ws: [3, 3, 9, 9], stride: 1, pad: sym(4), mode: 'reflect', bias: true, activation: { leakyRelu: 0.2 } },
  { name: 'stride 2, TF SAME (0, 1, 0, 1)', xs: [2, 3, 8, 6], ws: [5, 3, 3, 3], stride: 2, pad: samePadding(8, 6, 3, 3, 2), mode: 'zeros' },
  { name: 'stride 2, TF SAME 4×4 kernel, 9×9 input', xs: [1, 2, 9, 9], ws: [4, 2, 4, 4], stride: 2, pad: samePadding(9, 9, 4, 4, 2), mode: 'zeros', bias: true },
  { name: 'stride 2, reflect (1, 2, 0, 1)', xs: [1, 2, 8, 9], ws: [7, 2, 3, 3], stride: 2, pad: { top: 1, bottom: 2, left: 0, right: 1 }, mode: 'reflect', bias: true },
  { name: 'stride 2, reflect 4 with a 9×9 kernel', xs: [1, 2, 9, 10], ws: [3, 2, 9, 9], stride: 2, pad: sym(4), mode: 'reflect' },
  { name: 'stride 3, 5×5, reflect 2', xs: [1, 2, 11, 8], ws: [3, 2, 5, 5], stride: 3, pad: sym(2), mode: 'reflect' },
  // convKxKSubgroup's channel groups (several 8- or 4-channel blocks per workgroup, the last group partial),
  // forward and in the four phases of the input gradient.
  { name: 'stride 2, 20 channels in and out, 5×7', xs: [1, 20, 5, 7], ws: [20, 20, 3, 3], stride: 2, pad: sym(1), mode: 'zeros', bias: true },
  { name: '1×1 kernel, stride 2', xs: [2, 5, 6, 7], ws: [9, 5, 1, 1], stride: 2, pad: sym(0), mode: 'zeros', bias: true },
  // Narrow outputs (convNarrowSubgroup): 3 channels, rows over 3 blocks of 8 lanes, 37 columns over 5 tiles of 8.
  { name: '7×7 to 3 channels, reflect 3, batch 2, 19×37', xs: [2, 5, 19, 37], ws: [3, 5, 7, 7], stride: 1, pad: sym(3), mode: 'reflect', bias: true },
  // A matrix product (matmulSubgroup): 9 rows over 8-lane blocks, 5 inputs (not a multiple of 4), 24 columns.
  { name: '1×1 kernel, stride 1, 4×6, leaky relu', xs: [2, 5, 4, 6], ws: [9, 5, 1, 1], stride: 1, pad: sym(0), mode: 'zeros', bias: true, activation: { leakyRelu: 0.1 } },
  { name: '1×3 kernel, padding (0, 0, 1, 1)', xs: [1, 3, 4, 6], ws: [4, 3, 1, 3], stride: 1, pad: { top: 0, bottom: 0, left: 1, right: 1 }, mode: 'zeros' },
  { name: 'reflect 1 on a 2×2 image', xs: [1, 1, 2, 2], ws: [2, 1, 3, 3], stride: 1, pad: sym(1), mode: 'reflect' },
  // Several 4 × 4-pixel, 4-channel tiles of the direct 3×3 kernel, ragged at every edge, over a batch.
  { name: '3×3 reflect 1, batch 2, 9×11, relu', xs: [2, 5, 9, 11], ws: [6, 5, 3, 3], stride: 1, pad: sym(1), mode: 'reflect', bias: true, activation: 'relu' },
  { name: '3×3 padding (0, 2, 1, 0)', xs: [1, 3, 6, 7], ws: [5, 3, 3, 3], stride: 1, pad: { top: 0, bottom: 2, left: 1, right: 0 }, mode: 'zeros', bias: true },
];

const label = choiceLabel;

function data(c: Case, seed: number) {
  const geometry = { stride: c.stride, pad: c.pad, mode: c.mode };
  const ys = ref.conv2dOutShape(c.xs, c.ws, geometry);
  return {
    geometry,
    ys,
    x: uniform(size(c.xs), seed),
    w: uniform(size(c.ws), seed + 1),
    b: c.bias ? uniform(c.ws[0], seed + 2) : undefined,
    dy: uniform(size(ys), seed + 3),
    opts: { stride: c.stride, padding: c.pad, padMode: c.mode },
  };
}

describe.each(CASES)('conv2d: $name', (c) => {
  const d = data(c, 100 + CASES.indexOf(c) * 10);
  const terms = c.ws[1] * c.ws[2] * c.ws[3];
  const outTerms = d.ys[0] * d.ys[2] * d.ys[3];

  it('forward, every kernel that serves it, matches the reference', async () => {
    const e = engine();
    const want = ref.conv2d(d.x, c.xs, d.w, c.ws, d.geometry, d.b, c.activation);
    const [x, w] = [e.tensor(c.xs, d.x), e.tensor(c.ws, d.w)];
    const bias = d.b && e.tensor([c.ws[0]], d.b);
    const run = (choice: Choice) => conv2d(e, x, w, { ...d.opts, bias, activation: c.activation, ...choice });
    for (const choice of fittingChoices(correlationKernels, e, (lanes) => conv2dProblems('conv2d', c.xs, c.ws, { ...d.opts, lanes }).forward, 'conv2d', run)) {
      const y = run(choice);
      expect(y.shape).toEqual(d.ys);
      expectClose(await y.read(), want, atol(terms), RTOL, `conv2d ${label(choice)}`);
    }
  });

  it('conv2dBackwardInput matches the reference and finite differences', async () => {
    const e = engine();
    const w = e.tensor(c.ws, d.w);
    const dy = e.tensor(d.ys, d.dy);
    const want = ref.conv2dBackwardInput(d.dy, d.w, c.ws, c.xs, d.geometry);
    // Reflect padding copies a pixel to up to 3 padded positions per axis, each collecting Cout·K² terms.
    const gatherTerms = c.ws[0] * c.ws[2] * c.ws[3] * (c.mode === 'reflect' ? 9 : 1);
    const run = (choice: Choice) => conv2dBackwardInput(e, dy, w, c.xs, { ...d.opts, ...choice });
    for (const choice of fittingChoices(gatherKernels, e, (lanes) => conv2dProblems('conv2dBackwardInput', c.xs, c.ws, { ...d.opts, lanes }).inputGradient, 'conv2dBackwardInput', run)) {
      const dx = await run(choice).read();
      expectClose(dx, want, atol(gatherTerms), RTOL, `dx ${label(choice)}`);
      gradCheck((v) => ref.conv2d(v, c.xs, d.w, c.ws, d.geometry), d.x, d.dy, dx, { atol: atol(gatherTerms), maxPoints: 150, what: `dx ${label(choice)}` });
    }
  });

  it('conv2dBackwardWeight and conv2dBackwardBias match the reference and finite differences', async () => {
    const e = engine();
    const x = e.tensor(c.xs, d.x);
    const dy = e.tensor(d.ys, d.dy);
    const want = ref.conv2dBackwardWeight(d.x, c.xs, d.dy, c.ws, d.geometry);
    const run = (choice: Choice) => conv2dBackwardWeight(e, x, dy, c.ws, { ...d.opts, ...choice });
    for (const choice of fittingChoices(weightGradientKernels, e, (lanes) => conv2dProblems('conv2dBackwardWeight', c.xs, c.ws, { ...d.opts, lanes }).weightGradient, 'conv2dBackwardWeight', run)) {
      const dw = await run(choice).read();
      expectClose(dw, want, atol(outTerms), RTOL, `dw ${label(choice)}`);
      gradCheck((v) => ref.conv2d(d.x, c.xs, v, c.ws, d.geometry), d.w, d.dy, dw, { atol: atol(outTerms), maxPoints: 150, what: `dw ${label(choice)}` });
    }
    const db = await conv2dBackwardBias(e, dy).read();
    expectClose(db, ref.biasGradient(d.dy, d.ys), atol(outTerms), RTOL, 'db');
    const zeroBias = new Float64Array(c.ws[0]);
    gradCheck((v) => ref.conv2d(d.x, c.xs, d.w, c.ws, d.geometry, v), zeroBias, d.dy, db, { atol: atol(outTerms), what: 'db' });
  });
});

describe('conv2d: the subgroup kernels', () => {
  it('are what auto picks on lavapipe (CI), so the suites above test them', () => {
    const e = engine();
    if (e.ctx.adapterInfo.host === 'node-dawn' && /llvmpipe/.test(e.ctx.adapterInfo.device)) {
      expect(e.ctx.detectedProfile).toBe('cpu');
      expect(subgroupLanes(e.ctx)).toBe(8);
    }
    const x = e.tensor([1, 2, 4, 4], uniform(32, 1));
    const w = e.tensor([5, 2, 3, 3], uniform(90, 2));
    const before = { ...e.stats.byKernel };
    conv2d(e, x, w, { padding: 1 }).release();
    const ran = (k: string) => (e.stats.byKernel[k] ?? 0) - (before[k] ?? 0);
    const sub = e.ctx.profile === 'cpu' && subgroupConvSupported(e.ctx);
    if (e.ctx.profile === 'gpu') {
      // The 'gpu' profile takes the shared-memory tiled kernels for every conv and gather.
      conv2dBackwardInput(e, e.tensor([1, 3, 2, 2], uniform(12, 5)), e.tensor([3, 2, 3, 3], uniform(54, 6)), [1, 2, 4, 4], { stride: 2, padding: 1 }).release();
      expect(ran('conv2dTiled.conv2dTiled')).toBe(1);
      expect(ran('conv2dTiled.convTranspose2dTiled')).toBe(1);
      expect(ran('conv2d.conv2d3x3')).toBe(0);
      return;
    }
    expect(ran('conv2dSubgroup.conv3x3Subgroup')).toBe(sub ? 1 : 0);
    expect(ran('conv2d.conv2d3x3')).toBe(sub ? 0 : 1);
    // Other kernels up to 9×9 at stride 1 or 2 go to convKxKSubgroup; the rest to the blocked kernel.
    conv2d(e, x, e.tensor([5, 2, 5, 5], uniform(250, 3)), { padding: 2, stride: 2 }).release();
    conv2d(e, x, e.tensor([5, 2, 3, 3], uniform(90, 4)), { padding: 1, stride: 3 }).release();
    expect(ran('conv2dSubgroup.convKxKSubgroup')).toBe(sub ? 1 : 0);
    expect(ran('conv2d.conv2dBlocked')).toBe(sub ? 1 : 2);
    // Up to 4 output channels (a to-RGB layer) of a kernel larger than 3×3: one output row per lane instead of
    // one channel; 3×3 stays with conv3x3Subgroup.
    conv2d(e, x, e.tensor([3, 2, 5, 5], uniform(150, 12)), { padding: 2 }).release();
    conv2d(e, x, e.tensor([3, 2, 3, 3], uniform(54, 13)), { padding: 1 }).release();
    expect(ran('conv2dSubgroup.convNarrowSubgroup')).toBe(sub ? 1 : 0);
    expect(ran('conv2dSubgroup.conv3x3Subgroup')).toBe(sub ? 2 : 0);
    // A stride-2 input gradient (a gather) runs as four phases, each a stride-1 correlation.
    conv2dBackwardInput(e, e.tensor([1, 3, 2, 2], uniform(12, 5)), e.tensor([3, 2, 3, 3], uniform(54, 6)), [1, 2, 4, 4], { stride: 2, padding: 1 }).release();
    expect(ran('conv2dSubgroup.convKxKSubgroup')).toBe(sub ? 5 : 0);
    // … whatever the kernel size: 5×5 gives 3×3, 3×2, 2×3 and 2×2 phases.
    conv2dBackwardInput(e, e.tensor([1, 3, 2, 2], uniform(12, 7)), e.tensor([3, 2, 5, 5], uniform(150, 8)), [1, 2, 4, 4], { stride: 2, padding: 2 }).release();
    expect(ran('conv2dSubgroup.convKxKSubgroup')).toBe(sub ? 9 : 0);
    // 1×1 stride-1 unpadded convolutions over H·W a multiple of 4 are matrix products.
    conv2d(e, x, e.tensor([5, 2, 1, 1], uniform(10, 11))).release();
    expect(ran('matmulSubgroup.matmulSubgroup')).toBe(sub ? 1 : 0);
    // Weight gradients up to 9×9 at stride 1 or 2 go to convKxKSubgroupBackwardWeight; the rest stay naive.
    const dy = e.tensor([1, 3, 4, 4], uniform(48, 9));
    conv2dBackwardWeight(e, x, dy, [3, 2, 3, 3], { padding: 1 }).release();
    conv2dBackwardWeight(e, x, e.tensor([1, 3, 2, 2], uniform(12, 10)), [3, 2, 3, 3], { padding: 1, stride: 3 }).release();
    expect(ran('conv2dSubgroup.convKxKSubgroupBackwardWeight')).toBe(sub ? 1 : 0);
    expect(ran('conv2d.conv2dBackwardWeight')).toBe(sub ? 1 : 2);
  });

  it('packs frozen weights once per layout, and afresh when they change', async () => {
    const e = engine();
    const x = e.tensor([1, 4, 5, 6], uniform(120, 3));
    const w1 = uniform(4 * 4 * 9, 4);
    const w2 = uniform(4 * 4 * 9, 5);
    const w = e.tensor([4, 4, 3, 3], w1);
    const geometry = { stride: 1, pad: sym(1), mode: 'zeros' as const };
    const packs = () => Object.entries(e.stats.byKernel).filter(([k]) => /pack/i.test(k)).reduce((n, [, v]) => n + v, 0);
    const before = packs();
    // The 'gpu' profile's auto kernel (conv2dTiled) reads w as it is: test the packing of its next choice.
    const impl = e.ctx.profile === 'gpu' ? 'conv2d3x3' : 'auto';
    const a = await conv2d(e, x, w, { padding: 1, impl }).read();
    const b = await conv2d(e, x, w, { padding: 1, impl }).read();
    expect(packs() - before).toBe(1);
    expect(Array.from(b)).toEqual(Array.from(a));
    expectClose(a, ref.conv2d(uniform(120, 3), [1, 4, 5, 6], w1, [4, 4, 3, 3], geometry), atol(36), RTOL, 'y with w1');
    w.write(w2);
    const c = await conv2d(e, x, w, { padding: 1, impl }).read();
    expect(packs() - before).toBe(2);
    expectClose(c, ref.conv2d(uniform(120, 3), [1, 4, 5, 6], w2, [4, 4, 3, 3], geometry), atol(36), RTOL, 'y with w2');
  });

  // Whole and partial tiles (8 channels × 4 rows × 8 columns on 8 lanes, 4 channels × 3 rows × 8 columns on
  // 4), many input channels and a batch, against the reference.
  const WHOLE_TILES: { xs: ref.Shape4; ws: ref.Shape4 }[] = [
    { xs: [2, 20, 6, 16], ws: [16, 20, 3, 3] },
    { xs: [1, 12, 8, 8], ws: [8, 12, 3, 3] },
    { xs: [1, 9, 3, 8], ws: [8, 9, 3, 3] },
    { xs: [1, 33, 10, 17], ws: [25, 33, 3, 3] },
  ];
  it.each(WHOLE_TILES.flatMap((c) => ([4, 8] as const).map((lanes) => ({ ...c, lanes }))))('forward, input and weight gradients on $xs ⊛ $ws, $lanes lanes', async ({ xs, ws, lanes }) => {
    const e = engine();
    if (subgroupLanes(e.ctx) < lanes) throw new Error(`this adapter (${e.describe()}) has no subgroups of ≥ ${lanes} lanes`);
    const geometry = { stride: 1, pad: sym(1), mode: 'zeros' as const };
    const xd = uniform(size(xs), 7);
    const wd = uniform(size(ws), 8);
    const bd = uniform(ws[0], 9);
    const x = e.tensor(xs, xd);
    const w = e.tensor(ws, wd);
    const y = conv2d(e, x, w, { padding: 1, bias: e.tensor([ws[0]], bd), activation: { leakyRelu: 0.3 }, impl: 'conv3x3Subgroup', lanes });
    expectClose(await y.read(), ref.conv2d(xd, xs, wd, ws, geometry, bd, { leakyRelu: 0.3 }), atol(ws[1] * 9), RTOL, 'y');
    const ys = ref.conv2dOutShape(xs, ws, geometry);
    const dyd = uniform(size(ys), 10);
    const dx = conv2dBackwardInput(e, e.tensor(ys, dyd), w, xs, { padding: 1, impl: 'conv3x3Subgroup', lanes });
    expectClose(await dx.read(), ref.conv2dBackwardInput(dyd, wd, ws, xs, geometry), atol(ws[0] * 9), RTOL, 'dx');
    // The weight gradient's 16-column chunks: one whole, one and a column, over a batch.
    const dw = conv2dBackwardWeight(e, x, e.tensor(ys, dyd), ws, { padding: 1, impl: 'convKxKSubgroupBackwardWeight', lanes });
    expectClose(await dw.read(), ref.conv2dBackwardWeight(xd, xs, dyd, ws, geometry), atol(ys[0] * ys[2] * ys[3]), RTOL, 'dw');
  });
});

describe('conv2d: subgroup weight gradient over several 16-column chunks', () => {
  // Stride 2 and 1 with reflect padding, 5×5 and 7×3 kernels, outputs 20 and 37 wide, a batch of 2.
  const SHAPES: Case[] = [
    { name: '5×5 stride 2', xs: [2, 3, 9, 40], ws: [10, 3, 5, 5], stride: 2, pad: sym(2), mode: 'reflect' },
    { name: '7×3 stride 1', xs: [1, 2, 8, 37], ws: [9, 2, 7, 3], stride: 1, pad: { top: 3, bottom: 3, left: 1, right: 1 }, mode: 'zeros' },
  ];
  it.each(SHAPES)('$name', async (c) => {
    const e = engine();
    const d = data(c, 700 + SHAPES.indexOf(c));
    const want = ref.conv2dBackwardWeight(d.x, c.xs, d.dy, c.ws, d.geometry);
    const subgroup = tableChoices(weightGradientKernels, e, (lanes) => conv2dProblems('conv2dBackwardWeight', c.xs, c.ws, { ...d.opts, lanes }).weightGradient)
      .filter((w) => w.impl === 'convKxKSubgroupBackwardWeight' && !w.reason)
      .map(({ reason: _, ...choice }) => choice);
    if (!subgroup.length) throw new Error(`this adapter (${e.describe()}) has no subgroups of ≥ 4 lanes`);
    for (const choice of subgroup) {
      const dw = await conv2dBackwardWeight(e, e.tensor(c.xs, d.x), e.tensor(d.ys, d.dy), c.ws, { ...d.opts, ...choice }).read();
      expectClose(dw, want, atol(d.ys[0] * d.ys[2] * d.ys[3]), RTOL, `dw ${label(choice)}`);
    }
  });
});

describe('conv2d: naive and blocked forward agree', () => {
  // Tiles of every width the shader allows, on shapes whose channels and widths leave ragged last tiles.
  const TILES: Tile[] = [{ co: 4, px: 1 }, { co: 4, px: 4 }, { co: 12, px: 1 }, { co: 16, px: 4 }, { co: 8, px: 2 }, { co: 4, px: 3 }];
  const shapes: Case[] = [CASES[3], CASES[8], CASES[5]];
  it.each(TILES)('tile $co × $px', async (tile) => {
    const e = engine();
    for (const c of shapes) {
      const d = data(c, 7);
      const [x, w] = [e.tensor(c.xs, d.x), e.tensor(c.ws, d.w)];
      const bias = d.b && e.tensor([c.ws[0]], d.b);
      const opts = { ...d.opts, bias, activation: c.activation };
      const naive = await conv2d(e, x, w, { ...opts, impl: 'conv2dNaive' }).read();
      const blocked = await conv2d(e, x, w, { ...opts, impl: 'conv2dBlocked', tile }).read();
      expectClose(blocked, naive, atol(c.ws[1] * c.ws[2] * c.ws[3]), RTOL, `${c.name}, tile ${tile.co}×${tile.px}`);
      // The input gradient's blocked gather against the naive one, on the same tiles.
      const dy = e.tensor(d.ys, d.dy);
      const dxBlocked = await conv2dBackwardInput(e, dy, w, c.xs, { ...d.opts, impl: 'convTranspose2dBlocked', tile }).read();
      const dxGather = await conv2dBackwardInput(e, dy, w, c.xs, { ...d.opts, impl: 'convTranspose2dNaive' }).read();
      expectClose(dxBlocked, dxGather, atol(9 * c.ws[0] * c.ws[2] * c.ws[3]), RTOL, `dx of ${c.name}, tile ${tile.co}×${tile.px}`);
    }
  });
});

describe('conv2d geometry and validation', () => {
  it('samePadding follows TensorFlow: out = ceil(in / stride), the odd pad at the bottom/right', () => {
    expect(samePadding(8, 8, 3, 3, 2)).toEqual({ top: 0, bottom: 1, left: 0, right: 1, outH: 4, outW: 4 });
    expect(samePadding(9, 7, 4, 3, 2)).toEqual({ top: 1, bottom: 2, left: 1, right: 1, outH: 5, outW: 4 });
    expect(samePadding(5, 6, 9, 9, 1)).toEqual({ top: 4, bottom: 4, left: 4, right: 4, outH: 5, outW: 6 });
    expect(samePadding(7, 7, 1, 1, 2)).toEqual({ top: 0, bottom: 0, left: 0, right: 0, outH: 4, outW: 4 });
  });

  it('rejects mismatched shapes and impossible padding, naming the op', () => {
    const e = engine();
    const x = e.tensor([1, 3, 4, 4]);
    expect(() => conv2d(e, x, e.tensor([2, 2, 3, 3]))).toThrow(/conv2d: input \[1, 3, 4, 4\] has 3 channels/);
    expect(() => conv2d(e, x, e.tensor([2, 3, 3, 3]), { padding: 4, padMode: 'reflect' })).toThrow(/conv2d: reflect padding/);
    expect(() => conv2d(e, x, e.tensor([2, 3, 7, 7]))).toThrow(/conv2d: kernel 7×7 is larger/);
    expect(() => conv2d(e, x, e.tensor([2, 3, 3, 3]), { bias: e.tensor([3]) })).toThrow(/conv2d: bias must be \[2\]/);
    expect(() => conv2d(e, x, e.tensor([2, 3, 3, 3]), { tile: { co: 6, px: 2 } })).toThrow(/tile/);
    expect(() => conv2d(e, x, e.tensor([2, 3, 3, 3]), { stride: 2, impl: 'conv2d3x3' })).toThrow(/conv2d: impl 'conv2d3x3' needs a 3×3 kernel and stride 1/);
    expect(() => conv2d(e, x, e.tensor([2, 3, 3, 3]), { stride: 2, impl: 'conv3x3Subgroup' })).toThrow(/conv2d: impl 'conv3x3Subgroup' needs a 3×3 kernel and stride 1/);
    expect(() => conv2dBackwardInput(e, e.tensor([1, 2, 8, 8]), e.tensor([2, 3, 3, 3]), [1, 3, 4, 4], { padding: 3, impl: 'conv2d3x3' })).toThrow(
      /conv2dBackwardInput: impl 'conv2d3x3' serves a gather only at stride 1 with every pad ≤ K − 1/,
    );
    expect(() => conv2d(e, x, e.tensor([2, 3, 3, 3]), { impl: 'direct3x3' })).toThrow(/conv2d: unknown impl 'direct3x3'; .* has 'matmulSubgroup', .*'conv2dNaive' or 'auto'/);
    expect(() => conv2d(e, x, e.tensor([2, 3, 3, 3]), { impl: 'conv2d3x3', lanes: 4 })).toThrow(/conv2d: impl 'conv2d3x3' takes no lanes/);
    expect(() => conv2dBackwardInput(e, e.tensor([1, 2, 3, 3]), e.tensor([2, 3, 3, 3]), [1, 3, 4, 4], { padding: 1 })).toThrow(
      /conv2dBackwardInput: output gradient \[1, 2, 3, 3\] does not match the forward output \[1, 2, 4, 4\]/,
    );
  });
});

interface GoldenTensor {
  shape: number[];
  data: number[];
}
interface GoldenConv {
  name: string;
  op: string;
  stride: number;
  pad: [number, number, number, number];
  mode: 'zeros' | 'reflect';
  activation: Activation;
  x: GoldenTensor; w: GoldenTensor; b: GoldenTensor; y: GoldenTensor; dz: GoldenTensor; dx: GoldenTensor; dw: GoldenTensor; db: GoldenTensor;
}
const golden = JSON.parse(readFileSync(new URL('./golden/conv.json', import.meta.url), 'utf8')) as { cases: GoldenConv[] };

// PyTorch 1.13 (test/golden/make_conv_golden.py): F.pad + F.conv2d in float64, gradients by autograd; the
// backward kernels get dz, the gradient before the activation, as the graph would pass it.
describe.each(golden.cases.filter((g) => g.op === 'conv2d'))('conv2d vs PyTorch: $name', (g) => {
  it('forward and gradients', async () => {
    const e = engine();
    const t = (v: GoldenTensor) => e.tensor(v.shape, v.data);
    const [top, bottom, left, right] = g.pad;
    const geometry = { stride: g.stride, padding: { top, bottom, left, right }, padMode: g.mode };
    const [x, w, dz] = [t(g.x), t(g.w), t(g.dz)];
    const terms = g.w.shape[1] * g.w.shape[2] * g.w.shape[3];
    const outTerms = g.dz.shape[0] * g.dz.shape[2] * g.dz.shape[3];
    const y = conv2d(e, x, w, { ...geometry, bias: t(g.b), activation: g.activation });
    expectClose(await y.read(), g.y.data, atol(terms), RTOL, 'y');
    expectClose(await conv2dBackwardInput(e, dz, w, g.x.shape, geometry).read(), g.dx.data, atol(9 * g.w.shape[0] * g.w.shape[2] * g.w.shape[3]), RTOL, 'dx');
    expectClose(await conv2dBackwardWeight(e, x, dz, g.w.shape, geometry).read(), g.dw.data, atol(outTerms), RTOL, 'dw');
    expectClose(await conv2dBackwardBias(e, dz).read(), g.db.data, atol(outTerms), RTOL, 'db');
  });
});
