#!/usr/bin/python3
"""PyTorch doing the same work as stylegpu's Gatys L-BFGS iterations (bench/gatys.ts runs it beside ours, with the
same images): VGG19 (random weights of the real shapes) to relu5_1, content relu4_2, style relu1_1…relu5_1, TV,
forward + backward w.r.t. the image, inside torch.optim.LBFGS (neural-style's settings, no line search).

A fair baseline: denormals flushed (random weights push CPU kernels into denormal floats, which GPUs flush), one
thread per core, and the BLAS it runs on named (Debian's default libblas.so.3 is netlib's reference BLAS;
libopenblas0-pthread replaces it). On CUDA, TF32 is off, as our kernels compute in float32.

Usage: /usr/bin/python3 bench/gatys_torch.py --size N --iterations N --content RGB --style RGB
         --preprocessing JSON [--init random|content] [--device cpu|cuda]
       /usr/bin/python3 bench/gatys_torch.py --describe [--device cpu|cuda]   (the settings alone: no run)
RGB files: size·size·3 bytes, row-major. Prints one JSON line on stdout."""
import argparse
import json
import os
import resource
import time

import torch
import torch.nn.functional as F

ap = argparse.ArgumentParser()
ap.add_argument("--size", type=int)
ap.add_argument("--iterations", type=int)
ap.add_argument("--content")
ap.add_argument("--style")
ap.add_argument("--preprocessing", help="stylegpu's Preprocessing: order, range, mean, std")
ap.add_argument("--init", choices=["random", "content"], default="random")
ap.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
ap.add_argument("--describe", action="store_true", help="print the baseline's settings as JSON and exit")
args = ap.parse_args()
missing = [f"--{a}" for a in ("size", "iterations", "content", "style", "preprocessing") if getattr(args, a) is None]
if missing and not args.describe:
    ap.error(f"missing {', '.join(missing)}")
size, dev = args.size, torch.device(args.device)
if args.device == "cuda" and not torch.cuda.is_available():
    raise SystemExit("gatys_torch.py: --device cuda but torch.cuda.is_available() is False")

torch.manual_seed(0)
threads = os.cpu_count()
torch.set_num_threads(threads)
flush = torch.set_flush_denormal(True)
if args.device == "cuda":
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cudnn.benchmark = True


def loaded_blas():
    """The BLAS libraries this process has mapped (after a matrix product has run), as real paths."""
    with open("/proc/self/maps") as f:
        paths = {line.split()[-1] for line in f if "blas" in line.lower() and "/" in line}
    return sorted({os.path.realpath(p) for p in paths})


torch.randn(64, 64) @ torch.randn(64, 64)
blas = loaded_blas()
settings = {
    "torch": torch.__version__,
    "device": args.device,
    "threads": torch.get_num_threads(),
    "flushDenormal": flush,
    "blas": ", ".join(blas) or "none mapped",
    "referenceBlas": any("/blas/libblas" in p for p in blas),
    "blasInfo": next((part.split("=", 1)[1] for part in torch.__config__.show().replace(",", "\n").split() if part.startswith("BLAS_INFO=")), "?"),
    "init": args.init,
}
if args.device == "cuda":
    settings.update({"cuda": torch.version.cuda, "cudnn": torch.backends.cudnn.version(), "deviceName": torch.cuda.get_device_name(0), "tf32": False})

if args.describe:
    print(json.dumps(settings))
    raise SystemExit(0)
pre = json.loads(args.preprocessing)


def load_rgb(path):
    """RGB bytes → [1, 3, size, size] in the network's input space (stylegpu's Preprocessing)."""
    data = open(path, "rb").read()
    if len(data) != size * size * 3:
        raise SystemExit(f"gatys_torch.py: {path} has {len(data)} bytes, {size}·{size}·3 expected")
    x = torch.frombuffer(bytearray(data), dtype=torch.uint8).float().reshape(size, size, 3).permute(2, 0, 1)
    if pre["order"] == "bgr":
        x = x.flip(0)
    mean, std = torch.tensor(pre["mean"]).view(3, 1, 1), torch.tensor(pre["std"]).view(3, 1, 1)
    return ((x / 255 * pre["range"] - mean) / std).unsqueeze(0).contiguous().to(dev)


CFG = [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512]
NAMES = ["1_1", "1_2", "2_1", "2_2", "3_1", "3_2", "3_3", "3_4", "4_1", "4_2", "4_3", "4_4", "5_1"]
convs, cin = [], 3
for c in CFG:
    if c != "M":
        convs.append(((torch.randn(c, cin, 3, 3) * (2 / (9 * cin)) ** 0.5).to(dev), torch.zeros(c, device=dev)))
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
    return out


def gram(f):
    _, c, h, w = f.shape
    f = f.reshape(c, h * w)
    return f @ f.t() / (c * h * w)


content_x, style_x = load_rgb(args.content), load_rgb(args.style)
with torch.no_grad():
    content_f, style_f = features(content_x), features(style_x)
    ct = {l: content_f[l] for l in CONTENT}
    st = {l: gram(style_f[l]) for l in STYLE}

x = (content_x.clone() if args.init == "content" else torch.randn(1, 3, size, size, device=dev) * 0.001).requires_grad_(True)
opt = torch.optim.LBFGS([x], lr=1, max_iter=args.iterations, history_size=100, tolerance_grad=-1, tolerance_change=-1)
sync = torch.cuda.synchronize if args.device == "cuda" else (lambda: None)
evaluation_seconds, ends = [], []


def closure():
    sync()
    t0 = time.perf_counter()
    opt.zero_grad()
    fs = features(x)
    loss = sum(5 * F.mse_loss(fs[l], ct[l]) for l in CONTENT) + sum(100 * F.mse_loss(gram(fs[l]), st[l]) for l in STYLE)
    loss = loss + 1e-3 * (((x[:, :, 1:] - x[:, :, :-1]) ** 2).sum() + ((x[:, :, :, 1:] - x[:, :, :, :-1]) ** 2).sum())
    loss.backward()
    sync()
    ends.append(time.perf_counter())
    evaluation_seconds.append(ends[-1] - t0)
    return loss


if args.device == "cuda":
    torch.cuda.reset_peak_memory_stats()
opt.step(closure)
# Per iteration as bench/gatys.ts times ours: from the end of one evaluation to the end of the next, so the
# optimiser's own work between evaluations counts on both sides; the first (warm-up) evaluation is not timed.
steady = evaluation_seconds[1:] or evaluation_seconds
result = {
    "secondsPerIteration": (ends[-1] - ends[0]) / (len(ends) - 1) if len(ends) > 1 else evaluation_seconds[0],
    "secondsPerEvaluation": sum(steady) / len(steady),
    "iterations": args.iterations,
    "evaluations": len(ends),
    "peakRssBytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    "settings": settings,
}
if args.device == "cuda":
    result["peakDeviceBytes"] = torch.cuda.max_memory_allocated()
print(json.dumps(result))
