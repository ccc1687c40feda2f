// The shared-memory tiled kernels of the 'gpu' profile (tiledGemm.wgsl: conv2dTiled, convTranspose2dTiled,
// gramTiled, gramBackwardTiled) with every tile preset forced, on shapes that span several tiles along M and
// N with ragged last tiles and K not a multiple of TK, against the float64 references; the gathers also by
// finite differences. The table tests (conv2d, convTranspose2d, gram) run them through the planner on the
// awkward shapes too.
import { describe, expect, it } from 'vitest';
import { type Activation, type Padding, conv2d, samePadding } from '../src/kernels/conv2d.ts';
import { conv2dTiled, convTranspose2dTiled } from '../src/kernels/conv2dTiled.ts';
import { gramTiled } from '../src/kernels/gram.ts';
import { GEMM_TILES, type GemmTile, gemmReason, gemmTileFor, gemmTileReason } from '../src/kernels/tiledGemm.ts';
import type { GpuContext } from '../src/runtime/device.ts';
import { expectClose } from './helpers/compare.ts';
import { useEngine } from './helpers/gpu.ts';
import { gradCheck } from './helpers/gradcheck.ts';
import { uniform } from './helpers/random.ts';
import * as ref from './reference/conv.ts';
import * as gramRef from './reference/gram.ts';

const engine = useEngine();

// As in conv2d.test.ts: f32 sums of `terms` products of values in [-1, 1].
const atol = (terms: number) => 1e-5 * Math.sqrt(terms);
const RTOL = 1e-4;
const sym = (p: number): Padding => ({ top: p, bottom: p, left: p, right: p });
const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const tileName = (t: GemmTile) => `${t.TM}×${t.TN}×${t.TK}`;

/** A conv of x [xs] with w [ws] and its geometry (stride, pad, mode), as the reference takes it. */
interface Case extends ref.ConvGeometry {
  name: string;
  xs: ref.Shape4;
  ws: ref.Shape4;
  activation?: Activation;
}

// M = output channels, N = output pixels, K = Cin·KH·KW.
const CASES: Case[] = [
  // M 70 (64 + 6, 32·2 + 6), N 143 (64·2 + 15), K 63, a batch of 2.
  { name: '3×3 reflect 1, 70 channels, batch 2, 13×11', xs: [2, 7, 13, 11], ws: [70, 7, 3, 3], stride: 1, pad: sym(1), mode: 'reflect', activation: { leakyRelu: 0.2 } },
  // Stride 2 with a 9×9 reflect-padded kernel: N 72, K 243.
  { name: '9×9 stride 2, reflect 4, 17×15', xs: [1, 3, 17, 15], ws: [33, 3, 9, 9], stride: 2, pad: sym(4), mode: 'reflect' },
  // A matrix product: K 37, M 65.
  { name: '1×1, 37 → 65 channels, 9×9, relu', xs: [1, 37, 9, 9], ws: [65, 37, 1, 1], stride: 1, pad: sym(0), mode: 'zeros', activation: 'relu' },
  // Stride 1, zero padding 2: the gather's M is 36 input channels (32 + 4), K 20·25.
  { name: '5×5 padding 2, 36 → 20 channels, 10×9', xs: [1, 36, 10, 9], ws: [20, 36, 5, 5], stride: 1, pad: sym(2), mode: 'zeros' },
  // Stride 2, TF SAME (asymmetric zero padding), 4×4 kernel: the gather sees uneven phases.
  { name: '4×4 stride 2, TF SAME, 12×10', xs: [1, 5, 12, 10], ws: [40, 5, 4, 4], stride: 2, pad: samePadding(12, 10, 4, 4, 2), mode: 'zeros' },
];

// The presets, and an odd tile: 8 invocations, K staged 3 deep.
const TILES: GemmTile[] = [...GEMM_TILES, { TM: 16, TN: 8, TK: 3 }];

