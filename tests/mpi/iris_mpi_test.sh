#!/usr/bin/env bash
# The iris example under `mpirun -np 3 sluice run --runner mpi` (tests/CMakeLists.txt runs it):
# the persisted files are byte-identical to a sequential run's, also with the tee and --async;
# a failing node ends the run on every rank with its error and a non-zero exit, within a
# timeout; the observability hooks give one trace with a process per rank, a memory report per
# rank with the peak over ranks, and one post-mortem bundle; --runner mpi without mpirun says
# what to do; and only --runner mpi loads libmpi (its plugin is loaded on demand).
# Usage: iris_mpi_test.sh <sluice> <mpiexec> <source dir>   (MPI options in SLUICE_MPI_FLAGS)
set -euo pipefail
sluice="$1" mpiexec="$2" source="$3"
read -r -a mpi_flags <<<"${SLUICE_MPI_FLAGS:---oversubscribe --mca btl self,vader}"
[[ -n "${TSAN_OPTIONS:-}" ]] && mpi_flags+=(-x TSAN_OPTIONS)  # the sanitizer presets' options
[[ -n "${ASAN_OPTIONS:-}" ]] && mpi_flags+=(-x ASAN_OPTIONS)
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fail() {
  echo "FAILED: $1" >&2
  [[ -f "${2:-}" ]] && cat "$2" >&2
  exit 1
}
project() {  # a fresh copy of the iris project: its configuration and raw data only
  mkdir -p "$work/$1/data"
  cp -r "$source/examples/iris/sluice.yml" "$source/examples/iris/conf" "$work/$1/"
  cp -r "$source/examples/iris/data/01_raw" "$work/$1/data/"
}

project sequential
project mpi
(cd "$work/sequential" && LD_DEBUG=libs timeout 60 "$sluice" run --runner sequential) \
  >"$work/sequential.log" 2>&1 || fail "the sequential run" "$work/sequential.log"
grep -q "libmpi\.so" "$work/sequential.log" && fail "a sequential run loads libmpi" "$work/sequential.log"
(cd "$work/mpi" && timeout 120 "$mpiexec" -np 3 "${mpi_flags[@]}" "$sluice" run --runner mpi) \
  >"$work/mpi.log" 2>&1 || fail "the mpi run" "$work/mpi.log"
grep -q "Model has an accuracy of 0.933 on test data" "$work/mpi.log" ||
  fail "the mpi run does not report the accuracy" "$work/mpi.log"
diff -r "$work/sequential/data" "$work/mpi/data" >"$work/diff.log" 2>&1 ||
  fail "the mpi run's files differ from the sequential run's" "$work/diff.log"
[[ -f "$work/mpi/data/07_model_output/y_pred.bin" ]] || fail "no y_pred.bin" "$work/mpi.log"

# The tee (background writes on the producing rank) with async_io: the same files.
project tee
(cd "$work/tee" && timeout 120 "$mpiexec" -np 3 "${mpi_flags[@]}" "$sluice" run --runner mpi \
  --hooks tee --async) >"$work/tee.log" 2>&1 || fail "the mpi run with the tee" "$work/tee.log"
grep -q "in the background" "$work/tee.log" || fail "the tee did not persist" "$work/tee.log"
diff -r "$work/sequential/data" "$work/tee/data" >"$work/diff.log" 2>&1 ||
  fail "the mpi run with the tee wrote other files than the sequential run" "$work/diff.log"

# A failing node: every rank reports it, the job ends (timeout: no hang) with a non-zero code.
project failing
if (cd "$work/failing" && timeout 120 "$mpiexec" -np 3 "${mpi_flags[@]}" "$sluice" run \
  --runner mpi --params train_fraction=2) >"$work/failing.log" 2>&1; then
  fail "the failing run succeeded" "$work/failing.log"
fi
[[ "$(grep -c "train_fraction must be between 0 and 1, got 2" "$work/failing.log")" -ge 3 ]] ||
  fail "not every rank reports the failing node" "$work/failing.log"
grep -q "timeout" "$work/failing.log" && fail "the failing run timed out" "$work/failing.log"

# The observability hooks: one trace (written by rank 0 only) with a process per rank, the
# worker ranks holding every node, and the tee's writes on the ranks that made them even though
# the timeline is listed before the tee (it waits for its rank's pending writes); a memory
# report per rank and the peak over ranks; on failure, one bundle with the failing node.
project observed
cat >"$work/observed/conf/local/hooks.yml" <<'YAML'
plugins: [timeline, tee, memory_profiler, debug_catalog]
hooks:
  - name: timeline
  - name: tee
  - name: memory_profiler
    options: {json: memory.json}
  - name: debug_catalog
YAML
(cd "$work/observed" && timeout 120 "$mpiexec" -np 3 "${mpi_flags[@]}" "$sluice" run \
  --runner mpi) >"$work/observed.log" 2>&1 || fail "the mpi run with observability hooks" "$work/observed.log"
trace="$work/observed/timeline.json"
[[ -f "$trace" ]] || fail "no timeline.json" "$work/observed.log"
[[ "$(grep -c "Timeline of .* spans of 3 ranks written" "$work/observed.log")" -eq 1 ]] ||
  fail "not exactly one rank wrote the timeline of 3 ranks" "$work/observed.log"
for rank in 0 1 2; do
  grep -q "\"name\": \"process_name\", \"ph\": \"M\", \"pid\": $rank, \"args\": {\"name\": \"rank $rank\"}" "$trace" ||
    fail "the trace has no process for rank $rank" "$trace"
