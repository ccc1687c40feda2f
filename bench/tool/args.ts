// The benchmark tool's command line (bench/tool/cli.ts has the usage text). Parsing is pure — files are
// read by the caller — so bad input fails with the problem named before any browser or device starts.
import { parseArgs } from 'node:util';
import { ADAPTER_PROFILES, type AdapterProfile } from '../../src/runtime/device.ts';
import type { Tile } from '../../src/kernels/conv2d.ts';
import { type BenchCase, makeCase, parseCase } from './cases.ts';
import { fusionSetting } from './fusions.ts';
import type { ModelSettings } from './model.ts';
import type { RunSettings } from './run.ts';

export const MODELS = ['gatys', 'fast-style', 'stylegan'] as const;
export type ModelName = (typeof MODELS)[number];

/** Where a run measures: headless Chromium (the default) or Node on Dawn (--node). */
export type Host = 'node' | 'chromium';

export type ToolCommand =
  | { mode: 'kernels'; cases: BenchCase[]; settings: RunSettings; host: Host; tfjs: boolean; profile?: AdapterProfile; out?: string; casesFile?: string }
  | { mode: 'compare'; before: string; after: string }
  | ({ mode: 'model'; host: Host; profile?: AdapterProfile; out?: string } & ModelSettings);

/** The StyleGAN unit of work: generated weights of upstream's widths or tiny ones, noise maps on or zero. */
export interface StyleGanWork {
  widths: 'tiny' | 'full';
  noise: 'random' | 'zeros';
}

const OPTIONS = {
  case: { type: 'string', multiple: true },
  cases: { type: 'string' },
  impl: { type: 'string' },
  tiles: { type: 'string' },
  profile: { type: 'string' },
  budget: { type: 'string', default: '1000' },
  warmup: { type: 'string', default: '1' },
  'min-reps': { type: 'string', default: '3' },
  node: { type: 'boolean' },
  'no-tfjs': { type: 'boolean' },
  out: { type: 'string' },
  compare: { type: 'boolean' },
  model: { type: 'string' },
  size: { type: 'string', default: '256' },
  fusion: { type: 'string' },
  iterations: { type: 'string', default: '3' },
  widths: { type: 'string', default: 'tiny' },
  noise: { type: 'string', default: 'random' },
} as const;

function wholeNumber(v: string, flag: string, min: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`${flag}: a whole number ≥ ${min} expected, got '${v}'`);
  return n;
}

/** "8x2,16x1" → tiles (co × px); the planner checks each against its kernels. */
export function parseTiles(text: string): Tile[] {
  return text.split(',').map((t) => {
    const m = /^(\d+)x(\d+)$/.exec(t.trim());
    if (!m) throw new Error(`--tiles: co×px pairs like 8x2 expected, got '${t}'`);
    return { co: Number(m[1]), px: Number(m[2]) };
  });
}

/** The cases of a JSON file: { "cases": [{ "op": "conv2d", "cin": 64, "h": 128 }, …], "impl"?: [...], "tiles"?: "8x2,…" }. */
export function casesFromJson(text: string, file: string): { cases: BenchCase[]; impls?: string[]; tiles?: Tile[] } {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file}: not JSON (${(e as Error).message})`);
  }
  const d = data as { cases?: unknown; impl?: unknown; tiles?: unknown };
  if (!d || !Array.isArray(d.cases) || d.cases.length === 0) throw new Error(`${file}: expected { "cases": [ { "op": …, … }, … ] } with at least one case`);
  if (d.impl !== undefined && !(Array.isArray(d.impl) && d.impl.every((i) => typeof i === 'string'))) throw new Error(`${file}: "impl" must be a list of names`);
  if (d.tiles !== undefined && typeof d.tiles !== 'string') throw new Error(`${file}: "tiles" must be a string like "8x2,16x1"`);
  return { cases: d.cases.map((c) => makeCase(c as Record<string, unknown>)), impls: d.impl as string[] | undefined, tiles: d.tiles ? parseTiles(d.tiles as string) : undefined };
}

/** Parses argv (without node and the script); `readFile` reads the --cases file. */
export function parseToolArgs(argv: string[], readFile: (file: string) => string): ToolCommand {
  const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  const profile = values.profile === undefined ? undefined : (ADAPTER_PROFILES as readonly string[]).includes(values.profile) ? (values.profile as AdapterProfile) : undefined;
  if (values.profile !== undefined && !profile) throw new Error(`--profile: ${ADAPTER_PROFILES.join(' or ')} expected, got '${values.profile}'`);
  if (values.compare) {
    if (positionals.length !== 2) throw new Error(`--compare: two result files expected (A.json B.json), got ${positionals.length}`);
    return { mode: 'compare', before: positionals[0], after: positionals[1] };
  }
  if (positionals.length) throw new Error(`unexpected argument '${positionals[0]}' (cases go after --case)`);
  const host: Host = values.node ? 'node' : 'chromium';
  if (values.model !== undefined) {
    if (!(MODELS as readonly string[]).includes(values.model)) throw new Error(`--model: one of ${MODELS.join(', ')} expected, got '${values.model}'`);
    const fusions = (values.fusion ?? 'all,none').split(',').map((f) => f.trim());
    fusions.forEach(fusionSetting);
    const oneOf = <T extends string>(v: string, flag: string, allowed: readonly T[]): T => {
      if (!(allowed as readonly string[]).includes(v)) throw new Error(`${flag}: ${allowed.join(' or ')} expected, got '${v}'`);
      return v as T;
    };
    const stylegan: StyleGanWork = { widths: oneOf(values.widths!, '--widths', ['tiny', 'full']), noise: oneOf(values.noise!, '--noise', ['random', 'zeros']) };
    const size = wholeNumber(values.size!, '--size', 16);
    if (values.model === 'stylegan' && (size & (size - 1)) !== 0) throw new Error(`--size: StyleGAN makes power-of-two images, got ${size}`);
    const iterations = wholeNumber(values.iterations!, '--iterations', 1);
    return { mode: 'model', host, model: values.model as ModelName, size, fusions, iterations, profile, out: values.out, stylegan };
  }
  const fromFile = values.cases ? casesFromJson(readFile(values.cases), values.cases) : undefined;
  const cases = [...(fromFile?.cases ?? []), ...(values.case ?? []).map(parseCase)];
  if (!cases.length) throw new Error('no cases: give --case op:key=value,… (e.g. --case conv2d:cin=64,h=128) or --cases FILE.json');
  const impls = values.impl ? values.impl.split(',').map((s) => s.trim()) : fromFile?.impls;
  const tiles = values.tiles ? parseTiles(values.tiles) : fromFile?.tiles;
  const settings: RunSettings = {
    budgetMs: wholeNumber(values.budget!, '--budget', 0),
    warmup: wholeNumber(values.warmup!, '--warmup', 0),
    minReps: wholeNumber(values['min-reps']!, '--min-reps', 1),
    ...(impls ? { impls } : {}),
    ...(tiles ? { tiles } : {}),
  };
  return { mode: 'kernels', cases, settings, host, tfjs: !values['no-tfjs'], profile, out: values.out, casesFile: values.cases };
}
