#!/usr/bin/python3
"""Writes the transparency fixtures and Pillow's convert('RGB') of each (NAME.rgb: raw RGB bytes, row-major).

Run with Debian 12's Pillow 9.4 (apt-get install python3-pil; /usr/bin/python3 make_fixtures.py) from this folder.
Every fixture is tiny (24x20) and deterministic; the tests assert our decoders give the .rgb bytes exactly.
"""
import random
import struct

import PIL
from PIL import Image

W, H = 24, 20
PALETTE = [200, 30, 40,  10, 220, 90,  250, 250, 5,  60, 70, 240,  0, 0, 0,  255, 255, 255]


def indices(n):
    return bytes(((x * 7 + y * 3) // 5) % n for y in range(H) for x in range(W))


def palette_image(n, bits=8):
    im = Image.frombytes("P", (W, H), indices(n))
    im.putpalette(PALETTE[: 3 * n] + [0] * (768 - 3 * n))
    return im


def main():
    assert PIL.__version__ == "9.4.0", "expected Debian 12's Pillow 9.4.0, got " + PIL.__version__
    out = []
    # Palette PNG, index 0 fully transparent (tRNS with one entry): Pillow keeps the palette colour.
    im = palette_image(6); im.save("palette_trns.png", transparency=0); out.append("palette_trns.png")
    # Palette PNG with partial alphas for several entries.
    im = palette_image(6); im.save("palette_alpha.png", transparency=bytes([0, 128, 255, 0])); out.append("palette_alpha.png")
    # 2-bit palette PNG with a transparent entry.
    im = palette_image(4); im.save("palette2bit_trns.png", transparency=2, bits=2); out.append("palette2bit_trns.png")
    # GIF with a transparent index that is not the background colour.
    im = palette_image(6); im.save("trns3.gif", transparency=3, background=1); out.append("trns3.gif")
    # GIF whose transparent index is 0.
    im = palette_image(6); im.save("trns0.gif", transparency=0); out.append("trns0.gif")
    # RGB and grey PNGs with a tRNS colour key.
    rgb = palette_image(6).convert("RGB"); rgb.save("rgb_key.png", transparency=(200, 30, 40)); out.append("rgb_key.png")
    grey = palette_image(6).convert("L"); grey.save("grey_key.png", transparency=int(grey.getpixel((0, 0)))); out.append("grey_key.png")
    # RGBA PNG whose transparent pixels carry colour.
    rgba = palette_image(6).convert("RGBA")
    rgba.putalpha(Image.frombytes("L", (W, H), bytes((0 if (x + y) % 3 == 0 else 255) for y in range(H) for x in range(W))))
    rgba.save("rgba_clear.png"); out.append("rgba_clear.png")
    # 256-colour noise: long LZW streams with table resets.
    rng = random.Random(7)
    noise = Image.frombytes("P", (80, 60), bytes(rng.randrange(256) for _ in range(80 * 60)))
    noise.putpalette([rng.randrange(256) for _ in range(768)])
    noise.save("noise256.gif", transparency=17); out.append("noise256.gif")
    # The frame placed inside a larger screen (the rest is the transparent index), and a frame larger than the screen.
    with open("trns3.gif", "rb") as f:
        gif = bytearray(f.read())
    desc = gif.index(b",", 13 + 3 * 8)   # after the screen descriptor and an 8-entry global table
    offset = bytearray(gif); struct.pack_into("<HH", offset, 6, 30, 26); struct.pack_into("<HH", offset, desc + 1, 3, 4)
    open("offset_frame.gif", "wb").write(offset); out.append("offset_frame.gif")
    grown = bytearray(gif); struct.pack_into("<HH", grown, 6, 10, 10); struct.pack_into("<HH", grown, desc + 1, 2, 1)
    open("grown_screen.gif", "wb").write(grown); out.append("grown_screen.gif")
    with open("cases.txt", "w") as cases:
        for name in out:
            with Image.open(name) as f:
                data = f.convert("RGB").tobytes()
                w, h = f.size
            with open(name.rsplit(".", 1)[0] + ".rgb", "wb") as g:
                g.write(data)
            cases.write("%s %d %d\n" % (name, w, h))
            print(name, w, h, len(data))


if __name__ == "__main__":
    main()
