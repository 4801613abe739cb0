#!/usr/bin/env bash
# Quick start, command 1: installs what is missing, builds sluice, the iris project and its
# hook plugin (release preset), then runs the iris pipeline from its project folder with the
# hooks of examples/iris/conf/base/hooks.yml. Extra arguments go to `sluice run`.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

bash scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release --target sluice iris node_timing
cd examples/iris
exec "$root/build/release/bin/sluice" run "$@"
