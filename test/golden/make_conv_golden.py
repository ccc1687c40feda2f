#!/usr/bin/python3
"""PyTorch golden data for the conv2d family (test/golden/conv.json), checked by test/conv2d.test.ts and
test/convTranspose2d.test.ts. Run with Debian's interpreter, which has python3-torch:

    /usr/bin/python3 test/golden/make_conv_golden.py

Inputs are float32 values; outputs are computed in float64 by torch (conv2d after F.pad, conv_transpose2d)
and gradients by autograd from the loss sum(g * y). `dz` is the gradient with respect to the convolution's
output before the activation: what the backward kernels take (the activation's backward runs separately).
"""
import json
import os

import torch
import torch.nn.functional as F

torch.manual_seed(20240607)


def rand(*shape):
    return (torch.rand(*shape, dtype=torch.float32) * 2 - 1).double()


def tensor(t):
    return {"shape": list(t.shape), "data": [float(f"{v:.9g}") for v in t.detach().reshape(-1).tolist()]}


def activate(z, activation):
    if activation == "relu":
        return F.relu(z)
    if isinstance(activation, dict):
        return F.leaky_relu(z, activation["leakyRelu"])
    return z


def conv_case(name, xs, ws, stride, pad, mode, activation="none"):
    """pad = (top, bottom, left, right)."""
    x, w, b = rand(*xs).requires_grad_(), rand(*ws).requires_grad_(), rand(ws[0]).requires_grad_()
    top, bottom, left, right = pad
    xp = F.pad(x, (left, right, top, bottom), mode="reflect" if mode == "reflect" else "constant")
    z = F.conv2d(xp, w, b, stride=stride)
    z.retain_grad()
    y = activate(z, activation)
    g = rand(*y.shape)
    (y * g).sum().backward()
    return {
        "name": name, "op": "conv2d", "stride": stride, "pad": list(pad), "mode": mode, "activation": activation,
        "x": tensor(x), "w": tensor(w), "b": tensor(b), "y": tensor(y),
        "dz": tensor(z.grad), "dx": tensor(x.grad), "dw": tensor(w.grad), "db": tensor(b.grad),
    }


def conv_transpose_case(name, xs, ws, stride, padding, output_padding):
    x, w, b = rand(*xs).requires_grad_(), rand(*ws).requires_grad_(), rand(ws[1]).requires_grad_()
    y = F.conv_transpose2d(x, w, b, stride=stride, padding=padding, output_padding=output_padding)
    g = rand(*y.shape)
    (y * g).sum().backward()
    return {
        "name": name, "op": "conv_transpose2d", "stride": stride, "padding": padding, "output_padding": output_padding,
        "x": tensor(x), "w": tensor(w), "b": tensor(b), "y": tensor(y),
        "dy": tensor(g), "dx": tensor(x.grad), "dw": tensor(w.grad), "db": tensor(b.grad),
    }


cases = [
    conv_case("conv2d 3x3 stride 1 padding 1", (2, 3, 6, 5), (4, 3, 3, 3), 1, (1, 1, 1, 1), "zeros"),
    conv_case("conv2d 5x5 stride 2 padding 2, relu", (1, 2, 9, 8), (3, 2, 5, 5), 2, (2, 2, 2, 2), "zeros", "relu"),
    conv_case("conv2d 3x3 stride 2, TF SAME padding (0, 1, 0, 1)", (1, 2, 8, 8), (3, 2, 3, 3), 2, (0, 1, 0, 1), "zeros"),
    conv_case("conv2d 3x3 stride 2, reflect (2, 1, 1, 2), leaky relu", (1, 3, 7, 8), (5, 3, 3, 3), 2, (2, 1, 1, 2), "reflect",
              {"leakyRelu": 0.2}),
    conv_case("conv2d 9x9 stride 1, reflect 4", (1, 2, 10, 9), (2, 2, 9, 9), 1, (4, 4, 4, 4), "reflect"),
    conv_transpose_case("conv_transpose2d 3x3 stride 2 padding 1 output_padding 1", (2, 3, 4, 5), (3, 2, 3, 3), 2, 1, 1),
]

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "conv.json")
with open(out, "w") as f:
    json.dump({"torch": torch.__version__, "cases": cases}, f, separators=(",", ":"))
print(f"wrote {out} ({os.path.getsize(out)} bytes, {len(cases)} cases)")
