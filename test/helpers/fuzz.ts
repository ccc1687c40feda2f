// Seeded, bounded mutation fuzzing for file readers. Each case takes a valid file, applies one or two mutations
// (truncation, bit flips, interesting values in length and size fields, deleted or repeated ranges, or a change
// the caller's format knows how to make), and feeds the result to the reader. The reader must return a valid
// result or throw a named error (one of ours, naming the file), within a time bound and without the process
// growing past a memory bound. Failures are collected with the case's seed and mutation, so each reproduces.
import { appendFileSync } from 'node:fs';
import { expect } from 'vitest';
import { rng } from './random.ts';

/** Cases per fuzz target: a few hundred in `npm test`, more with STYLEGPU_FUZZ_CASES. */
export const FUZZ_CASES = Number(process.env.STYLEGPU_FUZZ_CASES) || 500;
/** A file to which each case is appended before it runs (to find a case that hangs). */
const TRACE = process.env.STYLEGPU_FUZZ_TRACE;
/** Wall-clock limit of one case. */
export const CASE_MS = 2_000;
/** How far the resident set may grow over a target's cases. */
export const GROWTH_BYTES = 1.5 * 2 ** 30;

export type Random = () => number;
export const below = (r: Random, n: number) => Math.floor(r() * n);
export const pick = <T>(r: Random, items: readonly T[]): T => items[below(r, items.length)];

/** A numeric field of a format (a length, a count, an offset, a dimension), for targeted mutations. */
export interface Field {
  at: number;
  bytes: 1 | 2 | 4 | 8;
  bigEndian?: boolean;
}

const INTERESTING = [0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff];

/** Writes `value` (truncated to the field's width) into `field` of `bytes`. */
export function setField(bytes: Uint8Array, field: Field, value: number | bigint): void {
  let v = BigInt.asUintN(8 * field.bytes, BigInt(value));
  for (let i = 0; i < field.bytes; i++) {
    const at = field.bigEndian ? field.at + field.bytes - 1 - i : field.at + i;
    if (at < bytes.length) bytes[at] = Number(v & 0xffn);
    v >>= 8n;
  }
}

/** One generic byte-level mutation of `bytes` (a copy is returned), with a description. */
export function mutateBytes(r: Random, bytes: Uint8Array, fields: readonly Field[] = []): { bytes: Uint8Array; what: string } {
  const n = bytes.length;
  const kind = fields.length && r() < 0.35 ? 'field' : pick(r, ['truncate', 'flip', 'byte', 'delete', 'repeat'] as const);
  switch (kind) {
    case 'truncate': {
      const at = below(r, n);
      return { bytes: bytes.slice(0, at), what: `truncated to ${at} bytes` };
    }
    case 'flip': {
      const out = bytes.slice();
      const where: number[] = [];
      for (let k = 1 + below(r, 8); k > 0; k--) {
        const bit = below(r, 8 * n);
        out[bit >> 3] ^= 1 << (bit & 7);
        where.push(bit);
      }
      return { bytes: out, what: `bits ${where.join(', ')} flipped` };
    }
    case 'byte': {
      const out = bytes.slice();
      const at = below(r, n);
      out[at] = pick(r, [0, 1, 0x7f, 0x80, 0xfe, 0xff]);
      return { bytes: out, what: `byte ${at} set to ${out[at]}` };
    }
    case 'delete': {
      const at = below(r, n);
      const len = 1 + below(r, Math.min(64, n - at));
      const out = new Uint8Array(n - len);
      out.set(bytes.subarray(0, at));
      out.set(bytes.subarray(at + len), at);
      return { bytes: out, what: `bytes ${at}…${at + len - 1} deleted` };
    }
    case 'repeat': {
      const at = below(r, n);
      const len = 1 + below(r, Math.min(64, n - at));
      const out = new Uint8Array(n + len);
      out.set(bytes.subarray(0, at + len));
      out.set(bytes.subarray(at), at + len);
      return { bytes: out, what: `bytes ${at}…${at + len - 1} repeated` };
    }
    case 'field': {
      const out = bytes.slice();
      const field = pick(r, fields);
      const value = r() < 0.7 ? pick(r, INTERESTING) : below(r, 2 ** 32);
      setField(out, field, value);
      return { bytes: out, what: `${field.bytes}-byte field at ${field.at} set to ${value}` };
    }
  }
}

/** Values that break assumptions about a JSON field (sizes, shapes, names, offsets). */
export const JSON_VALUES: readonly unknown[] = [
  -1, 0, 1.5, 2 ** 31, 2 ** 32 + 4, 2 ** 53, 1e300, -1e300, '', 'x', '../../../etc/passwd', null, true, [], {}, [-1], [2 ** 31, 2 ** 31], [0.5, 2], ['3'],
  [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1], { name: 'x' },
];

