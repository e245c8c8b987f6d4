#!/usr/bin/env bash
# One command for the throughput table: generates natural-looking 1024²/1024×1536 PNGs, then runs, one after another
# on the same data, the Python reference (Pillow + torch DataLoader, best of a worker sweep), TorchSharp's built-in
# DataLoader over our CaptionDataset, and the VgtData loader; prints samples/s and the ratios, the VgtData rows'
# per-stage worker time per sample and their decode-only ceiling (all cores decoding, nothing else).
# --format jpeg adds JPEG draft-mode rows (Pillow's Image.draft and dataset.jpeg_draft) next to the exact decodes.
# --rounds R repeats the Python anchor (at its best worker count) and the VgtData rows R times, alternating, and
# reports medians. --s3 then runs benchmarks/s3-bench.sh on the same images: the VgtData loader reading them from an
# s3rver bucket on loopback, directly and through a 20 ms delaying proxy, next to the same loader on local disk.
# Usage: benchmarks/side-by-side.sh [--dir DIR] [--count N] [--batches N] [--py-workers 0,1,2,3] [--workers W]
#                                   [--format png|jpeg] [--rounds R] [--s3]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir=""
count=256
batches=16
py_workers="0,1,2,3"
workers=$(nproc)
format=png
rounds=1
s3=0
while (($#)); do
  case "$1" in
    --dir) dir=$2; shift 2 ;;
    --count) count=$2; shift 2 ;;
    --batches) batches=$2; shift 2 ;;
    --py-workers) py_workers=$2; shift 2 ;;
    --workers) workers=$2; shift 2 ;;
    --format) format=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --s3) s3=1; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

[[ $format == png || $format == jpeg ]] || { echo "--format is png or jpeg" >&2; exit 2; }
if [[ -z $dir ]]; then
  dir="${TMPDIR:-/tmp}/vgtdata-bench"
  if [[ $format == jpeg ]]; then dir+="-jpeg"; fi
fi

