// The benchmark tool's cases: an op and its shape, parsed from the command line ("conv2d:cin=64,h=128,k=3")
// or a JSON file, and per op its stated work — FLOP and the compulsory bytes (every input read once, the
// output written once, f32) — declared here once; the roofline fractions of every figure come from these.
import type { Shape } from '../../src/runtime/tensor.ts';

/** The ops the tool benchmarks: conv2d's forward pass and input gradient (the planner's correlation and
 *  gather tables) and the Gram matrix (its Gram table). */
export const OPS = ['conv2d', 'conv2d-dx', 'gram'] as const;
export type Op = (typeof OPS)[number];

/** A conv problem: x [n, cin, h, w] ⊛ weights [cout, cin, k, k], stride s, zero padding p on every side. */
export interface ConvShape {
  n: number;
  cin: number;
  cout: number;
  h: number;
  w: number;
  k: number;
  s: number;
  p: number;
}
/** A Gram matrix of features [n, c, h, w] (one c × c matrix per image). */
export interface GramShape {
  n: number;
  c: number;
  h: number;
  w: number;
}
export type BenchCase = ({ op: 'conv2d' | 'conv2d-dx' } & ConvShape) | ({ op: 'gram' } & GramShape);

/** Keys each op takes, with their defaults (a function of the keys given, for the ones that default to others). */
const CONV_DEFAULTS = (g: Partial<ConvShape>): ConvShape => {
  const k = g.k ?? 3;
  const cin = need(g.cin, 'cin');
  const h = need(g.h, 'h');
  return { n: g.n ?? 1, cin, cout: g.cout ?? cin, h, w: g.w ?? h, k, s: g.s ?? 1, p: g.p ?? (k - 1) / 2 };
};
const GRAM_DEFAULTS = (g: Partial<GramShape>): GramShape => {
  const h = need(g.h, 'h');
  return { n: g.n ?? 1, c: need(g.c, 'c'), h, w: g.w ?? h };
};
const KEYS: Record<Op, readonly string[]> = {
  conv2d: ['n', 'cin', 'cout', 'h', 'w', 'k', 's', 'p'],
  'conv2d-dx': ['n', 'cin', 'cout', 'h', 'w', 'k', 's', 'p'],
  gram: ['n', 'c', 'h', 'w'],
};

function need(v: number | undefined, key: string): number {
  if (v === undefined) throw new Error(`missing '${key}'`);
  return v;
}

/** A case from a plain object ({ op, ...keys }), checked: unknown op or key, non-integers, impossible geometry. */
export function makeCase(spec: Record<string, unknown>): BenchCase {
  const op = spec.op;
  const where = `case ${JSON.stringify(spec)}`;
  if (typeof op !== 'string' || !(OPS as readonly string[]).includes(op)) throw new Error(`${where}: op must be one of ${OPS.join(', ')}`);
  const keys = KEYS[op as Op];
  const given: Record<string, number> = {};
  for (const [key, value] of Object.entries(spec)) {
    if (key === 'op') continue;
    if (!keys.includes(key)) throw new Error(`${where}: ${op} takes ${keys.join(', ')}, not '${key}'`);
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw new Error(`${where}: '${key}' must be a whole number ≥ 0, got ${JSON.stringify(value)}`);
    given[key] = value;
  }
  try {
    if (op === 'gram') {
      const g = GRAM_DEFAULTS(given);
      for (const k of ['n', 'c', 'h', 'w'] as const) if (g[k] < 1) throw new Error(`'${k}' must be ≥ 1`);
      return { op, ...g };
    }
    const c = CONV_DEFAULTS(given);
    for (const k of ['n', 'cin', 'cout', 'h', 'w', 'k', 's'] as const) if (c[k] < 1) throw new Error(`'${k}' must be ≥ 1`);
    if (!Number.isInteger(c.p)) throw new Error(`an even kernel (k=${c.k}) has no centred padding: give 'p'`);
    const [, , ho, wo] = convOutput(c);
    if (ho < 1 || wo < 1) throw new Error(`the output would be ${ho}×${wo}`);
    return { op: op as 'conv2d' | 'conv2d-dx', ...c };
  } catch (e) {
    throw new Error(`${where}: ${(e as Error).message}`);
  }
}

/** A case from its command-line form `op:key=value,key=value` (e.g. conv2d:cin=64,h=128,k=3). */
export function parseCase(text: string): BenchCase {
  const [op, rest = ''] = text.split(':', 2);
  const spec: Record<string, unknown> = { op };
  for (const pair of rest.split(',').filter(Boolean)) {
    const [key, value, extra] = pair.split('=');
    if (value === undefined || extra !== undefined || value === '') throw new Error(`case '${text}': '${pair}' is not key=value`);
    spec[key] = Number(value);
  }
  return makeCase(spec);
}

/** conv2d's output shape [n, cout, ho, wo]. */
export function convOutput(c: ConvShape): Shape {
  return [c.n, c.cout, Math.floor((c.h + 2 * c.p - c.k) / c.s) + 1, Math.floor((c.w + 2 * c.p - c.k) / c.s) + 1];
}

/** The stated work of a case: FLOP (a multiply-add counts 2) and compulsory bytes (inputs read once, output
 *  written once, 4 bytes a float). conv2d-dx does the forward's multiply-adds and moves the same tensors
 *  (dy in, weights in, dx out). */
export function work(c: BenchCase): { flop: number; bytes: number } {
  if (c.op === 'gram') {
    const positions = c.h * c.w;
    return { flop: 2 * c.n * c.c * c.c * positions, bytes: 4 * c.n * (c.c * positions + c.c * c.c) };
  }
  const [, , ho, wo] = convOutput(c);
  const outputs = c.n * c.cout * ho * wo;
  return { flop: 2 * outputs * c.cin * c.k * c.k, bytes: 4 * (c.n * c.cin * c.h * c.w + c.cout * c.cin * c.k * c.k + outputs) };
}

/** A short name of a case, e.g. "conv2d 64→64 k3 s1 p1 @128×128". */
export function caseName(c: BenchCase): string {
  const batch = c.n > 1 ? ` n${c.n}` : '';
  if (c.op === 'gram') return `gram c${c.c} @${c.h}×${c.w}${batch}`;
  return `${c.op} ${c.cin}→${c.cout} k${c.k} s${c.s} p${c.p} @${c.h}×${c.w}${batch}`;
}
