#!/usr/bin/env bash
# Object-storage throughput next to local disk, on the same images and seed: the VgtData loader reading a local folder,
# the same files from an s3rver bucket on 127.0.0.1, and the bucket behind a loopback proxy adding DELAY ms per request.
# Prints samples/s, the ratios to local disk and whether the batch checksums agree. Loopback only; the server and the
# proxy are stopped on exit (and stop by themselves after two hours).
# With more than one core the server and the proxy run on the last core and the loader (all three modes) on the others,
# as an object store runs on its own machines; --shared-cores lets them all share every core instead. Each run first
# loads --warmup untimed batches so that the timed ones see the JIT's optimised code.
# Usage: benchmarks/s3-bench.sh [--dir DIR] [--count N] [--batches N] [--warmup N] [--workers W] [--delay MS]
#                               [--rounds R] [--shared-cores] [--data DIR] [--tokenizer T]
# --data DIR: an existing dataset (DIR/data.json, images relative to DIR) instead of N generated images.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="${TMPDIR:-/tmp}/vgtdata-s3-bench"
count=128
batches=12
workers=$(nproc)
delay=20
rounds=2
data=""
tokenizer="embedded:o200k"
warmup=16
pin=1
while (($#)); do
  case "$1" in
    --dir) dir=$2; shift 2 ;;
    --count) count=$2; shift 2 ;;
    --batches) batches=$2; shift 2 ;;
    --workers) workers=$2; shift 2 ;;
    --delay) delay=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --data) data=$(cd "$2" && pwd); shift 2 ;;
    --tokenizer) tokenizer=$2; shift 2 ;;
    --shared-cores) pin=0; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

"$root/build/s3-test-server.sh" install
"$root/vgtdata" help >/dev/null   # builds once, outside the timings
if [[ -n $data ]]; then
  [[ -f $data/data.json ]] || { echo "s3-bench: $data/data.json not found" >&2; exit 2; }
else
data="$dir/data"
if [[ ! -f $data/data.json ]] || [[ $(node -e 'console.log(require(process.argv[1]).length)' "$data/data.json") != "$count" ]]; then
  rm -rf "$data"
  echo "== writing $count synthetic images to $data" >&2
  "$root/vgtdata" demo --dir "$data" --count "$count" --batches 1 --workers 1 >/dev/null 2>&1
fi
fi

cores=$(nproc)
server_cpu_set=""; loader=()
if ((pin && cores > 1)); then
  server_cpu_set=$((cores - 1))
  loader=(taskset -c "0-$((cores - 2))")
  echo "== server and proxy on core $server_cpu_set, loader on cores 0-$((cores - 2))" >&2
else
  echo "== server, proxy and loader share all $cores cores" >&2
fi
on_server_core() { if [[ -n $server_cpu_set ]]; then taskset -c "$server_cpu_set" "$@"; else "$@"; fi; }

server="$dir/server"
rm -rf "$server"; mkdir -p "$server"
trap '"$root/build/s3-test-server.sh" stop "$server"' EXIT
port=$(on_server_core "$root/build/s3-test-server.sh" start "$server")
node "$root/tests/s3server/upload.js" "$port" bench ds "$data" >&2
proxy=$(on_server_core "$root/build/s3-test-server.sh" proxy "$server" "$port" "$delay")

ini() { printf '[DEFAULT]\ndefault_cluster = bench\n\n[bench]\naccess_key = S3RVER\nsecret_key = S3RVER\nhost_base = http://127.0.0.1:%s\n' "$1"; }
ini "$port" >"$dir/direct.conf"
ini "$proxy" >"$dir/delayed.conf"
config() { # NAME DATASET_JSON
  cat >"$dir/$1.json" <<JSON
{ "image_size": 448, "seed": 1, "tokenizer": "$tokenizer",
  "dataset": $2,
  "train_dataloader": { "batch_size": 32, "num_workers": $workers, "prefetch_factor": 2,
                        "sampler": { "type": "InfiniteSampler", "shuffle": true } } }
JSON
}
config local "{ \"data_path\": \"$data/data.json\", \"image_folder\": \"$data\" }"
config s3 "{ \"data_path\": \"$data/data.json\", \"ceph_folder\": \"s3://bench/ds\", \"ceph_config\": \"$dir/direct.conf\" }"
config s3-delay "{ \"data_path\": \"$data/data.json\", \"ceph_folder\": \"s3://bench/ds\", \"ceph_config\": \"$dir/delayed.conf\" }"

results="$dir/results"; mkdir -p "$results"
# CPU seconds the server (node, the child of the `timeout` that the pid file names) has used: it shares the cores.
server_pid=$(cat "/proc/$(cat "$server/s3rver.pid")/task/$(cat "$server/s3rver.pid")/children" 2>/dev/null | awk '{print $1}')
server_cpu() { [[ -n $server_pid ]] && awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$server_pid/stat" || echo 0; }
for r in $(seq 1 "$rounds"); do
  for mode in local s3 s3-delay; do
    echo "== round $r: $mode ($workers workers, $batches batches)" >&2
    before=$(server_cpu)
    "${loader[@]}" "$root/vgtdata" bench "$dir/$mode.json" --batches "$batches" --warmup "$warmup" --json 2>"$results/$mode-$r.log" | tail -n 1 >"$results/$mode-$r.json"
    echo "$before $(server_cpu)" | awk '{printf "%.2f\n", $2 - $1}' >"$results/$mode-$r.server-cpu"
  done
done

node - "$results" "$rounds" "$delay" <<'JS'
const fs = require('fs');
const [dir, rounds, delay] = process.argv.slice(2);
const best = {}, sums = {};
for (const mode of ['local', 's3', 's3-delay']) {
  const runs = [...Array(+rounds).keys()].map(i => JSON.parse(fs.readFileSync(`${dir}/${mode}-${i + 1}.json`, 'utf8')));
  best[mode] = Math.max(...runs.map(r => r.samples_per_s));
  sums[mode] = [...new Set(runs.map(r => r.checksum))];
  const all = runs.map(r => r.samples_per_s.toFixed(1)).join(', ');
  const cpu = [...Array(+rounds).keys()].map(i => fs.readFileSync(`${dir}/${mode}-${i + 1}.server-cpu`, 'utf8').trim()).join(', ');
  console.log(`${mode.padEnd(9)} best ${best[mode].toFixed(1).padStart(7)} samples/s  (runs: ${all})  bad samples: ${runs.map(r => r.bad_samples).join(',')}  server cpu s: ${cpu}`);
}
console.log(`s3 / local        ${(100 * best.s3 / best.local).toFixed(0)}%`);
console.log(`s3+${delay}ms / local   ${(100 * best['s3-delay'] / best.local).toFixed(0)}%`);
const same = sums.local.length === 1 && sums.s3.length === 1 && sums['s3-delay'].length === 1
  && sums.local[0] === sums.s3[0] && sums.s3[0] === sums['s3-delay'][0];
console.log(`checksums ${same ? 'equal' : 'DIFFER'}: ${[...new Set([...sums.local, ...sums.s3, ...sums['s3-delay']])].join(' ')}`);
JS
