#!/usr/bin/python3
"""PyTorch port of the ml5 / Engstrom fast-style-transfer network, and golden data for test/fast-style.test.ts.
Run with Debian's interpreter, which has python3-torch (1.13):

    /usr/bin/python3 test/golden/make_fast_style_golden.py

It reads the mirrored ml5 weights from ../shared/mirror (or the folder STYLEGPU_WEIGHTS_MIRROR names; nothing
from the mirror is written here), resizes two photos from examples/content/ to small sizes (one even, one odd),
stores them as PNG (the inputs our test reads), and runs the port in float64 on their bytes. test/golden/fast_style.json gets the outputs tanh(y)·150 + 127.5,
before clipping, to 2 decimals. test/golden/fast_style_all.json gets the same for all nine mirrored styles on one
smaller photo (fast_style_all_input.png, 23×17, output 24×20), for test/fast-style-goldens.test.ts.

The port follows lengstrom/fast-style-transfer src/transform.py (and ml5's StyleTransfer, which mirrors it):
TensorFlow SAME padding, zero-padded and asymmetric (the odd pixel at the bottom/right) for stride 2; instance
norm with biased variance, eps 1e-3, as (x − μ)/sqrt(σ² + eps)·scale + shift; conv2d_transpose with SAME padding
and output size in·2, which is a full transposed conv cropped by one row/column at the bottom/right (not at the
top/left, as PyTorch's padding=1, output_padding=1 would crop).
"""
import json
import os
import struct
import zlib

import torch
import torch.nn.functional as F

from png_rgb import read_png  # examples/ PNGs → float64 [3, H, W] bytes

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
STYLES = ["la_muse", "mathura", "matilde_perez", "matta", "rain_princess", "scream", "udnie", "wave", "wreck"]
MIRROR = os.path.join(os.environ.get("STYLEGPU_WEIGHTS_MIRROR") or os.path.join(ROOT, "..", "shared", "mirror"), "ml5-style-transfer")


# ---- the network


def load_ml5(style, dtype=torch.float64):
    """Variables of a deeplearn.js checkpoint by name, as tensors in TensorFlow layout."""
    folder = os.path.join(MIRROR, style)
    with open(os.path.join(folder, "manifest.json")) as f:
        manifest = json.load(f)
    out = {}
    for name, v in manifest.items():
        with open(os.path.join(folder, v["filename"]), "rb") as f:
            data = f.read()
        t = torch.frombuffer(bytearray(data), dtype=torch.float32).reshape(v["shape"])
        out[name] = t.to(dtype)
    return out


