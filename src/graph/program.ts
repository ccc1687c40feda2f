// A compiled program: the steps that produce the requested outputs, in graph order, after the fusion
// pass; each intermediate tensor is released right after its last use (memory planning by liveness), so
// the backward pass frees activations as soon as it no longer needs them.
import type { Engine } from '../runtime/engine.ts';
import type { Tensor } from '../runtime/tensor.ts';
import { shapeString } from '../runtime/tensor.ts';
import { type Attrs, type Node, describe } from './graph.ts';
import { type FusionOptions, fuse } from './fusion.ts';
import { opDef } from './registry.ts';

export interface Step {
  /** The node whose value this step produces. */
  node: Node;
  op: string;
  inputs: readonly Node[];
  attrs: Attrs;
}

export interface ProgramOptions {
  /** The fusion pass's rewrites (fusion.ts): all on by default; false keeps one step per graph op, for
   *  comparison; or a switch per rewrite, e.g. { normAct: false }. */
  fusion?: FusionOptions;
}

export interface RunStats {
  /** Peak bytes of pooled tensors during the run (activations, gradients, temporaries). */
  peakBytes: number;
  dispatches: number;
}

export class Program {
  readonly steps: readonly Step[];
  private lastUse = new Map<Node, number>();
  lastRun: RunStats = { peakBytes: 0, dispatches: 0 };

  constructor(
    readonly outputs: readonly Node[],
    options: ProgramOptions = {},
  ) {
    const g = outputs[0]?.graph;
    if (!g) throw new Error('Program: no outputs');
    const needed = new Set<Node>();
    const stack = [...outputs];
    while (stack.length) {
      const n = stack.pop()!;
      if (needed.has(n)) continue;
      needed.add(n);
      stack.push(...n.inputs);
    }
    let steps: Step[] = g.nodes
      .filter((n) => needed.has(n) && n.op !== 'input' && n.op !== 'constant')
      .map((n) => ({ node: n, op: n.op, inputs: n.inputs, attrs: n.attrs }));
    steps = fuse(steps, outputs, options.fusion ?? true);
    this.steps = steps;
    steps.forEach((s, i) => s.inputs.forEach((n) => this.lastUse.set(n, i)));
  }

  /** Input leaves the program needs, by name. */
  get inputs(): Node[] {
    const seen = new Set<Node>();
    for (const s of this.steps) for (const n of s.inputs) if (n.op === 'input') seen.add(n);
    for (const n of this.outputs) if (n.op === 'input') seen.add(n);
    return [...seen];
  }

  /** Run all steps; returns the output tensors (the caller owns them and must release them). */
  run(e: Engine, inputs: Record<string, Tensor>): Tensor[] {
    const values = new Map<Node, Tensor>();
    const valueOf = (n: Node): Tensor => {
      if (n.op === 'constant') return n.value!;
      if (n.op === 'input') {
        const t = inputs[n.name!];
        if (!t) throw new Error(`program input '${n.name}' not given`);
        if (shapeString(t.shape) !== shapeString(n.shape)) {
          throw new Error(`program input '${n.name}': expected shape ${shapeString(n.shape)}, got ${shapeString(t.shape)}`);
        }
        return t;
      }
      const t = values.get(n);
      if (!t) throw new Error(`program: ${describe(n)} used before it was computed`);
      return t;
    };
    const isOutput = new Set(this.outputs);
    e.pool.resetPeak();
    const base = e.pool.stats.liveBytes;
    const dispatches = e.stats.dispatches;
    this.steps.forEach((step, i) => {
      const out = opDef(step.op).run(e, step.inputs.map(valueOf), step.attrs);
      values.set(step.node, out);
      for (const n of [...step.inputs, step.node]) {
        const owned = values.get(n);
        if (owned && !isOutput.has(n) && (this.lastUse.get(n) ?? -1) <= i) {
          owned.release();
          values.delete(n);
        }
      }
    });
    this.lastRun = { peakBytes: e.pool.stats.peakLiveBytes - base, dispatches: e.stats.dispatches - dispatches };
    return this.outputs.map(valueOf);
  }
}
