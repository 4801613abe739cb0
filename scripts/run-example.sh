#!/usr/bin/env bash
# Quick start, command 1: installs what is missing, builds the iris example (release preset)
# and runs it from its project folder. Extra arguments go to the iris program.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

bash scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release --target iris
cd examples/iris
exec "$root/build/release/examples/iris/iris" "$@"
