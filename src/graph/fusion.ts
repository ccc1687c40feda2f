// The fusion pass: named rewrites of the program's steps into fewer dispatches, each with its own switch
// (Program's `fusion` option: true / false for all, or e.g. { normAct: false }). Epilogue rewrites move an
// activation into its producer's epilogue:
//   convAct   conv2d → relu | leakyRelu   ⇒  conv2d with the activation after its bias
//   normAct   instanceNorm → relu         ⇒  instanceNorm with the ReLU in the same pass
// A producer is fused only when the activation is its output's one consumer and that output is not a
// program output. The activations' gradients read the activation's output (ReLU and leaky ReLU with
// slope ≥ 0 keep the sign), so training graphs fuse too; a negative slope reads the input and so stays.
// Pattern rewrites replace a chain of steps by one op of fusedOps.ts:
//   gramMse     scale(mse(gram(F), T), w)            ⇒  gramMse(G, T): one loss kernel, no G − T stored
//               gramBackward(F, mseBackward(G, T, scale(dL, w)))  ⇒  gramMseBackward(F, G, T, dL)
//   gradAddAct  reluBackward | leakyReluBackward(y, add(a, b))   ⇒  activationBackwardSum(y, a, b)
//   noiseAct    leakyRelu(noiseInjection(x, w, noise))            ⇒  noiseInjectionLeakyRelu(x, w, noise)
// Each fused step takes the place of the chain's last step (its inputs are all computed by then) and keeps its
// node, so every consumer still finds it; the chain's inner values must have no other consumer and not be
// program outputs.
// One more switch names a rewrite of the program's memory plan, not of its steps:
//   paddedOutput  producer → conv (zero padding)  ⇒  the producer writes into the conv's padded input layout
//                 and the conv skips its padding pass (program.ts)
import type { Node } from './graph.ts';
import type { Activation } from './ops.ts';
import type { Step } from './program.ts';
import { FUSED_OPS } from './fusedOps.ts';

interface EpilogueRewrite {
  /** Ops whose kernels take an activation epilogue. */
  producers: readonly string[];
  /** Activation ops (by op name) the epilogue offers, and the epilogue they become. */
  activations: Readonly<Partial<Record<string, (s: Step) => Activation>>>;
}

const relu = (): Activation => 'relu';
const leakyRelu = (s: Step): Activation => ({ leakyRelu: s.attrs.slope as number });

/** A rewrite of the whole step list (the program's outputs are never fused away). */
interface PatternRewrite {
  apply(steps: readonly Step[], outputs: readonly Node[]): Step[];
}

export const FUSIONS = {
  convAct: { producers: ['conv2d'], activations: { relu, leakyRelu } },
  normAct: { producers: ['instanceNorm'], activations: { relu } },
  // ---- the style-loss and gradient-accumulation rewrites (pattern rewrites, below fuse())
  gramMse: { apply: fuseGramMse },
  gradAddAct: { apply: fuseGradAddAct },
  noiseAct: { apply: fuseNoiseAct },
} as const satisfies Record<string, EpilogueRewrite | PatternRewrite>;

const isEpilogue = (r: EpilogueRewrite | PatternRewrite): r is EpilogueRewrite => 'producers' in r;

/** Rewrites of the program's memory plan (program.ts), switched like the fusions. */
export const LAYOUT_REWRITES = ['paddedOutput'] as const;

export type FusionName = keyof typeof FUSIONS | (typeof LAYOUT_REWRITES)[number];
/** Every switch FusionOptions names: the step rewrites, then the layout rewrites. */
export const FUSION_NAMES: readonly FusionName[] = [...(Object.keys(FUSIONS) as (keyof typeof FUSIONS)[]), ...LAYOUT_REWRITES];
/** true (the default) or false for every rewrite, or a switch per rewrite (unnamed ones stay on). */
export type FusionOptions = boolean | Partial<Record<FusionName, boolean>>;

/** Which rewrites the options switch on. */
export function enabledFusions(options: FusionOptions = true): FusionName[] {
  const names = FUSION_NAMES;
  if (typeof options === 'boolean') return options ? [...names] : [];
  for (const k of Object.keys(options)) {
    if (!names.includes(k as FusionName)) throw new Error(`fusion: no rewrite named '${k}' (known: ${names.join(', ')})`);
  }
  return names.filter((n) => options[n] ?? true);
}

