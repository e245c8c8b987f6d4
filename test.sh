#!/usr/bin/env bash
# Installs what the tests need (Debian 12 / Ubuntu: patchelf, gcc), builds, and runs every test.
# Golden-data tests read ../shared beside the checkout; where it is absent they are reported as skipped, not passed.
set -uo pipefail
cd "$(dirname "$0")"
./build/setup.sh || exit 1
results="$(mktemp -d)"
dotnet test VgtData.sln -c Release --logger "trx;LogFileName=results.trx" --results-directory "$results" "$@"
status=$?
trx=$(find "$results" -name '*.trx' | head -n 1)
if [[ -n $trx ]]; then
  counters=$(grep -o '<Counters [^>]*>' "$trx")
  get() { sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p" <<<"$counters"; }
  # Skipped tests are counted as total - executed (the trx notExecuted counter stays 0 for them).
  echo "tests: $(get passed) passed, $(get failed) failed, $(( $(get total) - $(get executed) )) skipped"
fi
rm -rf "$results"
exit $status
