#!/usr/bin/env bash
# One command for the throughput table: generates natural-looking 1024²/1024×1536 PNGs, then runs, one after another
# on the same data, the Python reference (Pillow + torch DataLoader, best of a worker sweep), TorchSharp's built-in
# DataLoader over our CaptionDataset, and the VgtData loader; prints samples/s and the ratios.
# Usage: benchmarks/side-by-side.sh [--dir DIR] [--count N] [--batches N] [--py-workers 0,1,2,3] [--workers W] [--format png|jpeg]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir=""
count=256
batches=16
py_workers="0,1,2,3"
workers=$(nproc)
format=png
while (($#)); do
  case "$1" in
    --dir) dir=$2; shift 2 ;;
    --count) count=$2; shift 2 ;;
    --batches) batches=$2; shift 2 ;;
    --py-workers) py_workers=$2; shift 2 ;;
    --workers) workers=$2; shift 2 ;;
    --format) format=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

[[ $format == png || $format == jpeg ]] || { echo "--format is png or jpeg" >&2; exit 2; }
[[ -n $dir ]] || dir="${TMPDIR:-/tmp}/vgtdata-bench$([[ $format == jpeg ]] && echo -jpeg)"

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
mkdir -p "$results"
echo "== python reference (workers $py_workers)" >&2
$py "$root/benchmarks/python/reference_loader.py" --data "$dir" --batches "$batches" --workers-sweep "$py_workers" \
    --tokenizer "$tokenizer/tokenizer.json" --json 2>"$results/python.log" | tee "$results/python-sweep.txt" | tail -n 1 > "$results/python.json"
grep -v '^{' "$results/python-sweep.txt" >&2 || true
echo "== torchsharp DataLoader + hand-written ImageSharp dataset ($workers workers)" >&2
"$root/vgtdata" bench "$dir/bench-config.json" --loader plain --batches "$batches" --json 2>"$results/plain.log" | tail -n 1 > "$results/plain.json"
echo "== torchsharp DataLoader + VgtData CaptionDataset ($workers workers)" >&2
"$root/vgtdata" bench "$dir/bench-config.json" --loader torchsharp --batches "$batches" --json 2>"$results/torchsharp.log" | tail -n 1 > "$results/torchsharp.json"
echo "== vgtdata ($workers workers)" >&2
"$root/vgtdata" bench "$dir/bench-config.json" --batches "$batches" --json 2>"$results/vgtdata.log" | tail -n 1 > "$results/vgtdata.json"

$py - "$results" "$(nproc)" <<'PY'
import json, sys, os
d = sys.argv[1]
rows = [(name, json.load(open(os.path.join(d, name + ".json")))) for name in ("python", "plain", "torchsharp", "vgtdata")]
base = rows[0][1]["samples_per_s"]
print(f"\n{'loader':<44}{'workers':>8}{'samples/s':>11}{'vs python':>11}{'p50 wait ms':>13}{'peak RSS MB':>13}")
for name, r in rows:
    label = {"python": "Python anchor (Pillow + torch DataLoader)", "plain": "TorchSharp DataLoader + plain ImageSharp",
             "torchsharp": "TorchSharp DataLoader + VgtData dataset", "vgtdata": "VgtData DataLoader"}[name]
    print(f"{label:<44}{r['workers']:>8}{r['samples_per_s']:>11.1f}{r['samples_per_s'] / base:>10.2f}x"
          f"{r.get('p50_wait_ms', 0):>13.1f}{r.get('peak_rss_mb', 0):>13.0f}")
v = rows[3][1]
print(f"\nratio vgtdata / python (best workers): {v['samples_per_s'] / base:.2f}  on {sys.argv[2]} cores")
print("vgtdata stage seconds:", json.dumps(v.get("stage_seconds", {})), " checksum:", v.get("checksum"))
PY
