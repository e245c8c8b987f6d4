#!/usr/bin/env python3
"""Generate a synthetic text-to-image benchmark dataset.

Writes OUT_DIR/images/NNNNNN.png (or .jpg with --format jpeg) and OUT_DIR/data.json (a JSON array of
{"image", "caption", "width", "height"} records, keys in that order).

Images are "natural looking" rather than flat noise: smooth low-frequency
colour gradients, a handful of blurred shapes, a mid-frequency texture layer
and mild film grain.  The grain keeps the PNG files at a realistic size
(roughly 1-3 MB at 1024x1024) so that PNG decode cost in the loaders is
representative of real training data.

Everything is deterministic given --seed: captions come from one seeded
random.Random in the parent process, and each image is drawn from its own
numpy Generator seeded with (seed, index), so the worker count and the order
in which workers finish do not change the output.
"""
import argparse
import json
import multiprocessing as mp
import os
import random
import sys
import time

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

# ---------------------------------------------------------------- captions --

SUBJECTS = [
    "an old lighthouse", "a red fox", "a lone hiker", "a wooden sailboat",
    "a cup of coffee", "a vintage bicycle", "a snow-covered cabin",
    "a field of sunflowers", "a golden retriever", "a stone bridge",
    "a quiet city street", "a bowl of ripe oranges", "a mountain lake",
    "a small robot", "a glass teapot", "a desert canyon", "a tabby cat",
    "a hot air balloon", "an abandoned train station", "a bamboo forest",
    "a ceramic vase", "a fishing village", "a neon-lit alley",
    "a young woman reading", "an elderly man with a hat", "a koi pond",
    "a medieval castle", "a steaming bowl of ramen", "a paper lantern",
    "a waterfall", "a sleeping owl", "a bustling market", "a violin",
]
ADJECTIVES = [
    "soft", "warm", "moody", "vibrant", "muted", "misty", "sunlit",
    "dramatic", "serene", "colorful", "weathered", "delicate", "cozy",
    "minimalist", "rustic", "dreamy", "crisp", "faded", "glowing",
]
PLACES = [
    "on a rainy afternoon", "at golden hour", "under a starry sky",
    "in early spring", "beside a calm river", "on a foggy morning",
    "in the middle of winter", "at the edge of a forest", "near the sea",
    "in a sunlit room", "on a crowded street", "high in the mountains",
    "after a summer storm", "inside a dusty workshop", "at dusk",
]
STYLES = [
    "photograph", "oil painting", "watercolor illustration", "digital art",
    "pencil sketch", "35mm film photo", "studio portrait", "3D render",
    "gouache painting", "cinematic still", "ink drawing", "polaroid",
]
DETAILS = [
    "with shallow depth of field", "with soft diffuse lighting",
    "with long shadows", "surrounded by wildflowers",
    "with reflections on wet pavement", "framed by tall trees",
    "with a pastel color palette", "in high detail", "with visible brush strokes",
    "with light grain", "lit by a single window", "with a hazy background",
    "with strong contrast", "with warm orange tones", "with cool blue tones",
    "seen from a low angle", "seen from above", "with gentle bokeh",
]
EXTRAS = [
    "The scene feels calm and slightly nostalgic.",
    "A few birds fly in the distance.",
    "Leaves drift slowly through the air.",
    "Rain drops cling to every surface.",
    "The colors are rich but not oversaturated.",
    "Small details reward a closer look.",
    "There is a sense of quiet anticipation.",
    "Steam rises gently into the cold air.",
    "The composition follows the rule of thirds.",
    "Sunlight breaks through scattered clouds.",
]