describe.each(TILES.map((t) => ({ tile: t, name: tileName(t) })))('tile $name', ({ tile }) => {
  it.each(CASES)('conv2dTiled: $name', async (c) => {
    const e = engine();
    const g = { stride: c.stride, pad: c.pad, mode: c.mode };
    const ys = ref.conv2dOutShape(c.xs, c.ws, g);
    const [xd, wd, bd] = [uniform(size(c.xs), 1), uniform(size(c.ws), 2), uniform(c.ws[0], 3)];
    const y = conv2dTiled(e, e.tensor(c.xs, xd), e.tensor(c.ws, wd), ys, { stride: c.stride, pad: c.pad, reflect: c.mode === 'reflect' }, { bias: e.tensor([c.ws[0]], bd), activation: c.activation }, tile);
    expect(y.shape).toEqual(ys);
    expectClose(await y.read(), ref.conv2d(xd, c.xs, wd, c.ws, g, bd, c.activation), atol(c.ws[1] * c.ws[2] * c.ws[3]), RTOL, `y, tile ${tileName(tile)}`);
  });

  // The gather onto the zero-padded input (reflect padding folds afterwards, in conv2d.ts: the table tests).
  it.each(CASES.filter((c) => c.mode === 'zeros'))('convTranspose2dTiled as conv2d input gradient: $name', async (c) => {
    const e = engine();
    const g = { stride: c.stride, pad: c.pad, mode: c.mode };
    const ys = ref.conv2dOutShape(c.xs, c.ws, g);
    const [wd, dyd] = [uniform(size(c.ws), 4), uniform(size(ys), 5)];
    const dx = await convTranspose2dTiled(e, e.tensor(ys, dyd), e.tensor(c.ws, wd), c.xs, c.stride, c.pad, undefined, tile).read();
    const terms = c.ws[0] * c.ws[2] * c.ws[3];
    expectClose(dx, ref.conv2dBackwardInput(dyd, wd, c.ws, c.xs, g), atol(terms), RTOL, `dx, tile ${tileName(tile)}`);
    gradCheck((v) => ref.conv2d(v, c.xs, wd, c.ws, g), uniform(size(c.xs), 6), dyd, dx, { atol: atol(terms), maxPoints: 120, what: `dx, tile ${tileName(tile)}` });
  });

  it('gramTiled and gramBackwardTiled: [2, 70, 9, 7] (M, N 70; K 63 and 70)', async () => {
    const e = engine();
    const [N, C, H, W] = [2, 70, 9, 7];
    const P = H * W;
    const norm = C * P;
    const Fd = uniform(N * C * P, 7);
    const dGd = uniform(N * C * C, 8);
    const F = e.tensor([N, C, H, W], Fd);
    const G = gramTiled(e, F, undefined, norm, tile);
    expect(G.shape).toEqual([N, C, C]);
    expectClose(await G.read(), gramRef.gram(Fd, N, C, P, norm), 1e-6, 1e-5, `G, tile ${tileName(tile)}`);
    const dF = await gramTiled(e, F, e.tensor([N, C, C], dGd), norm, tile).read();
    expectClose(dF, gramRef.gramBackward(Fd, dGd, N, C, P, norm), 1e-6, 1e-5, `dF, tile ${tileName(tile)}`);
    gradCheck((v) => gramRef.gram(v, N, C, P, norm), Fd, dGd, dF, { atol: 1e-5, rtol: 1e-4, maxPoints: 100, what: `dF, tile ${tileName(tile)}` });
  });
});

describe('tiled GEMM presets and limits', () => {
  const device = (limits: Partial<GpuContext['limits']>) =>
    ({ limits: { maxComputeInvocationsPerWorkgroup: 1024, maxComputeWorkgroupSizeX: 1024, maxComputeWorkgroupStorageSize: 32768, maxComputeWorkgroupsPerDimension: 65535, ...limits } }) as unknown as GpuContext;

  it('takes the largest preset the device runs, 32 rows or columns for small sides', () => {
    expect(gemmTileFor(device({}), 512, 4096)).toEqual({ TM: 64, TN: 64, TK: 16 });
    expect(gemmTileFor(device({}), 3, 4096)).toEqual({ TM: 32, TN: 64, TK: 16 });
    expect(gemmTileFor(device({}), 3, 20)).toEqual({ TM: 32, TN: 32, TK: 8 });
    // 256 invocations (SwiftShader) still run 64 × 64; 128 do not.
    expect(gemmTileFor(device({ maxComputeInvocationsPerWorkgroup: 256 }), 512, 4096)).toEqual({ TM: 64, TN: 64, TK: 16 });
    expect(gemmTileFor(device({ maxComputeInvocationsPerWorkgroup: 128 }), 512, 4096)).toEqual({ TM: 32, TN: 64, TK: 16 });
    expect(gemmTileFor(device({ maxComputeWorkgroupStorageSize: 4096 }), 512, 4096)).toEqual({ TM: 32, TN: 32, TK: 8 });
  });

  it('states the limit a tile or grid exceeds', () => {
    expect(gemmTileReason(device({ maxComputeInvocationsPerWorkgroup: 128 }), GEMM_TILES[0])).toBe('needs 256 invocations per workgroup for tile 64×64, this device allows 128');
    expect(gemmTileReason(device({ maxComputeWorkgroupStorageSize: 4096 }), GEMM_TILES[0])).toBe('needs 8192 bytes of workgroup storage for tile 64×64×16, this device allows 4096');
    expect(gemmTileReason(device({}), { TM: 8, TN: 64, TK: 16 })).toMatch(/TM a multiple of 16/);
    expect(gemmTileReason(device({}), { TM: 16, TN: 6, TK: 16 })).toMatch(/TN of 4/);
    expect(gemmReason(device({ maxComputeInvocationsPerWorkgroup: 32 }), 64, 64, 1)).toBe('needs 64 invocations per workgroup for tile 32×32, this device allows 32');
    expect(gemmReason(device({ maxComputeWorkgroupsPerDimension: 100 }), 64, 64 * 101, 1)).toBe('needs 101 × 1 × 1 workgroups, more than 100 along one dimension');
    expect(gemmReason(device({}), 64, 64, 1)).toBeUndefined();
  });

  it('the tiled rows take no blocked tile or lanes', () => {
    const e = engine();
    const x = e.tensor([1, 2, 4, 4], uniform(32, 1));
    const w = e.tensor([3, 2, 3, 3], uniform(54, 2));
    expect(() => conv2d(e, x, w, { padding: 1, impl: 'conv2dTiled', tile: { co: 4, px: 4 } })).toThrow("conv2d: impl 'conv2dTiled' takes no tile");
    expect(() => conv2d(e, x, w, { padding: 1, impl: 'conv2dTiled', lanes: 4 })).toThrow("conv2d: impl 'conv2dTiled' takes no lanes");
  });
});
