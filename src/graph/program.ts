// A compiled program: the steps that produce the requested outputs, in graph order, after the fusion
// pass; each intermediate tensor is released right after its last use (memory planning by liveness), so
// the backward pass frees activations as soon as it no longer needs them. A view step (reshape) shares its
// input's buffer, so the input lives as long as the view does.
import { scale } from '../kernels/elementwise.ts';
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

export interface StepwiseOptions {
  /** Called after each step has been recorded (not waited for: await engine.sync() in it for that). */
  onStep?: (step: Step, index: number) => void | Promise<void>;
  /** Checked after each step; an abort rejects with signal.reason, every intermediate released. */
  signal?: AbortSignal;
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
    const isOutput = new Set(this.outputs);
    e.pool.resetPeak();
    const base = e.pool.stats.liveBytes;
    const dispatches = e.stats.dispatches;
    let finished = false;
    try {
      for (const [i, step] of this.steps.entries()) {
        const def = opDef(step.op);
        let out = def.run(e, step.inputs.map(valueOf), step.attrs);
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