def make_caption(rng):
    """A plausible English caption of roughly 8-40 words."""
    for _ in range(100):
        parts = []
        if rng.random() < 0.7:
            parts.append("A %s %s of %s" % (rng.choice(ADJECTIVES), rng.choice(STYLES),
                                            rng.choice(SUBJECTS)))
        else:
            s = rng.choice(SUBJECTS)
            parts.append(s[0].upper() + s[1:])
        if rng.random() < 0.8:
            parts.append(rng.choice(PLACES))
        for d in rng.sample(DETAILS, rng.randint(0, 3)):
            parts.append(("and " if rng.random() < 0.3 else "") + d)
        text = " ".join(parts)
        text = text.replace(" and and ", " and ")
        text += "."
        for e in rng.sample(EXTRAS, rng.randint(0, 2)):
            text += " " + e
        if rng.random() < 0.05:
            text = "  " + text + " "      # some captions need .strip()
        n = len(text.split())
        if 8 <= n <= 40:
            return text
    return text


# ------------------------------------------------------------------ images --

# zlib level 2 encodes ~6x faster than Pillow's default (6) and the files are
# only ~10% larger; decode cost (what the benchmark measures) is about the same.
PNG_COMPRESS_LEVEL = 2

def _smooth_field(rng, w, h, grid_w, grid_h, channels, scale):
    """Random field on a coarse grid, bicubic-upsampled to (h, w, channels)."""
    out = np.empty((h, w, channels), np.float32)
    for c in range(channels):
        g = rng.standard_normal((grid_h, grid_w)).astype(np.float32)
        im = Image.fromarray(g, mode="F").resize((w, h), Image.BICUBIC)
        out[:, :, c] = np.asarray(im)
    out *= scale
    return out


