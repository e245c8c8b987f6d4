#!/usr/bin/env bash
# System packages the build needs: patchelf and a C compiler for the TorchSharp libstdc++ shim.
set -euo pipefail
missing=()
command -v patchelf >/dev/null || missing+=(patchelf)
command -v cc >/dev/null || missing+=(gcc)
command -v objdump >/dev/null || missing+=(binutils)
if ((${#missing[@]})); then
  sudo_cmd=(); [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  echo "setup: installing ${missing[*]}"
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# Node.js and the pinned S3 test server (tests/s3server) for the object-storage tests.
"$(dirname "$0")/s3-test-server.sh" install
