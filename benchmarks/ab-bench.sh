#!/usr/bin/env bash
# Two builds of the vgtdata CLI side by side on the same config: `bench` alternates old and new ROUNDS times and prints
# each round's samples/s and checksum, then both medians and their ratio. For a before/after of a change: build the
# earlier commit in a second clone and pass its VgtData.Cli.dll as --old.
# Usage: benchmarks/ab-bench.sh --old OLD/VgtData.Cli.dll [--new NEW/VgtData.Cli.dll] [--rounds 3] CONFIG [bench options]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
old=""; new="$root/src/VgtData.Cli/bin/Release/net10.0/VgtData.Cli.dll"; rounds=3
while (($#)); do
  case "$1" in
    --old) old=$2; shift 2 ;;
    --new) new=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    -h|--help) sed -n '2,5p' "$0"; exit 0 ;;
    *) break ;;
  esac
done
(($# >= 1)) || { echo "ab-bench: a CONFIG is needed (see --help)" >&2; exit 2; }
[[ -f $old && -f $new ]] || { echo "ab-bench: --old and --new must name built VgtData.Cli.dll files" >&2; exit 2; }
field() { grep -o "\"$1\":[\"0-9a-f.]*" | head -n 1 | cut -d: -f2 | tr -d '"'; }
declare -A rates
for r in $(seq 1 "$rounds"); do
  for which in old new; do
    dll=$old; [[ $which == new ]] && dll=$new
    out=$(dotnet "$dll" bench "$@" --json 2>/dev/null | tail -n 1)
    rate=$(field samples_per_s <<<"$out"); sum=$(field checksum <<<"$out")
    [[ -n $rate ]] || { echo "ab-bench: $which round $r gave no result" >&2; exit 1; }
    rates[$which]+="$rate "
    echo "round $r $which: $rate samples/s, checksum $sum"
  done
done
median() { tr ' ' '\n' <<<"$1" | grep . | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
mo=$(median "${rates[old]}"); mn=$(median "${rates[new]}")
awk -v o="$mo" -v n="$mn" 'BEGIN { printf "median old %.1f, new %.1f samples/s: %.2fx\n", o, n, n / o }'
