#!/usr/bin/python3
"""Writes the JPEG draft-mode golden cases with Debian 12's Pillow 9.4 (/usr/bin/python3 make_cases.py, in this folder).

For each case: NAME.jpg (Pillow-encoded), NAME.draft.png = Image.open(f); im.draft('RGB', (S, S)); im.convert('RGB'),
and NAME.S.png = that image cropped to the square at OFFSET along its long side and resized to S x S (bicubic), as the
loader does with dataset.jpeg_draft: true. cases.txt lists: name size offset drafted_width drafted_height.
"""
import math

import PIL
from PIL import Image

assert PIL.__version__ == "9.4.0", "expected Debian 12's Pillow 9.4.0, got " + PIL.__version__


def picture(w, h, mode="RGB"):
    px = bytearray()
    for y in range(h):
        for x in range(w):
            px += bytes((x * 255 // w, y * 255 // h, int(128 + 90 * math.sin(x / 9.0) * math.cos(y / 7.0))))
    im = Image.frombytes("RGB", (w, h), bytes(px))
    return im.convert(mode) if mode != "RGB" else im


CASES = [
    # name, (w, h), mode, save args, S
    ("square420", (256, 256), "RGB", dict(quality=90), 40),
    ("land420", (256, 192), "RGB", dict(quality=90), 40),
    ("port444", (200, 264), "RGB", dict(quality=92, subsampling=0), 40),
    ("prog_odd", (250, 187), "RGB", dict(quality=85, progressive=True), 40),
    ("gray_odd", (243, 201), "L", dict(quality=90), 48),
    ("cmyk", (256, 192), "CMYK", dict(quality=90), 40),
    ("eighth_odd", (521, 393), "RGB", dict(quality=88), 48),
]

with open("cases.txt", "w") as out:
    for name, (w, h), mode, args, size in CASES:
        picture(w, h, mode).save(name + ".jpg", "JPEG", **args)
        im = Image.open(name + ".jpg")
        im.draft("RGB", (size, size))
        im = im.convert("RGB")
        im.save(name + ".draft.png")
        dw, dh = im.size
        offset = (max(dw, dh) - min(dw, dh)) // 2
        side = min(dw, dh)
        box = (offset, 0, offset + side, side) if dw > dh else (0, offset, side, offset + side)
        im.crop(box).resize((size, size), Image.BICUBIC).save("%s.%d.png" % (name, size))
        out.write("%s %d %d %d %d\n" % (name, size, offset, dw, dh))
        print(name, (w, h), "->", (dw, dh), "offset", offset)
