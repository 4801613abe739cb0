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
# The output is kept in build/<preset>/ctest.log too: .ci/run lists the tests that timed out
# (each gets a second try, CMakePresets.json) at the end of its log.
ctest --preset "$preset" -j "$(nproc)" 2>&1 | tee "build/$preset/ctest.log"
