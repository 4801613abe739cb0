#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz (the `fuzz` preset: clang, ASan + UBSan) and runs
# each for a bounded time on a fresh copy of its seed corpus, all at once. Fails if any target
# crashes, leaks, hangs or runs out of memory; prints how many inputs each one ran.
#
#   scripts/fuzz.sh            60 s per target
#   scripts/fuzz.sh 600        10 minutes per target
#
# Findings are written to build/fuzz/findings/<target>-crash-... (reproduce one with
# `build/fuzz/bin/<target> <file>`); each target's log is build/fuzz/findings/<target>.log.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
seconds=${1:-60}
targets=(fuzz_config_loader fuzz_csv_reader fuzz_binary_reader fuzz_trace_reader fuzz_bundle_reader)

bash scripts/setup.sh
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz

out=build/fuzz/findings
rm -rf "$out"
mkdir -p "$out"
pids=()
for target in "${targets[@]}"; do
  corpus=$out/corpus/$target
  mkdir -p "$corpus"
  cp tests/fuzz/corpus/"$target"/* "$corpus"/
  options=(-max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1
    -artifact_prefix="$out/$target-")
  if [[ -f tests/fuzz/$target.dict ]]; then
    options+=(-dict=tests/fuzz/$target.dict)
  fi
  build/fuzz/bin/"$target" "${options[@]}" "$corpus" >"$out/$target.log" 2>&1 &
  pids+=($!)
done

failed=0
for i in "${!targets[@]}"; do
  target=${targets[$i]}
  status=0
  wait "${pids[$i]}" || status=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/$target.log" | tail -1)
  if ((status == 0)); then
    echo "fuzz: $target ran ${runs:-?} inputs in ${seconds} s, no crash"
  else
    failed=1
    echo "fuzz: $target FAILED (exit $status) after ${runs:-?} inputs; log: $out/$target.log"
    grep -E '^(==[0-9]+== ?ERROR|SUMMARY|terminate called|  what\(\)|CSV round trip|bundle round trip)|runtime error|Test unit written' \
      "$out/$target.log" | head -20 || true
  fi
done
exit "$failed"
