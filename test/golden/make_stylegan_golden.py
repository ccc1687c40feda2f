#!/usr/bin/python3
"""Small random-weight StyleGAN generators in rosinality/style-based-gan-pytorch's checkpoint format, and their
PyTorch outputs, for test/stylegan.test.ts. Run with Debian's interpreter, which has python3-torch (1.13):

    /usr/bin/python3 test/golden/make_stylegan_golden.py

The modules below are our own port of that repository's `StyledGenerator` (model.py), written with the same
attribute names so that state_dict() has its keys:
    style.{1,3,…,15}.linear.{weight_orig,bias}          mapping: PixelNorm, then 8 × (EqualLinear, LeakyReLU 0.2)
    generator.progression.0.conv1.input                 ConstantInput [1, C, 4, 4]
    generator.progression.N.conv1.1.conv.{weight_orig,bias}, conv1.2.{weight,weight_flip}
                                                        nearest ×2, EqualConv2d 3×3, Blur (blocks 1–4)
    generator.progression.N.conv1.0.{weight,bias}, conv1.1.{weight,weight_flip}
                                                        FusedUpsample [Cin, Cout, 3, 3], Blur (blocks ≥ 5)
    generator.progression.N.conv2.conv.{weight_orig,bias}
    generator.progression.N.{noise1,noise2}.weight_orig  [1, C, 1, 1], equalised too (fan-in C)
    generator.progression.N.{adain1,adain2}.style.linear.{weight_orig,bias}   [2C, code dim]: gamma rows, then beta
    generator.to_rgb.N.conv.{weight_orig,bias}          EqualConv2d 1×1 to 3 channels
Equalised layers use weight_orig · sqrt(2 / fan_in), fan_in = size(1) · k · k (FusedUpsample: Cin · k · k).
A block runs conv1 → noise1 → LeakyReLU 0.2 → AdaIN1 → conv2 → noise2 → LeakyReLU → AdaIN2 (the order in
model.py), both noise injections of a block reading the same map.

Sizes are reduced where the format allows it (the loader reads them from the shapes): code dim 32 instead of
512, 6 progression blocks (4…128 px) of 16/16/16/12/8/8 channels instead of 9 blocks of 512…16. Block 5 (128 px)
is the first with the fused upsample, as upstream's Generator(fused=True). All weights are random (weight_orig
~ N(0, 1) as upstream initialises them; biases, noise weights and the AdaIN bias perturbed so that every term
matters).

Writes test/fixtures/stylegan/tiny.model (torch.save of {'generator', 'discriminator', 'g_optimizer',
'd_optimizer', 'g_running'}, as train.py saves it, g_running a different random set from generator), tiny.safetensors (g_running's keys as a plain state dict, written by hand),
noise.npy (the noise maps 4² … 32² of one image, concatenated) and test/golden/stylegan.json: latents, noise
and outputs computed in float64 on the float32 weights.
"""
import json
import math
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from make_gatedgan_golden import write_safetensors
from png_rgb import tensor_json

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
FIXTURES = os.path.join(ROOT, "test", "fixtures", "stylegan")
CODE_DIM = 32
N_MLP = 8
CHANNELS = [16, 16, 16, 12, 8, 8]  # output channels of progression block i (resolution 4·2^i)
FUSED_FROM = 5


def equal_lr_multiplier(weight):
    return math.sqrt(2 / (weight.size(1) * weight[0][0].numel()))


class EqualLinearInner(nn.Module):
    def __init__(self, i, o):
        super().__init__()
        self.weight_orig = nn.Parameter(torch.randn(o, i))
        self.bias = nn.Parameter(torch.zeros(o))

    def forward(self, x):
        return F.linear(x, self.weight_orig * equal_lr_multiplier(self.weight_orig), self.bias)


class EqualLinear(nn.Module):
    def __init__(self, i, o):
        super().__init__()
        self.linear = EqualLinearInner(i, o)

    def forward(self, x):
        return self.linear(x)


class EqualConvInner(nn.Module):
    def __init__(self, i, o, k, padding):
        super().__init__()
        self.weight_orig = nn.Parameter(torch.randn(o, i, k, k))
        self.bias = nn.Parameter(torch.zeros(o))
        self.padding = padding

    def forward(self, x):
        return F.conv2d(x, self.weight_orig * equal_lr_multiplier(self.weight_orig), self.bias, padding=self.padding)


