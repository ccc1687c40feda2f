// The fusion pass: named rewrites of the program's steps into fewer dispatches, each with its own switch
// (Program's `fusion` option: true / false for all, or e.g. { normAct: false }). Epilogue rewrites move an
// activation into its producer's epilogue:
//   convAct   conv2d → relu | leakyRelu   ⇒  conv2d with the activation after its bias
//   normAct   instanceNorm → relu         ⇒  instanceNorm with the ReLU in the same pass
// A producer is fused only when the activation is its output's one consumer and that output is not a
// program output. The activations' gradients read the activation's output (ReLU and leaky ReLU with
// slope ≥ 0 keep the sign), so training graphs fuse too; a negative slope reads the input and so stays.
// Pattern rewrites (gramMse, gradAddAct, noiseAct, normAdd, linearSum, lossWeight: patterns.ts) replace a chain of
// steps by one fused op; each is reached through the op that anchors its chain (OpDef.patterns), and runs when a
// step of that op is there.
// One more switch names a rewrite of the program's memory plan, not of its steps:
//   paddedOutput  producer → conv (zero padding)  ⇒  the producer writes into the conv's padded input layout
//                 and the conv skips its padding pass (program.ts)
import type { Node } from './graph.ts';
import type { Activation } from './ops.ts';
import type { Step } from './program.ts';
import { findOp } from './registry.ts';

interface EpilogueRewrite {
  /** Ops whose kernels take an activation epilogue. */
  producers: readonly string[];
  /** Activation ops (by op name) the epilogue offers, and the epilogue they become. */
  activations: Readonly<Partial<Record<string, (s: Step) => Activation>>>;
}

const relu = (): Activation => 'relu';
const leakyRelu = (s: Step): Activation => ({ leakyRelu: s.attrs.slope as number });

/** A rewrite of the whole step list, found through the ops of the steps (OpDef.patterns). */
interface PatternRewrite {
  pattern: true;
}

export const FUSIONS = {
  convAct: { producers: ['conv2d'], activations: { relu, leakyRelu } },
  normAct: { producers: ['instanceNorm'], activations: { relu } },
  // ---- the style-loss, gradient-accumulation and noise rewrites (patterns.ts), in the order they run
  gramMse: { pattern: true },
  gradAddAct: { pattern: true },
  noiseAct: { pattern: true },
  // ---- the residual block's sum into the instance norm's output pass (patterns.ts)
  normAdd: { pattern: true },
  // ---- sums of same-shape tensors (add / scale / axpy trees) as one linear combination (patterns.ts)
  linearSum: { pattern: true },
  // ---- loss weights folded into the loss kernels (patterns.ts)
  lossWeight: { pattern: true },
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
  const names = enabledFusions(options).filter((n): n is keyof typeof FUSIONS => n in FUSIONS);
  const epilogues = names.map((n): EpilogueRewrite | PatternRewrite => FUSIONS[n]).filter(isEpilogue);
  let out = epilogues.length ? fuseEpilogues(steps, outputs, epilogues) : steps;
  for (const name of names) {
    if (isEpilogue(FUSIONS[name])) continue;
    // The rewrite as the ops of the steps offer it (one function, whichever of its anchor ops is there).
    const applies = new Set(out.map((s) => findOp(s.op)?.patterns?.[name]).filter((f) => f !== undefined));
    for (const apply of applies) out = apply(out, outputs);
  }
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

