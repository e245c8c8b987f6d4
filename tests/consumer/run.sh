#!/usr/bin/env bash
# The consumer test: what a C# user outside this repository does. Packs VgtData and VgtData.Tool into a temporary
# folder feed; creates a fresh console app in a temporary folder (no Directory.Build.* of this repo applies there);
# adds VgtData from that feed and TorchSharp-cpu from the usual sources; builds and publishes it (VgtData's
# buildTransitive step patches libLibTorchSharp.so on Debian 12 / Ubuntu 22.04); runs the README's snippet
# (Program.cs beside this script) on generated data and checks tensor shapes; checks that a broken TorchSharp load
# is explained in one line; installs the tool into a temporary tool path and runs `vgtdata demo` from it.
# Needs the .NET SDK and what build/setup.sh installs; the NuGet sources configured for this user (plus the folder feed).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
"$root/build/setup.sh"
start=$(date +%s.%N)
elapsed() { awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.0f", b - a }'; }
step() { echo "consumer-test [$(elapsed) s]: $*"; }
fail() { echo "consumer-test: FAILED: $*" >&2; exit 1; }
quiet() {   # runs a command, shows its output only when it fails
  local log; log=$(mktemp)
  if ! "$@" >"$log" 2>&1; then cat "$log" >&2; rm -f "$log"; fail "$*"; fi
  cat "$log" >>"$work/log.txt"; rm -f "$log"
}

work=$(mktemp -d "${TMPDIR:-/tmp}/vgtdata-consumer.XXXXXX")
keep=${VGTDATA_CONSUMER_KEEP:-0}
cleanup() { if [[ $keep == 1 ]]; then echo "consumer-test: kept $work"; else rm -rf "$work"; fi; }
trap cleanup EXIT
feed="$work/feed"; app="$work/app"; data="$work/data"; tools="$work/tools"
mkdir -p "$feed" "$data"
version=$(dotnet msbuild "$root/src/VgtData/VgtData.csproj" -getProperty:Version -nologo)
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1

step "pack VgtData $version and VgtData.Tool $version into a folder feed"
quiet dotnet pack "$root/VgtData.sln" -c Release -o "$feed" --nologo
for p in "VgtData.$version.nupkg" "VgtData.Tool.$version.nupkg"; do
  [[ -f $feed/$p ]] || fail "dotnet pack did not produce $p (got: $(ls "$feed"))"
  echo "consumer-test: $p $(du -m "$feed/$p" | cut -f1) MB"
done
# The same version may be cached from an earlier pack with other contents: drop our own packages from the cache.
packages=$(dotnet nuget locals global-packages --list | sed 's/^global-packages: //')
rm -rf "$packages/vgtdata/$version" "$packages/vgtdata.tool/$version"

# The local feed beside the sources this user already has (no <clear/>): TorchSharp-cpu comes from those.
cat > "$work/NuGet.config" <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <add key="vgtdata-local" value="$feed" />
  </packageSources>
</configuration>
XML

step "fresh console app: dotnet new console, add VgtData $version and TorchSharp-cpu"
torchsharp=$(dotnet msbuild "$root/src/VgtData/VgtData.csproj" -getProperty:VgtTorchSharpVersion -nologo)
quiet dotnet new console -o "$app" -n ConsumerApp --no-restore
cp "$here/Program.cs" "$app/Program.cs"
(cd "$app" && quiet dotnet add package VgtData --version "$version" && quiet dotnet add package TorchSharp-cpu --version "$torchsharp")

step "build and publish the app"
build_log="$work/build.txt"
(cd "$app" && dotnet build -c Release --nologo >"$build_log" 2>&1) || { cat "$build_log" >&2; fail "dotnet build of the consumer app"; }
if grep -q 'VGTDATA00' "$build_log"; then cat "$build_log" >&2; fail "the build warned about the TorchSharp compatibility step"; fi
quiet dotnet publish "$app" -c Release -o "$work/publish" --nologo

# The README's config on generated data. The tokenizer: the qwen3 folder from ../shared where present, else the
# embedded vocabulary, spelled "embedded:o200k" where the built library knows that name and left out where not.
tokenizer_line=""
if [[ -f $root/../shared/tokenizers/qwen3/tokenizer.json ]]; then
  tokenizer_line="\"tokenizer\": \"$(cd "$root/../shared/tokenizers/qwen3" && pwd)\","
  tokenizer_desc="../shared/tokenizers/qwen3"
elif (( $(strings -el "$app/bin/Release/net10.0/VgtData.dll" | grep -c 'embedded:o200k') > 0 )); then
  tokenizer_line='"tokenizer": "embedded:o200k",'; tokenizer_desc="embedded:o200k"
else
  tokenizer_desc="embedded (no tokenizer key)"
fi
cat > "$work/config.json" <<JSON
{
  $tokenizer_line
  "prompt_template": "qwen25vl",
  "image_size": 448,
  "seed": 0,
  "dataset": { "type": "CaptionDataset", "data_path": "data/data.json", "image_folder": "data", "unconditional": 0.1, "max_length": 128 },
  "train_dataloader": {
    "batch_size": 8, "num_workers": 2, "prefetch_factor": 2,
    "sampler": { "type": "InfiniteSampler", "shuffle": true },
    "collate_fn": { "type": "collate_func_gen", "resolutions": [448, 448] }
  }
}
JSON

echo "consumer-test: tokenizer: $tokenizer_desc"
for out in "$app/bin/Release/net10.0" "$work/publish"; do
  step "run the README snippet from ${out#"$work"/}"
  rm -rf "$data"
  if ! output=$(cd "$work" && dotnet "$out/ConsumerApp.dll" config.json data 2>&1); then echo "$output" >&2; fail "the consumer app in $out"; fi
  echo "$output" | sed 's/^/  /'
  [[ $(echo "$output" | grep -c '^consumer: batch ') == 3 && $output == *"consumer: ok"* ]] || fail "expected 3 checked batches from $out"
done

# A broken TorchSharp load must come back as one line with the fix, not TorchSharp's own message.
expect_explained() {   # $1 = label, $2 = folder, $3 = text the one line must contain
  local output
  if output=$(cd "$work" && dotnet "$2/ConsumerApp.dll" config.json data 2>&1); then fail "$1: the app ran although TorchSharp cannot load"; fi
  echo "  $output" | head -n 3
  [[ $(echo "$output" | wc -l) == 1 && $output == *"$3"* ]] || fail "$1: expected one line containing '$3'"
}
step "run without libtorch: the error names the backend package"
cp -r "$work/publish" "$work/no-backend"
find "$work/no-backend" -name 'libtorch*.so' -delete
expect_explained "no backend" "$work/no-backend" "dotnet add package TorchSharp-cpu"
rm -rf "$work/no-backend"
libstdcxx=$(ldconfig -p | awk '/libstdc\+\+\.so\.6 .*x86-64/ {print $NF}' | sed -n 1p)
if [[ -n $libstdcxx ]] && (( $(strings "$libstdcxx" | grep -c '^GLIBCXX_3\.4\.32$') == 0 )); then
  step "run with an unpatched libLibTorchSharp.so: the error names the libstdc++ fix"
  cp -r "$work/publish" "$work/unpatched"
  so=$(find "$work/unpatched" -name libLibTorchSharp.so | head -n 1)
  cp "$packages/torchsharp/$torchsharp/runtimes/linux-x64/native/libLibTorchSharp.so" "$so"
  expect_explained "unpatched" "$work/unpatched" "apt-get install -y patchelf gcc binutils"
  rm -rf "$work/unpatched"
fi

step "install the tool: dotnet tool install --tool-path T --add-source FEED VgtData.Tool"
(cd "$work" && quiet dotnet tool install --tool-path "$tools" --add-source "$feed" VgtData.Tool --version "$version")
if version_out=$("$tools/vgtdata" --version 2>/dev/null); then
  echo "  vgtdata --version: $version_out"
  [[ $version_out == "$version"* || $version_out == *" $version"* ]] || fail "vgtdata --version printed '$version_out', expected $version"
fi
step "vgtdata demo from the installed tool"
if ! output=$(cd "$work" && "$tools/vgtdata" demo --dir "$work/demo" --count 16 --batches 2 2>&1); then echo "$output" >&2; fail "vgtdata demo"; fi
echo "$output" | sed 's/^/  /'
[[ $(echo "$output" | grep -c '^batch .*pixel_values \[8, 3, 448, 448\]') == 2 ]] || fail "vgtdata demo did not print 2 batches of [8, 3, 448, 448]"
rm -rf "$packages/vgtdata/$version" "$packages/vgtdata.tool/$version"
step "ok"
