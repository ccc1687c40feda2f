#!/usr/bin/python3
"""Write test/golden/pool_act.json: PyTorch outputs and input gradients for the pooling, resize and
activation kernels, checked by test/pool_act_golden.test.ts (which never runs Python).

Run with Debian's PyTorch:  /usr/bin/python3 test/golden/make_pool_act_golden.py
Each case stores its input x, its upstream gradient dy, PyTorch's y = f(x) and dx = (∂y/∂x)ᵀ·dy.
Numbers are written with 9 significant digits, which round-trip float32 exactly.
"""
import json
import os

import torch
import torch.nn.functional as F

torch.manual_seed(1234)


def values(t):
    return [float(f"{v:.9g}") for v in t.detach().flatten().tolist()]


def case(f, x, **info):
    x = x.clone().requires_grad_(True)
    y = f(x)
    dy = torch.rand(y.shape) * 2 - 1
    y.backward(dy)
    return {**info, "shape": list(x.shape), "x": values(x), "y": values(y), "dy": values(dy), "dx": values(x.grad)}


def rand(*shape, scale=1.0):
    return (torch.rand(*shape) * 2 - 1) * scale


def ties(*shape):
    # Three levels: most windows hold several equal maxima, so PyTorch's choice among them is recorded.
    return torch.randint(-1, 2, shape).float()


def pools(fn):
    return [
        case(lambda x: fn(x, 2, 2), rand(2, 3, 7, 9), kernel=2, stride=2),
        case(lambda x: fn(x, 3, 2), rand(1, 2, 9, 11), kernel=3, stride=2),
        case(lambda x: fn(x, 3, 1), rand(1, 1, 6, 5), kernel=3, stride=1),
    ]


golden = {
    "torch": torch.__version__,
    "max_pool2d": pools(F.max_pool2d) + [
        case(lambda x: F.max_pool2d(x, 2, 2), ties(1, 2, 6, 7), kernel=2, stride=2),
        case(lambda x: F.max_pool2d(x, 3, 2), ties(1, 2, 9, 8), kernel=3, stride=2),
        case(lambda x: F.max_pool2d(x, 3, 1), ties(1, 1, 5, 6), kernel=3, stride=1),
    ],
    "avg_pool2d": pools(F.avg_pool2d),
    "interpolate_bilinear": [
        case(lambda x, s=s: F.interpolate(x, size=s, mode="bilinear", align_corners=False), rand(1, 2, *shape), size=list(s))
        for shape, s in [((5, 7), (11, 13)), ((5, 7), (10, 14)), ((13, 11), (5, 4)), ((9, 9), (3, 7)), ((1, 3), (2, 5))]
    ],
    "leaky_relu": [case(lambda x: F.leaky_relu(x, 0.2), rand(2, 3, 5, 5, scale=3), slope=0.2)],
    "tanh": [
        case(torch.tanh, torch.cat([rand(60, scale=4), torch.tensor([-30.0, -9.0, -1e-4, 0.0, 1e-6, 2e-3, 9.0, 30.0])]))
    ],
    # ceil_mode (torch-AdaIN's VGG pools this way): last windows clipped; avg divides by the clipped size.
    # Kept last so the cases above keep their random draws.
    "pool_ceil": [
        case(lambda x, fn=fn, k=k, s=s: fn(x, k, s, ceil_mode=True), rand(*shape), op=fn.__name__, kernel=k, stride=s, ceilMode=True)
        for fn in (F.max_pool2d, F.avg_pool2d)
        for shape, k, s in [((1, 2, 7, 9), 2, 2), ((2, 1, 8, 10), 3, 2), ((1, 2, 5, 6), 3, 3)]
    ],
}

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pool_act.json")
with open(path, "w") as f:
    json.dump(golden, f, separators=(",", ":"))
print(f"wrote {path}: {os.path.getsize(path)} bytes")
