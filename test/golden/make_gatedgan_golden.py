#!/usr/bin/python3
"""A small random-weight Gated GAN generator and its PyTorch outputs, for test/gatedgan.test.ts. Run with Debian's
interpreter, which has python3-torch (1.13):

    /usr/bin/python3 test/golden/make_gatedgan_golden.py

The modules reproduce the Generator of colemiller94/gatedgan (models.py; Chen et al. 2019, arXiv 1904.02296) with
the same attribute names, so the state dict has upstream's keys:
    encoder.model.{1,4,7}.{weight,bias}              7×7 conv after ReflectionPad2d(3), two 3×3 stride-2 convs
    transformer.t.{i}.conv_block.{1,5}.{weight,bias}  one residual block per style; t[n_styles] is the identity
    decoder.model.{k}.conv_block.{1,5}.*             n_res residual blocks (upstream: 9)
    decoder.model.{n_res, n_res+3}.*                 ConvTranspose2d(3, stride 2, padding 1, output_padding 1)
    decoder.model.{n_res+7}.*                        7×7 conv after ReflectionPad2d(3), then tanh
InstanceNorm2d has upstream's defaults (affine=False, eps 1e-5), so it adds no keys. Sizes are reduced (ngf 2,
3 styles, 2 decoder residual blocks, upstream ngf 64 and 9): the loader reads them from the weights. Upstream's last
conv is written Conv2d(64, out_nc, 7), i.e. ngf input channels for its ngf = 64; here it takes ngf.

Writes test/fixtures/gatedgan/netG.pth (torch.save of the state dict, zip format), netG.safetensors (the same
tensors, written by hand) and test/golden/gatedgan.json: input images (examples/content resized, as bytes), style
labels and outputs computed in float64 on the float32 weights (base64 float32). Inputs are normalised as upstream's
transforms.Normalize((0.5,)*3, (0.5,)*3): x = 2·byte/255 − 1.
"""
import collections
import json
import os
import struct

import torch
import torch.nn as nn

from png_rgb import image_json, small_image, tensor_json

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
FIXTURES = os.path.join(ROOT, "test", "fixtures", "gatedgan")
NGF, N_STYLES, N_RES = 2, 3, 2
torch.manual_seed(1904)


class Identity(nn.Module):
    def forward(self, x):
        return x


class ResidualBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv_block = nn.Sequential(
            nn.ReflectionPad2d(1), nn.Conv2d(c, c, 3), nn.InstanceNorm2d(c), nn.ReLU(),
            nn.ReflectionPad2d(1), nn.Conv2d(c, c, 3), nn.InstanceNorm2d(c))

    def forward(self, x):
        return x + self.conv_block(x)


class Encoder(nn.Module):
    def __init__(self, in_nc, ngf):
        super().__init__()
        layers = [nn.ReflectionPad2d(3), nn.Conv2d(in_nc, ngf, 7), nn.InstanceNorm2d(ngf), nn.ReLU()]
        for c in (ngf, 2 * ngf):
            layers += [nn.Conv2d(c, 2 * c, 3, stride=2, padding=1), nn.InstanceNorm2d(2 * c), nn.ReLU()]
        self.model = nn.Sequential(*layers)

    def forward(self, x):
        return self.model(x)


class Transformer(nn.Module):
    def __init__(self, n_styles, ngf):
        super().__init__()
        self.t = nn.ModuleList([ResidualBlock(4 * ngf) for _ in range(n_styles)] + [Identity()])

    def forward(self, x, label):
        return sum(self.t[i](x) * v for i, v in enumerate(label))


class Decoder(nn.Module):
    def __init__(self, out_nc, ngf, n_res):
        super().__init__()
        layers = [ResidualBlock(4 * ngf) for _ in range(n_res)]
        for c in (4 * ngf, 2 * ngf):
            layers += [nn.ConvTranspose2d(c, c // 2, 3, stride=2, padding=1, output_padding=1), nn.InstanceNorm2d(c // 2), nn.ReLU()]
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(ngf, out_nc, 7), nn.Tanh()]
        self.model = nn.Sequential(*layers)

    def forward(self, x):
        return self.model(x)


class Generator(nn.Module):
    def __init__(self, in_nc, out_nc, n_styles, ngf, n_res):
        super().__init__()
        self.encoder = Encoder(in_nc, ngf)
        self.transformer = Transformer(n_styles, ngf)
        self.decoder = Decoder(out_nc, ngf, n_res)

    def forward(self, x, label):
        return self.decoder(self.transformer(self.encoder(x), label))


def write_safetensors(path, tensors):
    header, blobs, offset = collections.OrderedDict(), [], 0
    header["__metadata__"] = {"format": "pt"}
    for name, t in tensors.items():
        data = t.contiguous().numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def main():
    os.makedirs(FIXTURES, exist_ok=True)
    net = Generator(3, 3, N_STYLES, NGF, N_RES).eval()
    sd = net.state_dict()
    torch.save(sd, os.path.join(FIXTURES, "netG.pth"))
    write_safetensors(os.path.join(FIXTURES, "netG.safetensors"), sd)
    net = net.double()

    content = os.path.join(ROOT, "examples", "content")
    images = {"square": small_image(os.path.join(content, "astronaut.png"), 32, 32),
              "odd": small_image(os.path.join(content, "chelsea.png"), 19, 23)}
    # Labels: style 1 alone; a soft mix with the identity (auto-encoder) branch, last; raw weights summing to 1.2.
    cases = [("style1", "square", [0, 1, 0, 0]), ("mix", "square", [0.25, 0.5, 0, 0.25]), ("odd", "odd", [0.6, 0, 0.3, 0.3])]
    out = []
    with torch.no_grad():
        for name, image, label in cases:
            x = (images[image] / 255 * 2 - 1).unsqueeze(0)
            out.append({"name": name, "image": image, "label": label, "output": tensor_json(net(x, label))})
    golden = {
        "generator": f"test/golden/make_gatedgan_golden.py, torch {torch.__version__}, float64 on float32 weights",
        "ngf": NGF, "styles": N_STYLES, "residualBlocks": N_RES,
        "images": {k: image_json(v) for k, v in images.items()},
        "cases": out,
    }
    with open(os.path.join(HERE, "gatedgan.json"), "w") as f:
        json.dump(golden, f, separators=(",", ":"))
        f.write("\n")
    for name in ["netG.pth", "netG.safetensors"]:
        print(name, os.path.getsize(os.path.join(FIXTURES, name)), "bytes")
    print("gatedgan.json", os.path.getsize(os.path.join(HERE, "gatedgan.json")), "bytes;", ", ".join(sd.keys()))


if __name__ == "__main__":
    main()
