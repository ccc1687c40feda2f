"""Reads the 8-bit, non-interlaced PNGs of examples/ (grey or RGB, with or without alpha) into a float64
torch tensor [3, H, W] of bytes 0…255, so the golden scripts need no PIL. Also small encoders for the JSON files.
"""
import base64
import struct
import zlib

import torch

CHANNELS = {0: 1, 2: 3, 4: 2, 6: 4}  # PNG colour type → samples per pixel


def read_png(path):
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    pos, idat = 8, b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and interlace == 0 and colour in CHANNELS, f"{path}: unsupported PNG"
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    n = CHANNELS[colour]
    raw, stride = zlib.decompress(idat), width * n
    rows, prev = [], bytearray(stride)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):  # undo the row filter (PNG spec §9)
            a = line[i - n] if i >= n else 0
            b, c = prev[i], prev[i - n] if i >= n else 0
            if kind == 1:
                line[i] = (line[i] + a) & 255
            elif kind == 2:
                line[i] = (line[i] + b) & 255
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    pixels = torch.tensor(list(b"".join(rows)), dtype=torch.float64).reshape(height, width, n)
    rgb = pixels[:, :, :1].expand(height, width, 3) if n <= 2 else pixels[:, :, :3]
    return rgb.permute(2, 0, 1).contiguous()


def small_image(path, height, width):
    """The image resized (antialiased bilinear) to height × width and rounded to bytes: [3, H, W] float64."""
    x = read_png(path).unsqueeze(0)
    y = torch.nn.functional.interpolate(x, size=(height, width), mode="bilinear", align_corners=False, antialias=True)
    return y.round().clamp(0, 255)[0]


def b64_bytes(t):
    return base64.b64encode(bytes(t.to(torch.uint8).reshape(-1).tolist())).decode()


def b64_f32(t):
    return base64.b64encode(t.detach().to(torch.float32).contiguous().numpy().tobytes()).decode()


def image_json(t):
    """An image of bytes [3, H, W] as {height, width, rgb: base64 planar bytes}."""
    return {"height": t.shape[1], "width": t.shape[2], "rgb": b64_bytes(t)}


def tensor_json(t):
    return {"shape": list(t.shape), "f32": b64_f32(t)}
