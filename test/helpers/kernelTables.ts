// Enumerating a planner's kernel table (src/kernels/planner.ts) instead of re-encoding its rules: each row,
// the subgroup kernels also with 4 lanes (SwiftShader's, also run on 8-lane subgroups), with the table's own
// verdict on the problem — undefined (the kernel runs it) or the reason an explicit impl must fail with.
import { expect } from 'vitest';
import type { Engine } from '../../src/runtime/engine.ts';
import type { KernelCandidate } from '../../src/kernels/planner.ts';

type Row<P> = KernelCandidate<P>;

/** An impl to pass, with lanes 4 for a subgroup kernel's second run. */
export interface Choice {
  impl: string;
  lanes?: 4;
}
export interface TableChoice extends Choice {
  reason: string | undefined;
}

export function tableChoices<P>(table: { candidates: readonly Row<P>[] }, e: Engine, problem: (lanes?: 4) => P): TableChoice[] {
  return table.candidates.flatMap((row) =>
    (row.options.includes('lanes') ? [undefined, 4 as const] : [undefined]).map((lanes) => ({ impl: row.name, lanes, reason: row.fits(problem(lanes), e.ctx) })),
  );
}

export const choiceLabel = (c: { impl: string; lanes?: number }) => (c.lanes ? `${c.impl}/${c.lanes}` : c.impl);

/** The choices of `table` that fit `problem`, after asserting that `run` fails with each other choice's
 *  reason, named by `op`: "<op>: impl '<name>' <reason>". */
export function fittingChoices<P>(table: { candidates: readonly Row<P>[] }, e: Engine, problem: (lanes?: 4) => P, op: string, run: (choice: Choice) => unknown): Choice[] {
  const fit: Choice[] = [];
  for (const { reason, ...choice } of tableChoices(table, e, problem)) {
    if (reason) expect(() => run(choice), choiceLabel(choice)).toThrow(`${op}: impl '${choice.impl}' ${reason}`);
    else fit.push(choice);
  }
  return fit;
}
