// A compiled program: the steps that produce the requested outputs, in graph order, after the fusion
// pass; each intermediate tensor is released right after its last use (memory planning by liveness), so
// the backward pass frees activations as soon as it no longer needs them. A view step (reshape) shares its
// input's buffer, so the input lives as long as the view does.
// The paddedOutput rewrite (a fusion switch) plans layouts too: a value whose one consumer is a convolution
// that pads its input itself (zero padding, a direct kernel) and whose producer can write into a given
// tensor is allocated in the padded layout that conv's kernel reads (zero border, Engine.zeros), so the
// producer writes the interior and the conv skips its padding pass. A value anything else reads stays
// row-major: no other kernel reads padded layouts. Reflect padding stays on the conv's padding pass.
import { scale } from '../kernels/elementwise.ts';
import type { PaddedLayout } from '../kernels/geometry.ts';
import type { GpuContext } from '../runtime/device.ts';
import type { Engine } from '../runtime/engine.ts';
import type { Tensor } from '../runtime/tensor.ts';
import { shapeString } from '../runtime/tensor.ts';
import { type Attrs, type Node, describe } from './graph.ts';
import { type FusionOptions, enabledFusions, fuse } from './fusion.ts';
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

export interface StepwiseOptions {
  /** Called after each step has been recorded (not waited for: await engine.sync() in it for that). */
  onStep?: (step: Step, index: number) => void | Promise<void>;
  /** Checked after each step; an abort rejects with signal.reason, every intermediate released. */
  signal?: AbortSignal;
}

/** The paddedOutput plan on one device: the values allocated in a padded layout, and the attrs of each step
 *  that reads one, pinned to the kernel the layout was planned for. */
interface LayoutPlan {
  layouts: Map<Node, PaddedLayout>;
  attrs: Map<Step, Attrs>;
}

export interface RunStats {
  /** Peak bytes of pooled tensors during the run (activations, gradients, temporaries). */
  peakBytes: number;
  dispatches: number;
}

export class Program {
  readonly steps: readonly Step[];
  /** Per step, the values that die after it (not outputs: the caller gets those). */
  private freeAfter: Node[][];
  private readonly paddedOutput: boolean;
  /** Per device (the kernels the planner picks depend on it), made on the first run there. */
  private layoutPlans = new WeakMap<GpuContext, LayoutPlan>();
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
    const steps: Step[] = g.nodes
      .filter((n) => needed.has(n) && n.op !== 'input' && n.op !== 'constant')
      .map((n) => ({ node: n, op: n.op, inputs: n.inputs, attrs: n.attrs }));
    this.steps = fuse(steps, outputs, options.fusion ?? true);
    this.paddedOutput = enabledFusions(options.fusion ?? true).includes('paddedOutput');
    const lastUse = new Map<Node, number>();
    this.steps.forEach((s, i) => {
      lastUse.set(s.node, i); // a value nothing reads dies at once
      s.inputs.forEach((n) => lastUse.set(n, i));
    });
    // A view keeps its input's buffer alive: walking backwards, each view's input lives until the view's
    // own last use (chains of views included).
    for (let i = this.steps.length - 1; i >= 0; i--) {
      const s = this.steps[i];
      if (opDef(s.op).view) lastUse.set(s.inputs[0], Math.max(lastUse.get(s.inputs[0])!, lastUse.get(s.node)!));
    }
    const isOutput = new Set(outputs);
    this.freeAfter = this.steps.map(() => []);
    for (const s of this.steps) if (!isOutput.has(s.node)) this.freeAfter[lastUse.get(s.node)!].push(s.node);
  }

  /** The paddedOutput plan for `ctx`: each conv-like step (an op with paddedInput) whose input 0 has it as
   *  its one reader, is not a program output and comes from a producer that writesInto, asked once for its
   *  kernel's padded input layout. */
  private layoutPlan(ctx: GpuContext): LayoutPlan {
    const known = this.layoutPlans.get(ctx);
    if (known) return known;
    const plan: LayoutPlan = { layouts: new Map(), attrs: new Map() };
    if (this.paddedOutput) {
      const readers = new Map<Node, number>();
      for (const n of [...this.steps.flatMap((s) => s.inputs), ...this.outputs]) readers.set(n, (readers.get(n) ?? 0) + 1);
      const producer = new Map(this.steps.map((s) => [s.node, s]));
      for (const s of this.steps) {
        const consumer = opDef(s.op);
        const x = s.inputs[0];
        const from = x && producer.get(x);
        if (!consumer.paddedInput || !from || !opDef(from.op).writesInto || readers.get(x) !== 1) continue;
        const planned = consumer.paddedInput(ctx, s.inputs.map((n) => n.shape), s.attrs);
        if (!planned) continue;
        plan.layouts.set(x, planned.layout);
        plan.attrs.set(s, planned.attrs);
      }
    }
    this.layoutPlans.set(ctx, plan);
    return plan;
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
    const it = this.execute(e, inputs);
    for (;;) {
      const r = it.next();
      if (r.done) return r.value;
    }
  }

  /** run() one step at a time, with a hook after each step and an AbortSignal checked between steps. */
  async runStepwise(e: Engine, inputs: Record<string, Tensor>, { onStep, signal }: StepwiseOptions = {}): Promise<Tensor[]> {
    signal?.throwIfAborted();
    const it = this.execute(e, inputs);
    try {
      for (let i = 0; ; i++) {
        const r = it.next();
        if (r.done) return r.value;
        await onStep?.(r.value, i);
        signal?.throwIfAborted();
      }
    } finally {
      it.return([]); // releases the intermediates when stopped early; nothing when finished
    }
  }

  /** Yields each step once recorded; returns the outputs. Stopped early, it releases every intermediate. */
  private *execute(e: Engine, inputs: Record<string, Tensor>): Generator<Step, Tensor[], undefined> {
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
    for (const n of this.inputs) valueOf(n); // all inputs checked before any work
    const { layouts, attrs } = this.layoutPlan(e.ctx);
    const isOutput = new Set(this.outputs);
    e.pool.resetPeak();
    const base = e.pool.stats.liveBytes;
    const dispatches = e.stats.dispatches;
    let finished = false;
    try {
      for (const [i, step] of this.steps.entries()) {
        const def = opDef(step.op);
        const layout = layouts.get(step.node);
        const into = layout && e.zeros(step.node.shape, layout);
        let out: Tensor;
        try {
          out = def.run(e, step.inputs.map(valueOf), attrs.get(step) ?? step.attrs, into);
        } catch (err) {
          into?.release();
          throw err;
        }
        // An output must own its buffer: a view handed out would die with its input.
        if (def.view && isOutput.has(step.node)) out = scale(e, out, 1);
        values.set(step.node, out);
        for (const n of this.freeAfter[i]) {
          values.get(n)!.release();
          values.delete(n);
        }
        yield step;
      }
      this.lastRun = { peakBytes: e.pool.stats.peakLiveBytes - base, dispatches: e.stats.dispatches - dispatches };
      const outputs = this.outputs.map(valueOf);
      finished = true;
      return outputs;
    } finally {
      if (!finished) for (const t of values.values()) t.release();
    }
  }
}
