// What a CLI command is, and the small helpers commands share.
export interface Command {
  name: string;
  /** One line for the overview. */
  summary: string;
  /** Full usage text for `stylegpu NAME --help`. */
  usage: string;
  /** Exit code. Throw UsageError for bad arguments (exit 2), anything else for failures (exit 1). */
  run(args: string[]): Promise<number>;
}

export class UsageError extends Error {}

export function requireOption<T>(value: T | undefined, flag: string, command: string): T {
  if (value === undefined || value === '') throw new UsageError(`${command}: ${flag} is required`);
  return value;
}

export function parseNumber(value: string | undefined, flag: string, fallback: number, { integer = false, min = -Infinity } = {}): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < min) {
    throw new UsageError(`${flag}: expected ${integer ? 'an integer' : 'a number'}${min > -Infinity ? ` ≥ ${min}` : ''}, got '${value}'`);
  }
  return n;
}

export function parseList(value: string | undefined): string[] {
  return value ? value.split(',').map((s) => s.trim()).filter(Boolean) : [];
}
