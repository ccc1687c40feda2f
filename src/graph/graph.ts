// A static graph of kernel calls. Nodes are created in order, so creation order is a topological order;
// autodiff appends the backward nodes after the forward ones and the program runs them in that order.
import type { Shape, Tensor } from '../runtime/tensor.ts';

export type Attrs = Record<string, unknown>;

export interface Node {
  readonly id: number;
  readonly graph: Graph;
  /** Op name; 'input' and 'constant' are leaves. */
  readonly op: string;
  readonly inputs: readonly Node[];
  readonly attrs: Attrs;
  readonly shape: Shape;
  /** Name for leaves and for messages. */
  readonly name?: string;
  /** For constants: the tensor (owned by the caller, never released by the program). */
  readonly value?: Tensor;
}

export class Graph {
  readonly nodes: Node[] = [];

  add(op: string, inputs: readonly Node[], attrs: Attrs, shape: Shape, extra: { name?: string; value?: Tensor } = {}): Node {
    for (const i of inputs) {
      if (i.graph !== this) throw new Error(`${op}: input ${describe(i)} belongs to another graph`);
    }
    const node: Node = { id: this.nodes.length, graph: this, op, inputs, attrs, shape, ...extra };
    this.nodes.push(node);
    return node;
  }

  /** A value bound when the program runs (e.g. the image being optimised). */
  input(name: string, shape: Shape): Node {
    return this.add('input', [], {}, shape, { name });
  }

  /** A tensor fixed for the life of the graph (weights, targets). */
  constant(name: string, value: Tensor): Node {
    return this.add('constant', [], {}, value.shape, { name, value });
  }
}

export function describe(n: Node): string {
  return `${n.name ?? n.op}#${n.id}[${n.shape.join('×')}]`;
}
