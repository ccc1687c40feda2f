// The benchmark tool's model mode in headless Chromium (SwiftShader here) against Node (lavapipe): the page runs
// the same measuring code on the same photos, so per fusion setting it must issue the same dispatches of the
// same kernels on the same pixels; and the command line's files, host line and refusals.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../bench/inputs.ts';
import { type ChromiumHost, openChromium } from '../bench/tool/hosts.ts';
import { type ModelResult, type ModelSettings, measureModel } from '../bench/tool/model.ts';
import { readImageFile } from '../src/node/files.ts';
import { Engine } from '../src/runtime/engine.ts';

const run = promisify(execFile);
/** The tool's command line: its exit code and output (a failing run does not throw). */
async function tool(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', './src/node/register.js', 'bench/tool/cli.ts', ...args], { cwd: ROOT, timeout: 110_000 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof err.code === 'number' ? err.code : -1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

const work = (model: ModelSettings['model'], size: number): ModelSettings => ({ model, size, fusions: ['all', 'none'], iterations: 1, stylegan: { widths: 'tiny', noise: 'random' } });
const quiet = () => {};

/** Per setting: dispatches, and dispatches per kernel (the per-kernel times come with timestamp queries). */
const dispatches = (r: ModelResult) => r.rows.map((row) => ({ fusion: row.fusion, dispatches: row.dispatches, perKernel: Object.fromEntries(Object.entries(row.kernels ?? {}).map(([k, t]) => [k, t.dispatches])) }));

/** Chromium's run against Node's: the same inputs, dispatches and kernels per setting, and the same bytes saved
 *  by the rewrites. The absolute bytes bound may differ by one amount in every setting: the padded inputs the
 *  subgroup convolutions read are sized by the adapter's lanes (8 on lavapipe, 4 on SwiftShader). */
function expectSameWork(chromium: ModelResult, node: ModelResult) {
  expect(chromium.host).toMatch(/^chromium \S+\/\d+/);
  expect(node.host).toBe('node-dawn');
  expect(chromium.inputs).toBe(node.inputs);
  expect(chromium.what).toBe(node.what);
  expect(dispatches(chromium)).toEqual(dispatches(node));
  const saved = (r: ModelResult) => r.rows.map((row) => row.bytesBound - r.rows[0].bytesBound);
  expect(saved(chromium)).toEqual(saved(node));
  expect(chromium.rows[1].bytesBound).toBeGreaterThan(chromium.rows[0].bytesBound);
  expect(chromium.rows[1].dispatches).toBeGreaterThan(chromium.rows[0].dispatches);
}

let chromium: ChromiumHost;
let e: Engine;
beforeAll(async () => {
  [chromium, e] = await Promise.all([openChromium(quiet), Engine.create()]);
});
afterAll(async () => {
  await chromium?.close();
  await e?.destroy();
});
const inNode = (w: ModelSettings) => measureModel(e, w, (f) => readImageFile(path.resolve(ROOT, f)), 'node-dawn', quiet);

describe('model mode in Chromium', () => {
  it('runs fast style at 32² with the dispatches and pixels of Node', async () => {
    const w = work('fast-style', 32);
    const c = await chromium.run({ mode: 'model', work: w });
    expectSameWork(c, await inNode(w));
    expect(c.inputs).toMatch(/^32² inputs .*: astronaut\.png [0-9a-f]{8}$/);
  });

  it('runs a Gatys evaluation at 16² with the dispatches and pixels of Node', async () => {
    const w = work('gatys', 16);
    const c = await chromium.run({ mode: 'model', work: w });
    expectSameWork(c, await inNode(w));
    expect(c.inputs).toMatch(/chelsea\.png [0-9a-f]{8}, starry_night\.png [0-9a-f]{8}$/);
  });
});

describe('model mode from the command line', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'stylegpu-model-'));

  it('writes the JSON and the page of a StyleGAN run in Chromium, with the host, adapter and time source', async () => {
    const out = path.join(dir, 'sg');
    const r = await tool('--model', 'stylegan', '--size', '16', '--fusion', 'all,none', '--iterations', '1', '--out', out);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^ {2}round 1\/1: all GPU \d+ ms, wall \d+ ms; none /m);
    const saved = JSON.parse(readFileSync(`${out}.json`, 'utf8')) as ModelResult & { command: string };
    expect(saved.host).toMatch(/^chromium \S+\/\d+/);
    expect(saved.adapter.length).toBeGreaterThan(0);
    expect(saved.timestamps).toMatch(/timestamp queries|wall time only/);
    expect(saved.command).toContain('--model stylegan --size 16');
    const node = await inNode(work('stylegan', 16));
    expectSameWork(saved, node);
    const html = readFileSync(`${out}.html`, 'utf8');
    expect(html.match(/<rect class="bar"/g)).toHaveLength(6);
    expect(html).toContain(saved.host);
  });

  it('refuses an existing --out before any work, and names bad models and fusions', async () => {
    const out = path.join(dir, 'taken');
    writeFileSync(`${out}.html`, 'kept');
    const [taken, model, fusion] = await Promise.all([tool('--model', 'gatys', '--size', '16', '--out', out), tool('--model', 'vgg', '--node'), tool('--model', 'gatys', '--fusion', 'all,fuseAll')]);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toContain(`${out}.html exists; give another --out`);
    expect(taken.stdout).not.toMatch(/adapter|round/);
    expect(readFileSync(`${out}.html`, 'utf8')).toBe('kept');
    expect([model.code, model.stderr.trim()]).toEqual([1, "--model: one of gatys, fast-style, stylegan expected, got 'vgg'"]);
    expect(fusion.code).toBe(1);
    expect(fusion.stderr).toMatch(/--fusion: 'all', 'none', a rewrite \(.*\) or no-REWRITE expected, got 'fuseAll'/);
  });
});