class EqualConv2d(nn.Module):
    def __init__(self, i, o, k, padding=0):
        super().__init__()
        self.conv = EqualConvInner(i, o, k, padding)

    def forward(self, x):
        return self.conv(x)


class Blur(nn.Module):
    def __init__(self, c):
        super().__init__()
        k = torch.tensor([[1.0, 2, 1], [2, 4, 2], [1, 2, 1]])
        k = (k / k.sum()).view(1, 1, 3, 3)
        self.register_buffer("weight", k.repeat(c, 1, 1, 1))
        self.register_buffer("weight_flip", torch.flip(k, [2, 3]).repeat(c, 1, 1, 1))

    def forward(self, x):
        return F.conv2d(x, self.weight, padding=1, groups=x.shape[1])


class FusedUpsample(nn.Module):
    def __init__(self, i, o, k, padding):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(i, o, k, k))
        self.bias = nn.Parameter(torch.zeros(o))
        self.multiplier = math.sqrt(2 / (i * k * k))
        self.pad = padding

    def forward(self, x):
        w = F.pad(self.weight * self.multiplier, [1, 1, 1, 1])
        w = (w[:, :, 1:, 1:] + w[:, :, :-1, 1:] + w[:, :, 1:, :-1] + w[:, :, :-1, :-1]) / 4
        return F.conv_transpose2d(x, w, self.bias, stride=2, padding=self.pad)


