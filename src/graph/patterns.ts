// The pattern rewrites of the fusion pass (fusion.ts): each replaces a chain of steps by one op of fusedOps.ts, or
// (lossWeight) by the chain's loss op with the chain's factor as its weight.
//   gramMse     scale(mse(gram(F), T), w)            ⇒  gramMse(G, T): one loss kernel, no G − T stored
//               gramBackward(F, mseBackward(G, T, scale(dL, w)))  ⇒  gramMseBackward(F, G, T, dL)
//   gradAddAct  reluBackward | leakyReluBackward(y, add(a, b))   ⇒  activationBackwardSum(y, a, b)
//   noiseAct    leakyRelu(noiseInjection(x, w, noise))            ⇒  noiseInjectionLeakyRelu(x, w, noise)
//   normAdd     add(r, instanceNorm(x, γ, β)) in either order      ⇒  instanceNormAdd(x, r, γ, β)
//   linearSum   a tree of add / scale / axpy steps over one shape  ⇒  linearSum(x0, x1, …) = Σ wₖ·xₖ
//   lossWeight  scale(mse | tv(…), w)                  ⇒  mse | tv(…) with weight w
//               mseBackward | tvBackward(…, scale(dL, w))  ⇒  mseBackward | tvBackward(…, dL) with weight w
// Each fused step takes the place of the chain's last step (its inputs are all computed by then) and keeps its
// node, so every consumer still finds it; the chain's inner values must have no other consumer and not be
// program outputs. A rewrite is reached through the op that anchors its chain (OpDef.patterns: gram,
// reluBackward / leakyReluBackward, noiseInjection, instanceNorm, scale / axpy, the losses and their backward), so
// a page whose models build no such op carries neither the rewrite nor its fused kernels.
import type { Attrs, Node } from './graph.ts';
import { activationBackwardSumOp, gramMseBackwardOp, gramMseOp, instanceNormAddOp, linearSumOp, noiseInjectionLeakyReluOp } from './fusedOps.ts';
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

/** The steps a linearSum tree is made of. */
const SUM_STEPS = new Set(['add', 'scale', 'axpy']);

/** linearSum: each tree of add / scale / axpy steps (two or more; the inner ones read by the next step alone and
 *  not program outputs) becomes one linearSum step over its leaves, each leaf weighted by the product of the
 *  factors on its path. The leaves keep evaluation order with the inner operand first (add(a, b): a, b;
 *  axpy(α, x, y): y, x), so a left-nested chain — the loss sums of add(add(a, b), c), and weightedSum's
 *  axpy(w₂, x₂, axpy(w₁, x₁, scale(x₀, w₀))) — gives the unfused bits: w₀·x₀ rounds like scale, each further
 *  term is one fma like axpy (a weight of 1 makes it add's sum). A tree whose scale multiplies an inner sum, or
 *  whose scaled leaf comes after the first, rounds differently: within (steps + terms)·2⁻²⁴·Σ|wₖ·xₖ| of it. */
export function fuseLinearSum(steps: readonly Step[], outputs: readonly Node[]): Step[] {
  const u = uses(steps, outputs);
  const replaced = new Map<Step, Step>();
  const removed = new Set<Step>();
  /** The step producing n when it is an inner step of a tree whose next step is `into`. */
  const inner = (n: Node, into: Step) => {
    const p = u.producer(n);
    return p && SUM_STEPS.has(p.op) && u.soleConsumer(n) === into ? p : undefined;
  };
  for (const root of steps) {
    if (!SUM_STEPS.has(root.op) || (u.soleConsumer(root.node) && SUM_STEPS.has(u.soleConsumer(root.node)!.op))) continue;
    const terms: Node[] = [];
    const weights: number[] = [];
    const treeSteps: Step[] = [];
    const visit = (s: Step, weight: number) => {
      treeSteps.push(s);
      const [x, y] = s.inputs;
      const operands: [Node, number][] =
        s.op === 'scale' ? [[x, weight * (s.attrs.factor as number)]] : s.op === 'axpy' ? [[y, weight], [x, weight * (s.attrs.alpha as number)]] : [[x, weight], [y, weight]];
      const ordered = [...operands.filter(([n]) => inner(n, s)), ...operands.filter(([n]) => !inner(n, s))];
      for (const [n, w] of ordered) {
        const p = inner(n, s);
        if (p) {
          visit(p, w);
        } else {
          terms.push(n);
          weights.push(w);
        }
      }
    };
    visit(root, 1);
    if (treeSteps.length < 2) continue;
    for (const s of treeSteps) if (s !== root) removed.add(s);
    replaced.set(root, { node: root.node, op: fusedOp(linearSumOp), inputs: terms, attrs: { weights } });
  }
  return rewritten(steps, replaced, removed);
}

/** The loss ops whose kernels take a weight (LossAttrs), and their backward ops (the upstream gradient last). */
const WEIGHTED_LOSSES = new Set(['mse', 'tv']);
const WEIGHTED_LOSS_BACKWARDS = new Set(['mseBackward', 'tvBackward']);

/** lossWeight: a loss weight's scale after an mse or tv loss, and the scale of the upstream gradient its backward
 *  reads, move into the loss kernels (the 1/n of mse's mean, the terms of tv, the factor of either backward) where
 *  the scaled value is the scale's sole reader. tvBackward of a seed scaled by w keeps its bits (its factor 2w is
 *  2·w exactly); the others round w·(1/n) or w·Σ differently: within 4·2⁻²⁴ relative, and tv's sum of
 *  non-negative terms within its own summation bound. */
export function fuseLossWeight(steps: readonly Step[], outputs: readonly Node[]): Step[] {
  const u = uses(steps, outputs);
  const replaced = new Map<Step, Step>();
  const removed = new Set<Step>();
  const weightOf = (s: Step) => (s.attrs.weight as number | undefined) ?? 1;
  for (const s of steps) {
    if (s.op === 'scale') {
      const loss = u.producer(s.inputs[0]);
      if (!loss || !WEIGHTED_LOSSES.has(loss.op) || u.soleConsumer(loss.node) !== s) continue;
      removed.add(loss);
      replaced.set(s, { node: s.node, op: loss.op, inputs: loss.inputs, attrs: { ...loss.attrs, weight: weightOf(loss) * (s.attrs.factor as number) } });
    } else if (WEIGHTED_LOSS_BACKWARDS.has(s.op)) {
      const dL = s.inputs[s.inputs.length - 1];
      const seed = u.producer(dL);
      // (A seed scale already folded into its loss above now computes that loss's value: it stays.)
      if (seed?.op !== 'scale' || u.soleConsumer(dL) !== s || replaced.has(seed)) continue;
      removed.add(seed);
      replaced.set(s, { node: s.node, op: s.op, inputs: [...s.inputs.slice(0, -1), seed.inputs[0]], attrs: { ...s.attrs, weight: weightOf(s) * (seed.attrs.factor as number) } });
    }
  }
  return rewritten(steps, replaced, removed);
}
