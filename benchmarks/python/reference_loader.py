#!/usr/bin/env python3
"""Python anchor: the VGT text-to-image data pipeline, rebuilt for benchmarking.

CaptionDataset + collate + torch DataLoader with an infinite seeded shuffle
sampler, as a VGT training run builds them.  Measures steady-state samples/s
after a warm-up (2 batches + the workers' initial prefetch queue).  Progress goes to stderr; the result goes to stdout
(one JSON line with --json).

With --workers-sweep 0,1,2,3 each worker count runs in a fresh subprocess,
a table is printed, and the best run's JSON line is printed last.
"""
import argparse
import json
import os
import random
import subprocess
import sys
import time
import warnings

import numpy as np
import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset, Sampler

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bpe_shim  # noqa: E402

PAD_INDEX = 151643
WARMUP_BATCHES = 2
PREFETCH_FACTOR = 2

# qwen25vl prompt template as used by VGT for text-to-image.
QWEN25VL = dict(
    INSTRUCTION="<|im_start|>user\n{input}<|im_end|>\n<|im_start|>assistant\n",
    GENERATION="Generate an image: {input}",
    CFG="Generate an image.",
    IMG="<img>",
)

# np.asarray(PIL image) is read-only; torch warns once per process about it.
warnings.filterwarnings("ignore", message="The given NumPy array is not writable")


def crop2square(img):
    """Random square crop along the long side (Python `random`)."""
    w, h = img.size
    if w == h:
        return img
    if w > h:
        x0 = random.randint(0, w - h)
        box = (x0, 0, x0 + h, h)
    else:
        y0 = random.randint(0, h - w)
        box = (0, y0, w, y0 + w)
    return img.crop(box)


class CaptionDataset(Dataset):
    def __init__(self, data_path, image_folder, image_size=448, unconditional=0.1,
                 max_length=None, cap_source="caption", tokenizer=None,
                 prompt_template=QWEN25VL, max_bad_retries=16, draft=False):
        with open(data_path, "r", encoding="utf-8") as f:
            self.data_list = json.load(f)
        self.image_folder = image_folder
        self.image_size = image_size
        self.unconditional = unconditional
        self.max_length = max_length
        self.cap_source = cap_source
        self.tokenizer = tokenizer
        self.prompt_template = prompt_template
        self.max_bad_retries = max_bad_retries
        self.draft = draft
        self.bad_files = []  # per process (each worker has its own copy)

    def __len__(self):
        return len(self.data_list)

    def _process_image(self, image):
        image = crop2square(image)
        image = image.resize((self.image_size, self.image_size))  # Pillow default: bicubic
        pixel_values = torch.from_numpy(np.asarray(image)).permute(2, 0, 1).float()
        return pixel_values / 255 * 2 - 1

    def _process_text(self, caption):
        t = self.prompt_template
        if random.uniform(0, 1) < self.unconditional:
            inp = t["CFG"]
        else:
            inp = t["GENERATION"].format(input=caption)
        prompt = t["INSTRUCTION"].format(input=inp) + t["IMG"]
        ids = self.tokenizer.encode(prompt)
        if self.max_length is not None:
            ids = ids[:self.max_length]
        return torch.tensor(ids, dtype=torch.long)

    def _load(self, idx):
        item = self.data_list[idx]
        image_file = os.path.join(self.image_folder, item["image"])
        image = Image.open(image_file)
        if self.draft:
            # Pillow's JPEG fast path: a DCT-scaled decode no smaller than image_size on either side.
            image.draft("RGB", (self.image_size, self.image_size))
        image = image.convert("RGB")
        caption = item[self.cap_source].strip()
        return dict(pixel_values=self._process_image(image),
                    input_ids=self._process_text(caption),
                    type="text2image", image_file=image_file, text=caption)

    def __getitem__(self, idx):
        # The anchor recurses on failure without bound; here we walk forward
        # through the dataset iteratively and give up after max_bad_retries.
        n = len(self.data_list)
        for attempt in range(self.max_bad_retries + 1):
            j = (idx + attempt) % n
            try:
                return self._load(j)
            except Exception as e:  # noqa: BLE001 - any unreadable file
                self.bad_files.append(self.data_list[j]["image"])
                print("warning: skipping bad sample %d (%s): %s" % (j, self.data_list[j]["image"], e),
                      file=sys.stderr, flush=True)
        raise RuntimeError("%d consecutive bad samples starting at index %d" % (self.max_bad_retries + 1, idx))


