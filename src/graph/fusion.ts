// The fusion pass: rewrites steps into fewer dispatches. Switch it off with { fusion: false } to compare.
//   conv2d → relu   ⇒  conv2d with the ReLU applied in its epilogue, when the conv's output has no other
//                      consumer (the relu's output is what the backward pass keeps: reluBackward only needs
//                      the sign of y).
import type { Node } from './graph.ts';
import type { Step } from './program.ts';

const FUSABLE_ACTIVATIONS: Partial<Record<string, (s: Step) => Record<string, unknown>>> = {
  relu: () => ({ activation: 'relu' }),
};

export function fuse(steps: Step[], outputs: readonly Node[]): Step[] {
  const consumers = new Map<Node, number>();
  for (const s of steps) for (const n of s.inputs) consumers.set(n, (consumers.get(n) ?? 0) + 1);
  for (const n of outputs) consumers.set(n, (consumers.get(n) ?? 0) + 1);
  const byNode = new Map(steps.map((s) => [s.node, s]));
  const removed = new Set<Step>();
  const out: Step[] = [];
  for (const s of steps) {
    const act = FUSABLE_ACTIVATIONS[s.op];
    const producer = act && s.inputs.length === 1 ? byNode.get(s.inputs[0]) : undefined;
    if (act && producer && producer.op === 'conv2d' && !producer.attrs.activation && consumers.get(producer.node) === 1) {
      removed.add(producer);
      out.push({ node: s.node, op: 'conv2d', inputs: producer.inputs, attrs: { ...producer.attrs, ...act!(s) } });
    } else {
      out.push(s);
    }
  }
  return out.filter((s) => !removed.has(s));
}