def same_pads(size, k, stride):
    """TensorFlow SAME: output ceil(size / stride), total padding split with the odd pixel after."""
    out = -(-size // stride)
    total = max((out - 1) * stride + k - size, 0)
    return total // 2, total - total // 2


class FastStyleNet(torch.nn.Module):
    def __init__(self, variables):
        super().__init__()
        v = lambda i: variables["Variable" if i == 0 else f"Variable_{i}"]
        # Conv filters [h, w, in, out] → [out, in, h, w]; transposed [h, w, out, in] → [in, out, h, w].
        self.convs = torch.nn.ParameterList(
            [torch.nn.Parameter(v(i).permute(3, 2, 0, 1).contiguous()) for i in [0, 3, 6, *range(9, 39, 3), 45]]
        )
        self.transposed = torch.nn.ParameterList([torch.nn.Parameter(v(i).permute(3, 2, 0, 1).contiguous()) for i in [39, 42]])
        ids = [0, 3, 6, *range(9, 39, 3), 39, 42, 45]
        self.shift = torch.nn.ParameterList([torch.nn.Parameter(v(i + 1)) for i in ids])
        self.scale = torch.nn.ParameterList([torch.nn.Parameter(v(i + 2)) for i in ids])

    def norm(self, x, layer, relu):
        # Engstrom's _instance_norm: tf.nn.moments (biased variance) over H, W; eps 1e-3.
        mu = x.mean(dim=(2, 3), keepdim=True)
        var = ((x - mu) ** 2).mean(dim=(2, 3), keepdim=True)
        y = (x - mu) / torch.sqrt(var + 1e-3) * self.scale[layer].view(1, -1, 1, 1) + self.shift[layer].view(1, -1, 1, 1)
        return F.relu(y) if relu else y

    @staticmethod
    def conv(x, w, stride):
        k = w.shape[2]
        top, bottom = same_pads(x.shape[2], k, stride)
        left, right = same_pads(x.shape[3], k, stride)
        return F.conv2d(F.pad(x, (left, right, top, bottom)), w, stride=stride)

    @staticmethod
    def conv_transpose(x, w):
        # Output 2·in; SAME pads the equivalent conv 0 before and 1 after, so drop the last row and column.
        h, w_ = x.shape[2], x.shape[3]
        return F.conv_transpose2d(x, w, stride=2)[:, :, : 2 * h, : 2 * w_]

    def forward(self, x):
        """x: [N, 3, H, W] RGB 0…255 → [N, 3, 4⌈H/4⌉, 4⌈W/4⌉], tanh(y)·150 + 127.5 (not clipped)."""
        c = self.convs
        x = self.norm(self.conv(x, c[0], 1), 0, True)
        x = self.norm(self.conv(x, c[1], 2), 1, True)
        x = self.norm(self.conv(x, c[2], 2), 2, True)
        for b in range(5):
            h = self.norm(self.conv(x, c[3 + 2 * b], 1), 3 + 2 * b, True)
            x = x + self.norm(self.conv(h, c[4 + 2 * b], 1), 4 + 2 * b, False)
        x = self.norm(self.conv_transpose(x, self.transposed[0]), 13, True)
        x = self.norm(self.conv_transpose(x, self.transposed[1]), 14, True)
        x = self.norm(self.conv(x, c[13], 1), 15, False)
        return torch.tanh(x) * 150 + 127.5


# ---- minimal PNG reading and writing (8-bit RGB/RGBA, non-interlaced), to avoid depending on PIL


def write_png(path, rgb):
    """rgb: uint8 [3, H, W]."""
    _, h, w = rgb.shape
    rows = rgb.permute(1, 2, 0).reshape(h, w * 3).tolist()
    raw = b"".join(b"\x00" + bytes(r) for r in rows)
    chunk = lambda kind, body: struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(png)


def resized_photo(name, width, height):
    x = read_png(os.path.join(ROOT, "examples", "content", name)).double()[None]
    y = F.interpolate(x, size=(height, width), mode="bilinear", align_corners=False, antialias=True)
    return y.round().clamp(0, 255).to(torch.uint8)[0]


def main():
    # (style, photo, width, height): 96×64 is a multiple of 4; 35×26 exercises both SAME paddings of the
    # stride-2 convs (odd and even inputs) and an output larger than the input (36×28).
    cases = [("wave", "chelsea.png", 96, 64), ("la_muse", "coffee.png", 35, 26)]
    golden = {}
    for style, photo, width, height in cases:
        rgb = resized_photo(photo, width, height)
        input_file = f"fast_style_{style}_input.png"
        write_png(os.path.join(HERE, input_file), rgb)
        net = FastStyleNet(load_ml5(style))
        with torch.no_grad():
            y = net(rgb.double()[None])[0]
        golden[style] = {
            "input": input_file,
            "shape": list(y.shape),
            "output": [round(v, 2) for v in y.reshape(-1).tolist()],
        }
        print(f"{style}: {photo} resized to {width}×{height} → output {y.shape[2]}×{y.shape[1]}")
    with open(os.path.join(HERE, "fast_style.json"), "w") as f:
        json.dump(golden, f, separators=(",", ":"))

    # Every style on one small photo: 23×17 is odd both ways, like the la_muse case, and keeps the file small.
    width, height = 23, 17
    rgb = resized_photo("astronaut.png", width, height)
    input_file = "fast_style_all_input.png"
    write_png(os.path.join(HERE, input_file), rgb)
    every = {"input": input_file, "outputs": {}}
    for style in STYLES:
        with torch.no_grad():
            y = FastStyleNet(load_ml5(style))(rgb.double()[None])[0]
        every["shape"] = list(y.shape)
        every["outputs"][style] = [round(v, 2) for v in y.reshape(-1).tolist()]
    with open(os.path.join(HERE, "fast_style_all.json"), "w") as f:
        json.dump(every, f, separators=(",", ":"))
    print(f"all {len(STYLES)} styles: astronaut.png resized to {width}×{height} → output {y.shape[2]}×{y.shape[1]}")


if __name__ == "__main__":
    main()
