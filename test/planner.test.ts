import { describe, expect, it } from 'vitest';
import { kernelTable, plan } from '../src/kernels/planner.ts';
import type { GpuContext } from '../src/runtime/device.ts';

// A toy family: problems are sizes; 'fast' serves even sizes only, 'wide' sizes ≥ 10, 'any' everything.
type Problem = { n: number; lanes?: 4 | 8 };
const table = kernelTable<Problem, { name: string; options: []; fits(p: Problem): string | undefined }>({
  family: 'toy',
  candidates: [
    { name: 'fast', options: [], fits: (p) => (p.n % 2 ? `needs an even size, got ${p.n}` : undefined) },
    { name: 'wide', options: [], fits: (p) => (p.n < 10 ? `needs a size of at least 10, got ${p.n}` : undefined) },
    { name: 'any', options: [], fits: () => undefined },
  ],
  preference: { cpu: ['fast', 'wide', 'any'], gpu: ['wide', 'any'] },
});
const ctx = (profile: 'cpu' | 'gpu') => ({ profile }) as GpuContext;

describe('kernel planner', () => {
  it("'auto' takes the first candidate that fits in the profile's order", () => {
    expect(plan(table, 'op', { n: 4 }, ctx('cpu')).name).toBe('fast');
    expect(plan(table, 'op', { n: 11 }, ctx('cpu')).name).toBe('wide');
    expect(plan(table, 'op', { n: 3 }, ctx('cpu')).name).toBe('any');
    expect(plan(table, 'op', { n: 4 }, ctx('gpu')).name).toBe('any');
    expect(plan(table, 'op', { n: 12 }, ctx('gpu'), 'auto').name).toBe('wide');
  });

  it('an explicit impl runs whatever the profile, or fails with its reason; unknown names are listed', () => {
    expect(plan(table, 'op', { n: 4 }, ctx('gpu'), 'fast').name).toBe('fast');
    expect(() => plan(table, 'op', { n: 3 }, ctx('cpu'), 'fast')).toThrow("op: impl 'fast' needs an even size, got 3");
    expect(() => plan(table, 'op', { n: 3 }, ctx('cpu'), 'slow')).toThrow("op: unknown impl 'slow'; toy has 'fast', 'wide', 'any' or 'auto'");
  });

  it('fails naming every reason when nothing in the order fits, and rejects malformed tables', () => {
    const strict = kernelTable({ ...table, preference: { cpu: ['fast', 'wide'], gpu: ['wide'] } });
    expect(() => plan(strict, 'op', { n: 3 }, ctx('cpu'))).toThrow(
      "op: no toy kernel of profile 'cpu' serves this problem (fast needs an even size, got 3; wide needs a size of at least 10, got 3)",
    );
    expect(() => kernelTable({ ...table, preference: { cpu: ['fast', 'quick'], gpu: [] } })).toThrow(/profile cpu prefers unknown kernel 'quick'/);
    expect(() => kernelTable({ ...table, candidates: [...table.candidates, table.candidates[0]] })).toThrow(/duplicate candidate names/);
  });
});
