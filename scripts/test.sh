#!/usr/bin/env bash
# Quick start, command 2: installs what is missing, builds everything and runs the tests.
#
#   scripts/test.sh            the dev preset (Debug)
#   scripts/test.sh asan       AddressSanitizer + UndefinedBehaviorSanitizer
#   scripts/test.sh tsan       ThreadSanitizer
#
# Warnings are errors when SLUICE_WERROR=ON (CI sets it).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
preset=${1:-dev}

bash scripts/setup.sh
cmake --preset "$preset"
cmake --build --preset "$preset"
ctest --preset "$preset" -j "$(nproc)"
