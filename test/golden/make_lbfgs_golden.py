"""Writes test/golden/lbfgs.json: torch.optim.LBFGS and torch.optim.Adam trajectories for test/lbfgs.test.ts.

Run with Debian's interpreter, which has python3-torch (1.13):  /usr/bin/python3 test/golden/make_lbfgs_golden.py

Each case runs the optimiser from a float32-representable start in float32 (the precision of the GPU optimiser)
and in float64 (for reference). Recorded: the loss at every function evaluation (closure call), the final x, and
LBFGS's state counters (n_iter, func_evals, length of the kept history) with the test that stopped it. `spread`
measures how far float32 rounding moves the trajectory, which is what the TypeScript test's tolerances are built
from: the largest deviation from the float32 run of the float64 run and of float32 runs whose gradients carry one
rounding's worth of relative noise. Cases are chosen so that all these runs take the same branches (asserted);
stderr shows how far each run's yᵀs and tolerance tests are from their thresholds. The objectives, also in
test/reference/lbfgs.ts:
  quadratic   f = ½ xᵀAx − bᵀx,  A = diag(1 + i/2) + 0.3·cos(i − j) (SPD), b_i = sin(0.7 i + 0.3)
  rosenbrock  f = Σ 100 (x_{i+1} − x_i²)² + (1 − x_i)²
  wells       f = Σ (x_i² − 1)² + 0.1 Σ x_i x_{i+1}   (negative curvature near 0: yᵀs ≤ 1e-10 rejections)
"""
import json
import math
import sys

import torch


def quadratic_parts(n, dtype):
    i = torch.arange(n, dtype=torch.float64)
    A = torch.diag(1 + 0.5 * i) + 0.3 * torch.cos(i[:, None] - i[None, :])
    b = torch.sin(0.7 * i + 0.3)
    return A.to(dtype), b.to(dtype)


def quadratic(x):
    A, b = quadratic_parts(x.numel(), x.dtype)
    return 0.5 * x @ (A @ x) - b @ x


def rosenbrock(x):
    return (100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2).sum()


def wells(x):
    return ((x ** 2 - 1) ** 2).sum() + 0.1 * (x[1:] * x[:-1]).sum()


OBJECTIVES = {'quadratic': quadratic, 'rosenbrock': rosenbrock, 'wells': wells}
NOISY_RUNS = 8


def f32_values(values):
    return torch.tensor(values, dtype=torch.float32).double()


def num(v):
    return float(f'{v:.10g}')


def run(optimiser, objective, x0, dtype, options, steps, noise_seed=None):
    """noise_seed: multiply every gradient element by 1 + u·2⁻²³, u uniform in [−1, 1] (about one float32 rounding)."""
    x = x0.clone().to(dtype).requires_grad_(True)
    opt = optimiser([x], **options)
    losses, grads, points = [], [], []
    noise = torch.Generator().manual_seed(noise_seed) if noise_seed is not None else None

    def closure():
        opt.zero_grad()
        loss = OBJECTIVES[objective](x)
        loss.backward()
        if noise is not None:
            x.grad.mul_(1 + (2 * torch.rand(x.shape, generator=noise, dtype=torch.float64) - 1).to(dtype) * 2 ** -23)
        losses.append(float(loss))
        grads.append(x.grad.detach().double().clone())
        points.append(x.detach().double().clone())
        return loss

    for _ in range(steps):
        opt.step(closure)
    out = {'losses': [num(v) for v in losses], 'x': [num(v) for v in x.detach().double().tolist()]}
    if optimiser is torch.optim.LBFGS:
        state = opt.state[x]
        out.update(iterations=state['n_iter'], evaluations=state['func_evals'], historyLength=len(state['old_dirs']))
        out['stop'] = stop_reason(options, state, out, grads[-1])
    return out, grads, points


def stop_reason(options, state, out, last_grad):
    """Which test of LBFGS.step ended the loop (in the order it tests them), from the state it leaves behind."""
    max_iter, tolerance_change = options['max_iter'], options['tolerance_change']
    if out['iterations'] == max_iter:
        return 'max-iter'
    if out['evaluations'] >= max_iter * 5 // 4:
        return 'max-eval'
    assert not options['line_search_fn'], 'stop reason of a line search run: not inferred'
    if out['evaluations'] == out['iterations']:  # the last iteration broke off before its evaluation
        return 'directional-derivative'
    if float(last_grad.abs().max()) <= options['tolerance_grad']:
        return 'tolerance-grad'
    if float(state['d'].mul(state['t']).abs().max()) <= tolerance_change:
        return 'tolerance-step'
    assert abs(out['losses'][-1] - state['prev_loss']) < tolerance_change
    return 'tolerance-loss'


def lbfgs_case(name, objective, x0, max_iter, history_size=100, lr=1, tolerance_grad=-1, tolerance_change=-1,
               line_search=None):
    x0 = f32_values(x0)
    options = dict(lr=lr, max_iter=max_iter, history_size=history_size, tolerance_grad=tolerance_grad,
                   tolerance_change=tolerance_change, line_search_fn=line_search)
    result = {'name': name, 'objective': objective, 'x0': [num(v) for v in x0.tolist()],
              'options': {'maxIter': max_iter, 'historySize': history_size, 'lr': lr, 'toleranceGrad': tolerance_grad,
                          'toleranceChange': tolerance_change, **({'lineSearch': line_search} if line_search else {})}}
    for dtype, key in ((torch.float32, 'float32'), (torch.float64, 'float64')):
        out, grads, points = run(torch.optim.LBFGS, objective, x0, dtype, options, 1)
        result[key] = out
        if dtype == torch.float32 and not line_search:
            report_margins(name, out, grads, points, tolerance_grad, tolerance_change)
    result['spread'] = spread(name, torch.optim.LBFGS, objective, x0, options, 1, result)
    return result


