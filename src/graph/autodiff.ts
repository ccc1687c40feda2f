// Reverse-mode autodiff, graph to graph: grad() appends the backward nodes to the same graph, built from
// the rules in gradients.ts, so forward and backward are compiled, fused and memory-planned together.
import { type Node, describe } from './graph.ts';
import { GRADIENTS } from './gradients.ts';
import { add, fill } from './ops.ts';

/** d loss / d each of `wrt`. Only paths from `wrt` to `loss` are differentiated: frozen weights get no
 *  gradient nodes at all. A `wrt` that does not reach the loss gets an all-zero gradient. */
export function grad(loss: Node, wrt: readonly Node[]): Node[] {
  if (loss.shape.length !== 1 || loss.shape[0] !== 1) throw new Error(`grad: the loss must be a [1] scalar, got ${describe(loss)}`);
  const g = loss.graph;

  // Nodes on a path from some wrt node (ids increase along edges, so one forward sweep finds them).
  const needsGrad = new Set<Node>(wrt);
  for (const n of g.nodes.slice(0, loss.id + 1)) {
    if (n.inputs.some((i) => needsGrad.has(i))) needsGrad.add(n);
  }

  const grads = new Map<Node, Node>([[loss, fill([1], 1, g)]]);
  for (let id = loss.id; id >= 0; id--) {
    const node = g.nodes[id];
    const dy = grads.get(node);
    if (!dy || node.inputs.length === 0) continue;
    const rule = GRADIENTS[node.op];
    const needs = node.inputs.map((i) => needsGrad.has(i));
    if (!needs.some(Boolean)) continue;
    if (!rule) throw new Error(`grad: no gradient rule for op '${node.op}' (${describe(node)})`);
    const dInputs = rule(node, dy, needs);
    node.inputs.forEach((input, k) => {
      const d = dInputs[k];
      if (!needs[k] || !d) return;
      const prev = grads.get(input);
      grads.set(input, prev ? add(prev, d) : d);
    });
  }
  return wrt.map((w) => grads.get(w) ?? fill(w.shape, 0, g));
}
