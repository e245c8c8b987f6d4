#!/usr/bin/env bash
# Memory soak: runs `vgtdata bench` for many batches at batch 4 and at batch 64, prints the process's RSS every
# --every batches and the slope after warm-up (MB per 1,000 batches). Flat memory shows as a slope near 0.
#
#   benchmarks/soak.sh [--batches 5000] [--every 250] [--warmup 1000] [--runs "4:448 64:128"] [--dir DIR] [--workers W]
#
# Data: `vgtdata demo` images (512² / 512×768 / 768×512 PNGs, 64 of them) with captions rewritten to 3–60 random words,
# so the padded input_ids length T changes from batch to batch. --runs lists BATCH:IMAGE_SIZE pairs; batch 64 runs at
# 128 px by default to keep 5,000 batches (320,000 samples) within minutes on a small machine — its pixel batch is then
# 12.6 MB, about the 9.6 MB of batch 4 at 448 px. Set VGTDATA_DLL to soak another build of VgtData.Cli.dll.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
batches=5000 every=250 warmup="" runs="4:448 64:128" dir="${TMPDIR:-/tmp}/vgtdata-soak" workers=""
while (($#)); do
  case "$1" in
    --batches) batches=$2; shift 2 ;;
    --every) every=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --dir) dir=$2; shift 2 ;;
    --workers) workers=$2; shift 2 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "soak: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
# Warm-up: the first fifth of the run (at most 1,000 batches), while pools, the JIT and glibc's arenas settle.
[[ -n $warmup ]] || warmup=$(( batches / 5 < 1000 ? batches / 5 : 1000 ))

dll="${VGTDATA_DLL:-}"
if [[ -z $dll ]]; then
  "$root/vgtdata" --help >/dev/null   # builds when needed
  dll="$root/src/VgtData.Cli/bin/Release/net10.0/VgtData.Cli.dll"
fi

mkdir -p "$dir"
if [[ ! -f $dir/data.json || ! -f $dir/.captions-varied ]]; then
  echo "soak: generating 64 images in $dir" >&2
  dotnet "$dll" demo --dir "$dir" --count 64 --batches 1 >/dev/null
  # Captions of 3 to 60 words (deterministic), replacing the demo's short ones.
  awk 'BEGIN { srand(7); n = split("a the red blue green old quiet bright dark soft golden misty river mountain city " \
         "forest cat dog bird boat house tree flower sky cloud light shadow window street garden lake field road " \
         "bridge tower portrait painting photo sketch morning evening night winter summer watercolor detailed", w, " ") }
       /"caption": "/ { k = 3 + int(rand() * 58); s = w[1 + int(rand() * n)]
                        for (i = 1; i < k; i++) s = s " " w[1 + int(rand() * n)]
                        sub(/"caption": ".*"/, "\"caption\": \"" s "\"") }
       { print }' "$dir/data.json" > "$dir/data.json.tmp"
  mv "$dir/data.json.tmp" "$dir/data.json"
  touch "$dir/.captions-varied"
fi

config() {  # IMAGE_SIZE -> path of a config over the soak data at that size
  local size=$1 path="$dir/soak-$1.json"
  cat > "$path.$$" <<EOF
{
  "prompt_template": "qwen25vl",
  "image_size": $size,
  "pad_index": 0,
  "seed": 0,
  "dataset": { "type": "CaptionDataset", "data_path": "data.json", "image_folder": ".", "unconditional": 0.1, "max_length": 128 },
  "train_dataloader": {
    "batch_size": 4,
    "prefetch_factor": 2,
    "sampler": { "type": "InfiniteSampler", "shuffle": true },
    "collate_fn": { "type": "collate_func_gen", "resolutions": [$size, $size] }
  }
}
EOF
  mv "$path.$$" "$path"
  echo "$path"
}

soak() {  # BATCH IMAGE_SIZE
  local batch=$1 size=$2 cfg log json fifo pid line n rss status=0
  cfg=$(config "$size")
  # Per-run files, so soaks of two builds can share one data folder at the same time.
  log="$dir/soak-b$batch-$size.$$.rss"
  json="$dir/soak-b$batch-$size.$$.json"
  fifo="$dir/.progress-$$"
  rm -f "$fifo"; mkfifo "$fifo"
  local extra=(); [[ -z $workers ]] || extra=(--workers "$workers")
  dotnet "$dll" bench "$cfg" --batches "$batches" --warmup 0 --json "${extra[@]}" \
    --set "train_dataloader.batch_size=$batch" > "$json" 2> "$fifo" &
  pid=$!
  echo "== batch $batch, image_size $size, $batches batches (RSS every $every, slope after batch $warmup)"
  printf '%8s %9s\n' batches rss_mb
  : > "$log"
  local re='^batch ([0-9]+)/'
  while IFS= read -r line; do
    if [[ $line =~ $re ]]; then
      n=${BASH_REMATCH[1]}
      if (( n % every == 0 )); then
        rss=$(awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$pid/status" 2>/dev/null || true)
        [[ -n $rss ]] || continue
        printf '%8d %9s\n' "$n" "$rss"
        echo "$n $rss" >> "$log"
      fi
    elif [[ $line != bench:* ]]; then
      echo "$line" >&2
    fi
  done < "$fifo"
  wait "$pid" || status=$?
  rm -f "$fifo"
  if ((status != 0)); then echo "soak: bench exited with $status" >&2; return "$status"; fi
  awk -v w="$warmup" '
    $1 >= w { k++; sx += $1; sy += $2; sxx += $1 * $1; sxy += $1 * $2; if (k == 1) first = $2; last = $2
              if (k == 1 || $2 > max) max = $2; if (k == 1 || $2 < min) min = $2 }
    END {
      if (k < 2) { print "slope: too few samples after warm-up"; exit }
      slope = (k * sxy - sx * sy) / (k * sxx - sx * sx) * 1000
      printf "slope after warm-up: %+.1f MB per 1000 batches (RSS %.1f..%.1f MB, %+.1f MB from batch %d to the end)\n", \
        slope, min, max, last - first, w
    }' "$log"
  grep -o '"samples_per_s":[0-9.]*\|"peak_rss_mb":[0-9.]*' "$json" | tr '\n' ' '; echo
  rm -f "$log" "$json"
}

for run in $runs; do
  soak "${run%%:*}" "${run##*:}"
done
