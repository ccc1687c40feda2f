// The benchmark tool's fusion settings by name (--fusion all,none,convAct,no-normAct): parsed up front by
// args.ts, so a bad name fails before any browser or device starts, and turned into the graph's options by the
// model measurement (model.ts), in Node or in the page.
import { FUSION_NAMES, type FusionOptions } from '../../src/graph/fusion.ts';

/** A fusion setting by name: 'all', 'none', a rewrite's name (that one alone on: what it buys over none) or
 *  'no-NAME' (every rewrite but that one: what it buys over all). */
export function fusionSetting(name: string): FusionOptions {
  const names: readonly string[] = FUSION_NAMES;
  if (name === 'all') return true;
  if (name === 'none') return false;
  const only = name.startsWith('no-') ? name.slice(3) : undefined;
  const rewrite = only ?? name;
  if (!names.includes(rewrite)) throw new Error(`--fusion: 'all', 'none', a rewrite (${names.join(', ')}) or no-REWRITE expected, got '${name}'`);
  return Object.fromEntries(names.map((n) => [n, only ? n !== rewrite : n === rewrite]));
}
