// A static graph of kernel calls. Nodes are created in order, so creation order is a topological order;
// autodiff appends the backward nodes after the forward ones and the program runs them in that order.
import { type Shape, type Tensor, shapeString } from '../runtime/tensor.ts';
import { type OpDef, useOp } from './registry.ts';

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

  /** A node of op `op` (entered in the op table here, registry.ts); its output shape comes from the op's shape
   *  rule, so a graph that does not fit together fails here, naming the op and its input shapes. */
  add<A extends Attrs>(op: OpDef<A>, inputs: readonly Node[], attrs: A = {} as A): Node {
    for (const i of inputs) {
      if (i.graph !== this) throw new Error(`${op.name}: input ${describe(i)} belongs to another graph`);
    }
    useOp(op);
    let shape: Shape;
    try {
      shape = op.shape(inputs.map((i) => i.shape), attrs);
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      throw new Error(`${op.name}: ${why} (inputs ${inputs.map((i) => shapeString(i.shape)).join(', ') || 'none'})`);
    }
    return this.push({ op: op.name, inputs, attrs, shape });
  }

  /** A value bound when the program runs (e.g. the image being optimised). */
  input(name: string, shape: Shape): Node {
    return this.push({ op: 'input', inputs: [], attrs: {}, shape, name });
  }

  /** A tensor fixed for the life of the graph (weights, targets). */
  constant(name: string, value: Tensor): Node {
    return this.push({ op: 'constant', inputs: [], attrs: {}, shape: value.shape, name, value });
  }

  private push(n: Omit<Node, 'id' | 'graph'>): Node {
    const node: Node = { id: this.nodes.length, graph: this, ...n };
    this.nodes.push(node);
    return node;
  }
}

export function describe(n: Node): string {
  return `${n.name ?? n.op}#${n.id}[${n.shape.join('×')}]`;
}