need=()
for pkg in python3-torch python3-pil python3-numpy; do dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg"); done
if ((${#need[@]})); then
  echo "installing ${need[*]}" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
py=/usr/bin/python3
tokenizer="$root/../shared/tokenizers/qwen3"
[[ -f $tokenizer/tokenizer.json ]] || { echo "needs ../shared/tokenizers/qwen3 beside the checkout" >&2; exit 1; }

if [[ ! -f $dir/data.json ]] || [[ $($py -c "import json,sys;print(len(json.load(open(sys.argv[1]))))" "$dir/data.json") != "$count" ]]; then
  rm -rf "$dir"
  $py "$root/benchmarks/make_dataset.py" "$dir" --count "$count" --sizes 1024x1024,1024x1536 --workers "$(nproc)" --format "$format"
fi
cat > "$dir/bench-config.json" <<JSON
{
  "tokenizer": "$tokenizer",
  "prompt_template": "qwen25vl",
  "image_size": 448,
  "pad_index": 151643,
  "dataset": { "type": "CaptionDataset", "data_path": "data.json", "image_folder": ".", "unconditional": 0.1 },
  "train_dataloader": { "batch_size": 32, "num_workers": $workers, "prefetch_factor": 2,
                        "sampler": { "type": "InfiniteSampler", "shuffle": true } }
}
JSON
"$root/vgtdata" help >/dev/null   # builds once, outside the timings

results="$dir/results"
rm -rf "$results"; mkdir -p "$results"
python_run() { # NAME ROUND [--draft]
  local name=$1 round=$2; shift 2
  if [[ $round == 1 ]]; then
    echo "== $name: python reference (workers $py_workers)" >&2
    $py "$root/benchmarks/python/reference_loader.py" --data "$dir" --batches "$batches" --workers-sweep "$py_workers" \
        --tokenizer "$tokenizer/tokenizer.json" --json "$@" 2>"$results/$name.log" | tee "$results/$name-sweep.txt" | tail -n 1 > "$results/$name-1.json"
    grep -v '^{' "$results/$name-sweep.txt" >&2 || true
  else
    local best; best=$($py -c 'import json,sys;print(json.load(open(sys.argv[1]))["workers"])' "$results/$name-1.json")
    echo "== $name: python reference, round $round (workers $best)" >&2
    $py "$root/benchmarks/python/reference_loader.py" --data "$dir" --batches "$batches" --workers "$best" \
        --tokenizer "$tokenizer/tokenizer.json" --json "$@" 2>>"$results/$name.log" | tail -n 1 > "$results/$name-$round.json"
  fi
}
vgtdata_run() { # NAME ROUND [bench options]
  local name=$1 round=$2; shift 2
  echo "== $name: vgtdata ($workers workers), round $round" >&2
  "$root/vgtdata" bench "$dir/bench-config.json" --batches "$batches" --json "$@" 2>"$results/$name-$round.log" | tail -n 1 > "$results/$name-$round.json"
}
echo "== torchsharp DataLoader + hand-written ImageSharp dataset ($workers workers)" >&2
"$root/vgtdata" bench "$dir/bench-config.json" --loader plain --batches "$batches" --json 2>"$results/plain.log" | tail -n 1 > "$results/plain-1.json"
echo "== torchsharp DataLoader + VgtData CaptionDataset ($workers workers)" >&2
"$root/vgtdata" bench "$dir/bench-config.json" --loader torchsharp --batches "$batches" --json 2>"$results/torchsharp.log" | tail -n 1 > "$results/torchsharp-1.json"
for round in $(seq 1 "$rounds"); do
  python_run python "$round"
  vgtdata_run vgtdata "$round"
  if [[ $format == jpeg ]]; then
    python_run python-draft "$round" --draft
    vgtdata_run vgtdata-draft "$round" --set dataset.jpeg_draft=true
  fi
done

$py - "$results" "$(nproc)" "$rounds" "$format" <<'PY'
import json, sys, os, statistics
d, cores, rounds, fmt = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
names = ["python", "plain", "torchsharp", "vgtdata"] + (["python-draft", "vgtdata-draft"] if fmt == "jpeg" else [])
labels = {"python": "Python anchor (Pillow + torch DataLoader)", "plain": "TorchSharp DataLoader + plain ImageSharp",
          "torchsharp": "TorchSharp DataLoader + VgtData dataset", "vgtdata": "VgtData DataLoader",
          "python-draft": "Python, Pillow draft mode", "vgtdata-draft": "VgtData DataLoader, jpeg_draft"}
runs = {}
for n in names:
    rs = []
    for r in range(1, rounds + 1):
        f = os.path.join(d, f"{n}-{r}.json")
        if os.path.exists(f) and os.path.getsize(f) > 0:
            rs.append(json.load(open(f)))
    if rs:
        runs[n] = rs
med = {n: statistics.median(r["samples_per_s"] for r in rs) for n, rs in runs.items()}
base = med["python"]
print(f"\n{'loader':<44}{'workers':>8}{'samples/s':>11}{'vs python':>11}{'p50 wait ms':>13}{'peak RSS MB':>13}  runs")
for n, rs in runs.items():
    r = rs[0]
    print(f"{labels[n]:<44}{r['workers']:>8}{med[n]:>11.1f}{med[n] / base:>10.2f}x"
          f"{r.get('p50_wait_ms', 0):>13.1f}{r.get('peak_rss_mb', 0):>13.0f}  {', '.join('%.1f' % x['samples_per_s'] for x in rs)}")
print(f"\nratio vgtdata / python (median of {rounds}, python at its best worker count): {med['vgtdata'] / base:.2f}  on {cores} cores")
if "vgtdata-draft" in med:
    print(f"ratio vgtdata jpeg_draft / python exact JPEG: {med['vgtdata-draft'] / base:.2f};"
          f"  / python draft: {med['vgtdata-draft'] / med['python-draft']:.2f}")
stages = ["read", "decode", "resize", "tokenize", "collate", "transfer"]
print(f"\nworker ms per sample (median run){'':<8}" + "".join(f"{s:>10}" for s in stages) + f"{'decode-only ceiling':>22}")
for n in [n for n in ("vgtdata", "vgtdata-draft") if n in runs]:
    rs = sorted(runs[n], key=lambda r: r["samples_per_s"])
    r = rs[len(rs) // 2]
    samples = r["batches"] * r["batch_size"]
    st = r.get("stage_seconds", {})
    per = {s: 1000 * st.get(s, 0) / samples for s in stages}
    ceiling = cores * 1000 / per["decode"] if per["decode"] > 0 else float("inf")
    print(f"{labels[n]:<41}" + "".join(f"{per[s]:>10.2f}" for s in stages) + f"{ceiling:>15.1f} samples/s")
sums = {n: sorted({r.get("checksum") for r in rs}) for n, rs in runs.items() if n.startswith("vgtdata")}
print("checksums:", json.dumps(sums))
PY

if ((s3 == 1)); then
  echo "== object storage: the VgtData loader on these images from local disk and from an s3rver bucket" >&2
  "$root/benchmarks/s3-bench.sh" --dir "$dir-s3" --data "$dir" --tokenizer "$tokenizer" --batches "$batches" \
      --rounds "$rounds" 2>&1 | grep -v '^== round'
fi
