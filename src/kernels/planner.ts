// Kernel planners: per op family, a table of candidate kernels and, per adapter profile, the order in which
// 'auto' tries them. A candidate says whether it serves a problem on a device (`fits` → undefined) or why
// not; 'auto' takes the first candidate of the profile's order that fits, an explicit impl that does not fit
// fails with its reason. Adding a kernel is one row in its family's table (and a place in the orders).
import type { AdapterProfile, GpuContext } from '../runtime/device.ts';

/** Options a caller may give with `impl`: `lanes` (4 or 8) for the subgroup kernels, a `tile` for the
 *  blocked ones. */
export type ChoiceOption = 'lanes' | 'tile';

export interface KernelCandidate<P> {
  /** The name users pass as `impl`: the entry point that Engine.stats.byKernel and the profiler print
   *  (after the module name, e.g. conv2dSubgroup.conv3x3Subgroup). */
  readonly name: string;
  /** The options it takes; given another, it does not fit. */
  readonly options: readonly ChoiceOption[];
  /** Undefined when this kernel serves `problem` on this device, else why not (one clause, e.g. "needs a
   *  3×3 kernel and stride 1, got 5×5 stride 2"). */
  fits(problem: P, ctx: GpuContext): string | undefined;
}

export interface KernelTable<P, C extends KernelCandidate<P> = KernelCandidate<P>> {
  /** What the family computes, for messages. */
  readonly family: string;
  readonly candidates: readonly C[];
  /** Per profile, candidate names in the order 'auto' tries them; every order ends in a kernel that fits
   *  every valid problem. */
  readonly preference: Readonly<Record<AdapterProfile, readonly string[]>>;
}

export function kernelTable<P, C extends KernelCandidate<P>>(table: KernelTable<P, C>): KernelTable<P, C> {
  const names = table.candidates.map((c) => c.name);
  if (new Set(names).size !== names.length) throw new Error(`kernel table ${table.family}: duplicate candidate names ${names.join(', ')}`);
  for (const [profile, order] of Object.entries(table.preference)) {
    for (const name of order) if (!names.includes(name)) throw new Error(`kernel table ${table.family}: profile ${profile} prefers unknown kernel '${name}'`);
  }
  return table;
}

/** The candidate that runs `problem`: `impl` if given (failing with its reason when it does not fit), else
 *  the first fitting one in the order of the device's profile. */
export function plan<P, C extends KernelCandidate<P>>(table: KernelTable<P, C>, op: string, problem: P, ctx: GpuContext, impl = 'auto'): C {
  if (impl !== 'auto') {
    const c = table.candidates.find((k) => k.name === impl);
    if (!c) throw new Error(`${op}: unknown impl '${impl}'; ${table.family} has ${table.candidates.map((k) => `'${k.name}'`).join(', ')} or 'auto'`);
    const reason = c.fits(problem, ctx);
    if (reason) throw new Error(`${op}: impl '${impl}' ${reason}`);
    return c;
  }
  const reasons: string[] = [];
  for (const name of table.preference[ctx.profile]) {
    const c = table.candidates.find((k) => k.name === name)!;
    const reason = c.fits(problem, ctx);
    if (!reason) return c;
    reasons.push(`${name} ${reason}`);
  }
  throw new Error(`${op}: no ${table.family} kernel of profile '${ctx.profile}' serves this problem (${reasons.join('; ')})`);
}

/** Why a kernel that takes only `options` cannot take the options given in `choice`, or undefined. */
export function optionReason(choice: { lanes?: unknown; tile?: unknown }, options: readonly ChoiceOption[]): string | undefined {
  if (choice.tile !== undefined && !options.includes('tile')) return 'takes no tile (an option of the blocked kernels)';
  if (choice.lanes !== undefined && !options.includes('lanes')) return 'takes no lanes (an option of the subgroup kernels)';
  return undefined;
}
