// The op table: for each op, its output shape and how to run it with our kernels. Gradient rules live in
// one table of their own (gradients.ts), keyed by the same names.
import type { PaddedLayout } from '../kernels/geometry.ts';
import type { GpuContext } from '../runtime/device.ts';
import type { Engine } from '../runtime/engine.ts';
import type { Shape, Tensor } from '../runtime/tensor.ts';
import type { Attrs } from './graph.ts';

export interface OpDef<A extends Attrs = Attrs> {
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
}

const OPS = new Map<string, OpDef>();

export function defineOp<A extends Attrs>(name: string, def: OpDef<A>): void {
  if (OPS.has(name)) throw new Error(`op ${name} defined twice`);
  OPS.set(name, def as unknown as OpDef);
}

export function opDef(name: string): OpDef {
  const d = OPS.get(name);
  if (!d) throw new Error(`no op named ${name}`);
  return d;
}