def collate(instances, pad_index=PAD_INDEX):
    pixel_values = torch.stack([x["pixel_values"] for x in instances])
    lengths = [len(x["input_ids"]) for x in instances]
    max_len = max(lengths)
    input_ids = torch.full((len(instances), max_len), pad_index, dtype=torch.long)
    attention_mask = torch.zeros((len(instances), max_len), dtype=torch.bool)
    for i, x in enumerate(instances):
        input_ids[i, :lengths[i]] = x["input_ids"]
        attention_mask[i, :lengths[i]] = True
    return dict(pixel_values=pixel_values, input_ids=input_ids, attention_mask=attention_mask,
                type="text2image", image_files=[x["image_file"] for x in instances],
                texts=[x["text"] for x in instances])


class InfiniteShuffleSampler(Sampler):
    """Endless stream of indices: a fresh seeded permutation each epoch."""

    def __init__(self, size, seed=0):
        self.size = size
        self.seed = seed

    def __iter__(self):
        g = torch.Generator()
        g.manual_seed(self.seed)
        while True:
            yield from torch.randperm(self.size, generator=g).tolist()

    def __len__(self):
        return sys.maxsize


def worker_init_fn(worker_id):
    torch.set_num_threads(1)


def build_loader(args, tokenizer):
    dataset = CaptionDataset(data_path=os.path.join(args.data, "data.json"), image_folder=args.data,
                             image_size=args.image_size, unconditional=0.1, max_length=None,
                             cap_source="caption", tokenizer=tokenizer, draft=args.draft)
    w = args.workers
    kwargs = dict(persistent_workers=True, prefetch_factor=PREFETCH_FACTOR,
                  worker_init_fn=worker_init_fn) if w > 0 else {}
    loader = DataLoader(dataset, batch_size=args.batch_size, num_workers=w,
                        sampler=InfiniteShuffleSampler(len(dataset), args.seed),
                        collate_fn=collate, pin_memory=False,
                        generator=torch.Generator().manual_seed(args.seed), **kwargs)
    return dataset, loader


def _proc_kb(pid, field, fname="status"):
    try:
        with open("/proc/%d/%s" % (pid, fname)) as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def _percentile(values, q):
    s = sorted(values)
    if not s:
        return 0.0
    k = (len(s) - 1) * q / 100.0
    lo = int(k)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def run_once(args):
    random.seed(args.seed)  # the dataset's `random` in the main process (workers=0)
    tokenizer = bpe_shim.load_tokenizer(args.tokenizer)
    if tokenizer.name != "bpe-shim":
        print("note: tokenizer.json not found; using %s" % tokenizer.name, file=sys.stderr, flush=True)
    dataset, loader = build_loader(args, tokenizer)

    # Warm-up: the first 2 batches, plus (by default) the batches the workers
    # prefetched while the first one was being produced.  Without draining
    # them, the timed window would start with up to workers*prefetch_factor
    # "free" batches and over-state throughput badly on short runs.
    n_warm = args.warmup if args.warmup is not None else \
        WARMUP_BATCHES + (args.workers * PREFETCH_FACTOR if args.workers > 0 else 0)
    t_start = time.perf_counter()
    it = iter(loader)
    warm_waits = []
    for i in range(n_warm):
        t = time.perf_counter()
        batch = next(it)
        warm_waits.append(time.perf_counter() - t)
        print("warmup %d/%d  wait_ms=%.1f" % (i + 1, n_warm, warm_waits[-1] * 1e3),
              file=sys.stderr, flush=True)
    warmup_s = time.perf_counter() - t_start
    pv = batch["pixel_values"]
    assert pv.shape == (args.batch_size, 3, args.image_size, args.image_size) and pv.dtype == torch.float32

    waits = []
    t0 = time.perf_counter()
    for i in range(args.batches):
        t = time.perf_counter()
        batch = next(it)
        waits.append(time.perf_counter() - t)
        print("batch %d/%d  wait_ms=%.1f" % (i + 1, args.batches, waits[-1] * 1e3),
              file=sys.stderr, flush=True)
    elapsed = time.perf_counter() - t0
    del batch

    # Peak RSS: sum of VmHWM over the main process and the (still alive,
    # persistent) workers.  Pages shared after fork are counted once per
    # process, so this over-states physical memory; pss_end_mb is the
    # proportional set size summed at the end of the run.
    pids = [os.getpid()]
    for p in getattr(it, "_workers", []) or []:
        if p.pid:
            pids.append(p.pid)
    hwm = [_proc_kb(p, "VmHWM") for p in pids]
    pss = [_proc_kb(p, "Pss", "smaps_rollup") for p in pids]
    peak_rss_mb = sum(v for v in hwm if v) / 1024.0
    pss_end_mb = sum(v for v in pss if v) / 1024.0 if all(v is not None for v in pss) else None

    result = {
        "impl": "python",
        "samples_per_s": round(args.batches * args.batch_size / elapsed, 2),
        "batches": args.batches,
        "workers": args.workers,
        "batch_size": args.batch_size,
        "p50_wait_ms": round(_percentile(waits, 50) * 1e3, 2),
        "p95_wait_ms": round(_percentile(waits, 95) * 1e3, 2),
        "warmup_s": round(warmup_s, 3),
        "warmup_batches": n_warm,
        "warmup_wait_ms": [round(w * 1e3, 1) for w in warm_waits],
        "peak_rss_mb": round(peak_rss_mb, 1),
        "rss_scope": "sum VmHWM main+%d workers" % (len(pids) - 1),
        "pss_end_mb": round(pss_end_mb, 1) if pss_end_mb is not None else None,
        "image_size": args.image_size,
        "tokenizer": tokenizer.name,
        "torch_threads_main": torch.get_num_threads(),
        "draft": args.draft,
    }
    if args.workers == 0 and dataset.bad_files:
        result["bad_files_main"] = len(dataset.bad_files)
    del it, loader
    return result


