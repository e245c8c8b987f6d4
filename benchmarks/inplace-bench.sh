#!/usr/bin/env bash
# Tar parts read in place against the same samples unpacked: builds a megalith-style replica (PARTS image tars of
# PER JPEGs each, caption tars holding PART/KEY.json) in both layouts, then alternates `vgtdata bench` on the two
# configs ROUNDS times and prints each round, both medians and their ratio (in place / extracted), and the checksums.
# Usage: benchmarks/inplace-bench.sh [--dir DIR] [--parts 8] [--per 200] [--rounds 3] [--batches 40]
set -euo pipefail
if ! /usr/bin/python3 -c "import PIL" 2>/dev/null; then
  echo "inplace-bench: the replica is drawn with Pillow, which /usr/bin/python3 lacks: apt-get install python3-pil" >&2; exit 2
fi
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="${TMPDIR:-/tmp}/vgtdata-inplace-bench"; parts=8; per=200; rounds=3; batches=40
while (($#)); do
  case "$1" in
    --dir) dir=$2; shift 2 ;;
    --parts) parts=$2; shift 2 ;;
    --per) per=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --batches) batches=$2; shift 2 ;;
    -h|--help) sed -n '2,5p' "$0"; exit 0 ;;
    *) echo "inplace-bench: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
stamp="$dir/.built-$parts-$per"
if [[ ! -f $stamp ]]; then
  rm -rf "$dir"; mkdir -p "$dir"
  /usr/bin/python3 - "$dir" "$parts" "$per" <<'PY'
import io, json, os, random, sys, tarfile
from PIL import Image
out, parts, per = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(11)
rows = []
def member(tar, name, data):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))
def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
for layout in ("inplace", "extracted"):
    for sub in ("raw", "captions"):
        os.makedirs(f"{out}/{layout}/{sub}", exist_ok=True)
for p in range(parts):
    part = f"{p:05d}"
    with tarfile.open(f"{out}/inplace/raw/{part}.tar", "w", format=tarfile.GNU_FORMAT) as images, \
         tarfile.open(f"{out}/inplace/captions/{part}.tar", "w", format=tarfile.GNU_FORMAT) as captions:
        for i in range(per):
            size = rng.choice([(640, 480), (512, 512), (480, 640), (800, 600)])
            x = -2 + rng.random()
            picture = Image.effect_mandelbrot(size, (x, -1.2, x + 2.5, 1.2), 48).convert("RGB")
            buf = io.BytesIO()
            picture.save(buf, "JPEG", quality=90)
            key = f"{part}{i:05d}"
            caption = json.dumps({"caption_internlm2_short": f"a fractal, sample {key}"}).encode()
            member(images, f"{key}.jpg", buf.getvalue())
            member(captions, f"{part}/{key}.json", caption)
            write(f"{out}/extracted/raw/{part}/{key}.jpg", buf.getvalue())
            write(f"{out}/extracted/captions/{part}/{key}.json", caption)
            rows.append({"image": f"{part}/{key}.jpg", "annotation": f"{part}/{key}.json"})
for layout in ("inplace", "extracted"):
    with open(f"{out}/{layout}/data.json", "w") as f:
        json.dump(rows, f)
PY
  touch "$stamp"
fi
for layout in inplace extracted; do
  cat > "$dir/$layout.json" <<JSON
{ "image_size": 256, "seed": 1, "tokenizer": "embedded:o200k",
  "dataset": { "type": "CaptionDataset", "data_path": "$layout/data.json", "image_folder": "$layout/raw",
               "cap_folder": "$layout/captions", "cap_source": "caption_internlm2_short" },
  "train_dataloader": { "batch_size": 32, "num_workers": 2, "prefetch_factor": 2,
                        "sampler": { "type": "InfiniteSampler", "shuffle": true } } }
JSON
done
"$root/vgtdata" help >/dev/null   # builds once, outside the timings
field() { grep -o "\"$1\":[\"0-9a-f.]*" | head -n 1 | cut -d: -f2 | tr -d '"'; }
declare -A rates
for r in $(seq 1 "$rounds"); do
  for layout in extracted inplace; do
    out=$("$root/vgtdata" bench "$dir/$layout.json" --batches "$batches" --json 2>/dev/null | tail -n 1)
    rate=$(field samples_per_s <<<"$out"); sum=$(field checksum <<<"$out"); bad=$(field bad_samples <<<"$out")
    [[ -n $rate ]] || { echo "inplace-bench: $layout round $r gave no result" >&2; exit 1; }
    rates[$layout]+="$rate "
    echo "round $r $layout: $rate samples/s, checksum $sum, bad samples $bad"
  done
done
median() { tr ' ' '\n' | grep . | sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }
e=$(median <<<"${rates[extracted]}"); i=$(median <<<"${rates[inplace]}")
awk -v e="$e" -v i="$i" 'BEGIN { printf "median extracted %.1f, in place %.1f samples/s: %.2fx\n", e, i, i / e }'
