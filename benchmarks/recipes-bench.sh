#!/usr/bin/env bash
# Every VGT recipe from its download to batches: for each recipe of `vgtdata prepare --list`, writes a replica of its
# download (benchmarks/RecipesBench: SAMPLES distinct 512-576 px images, PARTS of PER each), times `prepare NAME` in
# place, `prepare NAME --extract` on a copy and that command's rerun (nothing left to do), imports VGT's own config for
# it (the recipe doc's "Set config" block, unchanged) into both copies, counts samples and bad samples with
# `vgtdata validate`, and compares the batch checksums of `vgtdata bench` on the two layouts. Prints one markdown table
# row per recipe (progress on stderr).
# Usage: benchmarks/recipes-bench.sh [--samples 2000] [--per-part 500] [--batches 8] [--recipes a,b,...]
#                                    [--dir DIR] [--shared DIR] [--keep]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="${TMPDIR:-/tmp}/vgtdata-recipes-bench"; shared="$root/../shared"
samples=2000; per=500; batches=8; recipes=""; keep=0
while (($#)); do
  case "$1" in
    --samples) samples=$2; shift 2 ;;
    --per-part) per=$2; shift 2 ;;
    --batches) batches=$2; shift 2 ;;
    --recipes) recipes=$2; shift 2 ;;
    --dir) dir=$2; shift 2 ;;
    --shared) shared=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "recipes-bench: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
docs="$shared/vgt-docs/datasets"
processors="$shared/vgt-configs/datasets/internvl3_1b_448/processors.py"
tokenizer="$shared/tokenizers/internvl3-style"
for need in "$docs" "$processors" "$tokenizer"; do
  [[ -e $need ]] || { echo "recipes-bench: $need is missing (VGT's docs, configs and tokenizer; --shared DIR)" >&2; exit 1; }
done

# The recipe's dataset folder below data/ and its doc in VGT's docs/datasets/.
declare -A folder=(
  [sharegpt-4o-image]=sharegpt-4o-image [echo-4o-image]=echo-4o-image [blip3o-60k]=BLIP3o-60k
  [text-to-image-2m]=text-to-image-2M [laion-6m]=laion6m [redcaps-5m]=redcaps5m [megalith-10m]=megalith-10m
  [cc12m]=cc12m [midjourney-23m]=midjourney-23m [imagenet1k-t2i]=imagenet1k-t2i)
declare -A doc=(
  [sharegpt-4o-image]=sharegpt_4o_image_45k [echo-4o-image]=echo_4o_image_100k [blip3o-60k]=blip3o60k
  [text-to-image-2m]=text2image2m [laion-6m]=laion6m [redcaps-5m]=redcaps5m [megalith-10m]=megalith10m
  [cc12m]=cc12m [midjourney-23m]=midjourney_captioned_23m [imagenet1k-t2i]=imagenet1k_t2i_qwenvl_flux)

echo "recipes-bench: building the tool and the replica writer" >&2
"$root/vgtdata" help >/dev/null
dotnet build "$root/benchmarks/RecipesBench" -c Release --nologo -v q >/dev/null
replica="$root/benchmarks/RecipesBench/bin/Release/net10.0/RecipesBench.dll"
[[ -n $recipes ]] || recipes=$("$root/vgtdata" prepare --list | awk '{print $1}' | paste -sd, -)

mkdir -p "$dir"
log="$dir/last-command.log"
# Runs a command, its output to $log; stops the bench with that output when it fails (validate: exit 1 means bad
# samples, which the table counts).
run() {
  local ok=$1; shift
  local code=0
  "$@" >"$log" 2>&1 || code=$?
  if ((code != 0 && code != ok)); then
    echo "recipes-bench: failed ($code): $*" >&2; tail -n 20 "$log" >&2; exit 1
  fi
}
# Seconds a command takes (one decimal).
timed() {
  local start end
  start=$(date +%s.%N); run 0 "$@"; end=$(date +%s.%N)
  awk -v s="$start" -v e="$end" 'BEGIN { printf "%.1f", e - s }'
}
field() { grep -o "\"$1\":[\"0-9a-f.]*" | head -n 1 | cut -d: -f2 | tr -d '"'; }

