#!/usr/bin/python3
"""Small random-weight AdaIN networks and their PyTorch outputs, for test/adain.test.ts. Run with Debian's
interpreter, which has python3-torch (1.13):

    /usr/bin/python3 test/golden/make_adain_golden.py

The networks are naoto0804/pytorch-AdaIN's net.vgg and net.decoder (nn.Sequential, so the state dicts have its keys:
vgg `0.*` (1×1 conv 3→3) and `2.*, 5.*, 9.*, …, 51.*` (every 3×3 conv to conv5_4), decoder `1.*, 5.*, …, 28.*`) with
fewer channels: 4, 6, 8, 10 for upstream's 64, 128, 256, 512 up to relu4_1, and 2 after it (upstream 512: layers
test.py cuts off, vgg[:31], and stylegpu must ignore). The first conv is upstream's fixed preprocessing (RGB 0…1 →
BGR 0…255 minus the ImageNet mean pixel, getPreprocessConv in AdaIN-style's lib/utils.lua); the rest are random
(He-normal weights, biases that centre each conv's output on the content image so that no ReLU channel is dead).
Both files are saved in the legacy (pre-zip) format, as upstream's vgg_normalised.pth and decoder.pth are.

Outputs are computed in float64 by the functions of pytorch-AdaIN's function.py and test.py (calc_mean_std,
adaptive_instance_normalization, coral, style_transfer with interpolation weights), restated below, and the spatial
control of AdaIN-style's test.lua (a mask, nearest-resized by image.scale 'simple' to the feature size; content
positions where it is 1 get AdaIN from the first style, where it is 0 from the second, each with the statistics of
its own positions only). Writes test/fixtures/adain/{vgg_normalised,decoder}.pth and test/golden/adain.json
(images as bytes, RGB = byte/255; outputs as base64 float32).
"""
import json
import os

import torch
import torch.nn as nn

from png_rgb import b64_bytes, image_json, small_image, tensor_json

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
FIXTURES = os.path.join(ROOT, "test", "fixtures", "adain")
torch.manual_seed(2017)

# (out channels, convs) per VGG block; pools after blocks 1–4. Upstream: 64, 128, 256, 512, 512.
VGG_BLOCKS = [(4, 2), (6, 2), (8, 4), (10, 1), (2, 3), (2, 4)]  # relu4_1 = 10 channels, then upstream's 4_2 … 5_4
DECODER = [(10, 8), "up", (8, 8), (8, 8), (8, 8), (8, 6), "up", (6, 6), (6, 4), "up", (4, 4), (4, 3)]


def conv3(cin, cout):
    conv = nn.Conv2d(cin, cout, 3)
    nn.init.normal_(conv.weight, std=(2 / (9 * cin)) ** 0.5)  # He: features keep their scale
    return conv


def centre_biases(seq, x):
    """Data-dependent biases: each 3×3 conv's output is centred on its input image (x), so no ReLU channel is dead
    everywhere (with random zero-mean weights on non-negative inputs many would be)."""
    with torch.no_grad():
        for layer in seq:
            if isinstance(layer, nn.Conv2d) and layer.kernel_size == (3, 3):
                layer.bias.zero_()
                layer.bias.copy_(-layer(x).mean(dim=(0, 2, 3)))
            x = layer(x)


def make_vgg():
    pre = nn.Conv2d(3, 3, 1)
    with torch.no_grad():
        pre.weight.zero_()
        for c in range(3):
            pre.weight[c, 2 - c] = 255
        pre.bias.copy_(-torch.tensor([103.939, 116.779, 123.68]))
    layers, cin = [pre], 3
    for block, (cout, n) in enumerate(VGG_BLOCKS):
        for _ in range(n):
            layers += [nn.ReflectionPad2d((1, 1, 1, 1)), conv3(cin, cout), nn.ReLU()]
            cin = cout
        if block in (0, 1, 2) or block == 4:  # after conv1_2, conv2_2, conv3_4, conv4_4
            layers.append(nn.MaxPool2d((2, 2), (2, 2), (0, 0), ceil_mode=True))
    return nn.Sequential(*layers)


