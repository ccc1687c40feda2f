// Our gram, norm and loss kernels against PyTorch's own ops and autograd (test/golden/norm.json, written by
// test/golden/make_norm_golden.py with torch in float64 on float32 inputs). Checks the conventions — which variance,
// where eps goes, how TV and MSE are normalized — not just self-consistency with our own references.
import { readFileSync } from 'node:fs';
import { describe, it } from 'vitest';
import { gramMatrix, gramMatrixBackward } from '../src/kernels/gram.ts';
import { mseLoss, mseLossBackward, totalVariation, totalVariationBackward } from '../src/kernels/loss.ts';
import { adain, adainBackward, instanceNorm, instanceNormBackward } from '../src/kernels/norm.ts';
import { expectClose } from './helpers/compare.ts';
import { useEngine } from './helpers/gpu.ts';

const golden = JSON.parse(readFileSync(new URL('./golden/norm.json', import.meta.url), 'utf8'));
const engine = useEngine();

// Same tolerances as the kernels' own tests: forward 1e-5 abs + 1e-4 rel (O(1) values, a few f32 roundings),
// backward 3e-5 + 3e-4 (cancelling sums over H·W); inputs here are N(0, 1)-scale, up to ~4 in magnitude.
const FWD = [1e-5, 1e-4] as const;
const BWD = [3e-5, 3e-4] as const;

describe('PyTorch golden values', () => {
  it('gram: bmm(F, Fᵀ)/norm and its autograd gradient', async () => {
    const g = golden.gram;
    const e = engine();
    const F = e.tensor(g.shape, g.F);
    const [N, C] = g.shape;
    expectClose(await gramMatrix(e, F, g.norm).read(), g.G, ...FWD, 'G');
    expectClose(await gramMatrixBackward(e, F, e.tensor([N, C, C], g.dG), g.norm).read(), g.dF, ...BWD, 'dF');
  });

  it('instanceNorm: F.instance_norm(weight, bias, eps 1e-5) and gradients for x, weight, bias', async () => {
    const g = golden.instanceNorm;
    const e = engine();
    const [, C] = g.shape;
    const x = e.tensor(g.shape, g.x);
    const gamma = e.tensor([C], g.gamma);
    const y = instanceNorm(e, x, { gamma, beta: e.tensor([C], g.beta), eps: g.eps });
    expectClose(await y.read(), g.y, ...FWD, 'y');
    const grads = instanceNormBackward(e, x, e.tensor(g.shape, g.dy), { gamma, eps: g.eps });
    expectClose(await grads.dx.read(), g.dx, ...BWD, 'dx');
    expectClose(await grads.dgamma!.read(), g.dgamma, ...BWD, 'dgamma');
    expectClose(await grads.dbeta!.read(), g.dbeta, ...BWD, 'dbeta');
  });

  it("adain: pytorch-AdaIN's adaptive_instance_normalization with default options, and the content gradient", async () => {
    const g = golden.adain;
    const e = engine();
    const content = e.tensor(g.shape, g.content);
    const style = e.tensor(g.styleShape, g.style);
    expectClose(await adain(e, content, style).read(), g.y, ...FWD, 'y');
    expectClose(await adainBackward(e, content, style, e.tensor(g.shape, g.dy)).read(), g.dx, ...BWD, 'dx');
  });

  it('mseLoss: F.mse_loss and its gradient', async () => {
    const g = golden.mse;
    const e = engine();
    const a = e.tensor(g.shape, g.a);
    const b = e.tensor(g.shape, g.b);
    expectClose(await mseLoss(e, a, b).read(), [g.loss], 1e-7, 1e-5, 'loss');
    expectClose(await mseLossBackward(e, a, b, e.tensor([1], [g.dL])).read(), g.da, 1e-9, 1e-5, 'da');
  });

  it('totalVariation: Σ squared neighbour differences over all channels, and its gradient', async () => {
    const g = golden.tv;
    const e = engine();
    const x = e.tensor(g.shape, g.x);
    expectClose(await totalVariation(e, x).read(), [g.loss], 1e-6, 1e-5, 'loss');
    expectClose(await totalVariationBackward(e, x, e.tensor([1], [g.dL])).read(), g.dx, 1e-5, 1e-5, 'dx');
  });
});
