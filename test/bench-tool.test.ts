// The benchmark tool's own code (bench/tool/): stated operation and byte counts, argument parsing, the HTML
// report and compare mode. No device: the results fed to the reports are made here.
import { describe, expect, it } from 'vitest';
import { casesFromJson, parseTiles, parseToolArgs } from '../bench/tool/args.ts';
import { type BenchCase, caseName, convOutput, makeCase, parseCase, work } from '../bench/tool/cases.ts';
import { fusionSetting } from '../bench/tool/fusions.ts';
import { type ModelRow, modelReportHtml } from '../bench/tool/model.ts';
import { compareRuns, formatComparison, formatResultTable, htmlReport } from '../bench/tool/report.ts';
import { type CaseResult, type RunResult, caseResult, repeat, stats } from '../bench/tool/run.ts';

const noFile = (f: string): string => {
  throw new Error(`unexpected read of ${f}`);
};

describe('cases and their stated work', () => {
  it('counts a 3×3 same conv: 2·Cout·H·W·Cin·9 FLOP, input + weights + output bytes', () => {
    const c = parseCase('conv2d:cin=64,h=128');
    expect(c).toEqual({ op: 'conv2d', n: 1, cin: 64, cout: 64, h: 128, w: 128, k: 3, s: 1, p: 1 });
    expect(work(c)).toEqual({ flop: 2 * 64 * 128 * 128 * 64 * 9, bytes: 4 * (64 * 128 * 128 + 64 * 64 * 9 + 64 * 128 * 128) });
  });

  it('counts a strided, unpadded, rectangular conv on its output grid', () => {
    const c = parseCase('conv2d:n=2,cin=3,cout=32,h=17,w=10,k=9,s=2,p=0');
    expect(convOutput(c as Extract<BenchCase, { op: 'conv2d' }>)).toEqual([2, 32, 5, 1]);
    const outputs = 2 * 32 * 5 * 1;
    expect(work(c)).toEqual({ flop: 2 * outputs * 3 * 81, bytes: 4 * (2 * 3 * 17 * 10 + 32 * 3 * 81 + outputs) });
  });

  it('counts the input gradient like its forward pass and the Gram matrix as C²·positions multiply-adds', () => {
    expect(work(parseCase('conv2d-dx:cin=8,cout=16,h=9'))).toEqual(work(parseCase('conv2d:cin=8,cout=16,h=9')));
    expect(work(parseCase('gram:c=5,h=3,w=7'))).toEqual({ flop: 2 * 25 * 21, bytes: 4 * (5 * 21 + 25) });
  });

  it('names cases', () => {
    expect(caseName(parseCase('conv2d:cin=64,cout=128,h=32,k=1,p=0'))).toBe('conv2d 64→128 k1 s1 p0 @32×32');
    expect(caseName(parseCase('gram:n=2,c=8,h=4'))).toBe('gram c8 @4×4 n2');
  });

  it('rejects bad cases naming the problem', () => {
    expect(() => parseCase('matmul:m=4')).toThrow(/op must be one of conv2d, conv2d-dx, gram/);
    expect(() => parseCase('conv2d:cin=4,h=8,c=3')).toThrow(/takes n, cin, cout, h, w, k, s, p, not 'c'/);
    expect(() => parseCase('conv2d:h=8')).toThrow(/missing 'cin'/);
    expect(() => parseCase('conv2d:cin=4,h=8,k=2')).toThrow(/even kernel/);
    expect(() => parseCase('conv2d:cin=4,h=2,k=5,p=0')).toThrow(/output would be/);
    expect(() => parseCase('conv2d:cin=4.5,h=8')).toThrow(/'cin' must be a whole number/);
    expect(() => parseCase('conv2d:cin=4,h')).toThrow(/'h' is not key=value/);
    expect(() => makeCase({ op: 'gram', c: 0, h: 4 })).toThrow(/'c' must be ≥ 1/);
  });
});

