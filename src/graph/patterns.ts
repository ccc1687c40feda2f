// The pattern rewrites of the fusion pass (fusion.ts): each replaces a chain of steps by one op of fusedOps.ts.
//   gramMse     scale(mse(gram(F), T), w)            ⇒  gramMse(G, T): one loss kernel, no G − T stored
//               gramBackward(F, mseBackward(G, T, scale(dL, w)))  ⇒  gramMseBackward(F, G, T, dL)
//   gradAddAct  reluBackward | leakyReluBackward(y, add(a, b))   ⇒  activationBackwardSum(y, a, b)
//   noiseAct    leakyRelu(noiseInjection(x, w, noise))            ⇒  noiseInjectionLeakyRelu(x, w, noise)
//   normAdd     add(r, instanceNorm(x, γ, β)) in either order      ⇒  instanceNormAdd(x, r, γ, β)
// Each fused step takes the place of the chain's last step (its inputs are all computed by then) and keeps its
// node, so every consumer still finds it; the chain's inner values must have no other consumer and not be
// program outputs. A rewrite is reached through the op that anchors its chain (OpDef.patterns: gram,
// reluBackward / leakyReluBackward, noiseInjection, instanceNorm), so a page whose models build no such op carries
// neither the rewrite nor its fused kernels.
import type { Attrs, Node } from './graph.ts';
import { activationBackwardSumOp, gramMseBackwardOp, gramMseOp, instanceNormAddOp, noiseInjectionLeakyReluOp } from './fusedOps.ts';
import { type OpDef, useOp } from './registry.ts';
import type { Step } from './program.ts';

/** A fused op's name for a step, entered in the op table (as Graph.add enters the ops it builds). */
function fusedOp<A extends Attrs>(def: OpDef<A>): string {
  useOp(def);
  return def.name;
}

/** Who produces and who consumes each value of a step list. */
function uses(steps: readonly Step[], outputs: readonly Node[]) {
  const producer = new Map(steps.map((s) => [s.node, s]));
  const consumers = new Map<Node, Step[]>();
  for (const s of steps) for (const n of s.inputs) consumers.set(n, [...(consumers.get(n) ?? []), s]);
  const isOutput = new Set(outputs);
  return {
    producer: (n: Node) => producer.get(n),
    /** The one step that reads n, if n is read by exactly one step and is not a program output. */
    soleConsumer: (n: Node) => (!isOutput.has(n) && consumers.get(n)?.length === 1 ? consumers.get(n)![0] : undefined),
  };
}

/** The steps with `replaced` ones swapped for their fused step and `removed` ones dropped. */
function rewritten(steps: readonly Step[], replaced: Map<Step, Step>, removed: Set<Step>): Step[] {
  return steps.filter((s) => !removed.has(s)).map((s) => replaced.get(s) ?? s);
}

/** gramMse: the style loss's forward chain mse → scale after a gram, and its backward mseBackward → gramBackward
 *  with the seed scale before it, each become one op (the scale folded in as the weight where it is the mse's,
 *  or the upstream gradient's, sole consumer). */
export function fuseGramMse(steps: readonly Step[], outputs: readonly Node[]): Step[] {
  const u = uses(steps, outputs);
  const replaced = new Map<Step, Step>();
  const removed = new Set<Step>();
  for (const s of steps) {
    if (s.op === 'mse') {
      const [G, T] = s.inputs;
      const gram = u.producer(G);
      if (gram?.op !== 'gram') continue;
      const next = u.soleConsumer(s.node);
      const scale = next?.op === 'scale' ? next : undefined;
      if (scale) removed.add(s);
      const at = scale ?? s;
      replaced.set(at, { node: at.node, op: fusedOp(gramMseOp), inputs: [G, T], attrs: { weight: scale ? scale.attrs.factor : 1, norm: gram.attrs.norm } });
    } else if (s.op === 'gramBackward') {
      const [F, dG] = s.inputs;
      const mseBack = u.producer(dG);
      if (mseBack?.op !== 'mseBackward' || u.soleConsumer(dG) !== s) continue;
      const [G, T, dL] = mseBack.inputs;
      const gram = u.producer(G);
      if (gram?.op !== 'gram' || gram.inputs[0] !== F || gram.attrs.norm !== s.attrs.norm) continue;
      const seed = u.producer(dL);
      const scale = seed?.op === 'scale' && u.soleConsumer(dL) === mseBack ? seed : undefined;
      removed.add(mseBack);
      if (scale) removed.add(scale);
      const attrs = { weight: scale ? scale.attrs.factor : 1, norm: s.attrs.norm };
      replaced.set(s, { node: s.node, op: fusedOp(gramMseBackwardOp), inputs: [F, G, T, scale ? scale.inputs[0] : dL], attrs });
    }
  }
  return rewritten(steps, replaced, removed);
}

/** gradAddAct: an activation's backward of a gradient summed from two paths (autodiff's accumulation add) runs
 *  the add in the same pass. */
export function fuseGradAddAct(steps: readonly Step[], outputs: readonly Node[]): Step[] {
  const u = uses(steps, outputs);
  const replaced = new Map<Step, Step>();
  const removed = new Set<Step>();
  for (const s of steps) {
    if (s.op !== 'reluBackward' && s.op !== 'leakyReluBackward') continue;
    const [y, dy] = s.inputs;
    const add = u.producer(dy);
    if (add?.op !== 'add' || u.soleConsumer(dy) !== s) continue;
    removed.add(add);
    replaced.set(s, { node: s.node, op: fusedOp(activationBackwardSumOp), inputs: [y, ...add.inputs], attrs: { slope: s.op === 'reluBackward' ? 0 : s.attrs.slope } });
  }
  return rewritten(steps, replaced, removed);
}

/** noiseAct: StyleGAN's noise injection and the leaky ReLU that reads it, in one pass (forward graphs: a
 *  gradient reading the noisy tensor would keep the injection). */
export function fuseNoiseAct(steps: readonly Step[], outputs: readonly Node[]): Step[] {
  const u = uses(steps, outputs);
  const replaced = new Map<Step, Step>();
  const removed = new Set<Step>();
  for (const s of steps) {
    if (s.op !== 'leakyRelu') continue;
    const noise = u.producer(s.inputs[0]);
    if (noise?.op !== 'noiseInjection' || u.soleConsumer(noise.node) !== s) continue;
    removed.add(noise);
    replaced.set(s, { node: s.node, op: fusedOp(noiseInjectionLeakyReluOp), inputs: noise.inputs, attrs: { slope: s.attrs.slope } });
  }
  return rewritten(steps, replaced, removed);
}

/** normAdd: a residual block's sum of its input r and an instance norm (ReLU'd or not by normAct) is added in
 *  the norm's output pass. f32 addition commutes, so either operand order gives add's bits. */
export function fuseNormAdd(steps: readonly Step[], outputs: readonly Node[]): Step[] {
  const u = uses(steps, outputs);
  const replaced = new Map<Step, Step>();
  const removed = new Set<Step>();
  for (const s of steps) {
    if (s.op !== 'add') continue;
    const k = s.inputs.findIndex((n) => u.producer(n)?.op === 'instanceNorm' && u.soleConsumer(n) === s);
    if (k < 0) continue;
    const norm = u.producer(s.inputs[k])!;
    const [x, ...affine] = norm.inputs;
    removed.add(norm);
    replaced.set(s, { node: s.node, op: fusedOp(instanceNormAddOp), inputs: [x, s.inputs[1 - k], ...affine], attrs: norm.attrs });
  }
  return rewritten(steps, replaced, removed);
}