def sweep(args, counts):
    results = []
    for w in counts:
        cmd = [sys.executable, os.path.abspath(__file__), "--data", args.data,
               "--batches", str(args.batches), "--batch-size", str(args.batch_size),
               "--workers", str(w), "--image-size", str(args.image_size),
               "--seed", str(args.seed), "--json"] + (["--draft"] if args.draft else [])
        if args.tokenizer:
            cmd += ["--tokenizer", args.tokenizer]
        if args.warmup is not None:
            cmd += ["--warmup", str(args.warmup)]
        print("== workers=%d" % w, file=sys.stderr, flush=True)
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)
        lines = [l for l in proc.stdout.splitlines() if l.startswith("{")]
        if proc.returncode != 0 or not lines:
            print("workers=%d failed (rc=%d)" % (w, proc.returncode), file=sys.stderr, flush=True)
            continue
        results.append(json.loads(lines[-1]))
    if not results:
        return 1
    print("%8s %14s %12s %12s %10s %12s" % ("workers", "samples_per_s", "p50_wait_ms",
                                            "p95_wait_ms", "warmup_s", "peak_rss_mb"))
    for r in results:
        print("%8d %14.2f %12.1f %12.1f %10.2f %12.1f" % (r["workers"], r["samples_per_s"], r["p50_wait_ms"],
                                                         r["p95_wait_ms"], r["warmup_s"], r["peak_rss_mb"]))
    best = max(results, key=lambda r: r["samples_per_s"])
    if any(r.get("tokenizer") != "bpe-shim" for r in results):
        print("note: tokenizer.json not found; runs used the whitespace-hash fallback tokenizer")
    print("best: workers=%d" % best["workers"])
    print(json.dumps(best), flush=True)
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(description="VGT Python reference data loader benchmark")
    ap.add_argument("--data", required=True, help="dataset dir with data.json and images/")
    ap.add_argument("--batches", type=int, required=True, help="timed batches (after warm-up)")
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--workers", type=int, default=0)
    ap.add_argument("--workers-sweep", default=None,
                    help="comma-separated worker counts, e.g. 0,1,2,3,4; runs each in a subprocess")
    ap.add_argument("--image-size", type=int, default=448)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--warmup", type=int, default=None,
                    help="untimed warm-up batches (default: 2 + workers*prefetch_factor, i.e. the first "
                         "2 batches plus the prefetch queue filled while waiting for them)")
    ap.add_argument("--tokenizer", default=None,
                    help="tokenizer.json (default: ../shared/tokenizers/qwen3/tokenizer.json from the repo root)")
    ap.add_argument("--json", action="store_true", help="print one JSON result line on stdout")
    ap.add_argument("--draft", action="store_true",
                    help="JPEG draft mode: Image.draft('RGB', (image_size, image_size)) before convert")
    args = ap.parse_args(argv)

    if args.workers_sweep:
        return sweep(args, [int(x) for x in args.workers_sweep.split(",") if x.strip()])

    r = run_once(args)
    if args.json:
        print(json.dumps(r), flush=True)
    else:
        print("python reference: %.2f samples/s  (workers=%d, batch=%d, p50 wait %.1f ms, p95 %.1f ms, "
              "warm-up %.2f s, peak RSS %.0f MB, tokenizer %s)" % (
                  r["samples_per_s"], r["workers"], r["batch_size"], r["p50_wait_ms"], r["p95_wait_ms"],
                  r["warmup_s"], r["peak_rss_mb"], r["tokenizer"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
