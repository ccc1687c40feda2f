// A/B probe for the paddedOutput rewrite at the kernel level: a producer writing row-major followed by the
// conv's padding pass (padInput) against the producer writing the padded layout directly, interleaved; GPU
// time (timestamp queries) of the producer and padInput, the conv itself left out (the same either way), and
// the wall time of producer, padding and conv together (which also counts the zeroing of the padded buffer,
// a clearBuffer command that timestamps do not see).
// Usage: node --import ./src/node/register.js bench/padded-probe.ts
import { maxPool2d } from '../src/kernels/pool.ts';
import { reluBackward } from '../src/kernels/activation.ts';
import { instanceNorm } from '../src/kernels/norm.ts';
import { conv2dInputLayout, conv2d } from '../src/kernels/conv2d.ts';
import { Engine } from '../src/runtime/engine.ts';
import type { Tensor } from '../src/runtime/tensor.ts';
import { KernelProfiler } from '../src/runtime/profiler.ts';

const e = await Engine.create();
const rand = (n: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.7311));
const cases: { name: string; shape: number[]; produce: (into?: Tensor) => Tensor }[] = [];
const x1 = e.tensor([1, 64, 128, 128], rand(64 * 128 * 128));
const dy1 = e.tensor([1, 64, 128, 128], rand(64 * 128 * 128));
cases.push({ name: 'reluBackward 64×128²', shape: [1, 64, 128, 128], produce: (into) => reluBackward(e, x1, dy1, into) });
const x2 = e.tensor([1, 128, 128, 128], rand(128 * 128 * 128));
cases.push({ name: 'maxPool2d 128×128² → 64²', shape: [1, 128, 64, 64], produce: (into) => maxPool2d(e, x2, { kernel: 2 }, into) });
const x3 = e.tensor([1, 128, 64, 64], rand(128 * 64 * 64));
cases.push({ name: 'instanceNorm+ReLU 128×64²', shape: [1, 128, 64, 64], produce: (into) => instanceNorm(e, x3, { relu: true }, into) });

for (const c of cases) {
  const C = c.shape[1];
  const w = e.tensor([C, C, 3, 3], rand(C * C * 9));
  const planned = conv2dInputLayout(e.ctx, c.shape, w.shape, { padding: 1 })!;
  const time = async (padded: boolean) => {
    await e.sync();
    const t0 = performance.now();
    e.startProfiling(KernelProfiler.create);
    const x = padded ? c.produce(e.zeros(c.shape, planned.layout)) : c.produce();
    const y = conv2d(e, x, w, { padding: 1, impl: planned.impl });
    const times = await e.stopProfiling();
    const wall = performance.now() - t0;
    x.release();
    y.release();
    return { gpu: Object.entries(times).filter(([k]) => !k.startsWith('conv2dSubgroup.')).reduce((s, [, v]) => s + v.ms, 0), wall };
  };
  await time(false);
  await time(true);
  const a: { gpu: number; wall: number }[] = [];
  const b: { gpu: number; wall: number }[] = [];
  for (let i = 0; i < 9; i++) {
    a.push(await time(false));
    b.push(await time(true));
  }
  const med = (v: { gpu: number; wall: number }[], k: 'gpu' | 'wall') => v.map((r) => r[k]).sort((p, q) => p - q)[v.length >> 1].toFixed(1);
  console.log(`${c.name} → conv3x3 (${planned.impl}): GPU producer + padInput ${med(a, 'gpu')} ms vs producer into the padded layout ${med(b, 'gpu')} ms; ` +
    `wall with the conv ${med(a, 'wall')} vs ${med(b, 'wall')} ms (medians of 9 interleaved)`);
  w.release();
}
process.exit(0);
