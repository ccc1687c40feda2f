// A/B of the subgroup conv kernels' tile shapes (bench/CPU-ADAPTERS.md), interleaved in one run: conv3x3Subgroup
// with TILE_ROWS 3 vs 4 at the VGG shapes, convKxKSubgroup with KXK_BLOCKS 1, 2, 4 on the fast-style net's
// stride-2 and transposed-phase shapes. Each variant's output is checked against the 'auto' conv first.
//   node --import ./src/node/register.js bench/conv-tile-ab.ts [--reps 5]
// The kernels run on a padded input built here (zeros around the image), 8 lanes, as the wrappers would.
import { parseArgs } from 'node:util';
import { conv2d } from '../src/kernels/conv2d.ts';
import { SubgroupConvParams, TapPackParams, kxkPaddedSize, packTapsRows, packTapsSubgroup } from '../src/kernels/conv2dSubgroup.ts';
import { epilogueDefines } from '../src/kernels/epilogue.ts';
import type { Padding } from '../src/kernels/geometry.ts';
import { Engine } from '../src/runtime/engine.ts';
import { kernel, shaderModule } from '../src/runtime/kernel.ts';
import type { Tensor } from '../src/runtime/tensor.ts';
import source from '../shaders/conv2dSubgroup.wgsl?raw';
import epilogueWgsl from '../shaders/epilogue.wgsl?raw';
import laneLoadsWgsl from '../shaders/laneLoads.wgsl?raw';
import { type Contender, gflops, timeInterleaved } from './harness.ts';
import { VGG_SHAPES, random } from './kernels.ts';

const { values } = parseArgs({ options: { reps: { type: 'string', default: '5' } } });
const reps = Number(values.reps);
const LANES = 8;
const module = shaderModule('conv2dSubgroup', source, [SubgroupConvParams, TapPackParams], [epilogueWgsl, laneLoadsWgsl]);
const e = await Engine.create();
if (!e.ctx.features.has('subgroups') || e.ctx.subgroupSize.min < LANES) throw new Error(`needs subgroups of ≥ ${LANES} lanes; ${e.describe()} has none`);
console.log(`${e.describe()}; ${reps} interleaved rounds, medians; the machine may be shared: compare within a row only`);

/** x [1, C, H, W] zero-padded by `pad` into an Hp × Wp plane per channel. */
async function padded(x: Tensor, pad: Padding, Hp: number, Wp: number): Promise<Tensor> {
  const [, C, H, W] = x.shape;
  const xd = await x.read();
  const out = new Float32Array(C * Hp * Wp);
  for (let c = 0; c < C; c++) for (let i = 0; i < H; i++) for (let j = 0; j < W; j++) out[(c * Hp + i + pad.top) * Wp + j + pad.left] = xd[(c * H + i) * W + j];
  return e.tensor([1, C, Hp, Wp], out);
}

/** Checks each variant against `want`, then times them side by side; one line of GFLOP/s. */
async function race(label: string, flop: number, want: Float32Array, variants: { name: string; run: () => Tensor }[]) {
  const contenders: Contender[] = [];
  for (const v of variants) {
    const got = await v.run().read();
    const err = got.reduce((m, g, i) => Math.max(m, Math.abs(g - want[i])), 0);
    if (err > 1e-3) throw new Error(`${label} ${v.name}: max error ${err} against the auto conv`);
    let last: Tensor | undefined;
    contenders.push({ name: v.name, call: () => { last?.release(); last = v.run(); }, sync: () => e.sync() });
  }
  const t = await timeInterleaved(contenders, { warmup: 1, reps, inner: 1 });
  console.log(`${label.padEnd(28)} ${[...t].map(([n, v]) => `${n} ${gflops(flop, v.ms).toFixed(1)}`).join('  ')} GFLOP/s`);
}