export function fuse(steps: Step[], outputs: readonly Node[], options: FusionOptions = true): Step[] {
  const rewrites = enabledFusions(options).flatMap((n): (EpilogueRewrite | PatternRewrite)[] => (n in FUSIONS ? [FUSIONS[n as keyof typeof FUSIONS]] : []));
  const epilogues = rewrites.filter(isEpilogue);
  let out = epilogues.length ? fuseEpilogues(steps, outputs, epilogues) : steps;
  for (const r of rewrites) if (!isEpilogue(r)) out = r.apply(out, outputs);
  return out;
}

function fuseEpilogues(steps: Step[], outputs: readonly Node[], rewrites: EpilogueRewrite[]): Step[] {
  const consumers = new Map<Node, number>();
  for (const s of steps) for (const n of s.inputs) consumers.set(n, (consumers.get(n) ?? 0) + 1);
  for (const n of outputs) consumers.set(n, (consumers.get(n) ?? 0) + 1);
  const byNode = new Map(steps.map((s) => [s.node, s]));
  const removed = new Set<Step>();
  const out: Step[] = [];
  for (const s of steps) {
    const producer = s.inputs.length === 1 ? byNode.get(s.inputs[0]) : undefined;
    const rewrite = producer && rewrites.find((r) => r.producers.includes(producer.op) && r.activations[s.op]);
    if (producer && rewrite && !producer.attrs.activation && consumers.get(producer.node) === 1) {
      // The fused step takes the producer's place: it runs when the activation ran, which every consumer
      // follows, and the producer's inputs are still live there (their last use moves later, not earlier).
      removed.add(producer);
      out.push({ node: s.node, op: producer.op, inputs: producer.inputs, attrs: { ...producer.attrs, activation: rewrite.activations[s.op]!(s) } });
    } else {
      out.push(s);
    }
  }
  return out.filter((s) => !removed.has(s));
}

// ---- pattern rewrites

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
function fuseGramMse(steps: readonly Step[], outputs: readonly Node[]): Step[] {
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
      replaced.set(at, { node: at.node, op: FUSED_OPS.gramMse, inputs: [G, T], attrs: { weight: scale ? scale.attrs.factor : 1, norm: gram.attrs.norm } });
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
      replaced.set(s, { node: s.node, op: FUSED_OPS.gramMseBackward, inputs: [F, G, T, scale ? scale.inputs[0] : dL], attrs });
    }
  }
  return rewritten(steps, replaced, removed);
}

/** gradAddAct: an activation's backward of a gradient summed from two paths (autodiff's accumulation add) runs
 *  the add in the same pass. */
function fuseGradAddAct(steps: readonly Step[], outputs: readonly Node[]): Step[] {
  const u = uses(steps, outputs);
  const replaced = new Map<Step, Step>();
  const removed = new Set<Step>();
  for (const s of steps) {
    if (s.op !== 'reluBackward' && s.op !== 'leakyReluBackward') continue;
    const [y, dy] = s.inputs;
    const add = u.producer(dy);
    if (add?.op !== 'add' || u.soleConsumer(dy) !== s) continue;
    removed.add(add);
    replaced.set(s, { node: s.node, op: FUSED_OPS.activationBackwardSum, inputs: [y, ...add.inputs], attrs: { slope: s.op === 'reluBackward' ? 0 : s.attrs.slope } });
  }
  return rewritten(steps, replaced, removed);
}

/** noiseAct: StyleGAN's noise injection and the leaky ReLU that reads it, in one pass (forward graphs: a
 *  gradient reading the noisy tensor would keep the injection). */
function fuseNoiseAct(steps: readonly Step[], outputs: readonly Node[]): Step[] {
  const u = uses(steps, outputs);
  const replaced = new Map<Step, Step>();
  const removed = new Set<Step>();
  for (const s of steps) {
    if (s.op !== 'leakyRelu') continue;
    const noise = u.producer(s.inputs[0]);
    if (noise?.op !== 'noiseInjection' || u.soleConsumer(noise.node) !== s) continue;
    removed.add(noise);
    replaced.set(s, { node: s.node, op: FUSED_OPS.noiseInjectionLeakyRelu, inputs: noise.inputs, attrs: { slope: s.attrs.slope } });
  }
  return rewritten(steps, replaced, removed);
}
