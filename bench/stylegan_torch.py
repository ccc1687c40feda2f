#!/usr/bin/python3
"""PyTorch CPU running the same StyleGAN generator as bench/stylegan.ts (which runs it beside ours): the port of
rosinality's StyledGenerator in test/golden/make_stylegan_golden.py, batch 1, random noise maps, alpha 1.
  /usr/bin/python3 bench/stylegan_torch.py tiny SIZE REPS [THREADS]   the test checkpoint (g_running of tiny.model)
  /usr/bin/python3 bench/stylegan_torch.py full SIZE REPS [THREADS]   upstream's widths (512 … 16, code dim 512), random
→ one JSON line on stdout: {"msPerImage": median over REPS after one warm-up image, "threads"}.
Denormals are flushed (as the GPU and lavapipe do); THREADS defaults to every core."""
import json
import math
import os
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "golden"))
from make_stylegan_golden import CODE_DIM, FIXTURES, StyledGenerator  # noqa: E402

FULL_WIDTHS = [512, 512, 512, 512, 256, 128, 64, 32, 16]
which, size, reps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
threads = int(sys.argv[4]) if len(sys.argv) > 4 else os.cpu_count()
torch.set_flush_denormal(True)
torch.set_num_threads(threads)
torch.manual_seed(0)
step = int(math.log2(size)) - 2
if which == "tiny":
    net = StyledGenerator(CODE_DIM)
    net.load_state_dict(torch.load(os.path.join(FIXTURES, "tiny.model"))["g_running"])
    dim = CODE_DIM
else:
    dim = 512
    net = StyledGenerator(dim, FULL_WIDTHS[: step + 1], 5)
net.eval()
times = []
with torch.no_grad():
    for r in range(reps + 1):
        z = torch.randn(1, dim)
        noise = [torch.randn(1, 1, 4 * 2 ** i, 4 * 2 ** i) for i in range(step + 1)]
        t0 = time.perf_counter()
        net([z], noise, step)
        if r:
            times.append((time.perf_counter() - t0) * 1000)
print(json.dumps({"msPerImage": statistics.median(times), "threads": torch.get_num_threads()}))