const sym1 = { top: 1, bottom: 1, left: 1, right: 1 };
for (const { C, S } of VGG_SHAPES) {
  const x = random(e, [1, C, S, S], 1);
  const w = random(e, [C, C, 3, 3], 2);
  const want = await conv2d(e, x, w, { padding: 1 }).read();
  const taps = packTapsSubgroup(e, w, C, C, { transposed: false, flipped: false }, LANES);
  const variants = [];
  for (const rows of [3, 4]) {
    const Hp = Math.ceil(S / rows) * rows + 2;
    const Wp = Math.ceil(S / 8) * 8 + 4;
    const xp = await padded(x, sym1, Hp, Wp);
    const k = kernel(module, { entryPoint: 'conv3x3Subgroup', bindings: ['xp', 'taps', 'y'], uniforms: SubgroupConvParams, constants: { LANES, TILE_ROWS: rows } });
    const uniforms = { N: 1, Cx: C, Hp, Wp4: Wp / 4, Cy: C, Hy: S, Wy: S, Hc: S, Wc: S, outStride: 1, outRow0: 0, outCol0: 0, slope: 0 };
    const workgroups: [number, number, number] = [(Wp - 4) / 8, (Hp - 2) / rows, C / LANES];
    variants.push({ name: `rows ${rows}`, run: () => {
      const y = e.empty([1, C, S, S]);
      e.run(k, { bindings: { xp, taps, y }, uniforms, workgroups, defines: epilogueDefines(undefined, 'none') });
      return y;
    } });
  }
  await race(`conv3x3Subgroup ${C}→${C} @${S}²`, 2 * C * C * 9 * S * S, want, variants);
}

// [Cin, Cout, output side, K, stride]: the net's stride-2 convs, a 2 × 2 and a 1 × 1 phase of its transposed
// convs (stride 1 on the small grid), and a channel count that leaves the last group of blocks partial.
const KXK_CASES = [[32, 64, 256, 3, 2], [64, 128, 128, 3, 2], [128, 64, 128, 2, 1], [64, 32, 256, 1, 1], [24, 40, 64, 3, 2]];
for (const [Ci, Co, S, K, stride] of KXK_CASES) {
  const Sx = stride === 1 ? S : 2 * S;
  const pad = stride === 1 ? { top: 0, bottom: K - 1, left: 0, right: K - 1 } : { top: 0, bottom: 1, left: 0, right: 1 };
  const x = random(e, [1, Ci, Sx, Sx], 1);
  const w = random(e, [Co, Ci, K, K], 2);
  const want = await conv2d(e, x, w, { padding: pad, stride }).read();
  const taps = packTapsRows(e, w, Ci, Co, K, K, { transposed: false, flipped: false }, LANES);
  const [Hp, Wp] = kxkPaddedSize(S, S, K, K, stride);
  const xp = await padded(x, pad, Hp, Wp);
  const variants = [1, 2, 4].map((blocks) => {
    const k = kernel(module, { entryPoint: 'convKxKSubgroup', bindings: ['xp', 'rowTaps', 'y'], uniforms: SubgroupConvParams, constants: { LANES, KH: K, KW: K, STRIDE: stride, KXK_BLOCKS: blocks } });
    const uniforms = { N: 1, Cx: Ci, Hp, Wp4: Wp / 4, Cy: Co, Hy: S, Wy: S, Hc: S, Wc: S, outStride: 1, outRow0: 0, outCol0: 0, slope: 0 };
    const workgroups: [number, number, number] = [Math.ceil(S / 16), S, Math.ceil(Math.ceil(Co / LANES) / blocks)];
    return { name: `blocks ${blocks}`, run: () => {
      const y = e.empty([1, Co, S, S]);
      e.run(k, { bindings: { xp, rowTaps: taps, y }, uniforms, workgroups, defines: epilogueDefines(undefined, 'none') });
      return y;
    } };
  });
  await race(`convKxKSubgroup ${Ci}→${Co} ${K}×${K} s${stride} @${S}²`, 2 * Ci * Co * K * K * S * S, want, variants);
}
process.exit(0);