/** A copy of a parsed JSON value with one node (any depth) replaced, deleted or duplicated; with a description. */
export function mutateJson(r: Random, root: unknown): { value: unknown; what: string } {
  const copy = structuredClone(root);
  const nodes: { parent: Record<string, unknown> | unknown[]; key: string | number; path: string }[] = [];
  const walk = (v: unknown, path: string) => {
    if (Array.isArray(v)) v.forEach((x, i) => (nodes.push({ parent: v, key: i, path: `${path}[${i}]` }), walk(x, `${path}[${i}]`)));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) nodes.push({ parent: v as Record<string, unknown>, key: k, path: `${path}.${k}` }), walk(x, `${path}.${k}`);
  };
  walk(copy, '$');
  if (nodes.length === 0) return { value: pick(r, JSON_VALUES), what: 'root replaced' };
  const { parent, key, path } = pick(r, nodes);
  const action = r();
  if (action < 0.75) {
    const value = structuredClone(pick(r, JSON_VALUES));
    (parent as Record<string | number, unknown>)[key] = value;
    return { value: copy, what: `${path} = ${JSON.stringify(value)}` };
  }
  if (action < 0.9) {
    if (Array.isArray(parent)) parent.splice(key as number, 1);
    else delete parent[key as string];
    return { value: copy, what: `${path} deleted` };
  }
  if (Array.isArray(parent)) parent.splice(key as number, 0, structuredClone(parent[key as number]));
  else parent[`${String(key)}_copy`] = structuredClone(parent[key as string]);
  return { value: copy, what: `${path} duplicated` };
}

export interface FuzzTarget<T> {
  /** Base seed; case i uses seed + i. */
  seed: number;
  cases?: number;
  /** A mutated input for this case, with a description of what was changed. */
  make(r: Random, index: number): T & { what: string };
  /** Runs the reader on the input; resolves when it produced a valid result (checked inside), throws otherwise. */
  run(input: T): Promise<void> | void;
  /** Whether a thrown value is one of our named errors about this input. */
  named(error: unknown, input: T): boolean;
}

export interface FuzzReport {
  cases: number;
  valid: number;
  errors: number;
  slowestMs: number;
  rssGrowth: number;
}

/** Runs the cases; fails with the first few offending cases (seed, mutation, error) if any. */
export async function fuzz<T>(target: FuzzTarget<T>): Promise<FuzzReport> {
  const cases = target.cases ?? FUZZ_CASES;
  const problems: string[] = [];
  const startRss = process.memoryUsage.rss();
  let peakRss = startRss;
  let valid = 0;
  let slowestMs = 0;
  for (let i = 0; i < cases; i++) {
    const input = target.make(rng(target.seed + i), i);
    // A case that hangs a synchronous reader cannot be timed out from here: the trace names it.
    if (TRACE) appendFileSync(TRACE, `case ${i} (seed ${target.seed + i}, ${input.what})\n`);
    const started = performance.now();
    let failure: string | undefined;
    try {
      await target.run(input);
      valid++;
    } catch (e) {
      if (!target.named(e, input)) failure = `unnamed ${e instanceof Error ? `${e.name}: ${e.message}\n${e.stack?.split('\n').slice(1, 4).join('\n')}` : String(e)}`;
    }
    const ms = performance.now() - started;
    slowestMs = Math.max(slowestMs, ms);
    if (ms > CASE_MS) failure = `${failure ? `${failure}; ` : ''}took ${ms.toFixed(0)} ms`;
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
    if (peakRss - startRss > GROWTH_BYTES) failure = `${failure ? `${failure}; ` : ''}resident set grew by ${((peakRss - startRss) / 2 ** 20).toFixed(0)} MiB`;
    if (failure) problems.push(`case ${i} (seed ${target.seed + i}, ${input.what}): ${failure}`);
    if (problems.length >= 5) break;
  }
  expect(problems, problems.join('\n\n')).toEqual([]);
  return { cases, valid, errors: cases - valid, slowestMs, rssGrowth: peakRss - startRss };
}

/** Thrown by a target's `run` when the reader returned something that is not a valid result. */
export class InvalidResult extends Error {}

/** Whether `e` is an error our code threw about `where` (not an engine's TypeError or RangeError passing through). */
export function isNamedError(e: unknown, where: string): boolean {
  if (!(e instanceof Error) || e instanceof InvalidResult || e instanceof TypeError || e instanceof RangeError || e instanceof SyntaxError) return false;
  return e.message.includes(where);
}