done
for node in split make_predictions report_accuracy; do
  grep -qE "\"name\": \"$node\", \"cat\": \"node\", .*\"pid\": [12]," "$trace" ||
    fail "node $node is not on the track of rank 1 or 2" "$trace"
done
for rank in 1 2; do
  grep -qE "\"cat\": \"node\", .*\"pid\": $rank," "$trace" || fail "rank $rank ran no node" "$trace"
done
grep -qE "\"cat\": \"tee\", .*\"pid\": [12]," "$trace" ||
  fail "the tee's background writes are not on a worker rank's track" "$trace"
timeout 60 "$sluice" timeline "$trace" >"$work/summary.log" 2>&1 || fail "sluice timeline" "$work/summary.log"
grep -q "of 3 processes" "$work/summary.log" || fail "sluice timeline does not see 3 ranks" "$work/summary.log"
grep -q "rank 1 runner" "$work/summary.log" || fail "sluice timeline has no track of rank 1" "$work/summary.log"
# The trace of several ranks predicts every strategy, calibrated on the traced run itself.
(cd "$work/observed" && timeout 60 "$sluice" bench --scenario project --from-trace timeline.json \
  --strategies sequential,tee,mpi,mpi+tee --workers 2) >"$work/predicted.log" 2>&1 ||
  fail "sluice bench --from-trace of the mpi trace" "$work/predicted.log"
grep -q "traced run: runner mpi with 2 ranks running nodes, the tee;" "$work/predicted.log" ||
  fail "the prediction does not read the mpi trace's runner, ranks and tee" "$work/predicted.log"
grep -q "^calibration: the traced run's own strategy is predicted at" "$work/predicted.log" ||
  fail "the prediction from the mpi trace is not calibrated on it" "$work/predicted.log"
for rank in 1 2; do
  grep -q "Memory profile of rank $rank " "$work/observed.log" ||
    fail "no memory table of rank $rank" "$work/observed.log"
done
grep -qE "Peak over 3 ranks: .* held on rank [12], after node '[a-z_]+'; RSS peak .* on rank [12]" \
  "$work/observed.log" || fail "no peak over ranks" "$work/observed.log"
memory="$work/observed/memory.json"
grep -qE '"peak": \{"held_bytes": [0-9]+, "node": "[a-z_]+", "rank": [12], "rss": [0-9]+' "$memory" ||
  fail "memory.json has no peak over ranks" "$memory"
for rank in 1 2; do
  grep -qE "\{\"rank\": $rank, \"node\": \"[a-z_]+\"" "$memory" || fail "memory.json has no row of rank $rank" "$memory"
done
[[ "$(grep -c '^  {"rank": [012], "nodes": ' "$memory")" -eq 3 ]] ||
  fail "memory.json does not report each of the 3 ranks" "$memory"
[[ ! -e "$work/observed/postmortem" ]] || fail "a bundle for a run that succeeded" "$work/observed.log"

project observed_failing
if (cd "$work/observed_failing" && timeout 120 "$mpiexec" -np 3 "${mpi_flags[@]}" "$sluice" run \
  --runner mpi --params train_fraction=2 --hooks timeline,memory_profiler,debug_catalog) \
  >"$work/observed_failing.log" 2>&1; then
  fail "the failing run with observability hooks succeeded" "$work/observed_failing.log"
fi
bundles=("$work/observed_failing/postmortem"/*)
[[ "${#bundles[@]}" -eq 1 && -f "${bundles[0]}/state.json" ]] ||
  fail "not one bundle for the failing run" "$work/observed_failing.log"
grep -qE '"failure": \{"node": "split", "phase": "running", .*"rank": [12]\}' "${bundles[0]}/state.json" ||
  fail "the bundle does not name the failing node and its rank" "${bundles[0]}/state.json"
[[ -f "${bundles[0]}/inputs/0.bin" ]] || fail "the failing node's inputs are not in the bundle" "${bundles[0]}/state.json"
(cd "$work/observed_failing" && timeout 60 "$sluice" inspect "${bundles[0]}") >"$work/inspect.log" 2>&1 ||
  fail "sluice inspect of the bundle" "$work/inspect.log"
grep -qE "failed in node 'split' on rank [12] while running" "$work/inspect.log" ||
  fail "sluice inspect does not show the failing node's rank" "$work/inspect.log"
grep -qE '"name": "split", "cat": "node", .*"pid": [12],' "$work/observed_failing/timeline.json" ||
  fail "the failing run's trace has no failing node on a worker rank" "$work/observed_failing.log"

# Without mpirun: a clear error, no run.
if (cd "$work/failing" && LD_DEBUG=libs timeout 60 "$sluice" run --runner mpi) >"$work/alone.log" 2>&1; then
  fail "--runner mpi without mpirun succeeded" "$work/alone.log"
fi
grep -q "the only rank of its MPI job.*mpirun -np 3 sluice run --runner mpi" "$work/alone.log" ||
  fail "--runner mpi without mpirun does not say to use mpirun" "$work/alone.log"
grep -q "libmpi\.so" "$work/alone.log" || fail "--runner mpi does not load libmpi" "$work/alone.log"
# --max-workers does not apply to the mpi runner: said before anything runs.
if (cd "$work/failing" && timeout 120 "$mpiexec" -np 2 "${mpi_flags[@]}" "$sluice" run \
  --runner mpi --max-workers 2) >"$work/workers.log" 2>&1; then
  fail "--runner mpi --max-workers 2 succeeded" "$work/workers.log"
fi
grep -q "runner 'mpi': --max-workers does not apply" "$work/workers.log" ||
  fail "--max-workers with the mpi runner is not refused clearly" "$work/workers.log"
echo "iris under mpirun: same files as sequential; failure and misuse reported"
