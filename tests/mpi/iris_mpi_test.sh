#!/usr/bin/env bash
# The iris example under `mpirun -np 3 sluice run --runner mpi` (tests/CMakeLists.txt runs it):
# the persisted files are byte-identical to a sequential run's, also with the tee and --async;
# a failing node ends the run on every rank with its error and a non-zero exit, within a
# timeout; --runner mpi without mpirun says what to do; and only --runner mpi loads libmpi (its
# plugin is loaded on demand).
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
