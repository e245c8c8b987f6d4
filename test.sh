#!/usr/bin/env bash
# Installs what the tests need (Debian 12 / Ubuntu: patchelf, gcc), builds, and runs every test.
# Golden-data tests read ../shared beside the checkout; where it is absent they are reported as skipped, not passed.
set -uo pipefail
cd "$(dirname "$0")"
./build/setup.sh || exit 1
# Node.js and the pinned S3 test server (tests/s3server) for the object-storage tests; without them those tests skip
# with a message saying so.
build/s3-test-server.sh install || echo "test.sh: the S3 test server could not be installed; object-storage tests will be skipped" >&2
results="$(mktemp -d)"
dotnet test VgtData.sln -c Release --logger "trx;LogFileName=results.trx" --results-directory "$results" "$@"
status=$?
trx=$(find "$results" -name '*.trx' | head -n 1)
if [[ -n $trx ]]; then
  counters=$(grep -o '<Counters [^>]*>' "$trx")
  get() { sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p" <<<"$counters"; }
  # Skipped tests are counted as total - executed (the trx notExecuted counter stays 0 for them).
  passed=$(get passed); failed=$(get failed); skipped=$(( $(get total) - $(get executed) ))
  rm -rf "$results"
  # A run that executed no test is a failure, whatever the runner's exit code.
  if ((status == 0 && passed + failed == 0)); then status=1; fi
  if ((status == 0 && failed > 0)); then status=1; fi
  echo "$passed passed, $failed failed, $skipped skipped"
  exit $status
fi
rm -rf "$results"
echo "0 passed, 0 failed, 0 skipped"
exit $((status == 0 ? 1 : status))