# VGT's config for the recipe, imported unchanged into PARENT/configs/NAME.json; prints its path.
import_config() {
  local parent=$1 name=$2
  mkdir -p "$parent/configs"
  cp "$processors" "$parent/configs/processors.py"
  awk '/^## Set config/ { s = 1 } s && /^```python/ { p = 1; next } p && /^```/ { exit } p' "$docs/${doc[$name]}.md" >"$parent/configs/$name.py"
  run 0 "$root/vgtdata" config import "$parent/configs/$name.py" --tokenizer-map "OpenGVLab/InternVL3-1B=$tokenizer" \
    --data-root "$parent" -o "$parent/configs/$name.json"
  echo "$parent/configs/$name.json"
}

# "checked bad checksum" of a config.
load() {
  local config=$1 checked bad sum
  run 1 "$root/vgtdata" validate "$config" --json --workers 2
  checked=$(tail -n 1 "$log" | field checked)
  bad=$(tail -n 1 "$log" | grep -o '"by_reason":{[^}]*}' | { grep -o ':[0-9]*' || true; } | awk -F: '{ n += $2 } END { print n + 0 }')
  run 0 "$root/vgtdata" bench "$config" --batches "$batches" --json
  sum=$(tail -n 1 "$log" | field checksum)
  echo "$checked $bad $sum"
}

echo "| recipe | the download holds (replica) | \`prepare\` line | VGT's config, imported unchanged | samples | bad | prepare s: in place / \`--extract\` / rerun | checksums equal |"
echo "|---|---|---|---|---:|---:|---|---|"
IFS=, read -r -a names <<<"$recipes"
for name in "${names[@]}"; do
  [[ -n ${folder[$name]:-} ]] || { echo "recipes-bench: unknown recipe $name" >&2; exit 2; }
  work="$dir/$name"; rm -rf "$work"
  inplace="$work/inplace"; extracted="$work/extracted"
  ds="data/${folder[$name]}"
  echo "recipes-bench: $name: writing the replica ($samples samples)" >&2
  holds=$(dotnet "$replica" "$name" "$inplace/$ds" --samples "$samples" --per-part "$per")
  mkdir -p "$extracted/data"; cp -a "$inplace/$ds" "$extracted/data/"

  echo "recipes-bench: $name: prepare in place, --extract, rerun" >&2
  t_in=$(timed "$root/vgtdata" prepare "$name" --root "$inplace/$ds")
  t_ex=$(timed "$root/vgtdata" prepare "$name" --root "$extracted/$ds" --extract)
  t_re=$(timed "$root/vgtdata" prepare "$name" --root "$extracted/$ds" --extract)

  echo "recipes-bench: $name: import VGT's config, validate, bench" >&2
  read -r e_checked e_bad e_sum < <(load "$(import_config "$extracted" "$name")")
  types=$(grep -o 'type=[A-Za-z0-9_]*' "$extracted/configs/$name.py" | cut -d= -f2 | sort -u | paste -sd/ -)
  if [[ $name == echo-4o-image ]]; then
    # .tar.gz parts cannot be read at random: in place, prepare writes data.json and says to run --extract.
    line="\`vgtdata prepare $name --root $ds --extract\`"
    samples_cell="$e_checked"; bad_cell="$e_bad"; same="n/a (\`.tar.gz\`: \`--extract\` only)"
  else
    read -r i_checked i_bad i_sum < <(load "$(import_config "$inplace" "$name")")
    line="\`vgtdata prepare $name --root $ds\`"
    samples_cell="$i_checked / $e_checked"; bad_cell="$i_bad / $e_bad"
    if [[ $i_sum == "$e_sum" && -n $i_sum ]]; then same="yes"; else same="no ($i_sum / $e_sum)"; fi
  fi
  echo "| $name | $holds | $line | \`${doc[$name]}.md\` ($types) | $samples_cell | $bad_cell | $t_in / $t_ex / $t_re | $same |"
  ((keep)) || rm -rf "$work"
done
