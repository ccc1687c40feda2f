"""Writes test/golden/norm.json: PyTorch outputs and autograd gradients for the gram, norm and loss kernels.

Run with Debian's interpreter, which has python3-torch (1.13):  /usr/bin/python3 test/golden/make_norm_golden.py
Inputs are float32 values (stored with 9 significant digits, which round-trip); PyTorch computes in float64 on
them, so the file holds exact references. Each backward uses a random upstream gradient (dL for the scalar losses).
"""
import json
import os

import torch
import torch.nn.functional as F

torch.manual_seed(20240607)


def f32(shape, scale=1.0, shift=0.0):
    return (torch.randn(*shape, dtype=torch.float32) * scale + shift).double()


def values(t, digits):
    return [float(f"{v:.{digits}g}") for v in t.detach().reshape(-1).tolist()]


def inp(t):
    return values(t, 9)


def out(t):
    return values(t, 12)


# pytorch-AdaIN (naoto0804) function.py, verbatim apart from names.
def calc_mean_std(feat, eps=1e-5):
    size = feat.size()
    assert len(size) == 4
    N, C = size[:2]
    feat_var = feat.view(N, C, -1).var(dim=2) + eps
    feat_std = feat_var.sqrt().view(N, C, 1, 1)
    feat_mean = feat.view(N, C, -1).mean(dim=2).view(N, C, 1, 1)
    return feat_mean, feat_std


def adaptive_instance_normalization(content_feat, style_feat):
    assert content_feat.size()[:2] == style_feat.size()[:2]
    size = content_feat.size()
    style_mean, style_std = calc_mean_std(style_feat)
    content_mean, content_std = calc_mean_std(content_feat)
    normalized_feat = (content_feat - content_mean.expand(size)) / content_std.expand(size)
    return normalized_feat * style_std.expand(size) + style_mean.expand(size)


def gram_case():
    N, C, H, W = 2, 5, 3, 3
    norm = C * H * W
    feat = f32((N, C, H, W)).requires_grad_()
    dG = f32((N, C, C))
    m = feat.view(N, C, H * W)
    G = torch.bmm(m, m.transpose(1, 2)) / norm
    G.backward(dG)
    return {"shape": [N, C, H, W], "norm": norm, "F": inp(feat), "dG": inp(dG), "G": out(G), "dF": out(feat.grad)}


def instance_norm_case():
    N, C, H, W = 2, 3, 4, 5
    eps = 1e-5
    x = f32((N, C, H, W), 2.0, 0.5).requires_grad_()
    gamma = f32((C,), 0.5, 1.0).requires_grad_()
    beta = f32((C,)).requires_grad_()
    dy = f32((N, C, H, W))
    y = F.instance_norm(x, weight=gamma, bias=beta, eps=eps)
    y.backward(dy)
    return {
        "shape": [N, C, H, W], "eps": eps, "x": inp(x), "gamma": inp(gamma), "beta": inp(beta), "dy": inp(dy),
        "y": out(y), "dx": out(x.grad), "dgamma": out(gamma.grad), "dbeta": out(beta.grad),
    }


def adain_case():
    N, C, H, W = 2, 3, 4, 5
    Hs, Ws = 3, 6
    content = f32((N, C, H, W), 1.5, -0.5).requires_grad_()
    style = f32((N, C, Hs, Ws), 3.0, 2.0)  # no grad: σ(style), μ(style) are constants
    dy = f32((N, C, H, W))
    y = adaptive_instance_normalization(content, style)
    y.backward(dy)
    return {
        "shape": [N, C, H, W], "styleShape": [N, C, Hs, Ws], "content": inp(content), "style": inp(style),
        "dy": inp(dy), "y": out(y), "dx": out(content.grad),
    }


def mse_case():
    shape = [1, 3, 4, 5]
    a = f32(shape).requires_grad_()
    b = f32(shape)
    dL = 0.625
    loss = F.mse_loss(a, b)
    loss.backward(torch.tensor(dL, dtype=torch.float64))
    return {"shape": shape, "a": inp(a), "b": inp(b), "dL": dL, "loss": out(loss)[0], "da": out(a.grad)}


def tv_case():
    shape = [2, 3, 4, 5]
    x = f32(shape).requires_grad_()
    dL = 1.25
    loss = ((x[:, :, 1:, :] - x[:, :, :-1, :]) ** 2).sum() + ((x[:, :, :, 1:] - x[:, :, :, :-1]) ** 2).sum()
    loss.backward(torch.tensor(dL, dtype=torch.float64))
    return {"shape": shape, "x": inp(x), "dL": dL, "loss": out(loss)[0], "dx": out(x.grad)}


golden = {
    "generator": f"test/golden/make_norm_golden.py, torch {torch.__version__}, float64 on float32 inputs",
    "gram": gram_case(),
    "instanceNorm": instance_norm_case(),
    "adain": adain_case(),
    "mse": mse_case(),
    "tv": tv_case(),
}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "norm.json")
with open(path, "w") as f:
    json.dump(golden, f, separators=(",", ":"))
    f.write("\n")
print(f"wrote {path} ({os.path.getsize(path)} bytes)")