describe('argument parsing', () => {
  it('takes cases, impls, tiles, profile, budget and host', () => {
    const cmd = parseToolArgs(['--case', 'conv2d:cin=8,h=16', '--case', 'gram:c=4,h=8', '--impl', 'auto,conv2dBlocked', '--tiles', '8x2,16x1', '--profile', 'gpu', '--budget', '50', '--node', '--no-tfjs'], noFile);
    expect(cmd.mode).toBe('kernels');
    if (cmd.mode !== 'kernels') return;
    expect(cmd.cases.map((c) => c.op)).toEqual(['conv2d', 'gram']);
    expect(cmd.settings).toEqual({ budgetMs: 50, warmup: 1, minReps: 3, impls: ['auto', 'conv2dBlocked'], tiles: [{ co: 8, px: 2 }, { co: 16, px: 1 }] });
    expect(cmd).toMatchObject({ host: 'node', tfjs: false, profile: 'gpu' });
  });

  it('reads cases from a JSON file, defaulting to Chromium', () => {
    const cmd = parseToolArgs(['--cases', 'c.json'], () => JSON.stringify({ cases: [{ op: 'conv2d', cin: 3, cout: 32, h: 64, k: 9 }], impl: ['auto'] }));
    expect(cmd).toMatchObject({ mode: 'kernels', host: 'chromium', tfjs: true, settings: { impls: ['auto'] } });
    expect(() => casesFromJson('{"cases": []}', 'x.json')).toThrow(/x.json: expected \{ "cases"/);
    expect(() => casesFromJson('nope', 'x.json')).toThrow(/x.json: not JSON/);
  });

  it('parses compare and model modes', () => {
    expect(parseToolArgs(['--compare', 'a.json', 'b.json'], noFile)).toEqual({ mode: 'compare', before: 'a.json', after: 'b.json' });
    expect(parseToolArgs(['--model', 'gatys', '--size', '128', '--fusion', 'all,none,convAct'], noFile)).toMatchObject({ mode: 'model', host: 'chromium', model: 'gatys', size: 128, fusions: ['all', 'none', 'convAct'], iterations: 3 });
    expect(parseToolArgs(['--model', 'fast-style', '--node'], noFile)).toMatchObject({ mode: 'model', host: 'node', model: 'fast-style' });
    expect(parseToolArgs(['--model', 'stylegan', '--size', '64'], noFile)).toMatchObject({ model: 'stylegan', size: 64, stylegan: { widths: 'tiny', noise: 'random' } });
    expect(parseToolArgs(['--model', 'stylegan', '--widths', 'full', '--noise', 'zeros'], noFile)).toMatchObject({ size: 256, stylegan: { widths: 'full', noise: 'zeros' } });
  });

  it('rejects bad arguments before any work', () => {
    expect(() => parseToolArgs([], noFile)).toThrow(/no cases/);
    expect(() => parseToolArgs(['--case', 'conv2d:cin=8,h=8', '--budget', '1.5'], noFile)).toThrow(/--budget: a whole number ≥ 0/);
    expect(() => parseToolArgs(['--case', 'conv2d:cin=8,h=8', '--profile', 'tpu'], noFile)).toThrow(/--profile: cpu or gpu/);
    expect(() => parseToolArgs(['--compare', 'a.json'], noFile)).toThrow(/two result files/);
    expect(() => parseToolArgs(['--model', 'vgg'], noFile)).toThrow(/--model: one of gatys/);
    expect(() => parseToolArgs(['--model', 'gatys', '--fusion', 'all,fuseAll'], noFile)).toThrow(/--fusion: 'all', 'none', .* got 'fuseAll'/);
    expect(() => parseToolArgs(['--model', 'stylegan', '--size', '96'], noFile)).toThrow(/--size: StyleGAN makes power-of-two images, got 96/);
    expect(() => parseToolArgs(['--model', 'stylegan', '--widths', 'huge'], noFile)).toThrow(/--widths: tiny or full expected, got 'huge'/);
    expect(() => parseToolArgs(['--model', 'stylegan', '--noise', 'some'], noFile)).toThrow(/--noise: random or zeros expected/);
    expect(() => parseToolArgs(['--frobnicate'], noFile)).toThrow(/frobnicate/);
    expect(() => parseTiles('8by2')).toThrow(/co×px pairs/);
  });

  it('names fusion settings by rewrite', () => {
    expect(fusionSetting('all')).toBe(true);
    expect(fusionSetting('none')).toBe(false);
    expect(fusionSetting('convAct')).toEqual({ convAct: true, normAct: false, gramMse: false, gradAddAct: false, noiseAct: false, normAdd: false, linearSum: false, lossWeight: false, paddedOutput: false });
    expect(fusionSetting('no-normAct')).toEqual({ convAct: true, normAct: false, gramMse: true, gradAddAct: true, noiseAct: true, normAdd: true, linearSum: true, lossWeight: true, paddedOutput: true });
    expect(fusionSetting('paddedOutput')).toEqual({ convAct: false, normAct: false, gramMse: false, gradAddAct: false, noiseAct: false, normAdd: false, linearSum: false, lossWeight: false, paddedOutput: true });
    expect(() => fusionSetting('fuseAll')).toThrow(/'all', 'none', a rewrite \(convAct, normAct, gramMse, gradAddAct, noiseAct, normAdd, linearSum, lossWeight, paddedOutput\)/);
  });
});

describe('timing statistics', () => {
  it('takes median, min and max', () => {
    expect(stats([3, 1, 2])).toEqual({ median: 2, min: 1, max: 3 });
    expect(stats([4, 1, 2, 3])).toEqual({ median: 2.5, min: 1, max: 4 });
  });

  it('repeats until the budget and at least minReps, after the warm-up', async () => {
    let calls = 0;
    const m = await repeat(async () => ({ wallMs: ++calls }), { warmup: 2, minReps: 4, budgetMs: 0 });
    expect(calls).toBe(6);
    expect(m.reps).toBe(4);
    expect(m.wallMs).toEqual({ median: 4.5, min: 3, max: 6 });
    expect(m.gpuMs).toBeUndefined();
  });
});

/** A run with results made from stated times (no device). */
function fakeRun(times: Record<string, [number, number, number]>): RunResult {
  const roofline = { fmaGflops: 100, copyGBps: 10 };
  const results: CaseResult[] = Object.entries(times).map(([key, [median, min, max]]) => {
    const [spec, variant] = key.split(' | ');
    return caseResult(parseCase(spec), variant, { reps: 5, wallMs: { median: median + 1, min: min + 1, max: max + 1 }, gpuMs: { median, min, max } }, roofline);
  });
  const settings = { budgetMs: 100, warmup: 1, minReps: 3 };
  return { host: 'test', adapter: 'made-up adapter', profile: 'cpu', timestamps: 'GPU time', roofline, settings, results, skipped: [{ case: 'x', variant: 'conv2dNaive', reason: 'too slow <on purpose>' }] };
}

describe('reports', () => {
  const run = fakeRun({
    'conv2d:cin=64,h=32 | auto (conv3x3Subgroup)': [2, 1.9, 2.2],
    'conv2d:cin=64,h=32 | conv2d3x3': [4, 3.8, 4.4],
    'gram:c=64,h=32 | gram': [1, 0.9, 1.1],
  });

  it('derives rates and roofline fractions from the GPU median', () => {
    const r = run.results[0];
    const { flop, bytes } = work(parseCase('conv2d:cin=64,h=32'));
    expect(r.timeSource).toBe('gpu');
    expect(r.gflops).toBeCloseTo(flop / 2e6, 9);
    expect(r.gbps).toBeCloseTo(bytes / 2e6, 9);
    expect(r.ofPeak).toBeCloseTo(r.gflops / 100, 12);
    expect(r.ofBandwidth).toBeCloseTo(r.gbps / 10, 12);
  });

  it('writes a self-contained HTML page with one roofline point per case result and bars per case', () => {
    const html = htmlReport(run, 'npm run bench:kernels -- --case conv2d:cin=64,h=32');
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html.match(/<circle class="case"/g)).toHaveLength(3);
    expect(html.match(/<rect class="bar"/g)).toHaveLength(3);
    expect(html.match(/<svg /g)).toHaveLength(1 + 2);
    expect(html).not.toMatch(/<script|src="http|href="http/);
    expect(html).toContain('too slow &lt;on purpose&gt;');
    // Balanced tags: every opened element the report writes is closed.
    for (const tag of ['svg', 'table', 'tr', 'h2', 'h3', 'text', 'circle', 'title', 'ul', 'li', 'body', 'html', 'p', 'g']) {
      const opened = [...html.matchAll(new RegExp(`<${tag}(?:\\s[^>]*)?>`, 'g'))].filter((m) => !m[0].endsWith('/>'));
      expect(opened.length, tag).toBe(html.match(new RegExp(`</${tag}>`, 'g'))?.length ?? 0);
    }
    // Every point lies inside the plot.
    for (const m of html.matchAll(/<circle class="case" cx="([\d.]+)" cy="([\d.]+)"/g)) {
      expect(Number(m[1])).toBeGreaterThanOrEqual(60);
      expect(Number(m[1])).toBeLessThanOrEqual(630);
      expect(Number(m[2])).toBeGreaterThanOrEqual(10);
      expect(Number(m[2])).toBeLessThanOrEqual(360);
    }
  });

  it('prints one table row per result', () => {
    const lines = formatResultTable(run).split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[1]).toMatch(/^conv2d 64→64 k3 s1 p1 @32×32\s+auto \(conv3x3Subgroup\)\s+2\.00\s+1\.90\s+2\.20\s+gpu/);
  });

  it('compares two runs: change of the medians against the larger spread', () => {
    const after = fakeRun({
      'conv2d:cin=64,h=32 | auto (conv3x3Subgroup)': [1, 0.95, 1.05], // −50 %, noise 7.5 %
      'conv2d:cin=64,h=32 | conv2d3x3': [4.2, 3.9, 4.5], // +5 %, noise 7.5 %
      'gram:c=64,h=16 | gram': [1, 1, 1],
    });
    const c = compareRuns(run, after);
    expect(c.changes.map((ch) => [ch.variant, ch.verdict])).toEqual([
      ['auto (conv3x3Subgroup)', 'faster'],
      ['conv2d3x3', 'within noise'],
    ]);
    expect(c.changes[0].change).toBeCloseTo(-0.5, 12);
    expect(c.changes[0].noise).toBeCloseTo(0.075, 12);
    expect(c.changes[1].noise).toBeCloseTo(0.075, 12);
    expect(c.onlyBefore).toEqual(['gram c64 @32×32 | gram']);
    expect(c.onlyAfter).toEqual(['gram c64 @16×16 | gram']);
    const slower = compareRuns(after, run).changes[0];
    expect(slower.verdict).toBe('slower');
    expect(formatComparison(c)).toMatch(/-50\.0 %\s+7\.5 %\s+faster/);
  });
});

describe('model report', () => {
  it('draws one bar per fusion setting for time, dispatches and bytes', () => {
    const row = (fusion: string, rewrites: string[], dispatches: number, ms: number): ModelRow => ({ fusion, rewrites, dispatches, bytesBound: dispatches * 2 ** 20, reps: 3, wallMs: { median: ms + 1, min: ms, max: ms + 2 }, gpuMs: { median: ms, min: ms - 1, max: ms + 1 } });
    const result = { host: 'chromium 1.0', adapter: 'made-up', timestamps: 'GPU time from timestamp queries', what: 'fast style <test>', inputs: '16² inputs: a.png 0123abcd', rows: [row('all', ['convAct', 'normAct'], 67, 100), row('none', [], 77, 120)] };
    const html = modelReportHtml(result, 'npm run bench:kernels -- --model fast-style');
    expect(html.match(/<rect class="bar"/g)).toHaveLength(6);
    expect(html).toContain('GPU time (timestamp queries), ms');
    expect(html).toContain('fast style &lt;test&gt;');
    expect(html).toContain('>77<');
    expect(html).toContain('67.0 MiB');
    expect(html).toContain('chromium 1.0 — made-up; GPU time from timestamp queries. 16² inputs: a.png 0123abcd.');
  });
});
