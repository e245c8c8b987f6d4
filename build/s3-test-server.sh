#!/usr/bin/env bash
# The S3-compatible test server (s3rver, pinned in tests/s3server/package-lock.json), on 127.0.0.1 only.
#   build/s3-test-server.sh install                 node + npm (Debian packages) if missing, then npm ci when needed
#   build/s3-test-server.sh start DIR [PORT]        serves DIR's data; prints the port; stops by itself after 2 hours
#   build/s3-test-server.sh stop DIR                stops the server started for DIR (and its delay proxy)
#   build/s3-test-server.sh proxy DIR PORT DELAY_MS starts a loopback proxy adding DELAY_MS per request; prints its port
# The tests start their own server from the fixture; this script is for setup, benchmarks and manual runs.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
pkg="$root/tests/s3server"
lifetime=7200

free_port() { node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }

wait_port() { # PORT PID
  for _ in $(seq 1 300); do
    if node -e 'const c=require("net").connect(+process.argv[1],"127.0.0.1",()=>process.exit(0));c.on("error",()=>process.exit(1))' "$1"; then return 0; fi
    kill -0 "$2" 2>/dev/null || { echo "s3-test-server: process $2 exited at start" >&2; return 1; }
    sleep 0.1
  done
  echo "s3-test-server: nothing listening on 127.0.0.1:$1 after 30 s" >&2
  return 1
}

case "${1:-}" in
  install)
    if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
      sudo_cmd=(); [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
      echo "setup: installing nodejs npm"
      "${sudo_cmd[@]}" apt-get update -qq
      DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq nodejs npm >/dev/null
    fi
    # npm ci only when the installed tree is missing or older than the lock file.
    if [[ ! -f $pkg/node_modules/.package-lock.json || $pkg/package-lock.json -nt $pkg/node_modules/.package-lock.json ]]; then
      echo "setup: npm ci in tests/s3server"
      (cd "$pkg" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
    fi
    ;;
  start)
    dir=${2:?usage: start DIR [PORT]}; port=${3:-$(free_port)}
    mkdir -p "$dir/data"
    # s3rver's list continuation tokens use DES, which OpenSSL 3 keeps in its legacy provider.
    timeout "$lifetime" node --openssl-legacy-provider "$pkg/node_modules/s3rver/bin/s3rver.js" \
      -d "$dir/data" -a 127.0.0.1 -p "$port" --no-vhost-buckets -s >"$dir/s3rver.log" 2>&1 &
    echo $! >"$dir/s3rver.pid"
    wait_port "$port" "$!"
    echo "$port"
    ;;
  proxy)
    dir=${2:?usage: proxy DIR PORT DELAY_MS}; target=${3:?}; delay=${4:?}; port=$(free_port)
    node "$pkg/delay-proxy.js" "$port" "$target" "$delay" "$lifetime" >"$dir/proxy.log" 2>&1 &
    echo $! >"$dir/proxy.pid"
    wait_port "$port" "$!"
    echo "$port"
    ;;
  stop)
    dir=${2:?usage: stop DIR}
    for f in "$dir/proxy.pid" "$dir/s3rver.pid"; do
      [[ -f $f ]] || continue
      pid=$(cat "$f"); rm -f "$f"
      kill "$pid" 2>/dev/null || true
    done
    ;;
  *) sed -n '2,8p' "$0" >&2; exit 2 ;;
esac
