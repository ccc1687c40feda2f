#!/usr/bin/python3
"""Exports the PyTorch port of an ml5 fast style network (test/golden/make_fast_style_golden.py) to ONNX, for the
onnxruntime-node side of bench/fast-style.ts. Run with Debian's interpreter, which has python3-torch (1.13):

    /usr/bin/python3 bench/export_fast_style_onnx.py [STYLE] [SIZE] [OUTPUT]

Defaults: wave, 512, bench/results/fast-style-wave-512.onnx. Input `image` [1, 3, SIZE, SIZE] float32 RGB 0…255,
output `stylized` [1, 3, SIZE', SIZE'] = tanh(y)·150 + 127.5 (not clipped), as FastStyleNet.forward. The size is
fixed because TensorFlow's SAME paddings depend on it and are traced as constants. The file is derived from the
weights (../shared/mirror), so it is written under bench/results/, which git ignores: never commit it.
"""
import os
import sys

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "test", "golden"))
from make_fast_style_golden import FastStyleNet, load_ml5  # noqa: E402


def main():
    style = sys.argv[1] if len(sys.argv) > 1 else "wave"
    size = int(sys.argv[2]) if len(sys.argv) > 2 else 512
    output = sys.argv[3] if len(sys.argv) > 3 else os.path.join(ROOT, "bench", "results", f"fast-style-{style}-{size}.onnx")
    net = FastStyleNet(load_ml5(style, torch.float32)).eval()
    os.makedirs(os.path.dirname(os.path.abspath(output)), exist_ok=True)
    with torch.no_grad():
        torch.onnx.export(net, torch.zeros(1, 3, size, size), output, input_names=["image"], output_names=["stylized"], opset_version=13)
    print(f"wrote {output} ({style}, {size}×{size})")


if __name__ == "__main__":
    main()
