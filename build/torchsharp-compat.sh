#!/usr/bin/env bash
# Makes TorchSharp's libLibTorchSharp.so load where the system libstdc++ predates GCC 13 (Debian 12, Ubuntu 22.04).
# The .so asks for GLIBCXX_3.4.32 for one symbol only, std::ios_base_library_init(), which GCC 13 emits for
# iostream start-up and older libstdc++ initialises by itself. We give it a tiny library that defines that symbol
# as a no-op under the version node it wants (plus empty nodes for every other libstdc++ version the .so names),
# put that library in the .so's NEEDED list in place of libstdc++, and then add libstdc++ back after it.
# Usage: torchsharp-compat.sh [--force] DIR...   (patches every libLibTorchSharp.so found below each DIR; idempotent)
#   --force  patch even where this machine's libstdc++ has GLIBCXX_3.4.32 (for outputs that travel, e.g. the tool
#            package); harmless there: the shim's symbol is a no-op and the real libstdc++ still follows it.
# Exit status 3: the step is needed but patchelf, cc, objdump or readelf is missing (the message names them).
# Used by this repo's build (Directory.Build.targets) and shipped in the VgtData package (buildTransitive).
set -euo pipefail
force=0
if [[ ${1:-} == --force ]]; then force=1; shift; fi

compat_name=libvgtdata_glibcxx_compat.so.6
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

system_libstdcxx() {
  local p
  for p in $(ldconfig -p 2>/dev/null | awk '/libstdc\+\+\.so\.6 .*x86-64/ {print $NF}') \
           /usr/lib/x86_64-linux-gnu/libstdc++.so.6 /lib/x86_64-linux-gnu/libstdc++.so.6 /usr/lib64/libstdc++.so.6; do
    [[ -e $p ]] && { echo "$p"; return 0; }
  done
  return 1
}

needs_compat() {
  local lib
  lib=$(system_libstdcxx) || return 1   # no system libstdc++ found: nothing we can do better
  ! grep -qa 'GLIBCXX_3\.4\.32' "$lib"
}

build_compat() {   # $1 = the libLibTorchSharp.so whose version needs we satisfy, $2 = output path
  local so=$1 out=$2 work
  work=$(mktemp -d)
  {
    objdump -p "$so" | awk '/required from libstdc\+\+\.so\.6:/ {on=1; next} /required from/ {on=0} on && $4 ~ /^(GLIBCXX|CXXABI)_/ {print $4}' \
      | sort -u | grep -v '^GLIBCXX_3\.4\.32$' | while read -r node; do echo "$node { };"; done
    echo 'GLIBCXX_3.4.32 { global: _ZSt21ios_base_library_initv; local: *; };'
  } > "$work/compat.map"
  cat > "$work/compat.c" <<'C'
/* std::ios_base_library_init(): GCC 13's iostream start-up hook; older libstdc++ initialises iostreams itself. */
void _ZSt21ios_base_library_initv(void) {}
C
  cc -shared -fPIC -O2 -nostdlib -Wl,--version-script="$work/compat.map" -Wl,-soname,"$compat_name" \
     -o "$out.tmp" "$work/compat.c"
  mv "$out.tmp" "$out"
  rm -rf "$work"
}

patch_one() {
  local so=$1 dir compat
  dir=$(dirname "$so")
  if readelf -d "$so" | grep -q "\[$compat_name\]"; then return 0; fi
  compat="$dir/$compat_name"
  [[ -e $compat ]] || build_compat "$so" "$compat"
  patchelf --replace-needed libstdc++.so.6 "$compat_name" "$so"
  patchelf --add-needed libstdc++.so.6 "$so"
  echo "torchsharp-compat: patched $so"
}

has_torchsharp() {
  local d
  for d in "$@"; do
    [[ -d $d ]] && [[ -n $(find "$d" -name libLibTorchSharp.so -type f -print -quit) ]] && return 0
  done
  return 1
}

has_torchsharp "$@" || exit 0
((force)) || needs_compat || exit 0
missing=()
for tool in patchelf cc objdump readelf; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if ((${#missing[@]})); then
  echo "torchsharp-compat: missing ${missing[*]}; install with: sudo apt-get install -y patchelf gcc binutils" >&2
  exit 3
fi
for d in "$@"; do
  [[ -d $d ]] || continue
  while IFS= read -r -d '' so; do patch_one "$so"; done < <(find "$d" -name libLibTorchSharp.so -type f -print0)
done
