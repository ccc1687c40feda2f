#!/usr/bin/python3
"""Golden numbers for the Gatys loss on a VGG19-topology network with few channels (test/gatys.test.ts).
Run with Debian's interpreter, which has python3-torch (1.13):

    /usr/bin/python3 test/golden/make_gatys_golden.py

Writes test/fixtures/gatys/vgg19_tiny.pth (a torchvision-style state dict: features.N.weight|bias, all 16 convs)
and test/golden/gatys.json: the content/style images (RGB bytes), the initial image (network input space), the
loss terms and the image gradient at the initial image, and the loss at each of the first 10 function
evaluations of torch.optim.LBFGS(lr=1, max_iter=10, history_size=100, tolerance_grad=-1, tolerance_change=-1),
neural-style's settings. The loss is defined as in the project's issue:
  F_l = activations after relu l; G_l = F_l F_lᵀ / (C·H·W)
  content = Σ_l w_c · mean((F_l(x) − F_l(c))²); style = Σ_l w_s · mean((G_l(x) − Σ_k b_k G_l(s_k))²)
  tv = w_tv · Σ (x[i+1,j] − x[i,j])² + (x[i,j+1] − x[i,j])²   (all channels)
x lives in the network input space: RGB/255 normalised by the ImageNet mean/std (torchvision's convention).
"""
import json
import os

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
torch.manual_seed(1234)
torch.set_default_dtype(torch.float32)

CHANNELS = [4, 4, 6, 6, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8]  # conv1_1 … conv5_4
CONV_INDEX = [0, 2, 5, 7, 10, 12, 14, 16, 19, 21, 23, 25, 28, 30, 32, 34]
POOL_AFTER = {1, 3, 7, 11, 15}  # conv positions followed by a 2×2 max pool
NAMES = [f"{b}_{i}" for b, n in [(1, 2), (2, 2), (3, 4), (4, 4), (5, 4)] for i in range(1, n + 1)]
MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
SIZE = 32
W_CONTENT, W_STYLE, W_TV = 5.0, 100.0, 1e-3
CONTENT_LAYERS = ["relu4_2"]
STYLE_LAYERS = ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"]
BLEND = [0.7, 0.3]


def make_weights():
    sd, cin = {}, 3
    for k, cout in enumerate(CHANNELS):
        # He-like scale so activations neither vanish nor explode through 16 layers.
        sd[f"features.{CONV_INDEX[k]}.weight"] = torch.randn(cout, cin, 3, 3) * (2.0 / (9 * cin)) ** 0.5
        sd[f"features.{CONV_INDEX[k]}.bias"] = torch.randn(cout) * 0.05
        cin = cout
    return sd


def features(sd, x, layers):
    out = {}
    for k, name in enumerate(NAMES):
        x = F.relu(F.conv2d(x, sd[f"features.{CONV_INDEX[k]}.weight"], sd[f"features.{CONV_INDEX[k]}.bias"], padding=1))
        out["relu" + name] = x
        if k in POOL_AFTER:
            x = F.max_pool2d(x, 2)
    return {l: out[l] for l in layers}


def gram(f):
    _, c, h, w = f.shape
    f = f.reshape(c, h * w)
    return f @ f.t() / (c * h * w)


def preprocess(rgb_bytes):
    x = torch.tensor(rgb_bytes, dtype=torch.float32).reshape(SIZE, SIZE, 3).permute(2, 0, 1).unsqueeze(0) / 255
    return (x - MEAN) / STD


def main():
    sd = make_weights()
    content_bytes = torch.randint(0, 256, (SIZE * SIZE * 3,)).tolist()
    style_bytes = [torch.randint(0, 256, (SIZE * SIZE * 3,)).tolist() for _ in BLEND]
    content, styles = preprocess(content_bytes), [preprocess(b) for b in style_bytes]
    content_targets = {l: f.detach() for l, f in features(sd, content, CONTENT_LAYERS).items()}
    style_targets = {l: sum(b * gram(features(sd, s, [l])[l]) for b, s in zip(BLEND, styles)).detach() for l in STYLE_LAYERS}

    def terms(x):
        fs = features(sd, x, CONTENT_LAYERS + STYLE_LAYERS)
        c = sum(W_CONTENT * F.mse_loss(fs[l], content_targets[l]) for l in CONTENT_LAYERS)
        s = sum(W_STYLE * F.mse_loss(gram(fs[l]), style_targets[l]) for l in STYLE_LAYERS)
        tv = W_TV * (((x[:, :, 1:, :] - x[:, :, :-1, :]) ** 2).sum() + ((x[:, :, :, 1:] - x[:, :, :, :-1]) ** 2).sum())
        return c, s, tv

    init = torch.randn(1, 3, SIZE, SIZE) * 0.001
    x = init.clone().requires_grad_(True)
    c, s, tv = terms(x)
    (c + s + tv).backward()
    initial = {"content": c.item(), "style": s.item(), "tv": tv.item(), "total": (c + s + tv).item(), "grad": x.grad.flatten().tolist()}

    x = init.clone().requires_grad_(True)
    optim = torch.optim.LBFGS([x], lr=1, max_iter=10, history_size=100, tolerance_grad=-1, tolerance_change=-1)
    evaluations = []

    def closure():
        optim.zero_grad()
        c, s, tv = terms(x)
        loss = c + s + tv
        loss.backward()
        evaluations.append({"total": loss.item(), "content": c.item(), "style": s.item(), "tv": tv.item()})
        return loss

    optim.step(closure)

    os.makedirs(os.path.join(HERE, "..", "fixtures", "gatys"), exist_ok=True)
    torch.save(sd, os.path.join(HERE, "..", "fixtures", "gatys", "vgg19_tiny.pth"))
    golden = {
        "size": SIZE, "weights": {"content": W_CONTENT, "style": W_STYLE, "tv": W_TV},
        "contentLayers": CONTENT_LAYERS, "styleLayers": STYLE_LAYERS, "blend": BLEND,
        "content": content_bytes, "styles": style_bytes, "init": init.flatten().tolist(),
        "initial": initial, "lbfgs": evaluations,
    }
    with open(os.path.join(HERE, "gatys.json"), "w") as f:
        json.dump(golden, f)
    print(f"initial loss {initial['total']:.6g}; after {len(evaluations)} evaluations {evaluations[-1]['total']:.6g}")


if __name__ == "__main__":
    main()