def make_decoder():
    layers = []
    for item in DECODER:
        if item == "up":
            layers.append(nn.UpsamplingNearest2d(scale_factor=2))
        else:
            layers += [nn.ReflectionPad2d((1, 1, 1, 1)), conv3(*item), nn.ReLU()]
    layers.pop()  # no ReLU after the last conv
    with torch.no_grad():
        layers[-1].weight.mul_(0.05)  # outputs of roughly image scale
    return nn.Sequential(*layers)


# ---- pytorch-AdaIN function.py and test.py

def calc_mean_std(feat, eps=1e-5):
    N, C = feat.size()[:2]
    feat_var = feat.view(N, C, -1).var(dim=2) + eps
    return feat.view(N, C, -1).mean(dim=2).view(N, C, 1, 1), feat_var.sqrt().view(N, C, 1, 1)


def adaptive_instance_normalization(content_feat, style_feat):
    size = content_feat.size()
    style_mean, style_std = calc_mean_std(style_feat)
    content_mean, content_std = calc_mean_std(content_feat)
    normalized = (content_feat - content_mean.expand(size)) / content_std.expand(size)
    return normalized * style_std.expand(size) + style_mean.expand(size)


def _mat_sqrt(x):
    U, D, V = torch.svd(x)
    return torch.mm(torch.mm(U, D.pow(0.5).diag()), V.t())


def coral(source, target):
    def flat_mean_std(feat):
        f = feat.view(3, -1)
        return f, f.mean(dim=-1, keepdim=True), f.std(dim=-1, keepdim=True)

    source_f, source_mean, source_std = flat_mean_std(source)
    source_norm = (source_f - source_mean) / source_std
    source_cov_eye = torch.mm(source_norm, source_norm.t()) + torch.eye(3, dtype=source.dtype)
    target_f, target_mean, target_std = flat_mean_std(target)
    target_norm = (target_f - target_mean) / target_std
    target_cov_eye = torch.mm(target_norm, target_norm.t()) + torch.eye(3, dtype=source.dtype)
    transfer = torch.mm(_mat_sqrt(target_cov_eye), torch.mm(torch.inverse(_mat_sqrt(source_cov_eye)), source_norm))
    return (transfer * target_std + target_mean).view(source.size())


def style_transfer(vgg, decoder, content, styles, alpha=1.0, interpolation_weights=None, mask=None):
    """test.py's style_transfer, one style or several with weights (each style through the encoder on its own,
    which is what the batched original computes), plus test.lua's mask: styles = [foreground, background]."""
    content_f = vgg(content)
    style_fs = [vgg(s) for s in styles]
    if mask is not None:
        feat = masked_adain(content_f, style_fs[0], style_fs[1], mask)
    elif interpolation_weights:
        feat = sum(w * adaptive_instance_normalization(content_f, s) for w, s in zip(interpolation_weights, style_fs))
    else:
        feat = adaptive_instance_normalization(content_f, style_fs[0])
    feat = feat * alpha + content_f * (1 - alpha)
    return decoder(feat)


# ---- AdaIN-style test.lua, spatial control

def scale_simple(mask, height, width):
    """image.scale(mask, width, height, 'simple'): source index ⌊i · (src/dst)⌋ in float32, clamped."""
    def index(dst, src):
        scale = torch.tensor(src, dtype=torch.float32) / torch.tensor(dst, dtype=torch.float32)
        return (torch.arange(dst, dtype=torch.float32) * scale).long().clamp(max=src - 1)
    return mask[index(height, mask.shape[0])][:, index(width, mask.shape[1])]


def masked_adain(content_f, style_fg, style_bg, mask):
    _, C, H, W = content_f.shape
    m = scale_simple(mask, H, W).reshape(-1)
    view = content_f.view(C, -1)
    target = torch.zeros_like(view)
    for where, style in ((m == 1, style_fg), (m == 0, style_bg)):
        idx = where.nonzero()[:, 0]
        target[:, idx] = adaptive_instance_normalization(view[:, idx].reshape(1, C, -1, 1), style).reshape(C, -1)
    return target.view_as(content_f)


