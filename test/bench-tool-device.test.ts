// The benchmark tool's measuring code on this machine's adapter (lavapipe in Node): the variants it enumerates
// from the planner's tables and one end-to-end run of a tiny case with no tfjs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCase } from '../bench/tool/cases.ts';
import path from 'node:path';
import { ROOT } from '../bench/inputs.ts';
import { measureModel } from '../bench/tool/model.ts';
import { readImageFile } from '../src/node/files.ts';
import { runCases, variantsOf } from '../bench/tool/run.ts';
import { correlationKernels } from '../src/kernels/conv2d.ts';
import { Engine } from '../src/runtime/engine.ts';

let e: Engine;
beforeAll(async () => {
  e = await Engine.create();
});
afterAll(async () => {
  await e?.destroy();
});

describe('benchmark tool on the adapter', () => {
  it('offers auto plus every correlation candidate, fitting or with the planner’s reason', () => {
    const { fit, misfit } = variantsOf(e, parseCase('conv2d:cin=8,h=12,k=5'), { tiles: [{ co: 8, px: 2 }, { co: 16, px: 8 }] });
    expect(fit[0].name).toMatch(/^auto \(\w+\)$/);
    const impls = new Set([...fit.map((v) => v.impl), ...misfit.map((m) => m.variant.split(' ')[0])]);
    for (const c of correlationKernels.candidates) expect(impls.has(c.name), c.name).toBe(true);
    expect(misfit.find((m) => m.variant.startsWith('conv3x3Subgroup'))?.reason).toMatch(/needs a 3×3 kernel/);
    expect(fit.some((v) => v.name === 'conv2dBlocked tile=8x2')).toBe(true);
    expect(misfit.find((m) => m.variant === 'conv2dBlocked tile=16x8')?.reason).toMatch(/\(co\/4\)·px ≤ 16/);
  });

  it('runs a tiny case: one result per fitting variant, rates from the stated work', async () => {
    const c = parseCase('conv2d:cin=4,cout=8,h=8');
    const logged: string[] = [];
    const run = await runCases(e, [c], { budgetMs: 0, warmup: 1, minReps: 2, impls: ['auto', 'conv2d3x3', 'conv2dNaive'] }, 'test', undefined, (l) => logged.push(l));
    expect(run.results.map((r) => r.variant.split(' ')[0])).toEqual(['auto', 'conv2d3x3', 'conv2dNaive']);
    expect(run.roofline.fmaGflops).toBeGreaterThan(0);
    expect(run.roofline.copyGBps).toBeGreaterThan(0);
    for (const r of run.results) {
      expect(r.reps).toBe(2);
      expect(r.timeSource).toBe(e.ctx.features.has('timestamp-query') ? 'gpu' : 'wall');
      expect(r.gflops).toBeCloseTo(r.flop / (r.ms * 1e6), 9);
    }
    expect(logged[0]).toMatch(/^adapter: /);
  });

  it('measures the StyleGAN model mode: every block fuses conv2 + LeakyReLU without noise, a row per setting', async () => {
    const size = 16;
    const work = { model: 'stylegan' as const, size, fusions: ['all', 'none', 'convAct'], iterations: 1, stylegan: { widths: 'tiny' as const, noise: 'zeros' as const } };
    const logged: string[] = [];
    const result = await measureModel(e, work, (f) => readImageFile(path.resolve(ROOT, f)), 'node-dawn', (l) => logged.push(l));
    const { rows } = result;
    const blocks = Math.log2(size / 4) + 1;
    expect(rows.map((r) => r.fusion)).toEqual(['all', 'none', 'convAct']);
    expect(rows[1].dispatches - rows[0].dispatches).toBe(blocks);
    expect(rows[2].dispatches).toBe(rows[0].dispatches);
    expect(rows[1].bytesBound).toBeGreaterThan(rows[0].bytesBound);
    expect(result).toMatchObject({ host: 'node-dawn', model: 'stylegan', size, inputs: 'no input images' });
    expect(result.what).toMatch(/StyleGAN generator, one 16² image .* tiny .*noise zero/);
    expect(logged.filter((l) => /^  (warm-up|round 1\/1): all .*; none .*; convAct /.test(l))).toHaveLength(2);
  });
});
