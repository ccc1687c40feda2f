// Program mechanics: views (reshape) and liveness, the stepwise mode with its hook and abort, and the
// fusion switches.
import { describe, expect, it } from 'vitest';
import { FUSION_NAMES, FUSIONS, Graph, Program, add, conv2d, enabledFusions, instanceNorm, leakyRelu, relu, reshape, scale, tanh } from '../src/graph/index.ts';
import { useEngine } from './helpers/gpu.ts';
import { uniform } from './helpers/random.ts';

const engine = useEngine();

describe('Program', () => {
  it('reshape is a view: no dispatch, its input kept alive while the view is, an output view copied out', async () => {
    const e = engine();
    const g = new Graph();
    const x = g.input('x', [2, 6]);
    const a = scale(x, 2); // an intermediate the program owns
    const v = reshape(a, [3, 4]);
    const y = tanh(v); // reads the view after a's last direct use
    const out = reshape(scale(y, 1), [12]);
    const p = new Program([out]);
    const data = uniform(12, 1);
    const live = e.pool.stats.liveBytes;
    const [Y] = p.run(e, { x: e.tensor([2, 6], data) });
    expect(Y.shape).toEqual([12]);
    expect(Y.base).toBeUndefined(); // owns its buffer
    const got = await Y.read();
    data.forEach((d, i) => expect(got[i]).toBeCloseTo(Math.tanh(2 * d), 6));
    expect(p.lastRun.dispatches).toBe(4); // scale, tanh, scale, and the copy of the output view
    Y.release();
    expect(e.pool.stats.liveBytes - live).toBe(256); // only x
    expect(() => reshape(x, [5])).toThrow('reshape: cannot view [2, 6] as [5]');
  });

  it('runStepwise calls the hook after every step, and an abort releases every intermediate', async () => {
    const e = engine();
    const g = new Graph();
    const x = g.input('x', [1, 2, 8, 8]);
    const y = add(tanh(scale(tanh(x), 3)), x);
    const p = new Program([y]);
    const input = e.tensor([1, 2, 8, 8], uniform(128, 2));
    const seen: string[] = [];
    const [Y] = await p.runStepwise(e, { x: input }, { onStep: (s, i) => void seen.push(`${i}:${s.op}`) });
    expect(seen).toEqual(['0:tanh', '1:scale', '2:tanh', '3:add']);
    expect(Array.from(await Y.read())).toEqual(Array.from(await p.run(e, { x: input })[0].read()));
    Y.release();

    const start = e.pool.stats.liveBytes;
    const controller = new AbortController();
    const run = p.runStepwise(e, { x: input }, { signal: controller.signal, onStep: (_, i) => (i === 1 ? controller.abort(new Error('stop')) : undefined) });
    await expect(run).rejects.toThrow('stop');
    expect(e.pool.stats.liveBytes).toBe(start);
    await expect(p.runStepwise(e, { x: input }, { signal: controller.signal })).rejects.toThrow('stop');
    expect(e.pool.stats.liveBytes).toBe(start);
  });

  it('fusion switches: each rewrite on its own, all, none; unknown names rejected', () => {
    const e = engine();
    const g = new Graph();
    const x = g.input('x', [1, 3, 6, 6]);
    const w = g.constant('w', e.tensor([4, 3, 3, 3], uniform(108, 3)));
    const h = leakyRelu(conv2d(x, w, undefined, { padding: 1 }), 0.2);
    const y = relu(instanceNorm(relu(conv2d(h, g.constant('w2', e.tensor([4, 4, 3, 3], uniform(144, 4))), undefined, { padding: 1 }))));
    const ops = (fusion?: Parameters<typeof enabledFusions>[0]) => new Program([y], { fusion }).steps.map((s) => s.op).join(' ');
    expect(ops(false)).toBe('conv2d leakyRelu conv2d relu instanceNorm relu');
    expect(ops({ normAct: false })).toBe('conv2d conv2d instanceNorm relu');
    expect(ops({ convAct: false })).toBe('conv2d leakyRelu conv2d relu instanceNorm');
    expect(ops()).toBe('conv2d conv2d instanceNorm');
    expect(ops(true)).toBe(ops());
    expect(enabledFusions({})).toEqual(FUSION_NAMES);
    expect(FUSION_NAMES).toEqual([...Object.keys(FUSIONS), 'paddedOutput']);
    expect(() => ops({ bogus: true } as never)).toThrow(`fusion: no rewrite named 'bogus' (known: ${FUSION_NAMES.join(', ')})`);
  });
});
