#!/usr/bin/env bash
# Builds and runs every example (CI uses this). Stops at the first failure with its exit status; prints each
# example's wall time. Extra arguments go to `dotnet build` (e.g. -p:VgtTorchBackend=cuda).
set -uo pipefail
cd "$(dirname "$0")/.."
./build/setup.sh || exit 1
examples=(MinimalLoop MultiSource TrainStep)
for name in "${examples[@]}"; do
  echo "=== build $name"
  if ! dotnet build "examples/$name/$name.csproj" -c Release --nologo -v q "$@"; then
    echo "run-all: building $name failed" >&2
    exit 1
  fi
done
total_start=$(date +%s.%N)
for name in "${examples[@]}"; do
  echo "=== run $name"
  start=$(date +%s.%N)
  dotnet run --no-build --project "examples/$name/$name.csproj" -c Release
  status=$?
  seconds=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
  if ((status != 0)); then
    echo "run-all: $name FAILED (exit $status) after $seconds s" >&2
    exit "$status"
  fi
  echo "=== $name ok in $seconds s"
done
echo "run-all: ${#examples[@]} examples ok in $(awk -v a="$total_start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"
