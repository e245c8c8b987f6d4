#!/usr/bin/env bash
# imagenet1k-t2i read in place from its parquet part against the same rows extracted (extract.py's PNGs): for each kind
# of cell (png: noisy fractals, ~200 KB; jpeg: ~32 KB) makes IMAGES images (512x512 and 640x480), packs them with
# `benchmarks/ParquetBench pack` into raw/00000.parquet (row groups of GROUP, snappy, dictionary on: the writer's
# defaults, as pyarrow writes the download's parts), runs `vgtdata prepare imagenet1k-t2i` in place and, on a copy,
# with --extract; then alternates `vgtdata bench` on the two ROUNDS times and prints every round, both medians, their
# ratio (in place / extracted) and the checksums.
# Usage: benchmarks/parquet-inplace-bench.sh [--dir DIR] [--images 600] [--group 100] [--rounds 3] [--batches 15] [--kinds "png jpeg"]
set -euo pipefail
if ! /usr/bin/python3 -c "import PIL" 2>/dev/null; then
  echo "parquet-inplace-bench: the replica is drawn with Pillow, which /usr/bin/python3 lacks: apt-get install python3-pil" >&2; exit 2
fi
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="${TMPDIR:-/tmp}/vgtdata-parquet-bench"; images=600; group=100; rounds=3; batches=15; kinds="png jpeg"
while (($#)); do
  case "$1" in
    --dir) dir=$2; shift 2 ;;
    --images) images=$2; shift 2 ;;
    --group) group=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --batches) batches=$2; shift 2 ;;
    --kinds) kinds=$2; shift 2 ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "parquet-inplace-bench: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
"$root/vgtdata" help >/dev/null   # builds once, outside the timings
for kind in $kinds; do
  base="$dir/$kind-$images-$group"
  [[ -f $base/.built ]] && continue
  rm -rf "$base"; mkdir -p "$base/src"
  /usr/bin/python3 - "$base/src" "$images" "$kind" <<'PY'
import io, random, sys
from PIL import Image, ImageChops
out, count, kind = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rng = random.Random(7)
for i in range(count):
    size = (512, 512) if i % 2 == 0 else (640, 480)
    x = -2 + rng.random()
    picture = Image.effect_mandelbrot(size, (x, -1.2, x + 2.5, 1.2), 48).convert("RGB")
    if kind == "png":
        # Noise keeps the PNG near the ~200 KB a photo's PNG holds at this size (a plain fractal deflates to ~50 KB).
        picture = ImageChops.add(picture, Image.effect_noise(size, 1.2).convert("RGB"), scale=1.0, offset=-128)
        picture.save(f"{out}/{i:06d}.png", "PNG")
    else:
        picture.save(f"{out}/{i:06d}.jpg", "JPEG", quality=90)
PY
  dotnet run -c Release --project "$root/benchmarks/ParquetBench" -- pack "$base/src" "$base/inplace" --group "$group"
  "$root/vgtdata" prepare imagenet1k-t2i --root "$base/inplace" >/dev/null
  mkdir -p "$base/extracted" && cp -r "$base/inplace/raw" "$base/extracted/"
  "$root/vgtdata" prepare imagenet1k-t2i --root "$base/extracted" --extract >/dev/null
  for layout in inplace extracted; do
    cat > "$base/$layout.json" <<JSON
{ "image_size": 256, "seed": 1, "tokenizer": "embedded:o200k",
  "dataset": { "type": "CaptionDataset", "data_path": "$layout/data.json", "image_folder": "$layout", "cap_source": "caption" },
  "train_dataloader": { "batch_size": 32, "num_workers": 2, "prefetch_factor": 2,
                        "sampler": { "type": "InfiniteSampler", "shuffle": true } } }
JSON
  done
  touch "$base/.built"
done
field() { grep -o "\"$1\":[\"0-9a-f.]*" | head -n 1 | cut -d: -f2 | tr -d '"'; }
median() { tr ' ' '\n' | grep . | sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }
for kind in $kinds; do
  base="$dir/$kind-$images-$group"
  cell=$(( $(stat -c %s "$base/inplace/raw/00000.parquet") / images / 1024 ))
  echo "$kind cells (~$cell KB each, $images rows in row groups of $group):"
  declare -A rates=()
  for r in $(seq 1 "$rounds"); do
    for layout in extracted inplace; do
      out=$("$root/vgtdata" bench "$base/$layout.json" --batches "$batches" --json 2>/dev/null | tail -n 1)
      rate=$(field samples_per_s <<<"$out"); sum=$(field checksum <<<"$out"); bad=$(field bad_samples <<<"$out")
      [[ -n $rate ]] || { echo "parquet-inplace-bench: $kind $layout round $r gave no result" >&2; exit 1; }
      rates[$layout]+="$rate "
      echo "  round $r $layout: $rate samples/s, checksum $sum, bad samples $bad"
    done
  done
  e=$(median <<<"${rates[extracted]}"); i=$(median <<<"${rates[inplace]}")
  awk -v k="$kind" -v e="$e" -v i="$i" 'BEGIN { printf "  %s: median extracted %.1f, in place %.1f samples/s: %.2fx\n", k, e, i, i / e }'
  unset rates
done
