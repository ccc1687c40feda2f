// The op table: for each op, its output shape and how to run it with our kernels. Gradient rules live in
// one table of their own (gradients.ts), keyed by the same names.
//
// An op is a plain object (ops.ts, styleganOps.ts, fusedOps.ts) that its constructor hands to Graph.add, which
// enters it in the table the first time a graph uses it; nothing is registered when a module loads. So an op, and
// the kernels its `run` calls, reach a program (and a page's bundle) only through the constructors its model calls.
import type { PaddedLayout } from '../kernels/geometry.ts';
import type { GpuContext } from '../runtime/device.ts';
import type { Engine } from '../runtime/engine.ts';
import type { Shape, Tensor } from '../runtime/tensor.ts';
import type { Attrs, Node } from './graph.ts';
import type { Step } from './program.ts';

export interface OpDef<A extends Attrs = Attrs> {
  /** The op's name in graphs, programs, gradient rules and messages; one op per name. */
  readonly name: string;
  /** Output shape from input shapes: the only place it is computed (Graph.add calls it). Throws on a
   *  mismatch, saying what does not fit; Graph.add adds the op's name and the input shapes. */
  shape(inputs: readonly Shape[], attrs: A): Shape;
  /** Run the op; the result is a new tensor the program owns (a view of inputs[0] for a view op), or `into`
   *  for an op that writesInto. */
  run(e: Engine, inputs: readonly Tensor[], attrs: A, into?: Tensor): Tensor;
  /** run writes its result into a tensor `into` of the output shape that the program allocated, in any
   *  layout (a padded one included): the producers of the program's paddedOutput plan. */
  writesInto?: boolean;
  /** The padded layout in which the op reads inputs[0] when that input is already padded (else it pads
   *  inputs[0] itself), and its attrs pinned to the kernel that reads it: the planner is asked here, once.
   *  Undefined when its kernel reads no such layout. */
  paddedInput?(ctx: GpuContext, inputs: readonly Shape[], attrs: A): { layout: PaddedLayout; attrs: A } | undefined;
  /** The result shares inputs[0]'s buffer (Tensor.reshape): no work, and the program keeps the input
   *  alive while the view is. */
  view?: boolean;
  /** The fusion pass's pattern rewrites (patterns.ts) whose chains this op anchors, by rewrite name: the pass
   *  finds them through the ops of a program's steps, so a page carries a rewrite and its fused kernels only
   *  along with an op it applies to. */
  patterns?: Readonly<Record<string, (steps: readonly Step[], outputs: readonly Node[]) => Step[]>>;
}

const OPS = new Map<string, OpDef>();

/** Enters `def` in the table (once; another op of the same name is an error). */
export function useOp<A extends Attrs>(def: OpDef<A>): void {
  const known = OPS.get(def.name);
  if (known === (def as unknown as OpDef)) return;
  if (known) throw new Error(`op ${def.name} defined twice`);
  OPS.set(def.name, def as unknown as OpDef);
}

/** The op named `name` if it is in the table. */
export function findOp(name: string): OpDef | undefined {
  return OPS.get(name);
}

/** The op of a node in a graph (every node's op was entered by Graph.add). */
export function opDef(name: string): OpDef {
  const d = OPS.get(name);
  if (!d) throw new Error(`no op named ${name}`);
  return d;
}
