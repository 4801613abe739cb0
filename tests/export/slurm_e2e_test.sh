#!/usr/bin/env bash
# `sluice export slurm` for real: starts a single-node Slurm cluster (scripts/slurm-cluster.sh),
# submits iris and the random DAG project (its intermediates on a shared folder through
# --intermediates), waits for every job (with a timeout), and compares each persisted file
# byte for byte with a sequential `sluice run` of the same project. The cluster is torn down
# on every exit; a cluster that does not start fails the test with its logs.
# Usage: slurm_e2e_test.sh <sluice> <iris project> <random project> <plugin dir>
set -euo pipefail
sluice="$1" iris="$2" random="$3" plugins="$4"
root="$(cd "$(dirname "$0")/../.." && pwd)"
scratch="$(mktemp -d)"
cluster="$scratch/cluster"
mkdir -p "$cluster"
trap '"$root/scripts/slurm-cluster.sh" stop "$cluster"; rm -rf "$scratch"' EXIT
trap 'exit 143' TERM INT  # killed by the time limit (run_bounded.sh): the EXIT trap still stops the cluster
export SLUICE_PLUGIN_PATH="$plugins"

chmod 755 "$scratch"  # munged runs as the munge user and must reach its folder
if ! environment="$("$root/scripts/slurm-cluster.sh" start "$cluster")"; then
  echo "FAIL: the Slurm cluster did not start (logs above)"
  exit 1
fi
eval "$environment"

# wait_jobs <job_ids file> <seconds>: until no job of the file is pending or running; then
# every one must have COMPLETED.
wait_jobs() {
  local ids deadline=$((SECONDS + $2)) states
  ids="$(cut -d' ' -f2 "$1" | paste -sd,)"
  [[ -n "$ids" ]] || { echo "FAIL: no job was submitted"; return 1; }
  while squeue -h -j "$ids" -o %T 2>/dev/null | grep -q .; do
    if ((SECONDS >= deadline)); then
      echo "FAIL: jobs $ids still queued after $2 s:"
      squeue -j "$ids"
      return 1
    fi
    sleep 0.2
  done
  states="$(for id in ${ids//,/ }; do scontrol -o show job "$id" | grep -o 'JobState=[A-Z_]*'; done)"
  if grep -qv 'JobState=COMPLETED' <<<"$states"; then
    echo "FAIL: not every job completed:"
    scontrol -o show job | grep -o 'JobName=[^ ]* .*JobState=[A-Z_]*' || true
    cat "$(dirname "$1")"/logs/* || true
    return 1
  fi
}

# compare <folder a> <folder b>: the same files, byte for byte.
compare() {
  local a="$1" b="$2" file count=0
  diff <(cd "$a" && find . -type f | sort) <(cd "$b" && find . -type f | sort)
  while read -r file; do
    cmp "$a/$file" "$b/$file"
    count=$((count + 1))
  done < <(cd "$a" && find . -type f | sort)
  ((count > 0)) || { echo "FAIL: no files in $a"; return 1; }
  echo "identical: $count files ($a, $b)"
}

# iris: every intermediate is persisted by the catalog, under data/.
cp -r "$iris" "$scratch/iris-slurm"
cp -r "$iris" "$scratch/iris-sequential"
(cd "$scratch/iris-slurm" && "$sluice" export slurm --out "$scratch/iris-jobs")
started=$SECONDS
bash "$scratch/iris-jobs/submit.sh"
wait_jobs "$scratch/iris-jobs/job_ids" 60
echo "iris: 3 jobs in 3 levels took $((SECONDS - started)) s on the cluster"
(cd "$scratch/iris-sequential" && "$sluice" run >/dev/null)
compare "$scratch/iris-sequential/data" "$scratch/iris-slurm/data"

# The random DAG: memory-only intermediates, on a shared folder through --intermediates.
cp -r "$random" "$scratch/random"
(cd "$scratch/random" && "$sluice" export slurm --group chains --intermediates "$scratch/shared-slurm" \
  --out "$scratch/random-jobs")
(cd "$scratch/random" && "$sluice" export slurm --group chains \
  --intermediates "$scratch/shared-sequential" --out "$scratch/random-sequential")
started=$SECONDS
bash "$scratch/random-jobs/submit.sh"
wait_jobs "$scratch/random-jobs/job_ids" 90
echo "random DAG: $(wc -l <"$scratch/random-jobs/job_ids") jobs took $((SECONDS - started)) s on the cluster"
(cd "$scratch/random" && "$sluice" run --catalog-overlay "$scratch/random-sequential/catalog_intermediates.yml" >/dev/null)
compare "$scratch/shared-sequential" "$scratch/shared-slurm"
echo "PASS"
