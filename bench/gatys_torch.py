#!/usr/bin/python3
"""PyTorch CPU doing the same work as one Gatys L-BFGS iteration of stylegpu (bench/gatys.ts runs it beside
ours): VGG19 (random weights of the real shapes) to relu5_1, content relu4_2, style relu1_1…relu5_1, TV,
forward + backward w.r.t. the image, inside torch.optim.LBFGS (neural-style's settings).
Usage: /usr/bin/python3 bench/gatys_torch.py SIZE ITERATIONS  → one JSON line on stdout."""
import json
import resource
import sys
import time

import torch
import torch.nn.functional as F

size, iterations = int(sys.argv[1]), int(sys.argv[2])
torch.manual_seed(0)
torch.set_num_threads(2)
CFG = [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512]
NAMES = ["1_1", "1_2", "2_1", "2_2", "3_1", "3_2", "3_3", "3_4", "4_1", "4_2", "4_3", "4_4", "5_1", "5_2", "5_3", "5_4"]
convs, cin = [], 3
for c in CFG:
    if c != "M":
        convs.append((torch.randn(c, cin, 3, 3) * (2 / (9 * cin)) ** 0.5, torch.zeros(c)))
        cin = c
CONTENT, STYLE = ["relu4_2"], ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"]


def features(x):
    out, k = {}, 0
    for c in CFG:
        if c == "M":
            x = F.max_pool2d(x, 2)
            continue
        x = F.relu(F.conv2d(x, *convs[k], padding=1))
        out["relu" + NAMES[k]] = x
        k += 1
        if NAMES[k - 1] == "5_1":
            break
    return out


def gram(f):
    _, c, h, w = f.shape
    f = f.reshape(c, h * w)
    return f @ f.t() / (c * h * w)


with torch.no_grad():
    content_f = features(torch.randn(1, 3, size, size))
    style_f = features(torch.randn(1, 3, size, size))
    ct = {l: content_f[l] for l in CONTENT}
    st = {l: gram(style_f[l]) for l in STYLE}

x = (torch.randn(1, 3, size, size) * 0.001).requires_grad_(True)
opt = torch.optim.LBFGS([x], lr=1, max_iter=iterations, history_size=100, tolerance_grad=-1, tolerance_change=-1)
times = []


def closure():
    t0 = time.perf_counter()
    opt.zero_grad()
    fs = features(x)
    loss = sum(5 * F.mse_loss(fs[l], ct[l]) for l in CONTENT) + sum(100 * F.mse_loss(gram(fs[l]), st[l]) for l in STYLE)
    loss = loss + 1e-3 * (((x[:, :, 1:] - x[:, :, :-1]) ** 2).sum() + ((x[:, :, :, 1:] - x[:, :, :, :-1]) ** 2).sum())
    loss.backward()
    times.append(time.perf_counter() - t0)
    return loss


t0 = time.perf_counter()
opt.step(closure)
total = time.perf_counter() - t0
steady = times[1:] or times
print(json.dumps({"secondsPerIteration": sum(steady) / len(steady), "iterations": iterations, "evaluations": len(times),
                  "peakRssBytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, "torch": torch.__version__}))
