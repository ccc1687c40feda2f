// What a CLI command is, and the small helpers commands share: argument parsing, strict numbers, lists.
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { OptionError, checkNumber } from '../options.ts';

export interface Command {
  name: string;
  /** One line for the overview. */
  summary: string;
  /** Full usage text for `stylegpu NAME --help`. */
  usage: string;
  /** Exit code. Throw UsageError or OptionError for bad arguments (exit 2), anything else for failures (exit 1).
   *  `interrupt` aborts on the first Ctrl-C: stop at the next safe point and write nothing without a result. */
  run(args: string[], interrupt: AbortSignal): Promise<number>;
}

export class UsageError extends Error {}

export const isUsageError = (e: unknown): boolean => e instanceof UsageError || e instanceof OptionError || !!(e as { code?: string })?.code?.startsWith?.('ERR_PARSE_ARGS');

type Options = NonNullable<ParseArgsConfig['options']>;

/** node:util parseArgs, strict, except that a string option may take a negative number as its separate value
 *  (`--seed -1`, which parseArgs alone reads as an unknown option '-1'). */
export function parseCommandArgs<O extends Options>(args: string[], options: O) {
  const joined: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const name = args[i].startsWith('--') ? args[i].slice(2) : undefined;
    const next = args[i + 1];
    if (name && options[name]?.type === 'string' && next !== undefined && /^-[\d.]/.test(next)) {
      joined.push(`${args[i]}=${next}`);
      i++;
    } else {
      joined.push(args[i]);
    }
  }
  return parseArgs({ args: joined, options, strict: true, allowPositionals: false });
}

export function requireOption<T>(value: T | undefined, flag: string): T {
  if (value === undefined || value === '') throw new UsageError(`${flag} is required`);
  return value;
}

/** Plain decimal notation only (`32`, `-1`, `0.5`, `1e-3`): not `0x20`, `Infinity` or an empty string. */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** A flag's number: decimal, and within `rule` when one is given (other ranges are checked in src/options.ts). */
export function parseNumber(value: string | undefined, flag: string, rule: Parameters<typeof checkNumber>[2] = {}): number | undefined {
  if (value === undefined) return undefined;
  if (!DECIMAL.test(value.trim())) throw new OptionError(flag, value, 'a decimal number');
  const n = Number(value);
  checkNumber(flag, n, rule);
  return n;
}

export function parseList(value: string | undefined): string[] {
  return value ? value.split(',').map((s) => s.trim()).filter(Boolean) : [];
}

/** A comma-separated list of decimal numbers. */
export function parseNumberList(value: string | undefined, flag: string): number[] | undefined {
  const items = parseList(value);
  return items.length ? items.map((w) => parseNumber(w, flag)!) : undefined;
}
