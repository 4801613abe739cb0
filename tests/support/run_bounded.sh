#!/usr/bin/env bash
# run_bounded.sh SECONDS COMMAND...: runs COMMAND (an mpirun, or a test script that starts
# processes) in a process group of its own, at most SECONDS long. When it ends, or when the time
# is up (then it says so, and the exit code is that of a killed process), every process left in its group is killed:
# a rank that outlived mpirun would otherwise keep ctest's output pipe open, and ctest would
# wait for it past any timeout. Used by tests/CMakeLists.txt for the MPI tests.
set -uo pipefail
limit="$1"
shift
setsid "$@" &
group=$!
setsid bash -c "sleep $limit; echo \"run_bounded.sh: still running after ${limit} s, killing it: $*\" >&2; kill -TERM -- -$group 2>/dev/null; sleep 10; kill -KILL -- -$group 2>/dev/null" &
watchdog=$!
disown "$watchdog"
wait "$group"
status=$?
kill -KILL -- -"$watchdog" 2>/dev/null
if kill -0 -- -"$group" 2>/dev/null; then
  echo "run_bounded.sh: processes of '$*' outlived it; killing them:" >&2
  ps -o pid,etime,args -g "$group" >&2 || true
  kill -KILL -- -"$group" 2>/dev/null
fi
exit "$status"
