#!/usr/bin/python3
"""Tiny weight files for test/weights.test.ts, written to test/fixtures/weights/. Run with Debian's interpreter,
which has python3-torch (1.13):

    /usr/bin/python3 test/golden/make_weight_files.py

- state_dict.pth         torch.save(module.state_dict()) in the zip format: an OrderedDict carrying `_metadata`,
                         with extras: a transposed view saved as is, a strided window sharing a storage with its
                         base (storage offset), a float16 tensor and an int64 one (like BatchNorm's counter)
- state_dict_legacy.pth  the same dict in the pre-1.6 format (_use_new_zipfile_serialization=False), as
                         torchvision's 2017 VGG files are
- state_dict_deflate.pth state_dict.pth with its entries re-zipped DEFLATE-compressed
- checkpoint.pth         {'model': state dict, 'epoch': 3}: nested dicts flatten to 'model.features.0.weight'
- state_dict.safetensors the float tensors, written by hand (the safetensors package is not needed)
- expected.json          name -> {shape, dtype, values}; float32 values print exactly as Python floats
"""
import collections
import json
import os
import struct
import zipfile

import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "weights")
torch.manual_seed(7)


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.features = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.ReLU(), torch.nn.Conv2d(4, 5, 1))


def main():
    os.makedirs(OUT, exist_ok=True)
    sd = Net().state_dict()
    assert hasattr(sd, "_metadata")
    base = torch.linspace(-1, 1, 30).reshape(5, 6)
    sd["extra.transposed"] = torch.arange(12, dtype=torch.float32).reshape(3, 4).t()
    sd["extra.base"] = base
    sd["extra.window"] = base[1:4, 2:5]
    sd["extra.half"] = torch.tensor([0.5, -2.0, 65504.0, 6.1e-5, 1e-7], dtype=torch.float16)
    sd["extra.steps"] = torch.tensor(42, dtype=torch.int64)
    assert not sd["extra.transposed"].is_contiguous() and sd["extra.window"].storage_offset() == 8

    torch.save(sd, os.path.join(OUT, "state_dict.pth"))
    torch.save(sd, os.path.join(OUT, "state_dict_legacy.pth"), _use_new_zipfile_serialization=False)
    torch.save({"model": sd, "epoch": 3}, os.path.join(OUT, "checkpoint.pth"))
    with zipfile.ZipFile(os.path.join(OUT, "state_dict.pth")) as src, zipfile.ZipFile(
        os.path.join(OUT, "state_dict_deflate.pth"), "w", zipfile.ZIP_DEFLATED
    ) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info.filename))

    floats = {k: v for k, v in sd.items() if v.is_floating_point()}
    write_safetensors(os.path.join(OUT, "state_dict.safetensors"), floats)

    for name in ["state_dict.pth", "state_dict_legacy.pth", "state_dict_deflate.pth"]:
        back = torch.load(os.path.join(OUT, name))
        assert all(torch.equal(back[k], v) for k, v in sd.items()), name

    expected = {
        k: {"shape": list(v.shape), "dtype": str(v.dtype).replace("torch.", ""), "values": v.double().reshape(-1).tolist()}
        for k, v in sd.items()
    }
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        f.write("{\n" + ",\n".join(f"{json.dumps(k)}: {json.dumps(v)}" for k, v in expected.items()) + "\n}\n")


def write_safetensors(path, tensors):
    codes = {torch.float32: "F32", torch.float16: "F16"}
    header, blobs, offset = collections.OrderedDict(), [], 0
    header["__metadata__"] = {"format": "pt"}
    for name, t in tensors.items():
        data = t.contiguous().numpy().tobytes()  # native order: little-endian here
        header[name] = {"dtype": codes[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # the format pads the header so the data starts 8-byte aligned
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


if __name__ == "__main__":
    main()