def spread(name, optimiser, objective, x0, options, steps, result):
    """How far rounding-sized noise moves this trajectory: the largest deviation from the float32 run, per
    evaluation (loss) and over the final x, of the float64 run and of NOISY_RUNS float32 runs with gradient noise."""
    base = result['float32']
    others = [result['float64']] + [run(optimiser, objective, x0, torch.float32, options, steps, noise_seed=seed)[0]
                                     for seed in range(NOISY_RUNS)]
    for other in others:
        for k in ('iterations', 'evaluations', 'historyLength', 'stop'):
            assert other.get(k) == base.get(k), f'{name}: noisy runs differ in {k} ({other.get(k)} vs {base.get(k)}): too sensitive for a test'
    losses = [max(abs(o['losses'][k] - v) for o in others) for k, v in enumerate(base['losses'])]
    x = max(abs(o['x'][i] - v) for o in others for i, v in enumerate(base['x']))
    return {'losses': [num(v) for v in losses], 'x': num(x)}


def report_margins(name, out, grads, points, tolerance_grad, tolerance_change):
    """How far this run's control-flow decisions are from their thresholds (a float32 rerun must take the same
    branches). yᵀs is estimated from consecutive evaluations (s = Δx), which is what LBFGS forms from d·t."""
    ys = [float((grads[k] - grads[k - 1]) @ (points[k] - points[k - 1])) for k in range(1, len(grads))]
    kept = sum(v > 1e-10 for v in ys)
    closest = min((abs(math.log10(abs(v) / 1e-10)) for v in ys if v != 0), default=math.inf)
    line = f'{name}: {len(ys)} pairs, {kept} with yᵀs > 1e-10, closest yᵀs within 10^{closest:.1f} of 1e-10'
    if tolerance_grad >= 0:
        m = [float(g.abs().max()) for g in grads]
        line += f'; max|g| per evaluation {["%.3g" % v for v in m]} vs {tolerance_grad}'
    if tolerance_change >= 0:
        dl = [abs(out['losses'][k] - out['losses'][k - 1]) for k in range(1, len(out['losses']))]
        line += f'; |Δloss| {["%.3g" % v for v in dl]} vs {tolerance_change}'
    print(line, file=sys.stderr)


def adam_case(name, x0, iterations, lr, betas=(0.9, 0.999), eps=1e-8):
    x0 = f32_values(x0)
    result = {'name': name, 'objective': 'quadratic', 'x0': [num(v) for v in x0.tolist()],
              'options': {'iterations': iterations, 'lr': lr, 'betas': list(betas), 'eps': eps}}
    options = dict(lr=lr, betas=betas, eps=eps)
    for dtype, key in ((torch.float32, 'float32'), (torch.float64, 'float64')):
        result[key] = run(torch.optim.Adam, 'quadratic', x0, dtype, options, iterations)[0]
    result['spread'] = spread(name, torch.optim.Adam, 'quadratic', x0, options, iterations, result)
    return result


quad_x0 = [0.5 * math.cos(1.3 * i) for i in range(50)]
rosen2 = [-1.2, 1.0]
rosen10 = [-1.2, 1.0] * 5
wells_x0 = [0.1 * math.sin(i + 1) for i in range(8)]

golden = {
    'generator': f'test/golden/make_lbfgs_golden.py, torch {torch.__version__}',
    'lbfgs': [
        lbfgs_case('quadratic, 50 dims', 'quadratic', quad_x0, 20),
        lbfgs_case('quadratic, history 5 (ring wraps), lr 0.8', 'quadratic', quad_x0, 25, history_size=5, lr=0.8),
        lbfgs_case('quadratic, max_iter 2 (max_eval = 2 stops after one iteration)', 'quadratic', quad_x0, 2),
        lbfgs_case('quadratic, tolerance_grad 1e-3', 'quadratic', quad_x0, 100, tolerance_grad=1e-3),
        lbfgs_case('quadratic, tolerance_change 1e-4', 'quadratic', quad_x0, 100, tolerance_change=1e-4),
        lbfgs_case('rosenbrock, 2 dims', 'rosenbrock', rosen2, 20),
        lbfgs_case('rosenbrock, 10 dims', 'rosenbrock', rosen10, 20),
        lbfgs_case('wells, 8 dims (yᵀs rejection)', 'wells', wells_x0, 12),
        lbfgs_case('rosenbrock, 2 dims, strong Wolfe', 'rosenbrock', rosen2, 20, line_search='strong_wolfe'),
        lbfgs_case('rosenbrock, 10 dims, strong Wolfe', 'rosenbrock', rosen10, 20, line_search='strong_wolfe'),
    ],
    'adam': [
        adam_case('quadratic, lr 0.05', quad_x0, 40, 0.05),
        adam_case('quadratic, lr 0.1, betas (0.8, 0.99), eps 1e-6', quad_x0, 40, 0.1, betas=(0.8, 0.99), eps=1e-6),
    ],
}

with open(__file__.replace('make_lbfgs_golden.py', 'lbfgs.json'), 'w') as f:
    json.dump(golden, f, separators=(',', ':'))
    f.write('\n')
