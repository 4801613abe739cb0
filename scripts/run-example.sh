#!/usr/bin/env bash
# Quick start, command 1: installs what is missing, builds sluice with the iris project and the
# hook plugins (release preset: the `sluice` target builds everything `cmake --install` copies),
# then
#   1. runs the iris pipeline on simulated slow storage (1 s per read and write) with the hooks
#      its configuration registers (examples/iris/conf/slow: node_timing and the tee);
#   2. compares the runner strategies on iris at 10 s per read and write (`sluice bench`).
# Extra arguments go to `sluice run`.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

bash scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release --target sluice
cd examples/iris
"$root/build/release/bin/sluice" run --env slow "$@"
echo
"$root/build/release/bin/sluice" bench --read-latency 10s
