#!/usr/bin/env bash
# GPU check for machines with an NVIDIA GPU but no .NET SDK and no TorchSharp-cuda package.
# Two halves:
#   benchmarks/gpu-check.sh pack      (here, with the SDK) -> out/gpu-check.tar.gz: a self-contained vgtdata without
#                                     libtorch (~35 MB), to carry to the GPU machine
#   benchmarks/gpu-check.sh run       (there) -> loads a Python install's CUDA libtorch under TorchSharp's bindings,
#                                     runs `demo` and `bench` with device cuda, prints what it measured or exactly what failed
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mode=${1:-}

if [[ $mode == pack ]]; then
  set -e
  out="$root/out/gpu-check"
  rm -rf "$out" && mkdir -p "$out"
  "$root/build/setup.sh"
  dotnet publish "$root/src/VgtData.Cli/VgtData.Cli.csproj" -c Release -r linux-x64 --self-contained -o "$out/cli" -v q
  # libtorch comes from the GPU machine's PyTorch; keep only TorchSharp's binding library (and our libstdc++ shim).
  find "$out/cli" -name '*.so*' ! -name 'libLibTorchSharp.so' ! -name 'libvgtdata_glibcxx_compat.so.6' \
       \( -name 'libtorch*' -o -name 'libc10*' -o -name 'libgomp*' -o -name 'libshm*' -o -name 'libbackend_with_compiler*' \
          -o -name 'libjitbackend_test*' -o -name 'libnnapi_backend*' -o -name 'libaoti_custom_ops*' \) -delete
  tar -C "$root/out" -czf "$root/out/gpu-check.tar.gz" gpu-check
  du -h "$root/out/gpu-check.tar.gz"
  exit 0
fi
[[ $mode == run ]] || { echo "usage: $0 pack|run" >&2; exit 2; }

report() { echo "gpu-check: $*"; }
cli="$root/out/gpu-check/cli/VgtData.Cli"
if [[ ! -x $cli ]]; then
  [[ -f $root/out/gpu-check.tar.gz ]] && tar -C "$root/out" -xzf "$root/out/gpu-check.tar.gz"
fi
[[ -x $cli ]] || { report "FAILED: no packed CLI (run '$0 pack' on a machine with the .NET SDK and carry out/gpu-check.tar.gz)"; exit 1; }
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>&1 | sed 's/^/gpu-check: gpu: /'
py=$(command -v python3 || true)
torch_lib=$($py -c 'import torch, os; print(os.path.join(os.path.dirname(torch.__file__), "lib"))' 2>/dev/null)
[[ -d $torch_lib ]] || { report "FAILED: no PyTorch found (python3 -c 'import torch' failed)"; exit 1; }
report "torch $($py -c 'import torch; print(torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available())')"
report "TorchSharp 0.107 was built against libtorch 2.10; this libtorch may differ"
# LD_LIBRARY_PATH is searched before the binding's RUNPATH, so the Python install's libtorch (with CUDA) is the one loaded.
export LD_LIBRARY_PATH="$torch_lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export DOTNET_gcServer=0
work=$(mktemp -d)
if ! "$cli" demo --dir "$work/demo" --count 96 --batches 4 --set train_dataloader.device=cuda 2>&1 | sed 's/^/gpu-check: demo: /'; then
  report "FAILED: demo with device cuda (above: the exact error)"
fi
for dtype in float32 bfloat16; do
  "$cli" bench "$work/demo/demo-config.json" --batches 12 --json --set train_dataloader.device=cuda \
     --set train_dataloader.dtype=$dtype --set train_dataloader.batch_size=32 2>"$work/bench-$dtype.log" | tail -n 1 | sed "s/^/gpu-check: bench cuda $dtype: /" \
    || { report "FAILED: bench cuda $dtype"; tail -n 20 "$work/bench-$dtype.log"; }
done
"$cli" bench "$work/demo/demo-config.json" --batches 12 --json --set train_dataloader.batch_size=32 2>/dev/null | tail -n 1 | sed 's/^/gpu-check: bench cpu float32: /'
report "done (same seed: the cuda float32 checksum must equal the cpu one)"
