#!/usr/bin/env bash
# System packages the build needs: patchelf and a C compiler for the TorchSharp libstdc++ shim. Then, best effort, the
# native libraries the image decoders use when present (libturbojpeg0: JPEG 1.3-1.7x faster; libdeflate0: PNG inflate
# 1.4x faster; the pixels are the same without them). VGTDATA_SETUP_OPTIONAL=0 skips that second step.
set -euo pipefail
sudo_cmd=(); [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
missing=()
command -v patchelf >/dev/null || missing+=(patchelf)
command -v cc >/dev/null || missing+=(gcc)
command -v objdump >/dev/null || missing+=(binutils)
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi

[[ ${VGTDATA_SETUP_OPTIONAL:-1} == 0 ]] && exit 0
known=$(PATH="$PATH:/sbin:/usr/sbin" ldconfig -p 2>/dev/null || true)
optional=()
grep -q 'libturbojpeg\.so\.0 ' <<<"$known" || optional+=(libturbojpeg0)
grep -q 'libdeflate\.so\.0 ' <<<"$known" || optional+=(libdeflate0)
if ((${#optional[@]})) && command -v apt-get >/dev/null; then
  [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo -n)   # never ask for a password for these
  echo "setup: installing ${optional[*]} (optional: faster decoding, same pixels)"
  if ! { "${sudo_cmd[@]}" apt-get update -qq && DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${optional[@]}"; } >/dev/null 2>&1; then
    echo "setup: could not install ${optional[*]}; decoding works without them, more slowly (docs/images.md)"
  fi
fi
exit 0
