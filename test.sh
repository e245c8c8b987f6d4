#!/usr/bin/env bash
# Installs what the tests need (Debian 12 / Ubuntu), builds, and runs every test.
set -euo pipefail
cd "$(dirname "$0")"
./build/setup.sh
dotnet test VgtData.sln -c Release "$@"