def make_image(seed, index, w, h):
    rng = np.random.default_rng([seed, index])

    # 1. Low-frequency background: blend of two palette colours along a
    #    smooth random field, plus a gentle per-channel colour drift.
    c0 = rng.uniform(20, 235, 3).astype(np.float32)
    c1 = rng.uniform(20, 235, 3).astype(np.float32)
    t = _smooth_field(rng, w, h, 3, 4, 1, 0.45) + 0.5
    np.clip(t, 0.0, 1.0, out=t)
    img = c0 + (c1 - c0) * t
    img += _smooth_field(rng, w, h, 5, 6, 3, 14.0)

    # 2. A few blurred shapes, drawn at quarter resolution and upsampled.
    sw, sh = w // 4, h // 4
    layer = Image.new("RGB", (sw, sh), (0, 0, 0))
    mask = Image.new("L", (sw, sh), 0)
    dl, dm = ImageDraw.Draw(layer), ImageDraw.Draw(mask)
    for _ in range(int(rng.integers(3, 9))):
        x0, y0 = rng.uniform(-0.2, 1.0) * sw, rng.uniform(-0.2, 1.0) * sh
        x1 = x0 + rng.uniform(0.08, 0.6) * sw
        y1 = y0 + rng.uniform(0.08, 0.6) * sh
        col = tuple(int(v) for v in rng.integers(0, 256, 3))
        alpha = int(rng.integers(90, 230))
        kind = int(rng.integers(0, 3))
        box = [x0, y0, x1, y1]
        if kind == 0:
            dl.ellipse(box, fill=col); dm.ellipse(box, fill=alpha)
        elif kind == 1:
            dl.rectangle(box, fill=col); dm.rectangle(box, fill=alpha)
        else:
            pts = [(float(rng.uniform(x0, x1)), float(rng.uniform(y0, y1))) for _ in range(int(rng.integers(3, 7)))]
            dl.polygon(pts, fill=col); dm.polygon(pts, fill=alpha)
    radius = float(rng.uniform(1.5, 6.0))
    layer = layer.filter(ImageFilter.GaussianBlur(radius)).resize((w, h), Image.BICUBIC)
    mask = mask.filter(ImageFilter.GaussianBlur(radius)).resize((w, h), Image.BICUBIC)
    a = np.asarray(mask, np.float32)[:, :, None] * (1.0 / 255.0)
    img += (np.asarray(layer, np.float32) - img) * a

    # 3. Mid-frequency texture (surface detail) and a soft vignette.
    img += _smooth_field(rng, w, h, w // 16, h // 16, 1, float(rng.uniform(3.0, 7.0)))
    yy = np.linspace(-1.0, 1.0, h, dtype=np.float32)[:, None]
    xx = np.linspace(-1.0, 1.0, w, dtype=np.float32)[None, :]
    img *= (1.0 - 0.18 * (xx * xx + yy * yy))[:, :, None]

    # 4. Mild film grain: mostly luminance, a little chroma.
    sigma = float(rng.uniform(1.6, 2.6))
    img += rng.standard_normal((h, w, 1), dtype=np.float32) * sigma
    img += rng.standard_normal((h, w, 3), dtype=np.float32) * (sigma * 0.5)

    np.clip(img, 0.0, 255.0, out=img)
    return Image.fromarray((img + 0.5).astype(np.uint8), "RGB")


# JPEG variant: Pillow's encoder with its defaults for photos (4:2:0 chroma, baseline), as most web-scraped sources are.
JPEG_QUALITY = 90


def _work(args):
    seed, index, w, h, path, fmt = args
    t0 = time.perf_counter()
    im = make_image(seed, index, w, h)
    if fmt == "jpeg":
        im.save(path, format="JPEG", quality=JPEG_QUALITY)
    else:
        im.save(path, format="PNG", compress_level=PNG_COMPRESS_LEVEL)
    return index, os.path.getsize(path), time.perf_counter() - t0


def parse_sizes(text):
    sizes = []
    for part in text.split(","):
        w, h = part.lower().split("x")
        sizes.append((int(w), int(h)))
    return sizes


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out_dir")
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--sizes", default="1024x1024,1024x1536",
                    help="comma-separated WIDTHxHEIGHT list, cycled through; "
                         "non-square sizes alternate portrait/landscape")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--format", choices=("png", "jpeg"), default="png",
                    help="png (zlib level %d) or jpeg (quality %d, 4:2:0)" % (PNG_COMPRESS_LEVEL, JPEG_QUALITY))
    args = ap.parse_args(argv)

    sizes = parse_sizes(args.sizes)
    img_dir = os.path.join(args.out_dir, "images")
    os.makedirs(img_dir, exist_ok=True)

    rng = random.Random(args.seed)
    records, jobs = [], []
    n_nonsquare = 0
    for i in range(args.count):
        w, h = sizes[i % len(sizes)]
        if w != h:
            # alternate portrait / landscape among the non-square entries
            if n_nonsquare % 2 == 1:
                w, h = h, w
            n_nonsquare += 1
        rel = "images/%06d.%s" % (i, "jpg" if args.format == "jpeg" else "png")
        records.append({"image": rel, "caption": make_caption(rng), "width": w, "height": h})
        jobs.append((args.seed, i, w, h, os.path.join(args.out_dir, rel), args.format))

    t0 = time.perf_counter()
    total_bytes, done = 0, 0
    step = max(1, args.count // 20)
    workers = max(1, args.workers)
    print("generating %d images into %s with %d worker(s)" % (args.count, args.out_dir, workers), flush=True)
    with mp.Pool(workers) as pool:
        for _, nbytes, _ in pool.imap_unordered(_work, jobs, chunksize=1):
            total_bytes += nbytes
            done += 1
            if done % step == 0 or done == args.count:
                el = time.perf_counter() - t0
                print("  %d/%d  %.1f img/s  mean %.2f MB" % (done, args.count, done / el,
                                                          total_bytes / done / 1e6), flush=True)

    with open(os.path.join(args.out_dir, "data.json"), "w", encoding="utf-8") as f:
        json.dump(records, f, indent=1, ensure_ascii=False)
        f.write("\n")
    el = time.perf_counter() - t0
    print("done: %d images in %.1f s (%.2f img/s), mean %s size %.2f MB, total %.1f MB"
          % (args.count, el, args.count / el if el > 0 else 0.0, args.format.upper(),
             total_bytes / max(1, args.count) / 1e6, total_bytes / 1e6), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
