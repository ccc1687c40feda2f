// Our kernels against PyTorch 1.13 (CPU, float32) outputs and input gradients stored in
// test/golden/pool_act.json by test/golden/make_pool_act_golden.py.
import { readFileSync } from 'node:fs';
import { describe, it } from 'vitest';
import { leakyRelu, leakyReluBackward, tanh, tanhBackward } from '../src/kernels/activation.ts';
import { resizeBilinear, resizeBilinearBackward } from '../src/kernels/resample.ts';
import { avgPool2d, avgPool2dBackward, maxPool2d, maxPool2dBackward } from '../src/kernels/pool.ts';
import { expectClose } from './helpers/compare.ts';
import { useEngine } from './helpers/gpu.ts';

interface Case {
  shape: number[];
  x: number[];
  y: number[];
  dy: number[];
  dx: number[];
  kernel?: number;
  stride?: number;
  size?: [number, number];
  slope?: number;
  op?: 'max_pool2d' | 'avg_pool2d';
  ceilMode?: boolean;
}
const golden: Record<'max_pool2d' | 'avg_pool2d' | 'interpolate_bilinear' | 'leaky_relu' | 'tanh' | 'pool_ceil', Case[]> = JSON.parse(
  readFileSync(new URL('./golden/pool_act.json', import.meta.url), 'utf8'),
);
const engine = useEngine();
const label = (c: Case) => `${JSON.stringify(c.shape)}${c.kernel ? ` k${c.kernel} s${c.stride}` : ''}${c.size ? ` to ${c.size.join('×')}` : ''}`;
const cases = (list: Case[]) => list.map((c) => [label(c), c] as const);

// Max pooling selects values and PyTorch breaks ties the same way: y is exact (the JSON's 9 digits are the
// f32 values), dx sums the same dy values.
describe.each(cases(golden.max_pool2d))('max_pool2d %s', (_, c) => {
  it('matches PyTorch (incl. ties)', async () => {
    const e = engine();
    const opts = { kernel: c.kernel!, stride: c.stride };
    const x = e.tensor(c.shape, c.x);
    const y = maxPool2d(e, x, opts);
    expectClose(await y.read(), Float32Array.from(c.y), 0, 0, 'y');
    expectClose(await maxPool2dBackward(e, x, e.tensor(y.shape, c.dy), opts).read(), c.dx, 1e-6, 1e-6, 'dx');
  });
});

// Sums of ≤ 9 values and a division, in another order than PyTorch: a few f32 ulps.
describe.each(cases(golden.avg_pool2d))('avg_pool2d %s', (_, c) => {
  it('matches PyTorch', async () => {
    const e = engine();
    const opts = { kernel: c.kernel!, stride: c.stride };
    const y = avgPool2d(e, e.tensor(c.shape, c.x), opts);
    expectClose(await y.read(), c.y, 1e-6, 1e-5, 'y');
    expectClose(await avgPool2dBackward(e, e.tensor(y.shape, c.dy), c.shape, opts).read(), c.dx, 1e-6, 1e-5, 'dx');
  });
});

// ceil_mode: the clipped last windows (and their divisor for averages) as PyTorch; tolerances as above.
describe.each(cases(golden.pool_ceil))('%s with ceil_mode', (_, c) => {
  it(`${c.op} matches PyTorch`, async () => {
    const e = engine();
    const opts = { kernel: c.kernel!, stride: c.stride, ceilMode: true };
    const x = e.tensor(c.shape, c.x);
    const [forward, backward] = c.op === 'max_pool2d' ? [maxPool2d, (dy: typeof x) => maxPool2dBackward(e, x, dy, opts)] : [avgPool2d, (dy: typeof x) => avgPool2dBackward(e, dy, c.shape, opts)];
    const y = forward(e, x, opts);
    expectClose(await y.read(), c.y, 1e-6, 1e-5, 'y');
    expectClose(await backward(e.tensor(y.shape, c.dy)).read(), c.dx, 1e-6, 1e-5, 'dx');
  });
});

// Same f32 source coordinates as PyTorch, different association of the interpolation products.
describe.each(cases(golden.interpolate_bilinear))('interpolate bilinear %s', (_, c) => {
  it('matches PyTorch', async () => {
    const e = engine();
    const [OH, OW] = c.size!;
    const y = resizeBilinear(e, e.tensor(c.shape, c.x), OH, OW);
    expectClose(await y.read(), c.y, 2e-6, 1e-5, 'y');
    expectClose(await resizeBilinearBackward(e, e.tensor(y.shape, c.dy), c.shape).read(), c.dx, 1e-5, 1e-5, 'dx');
  });
});

describe.each(cases(golden.leaky_relu))('leaky_relu %s', (_, c) => {
  it('matches PyTorch', async () => {
    const e = engine();
    const x = e.tensor(c.shape, c.x);
    expectClose(await leakyRelu(e, x, c.slope!).read(), c.y, 1e-7, 1e-6, 'y');
    expectClose(await leakyReluBackward(e, x, e.tensor(c.shape, c.dy), c.slope!).read(), c.dx, 1e-7, 1e-6, 'dx');
  });
});

// Built-in tanh against PyTorch's (both a few ulp from exact), incl. saturation at ±30 and tiny inputs.
describe.each(cases(golden.tanh))('tanh %s', (_, c) => {
  it('matches PyTorch', async () => {
    const e = engine();
    const y = tanh(e, e.tensor(c.shape, c.x));
    expectClose(await y.read(), c.y, 1e-7, 1e-5, 'y');
    expectClose(await tanhBackward(e, y, e.tensor(c.shape, c.dy)).read(), c.dx, 1e-6, 1e-5, 'dx');
  });
});