def main():
    os.makedirs(FIXTURES, exist_ok=True)
    examples = os.path.join(ROOT, "examples")
    images = {
        "content": small_image(os.path.join(examples, "content", "astronaut.png"), 32, 32),
        "odd": small_image(os.path.join(examples, "content", "coffee.png"), 27, 21),
        "starry": small_image(os.path.join(examples, "style", "starry_night.png"), 32, 24),
        "brick": small_image(os.path.join(examples, "style", "brick.png"), 24, 24),
    }
    rgb = {k: (v / 255).unsqueeze(0) for k, v in images.items()}
    vgg, decoder = make_vgg(), make_decoder()
    centre_biases(vgg, rgb["content"].float())
    centre_biases(decoder, vgg[:31](rgb["content"].float()))
    with torch.no_grad():
        decoder[-1].bias.add_(0.5)  # outputs around mid-grey
    torch.save(vgg.state_dict(), os.path.join(FIXTURES, "vgg_normalised.pth"), _use_new_zipfile_serialization=False)
    torch.save(decoder.state_dict(), os.path.join(FIXTURES, "decoder.pth"), _use_new_zipfile_serialization=False)
    encoder = nn.Sequential(*list(vgg.children())[:31]).double()
    decoder = decoder.double()

    yy, xx = torch.meshgrid(torch.arange(32), torch.arange(32), indexing="ij")
    mask = (xx + yy < 30).double()  # foreground (1) towards the top left

    with torch.no_grad():
        coral_starry = coral(rgb["starry"][0], rgb["content"][0]).unsqueeze(0)
        run = lambda content, styles, **kw: tensor_json(style_transfer(encoder, decoder, rgb[content], [rgb[s] for s in styles], **kw))
        cases = [
            {"name": "single", "content": "content", "styles": ["starry"], "alpha": 1, "output": run("content", ["starry"])},
            {"name": "alpha", "content": "content", "styles": ["brick"], "alpha": 0.5, "output": run("content", ["brick"], alpha=0.5)},
            {"name": "interpolation", "content": "content", "styles": ["starry", "brick"], "alpha": 1, "weights": [1, 3],
             "output": run("content", ["starry", "brick"], interpolation_weights=[0.25, 0.75])},
            {"name": "mask", "content": "content", "styles": ["starry", "brick"], "alpha": 0.75,
             "output": run("content", ["starry", "brick"], alpha=0.75, mask=mask)},
            {"name": "odd", "content": "odd", "styles": ["brick"], "alpha": 1, "output": run("odd", ["brick"])},
            {"name": "preserveColor", "content": "content", "styles": ["starry"], "alpha": 1, "preserveColor": True,
             "coral": tensor_json(coral_starry),
             "output": tensor_json(style_transfer(encoder, decoder, rgb["content"], [coral_starry]))},
        ]
        features = encoder(rgb["content"])
        assert features.view(10, -1).std(dim=1).min() > 1e-2, "a dead relu4_1 channel makes the test insensitive"
    golden = {
        "generator": f"test/golden/make_adain_golden.py, torch {torch.__version__}, float64 on float32 weights",
        "images": {k: image_json(v) for k, v in images.items()},
        "mask": {"height": 32, "width": 32, "values": b64_bytes(mask * 255)},
        "cases": cases,
    }
    with open(os.path.join(HERE, "adain.json"), "w") as f:
        json.dump(golden, f, separators=(",", ":"))
        f.write("\n")
    for name in ["vgg_normalised.pth", "decoder.pth"]:
        print(name, os.path.getsize(os.path.join(FIXTURES, name)), "bytes")
    print("adain.json", os.path.getsize(os.path.join(HERE, "adain.json")), "bytes")
    print("relu4_1 features", tuple(features.shape), "std per channel", features.view(10, -1).std(dim=1).tolist())
    print("mask at 4×4:", scale_simple(mask, 4, 4).tolist())
    for c in cases:
        print(c["name"], c["output"]["shape"])


if __name__ == "__main__":
    main()