class NoiseInjection(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.weight_orig = nn.Parameter(torch.zeros(1, c, 1, 1))

    def forward(self, x, noise):
        return x + self.weight_orig * equal_lr_multiplier(self.weight_orig) * noise


class AdaptiveInstanceNorm(nn.Module):
    def __init__(self, c, style_dim):
        super().__init__()
        self.style = EqualLinear(style_dim, 2 * c)
        with torch.no_grad():
            self.style.linear.bias[:c] = 1
            self.style.linear.bias[c:] = 0

    def forward(self, x, style):
        gamma, beta = self.style(style).unsqueeze(2).unsqueeze(3).chunk(2, 1)
        return gamma * F.instance_norm(x, eps=1e-5) + beta


class ConstantInput(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.input = nn.Parameter(torch.randn(1, c, 4, 4))

    def forward(self, x):
        return self.input.repeat(x.shape[0], 1, 1, 1)


class StyledConvBlock(nn.Module):
    def __init__(self, cin, cout, style_dim, initial=False, fused=False):
        super().__init__()
        if initial:
            self.conv1 = ConstantInput(cin)
        elif fused:
            self.conv1 = nn.Sequential(FusedUpsample(cin, cout, 3, 1), Blur(cout))
        else:
            self.conv1 = nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"), EqualConv2d(cin, cout, 3, 1), Blur(cout))
        self.noise1 = NoiseInjection(cout)
        self.adain1 = AdaptiveInstanceNorm(cout, style_dim)
        self.conv2 = EqualConv2d(cout, cout, 3, 1)
        self.noise2 = NoiseInjection(cout)
        self.adain2 = AdaptiveInstanceNorm(cout, style_dim)

    def forward(self, x, style, noise):
        out = self.adain1(F.leaky_relu(self.noise1(self.conv1(x), noise), 0.2), style)
        return self.adain2(F.leaky_relu(self.noise2(self.conv2(out), noise), 0.2), style)


class Generator(nn.Module):
    def __init__(self, style_dim, channels, fused_from):
        super().__init__()
        blocks, rgb = [], []
        for i, c in enumerate(channels):
            cin = channels[max(i - 1, 0)]
            blocks.append(StyledConvBlock(cin, c, style_dim, initial=i == 0, fused=i >= fused_from))
            rgb.append(EqualConv2d(c, 3, 1))
        self.progression = nn.ModuleList(blocks)
        self.to_rgb = nn.ModuleList(rgb)

    def forward(self, styles, noise, step, alpha, mixing_range):
        """styles: one [N, D] per latent; mixing_range (a, b): blocks a…b take styles[1], the others styles[0]."""
        out = noise[0]
        for i, (conv, to_rgb) in enumerate(zip(self.progression, self.to_rgb)):
            style = styles[1] if mixing_range[0] <= i <= mixing_range[1] else styles[0]
            out_prev = out
            out = conv(out, style, noise[i])
            if i == step:
                out = to_rgb(out)
                if i > 0 and 0 <= alpha < 1:
                    skip = F.interpolate(self.to_rgb[i - 1](out_prev), scale_factor=2, mode="nearest")
                    out = (1 - alpha) * skip + alpha * out
                return out


class StyledGenerator(nn.Module):
    """channels: output width of each progression block (upstream: 512, 512, 512, 512, 256, 128, 64, 32, 16);
    fused_from: the first block with FusedUpsample (upstream: 5)."""

    def __init__(self, code_dim, channels=CHANNELS, fused_from=FUSED_FROM):
        super().__init__()
        self.generator = Generator(code_dim, channels, fused_from)
        layers = [PixelNorm()]
        for _ in range(N_MLP):
            layers += [EqualLinear(code_dim, code_dim), nn.LeakyReLU(0.2)]
        self.style = nn.Sequential(*layers)

    def forward(self, latents, noise, step, alpha=-1, mean_style=None, style_weight=0, mixing_range=(-1, -1)):
        styles = [self.style(z) for z in latents]
        if mean_style is not None:
            styles = [mean_style + style_weight * (s - mean_style) for s in styles]
        return self.generator(styles, noise, step, alpha, mixing_range)

    def mean_style(self, z):
        return self.style(z).mean(0, keepdim=True)


class PixelNorm(nn.Module):
    def forward(self, x):
        return x / torch.sqrt(torch.mean(x ** 2, dim=1, keepdim=True) + 1e-8)


def randomise(net, gen):
    """Every parameter random; the AdaIN bias near upstream's (1 for gamma, 0 for beta); to-RGB scaled down."""
    with torch.no_grad():
        for name, p in net.named_parameters():
            if name.endswith("weight_orig") or name.endswith(".weight") or name.endswith(".input"):
                p.copy_(torch.randn(p.shape, generator=gen))
            elif "adain" in name and name.endswith("bias"):
                c = p.shape[0] // 2
                p.copy_(torch.cat([torch.ones(c), torch.zeros(c)]) + 0.2 * torch.randn(p.shape, generator=gen))
            else:
                p.copy_(0.2 * torch.randn(p.shape, generator=gen))
            if name.startswith("generator.to_rgb"):
                p.mul_(0.25)  # keep most output pixels inside [-1, 1], where the saved image is not clamped


def training_checkpoint(sd_generator, sd_running):
    """What train.py saves: both generators, plus a discriminator and the two Adam optimizers' states (here of
    throwaway modules after one step: their values do not matter, only that a loader gets past them)."""
    torch.manual_seed(1)
    spare = StyledGenerator(CODE_DIM)
    disc = nn.ModuleDict({"from_rgb": EqualConv2d(3, 8, 1), "linear": EqualLinear(8, 1)})
    g_optimizer = torch.optim.Adam([{"params": spare.generator.parameters()}, {"params": spare.style.parameters(), "lr": 1e-5, "mult": 0.01}], lr=1e-3, betas=(0.0, 0.99))
    d_optimizer = torch.optim.Adam(disc.parameters(), lr=1e-3, betas=(0.0, 0.99))
    for opt, module in ((g_optimizer, spare), (d_optimizer, disc)):
        for p in module.parameters():
            p.grad = torch.randn(p.shape)
        opt.step()
    return {"generator": sd_generator, "discriminator": disc.state_dict(), "g_optimizer": g_optimizer.state_dict(),
            "d_optimizer": d_optimizer.state_dict(), "g_running": sd_running}


def noise_maps(flat, batch, step):
    """The concatenated flat maps 4², 8², … (4·2^step)² of one image → the per-block [batch, 1, s, s] list."""
    maps, at = [], 0
    for i in range(step + 1):
        s = 4 * 2 ** i
        maps.append(flat[at:at + s * s].view(1, 1, s, s).repeat(batch, 1, 1, 1))
        at += s * s
    assert at == flat.numel()
    return maps


def noise_length(step):
    return sum((4 * 2 ** i) ** 2 for i in range(step + 1))


def main():
    os.makedirs(FIXTURES, exist_ok=True)
    gen = torch.Generator().manual_seed(2019)
    g_running, generator = StyledGenerator(CODE_DIM).eval(), StyledGenerator(CODE_DIM).eval()
    randomise(g_running, gen)
    randomise(generator, gen)
    sd_running, sd_generator = g_running.state_dict(), generator.state_dict()
    torch.save(training_checkpoint(sd_generator, sd_running), os.path.join(FIXTURES, "tiny.model"))
    write_safetensors(os.path.join(FIXTURES, "tiny.safetensors"), sd_running)

    z = torch.randn(4, CODE_DIM, generator=gen)
    mean_z = torch.randn(64, CODE_DIM, generator=gen)
    noise32 = torch.randn(noise_length(3), generator=gen)
    noise128 = torch.randn(noise_length(5), generator=gen)
    np.save(os.path.join(FIXTURES, "noise32.npy"), noise32.numpy().astype(np.float32))
    np.save(os.path.join(FIXTURES, "z.npy"), z.numpy().astype(np.float32))

    g_running, generator = g_running.double(), generator.double()
    z64, mean_z64 = z.double(), mean_z.double()
    zeros = lambda step, batch: [torch.zeros(batch, 1, 4 * 2 ** i, 4 * 2 ** i, dtype=torch.float64) for i in range(step + 1)]
    # name, model, latent rows (main[, mixing]), step, noise (None: zeros), alpha, truncation ψ, mixing range
    cases = [
        ("no-noise", "g_running", [[0, 1]], 3, None, -1, None, None),
        ("noise-file", "g_running", [[0]], 3, "noise32", -1, None, None),
        ("mixing", "g_running", [[0, 1], [2, 3]], 3, "noise32", -1, None, (0, 1)),
        ("mixing-fine", "g_running", [[0], [3]], 3, None, -1, None, (2, 3)),
        ("truncation", "g_running", [[0, 2]], 3, "noise32", -1, 0.7, None),
        ("fused-128", "g_running", [[1]], 5, "noise128", -1, None, None),
        ("fade-in", "g_running", [[2]], 4, None, 0.4, None, None),
        ("generator-16", "generator", [[3]], 2, None, -1, None, None),
    ]
    flat = {"noise32": noise32.double(), "noise128": noise128.double()}
    out = []
    with torch.no_grad():
        for name, which, rows, step, noise, alpha, psi, mixing in cases:
            net = g_running if which == "g_running" else generator
            batch = len(rows[0])
            latents = [z64[r] for r in rows]
            maps = zeros(step, batch) if noise is None else noise_maps(flat[noise], batch, step)
            mean_style = net.mean_style(mean_z64) if psi is not None else None
            y = net(latents, maps, step, alpha, mean_style, psi or 0, mixing or (-1, -1))
            case = {"name": name, "model": which, "rows": rows, "step": step, "size": 4 * 2 ** step, "noise": noise,
                    "alpha": alpha, "truncation": psi, "mixingRange": mixing, "output": tensor_json(y)}
            if mean_style is not None:
                case["meanStyle"] = tensor_json(mean_style)
            out.append(case)
    golden = {
        "generator": f"test/golden/make_stylegan_golden.py, torch {torch.__version__}, float64 on float32 weights",
        "codeDim": CODE_DIM, "channels": CHANNELS, "fusedFrom": FUSED_FROM,
        "z": tensor_json(z), "meanZ": tensor_json(mean_z),
        "noise": {"noise32": tensor_json(noise32), "noise128": tensor_json(noise128)},
        "cases": out,
    }
    with open(os.path.join(HERE, "stylegan.json"), "w") as f:
        json.dump(golden, f, separators=(",", ":"))
        f.write("\n")
    for name in sorted(os.listdir(FIXTURES)):
        print(name, os.path.getsize(os.path.join(FIXTURES, name)), "bytes")
    print("stylegan.json", os.path.getsize(os.path.join(HERE, "stylegan.json")), "bytes")
    print(", ".join(f"{k} {list(v.shape)}" for k, v in sd_running.items()))


if __name__ == "__main__":
    main()
