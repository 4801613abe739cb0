#!/usr/bin/env bash
# A single-node Slurm cluster on this machine, for the export tests: munged (as the munge user,
# with a private key and socket), slurmctld and slurmd (as root), a private slurm.conf on free
# loopback ports, no accounting, one node with 2 CPUs and 1 GiB, all state under one scratch folder.
#
#   scripts/slurm-cluster.sh start DIR   # starts it; prints `export SLURM_CONF=DIR/slurm.conf`
#   scripts/slurm-cluster.sh stop DIR    # stops what start started (by the pids it recorded)
#
# Needs root (SlurmUser=root) and the Debian packages slurmctld slurmd slurm-client munge
# (scripts/setup.sh). Every wait has a timeout; when start fails it prints the logs, stops
# what it started and exits 1.
set -euo pipefail

usage() {
  echo "usage: $0 start|stop DIR" >&2
  exit 2
}
(($# == 2)) || usage
action="$1"
dir="$2"

stop_cluster() {
  local pidfile pid
  for pidfile in "$dir/slurmd.pid" "$dir/slurmctld.pid" "$dir/munge/munged.pid"; do
    [[ -s "$pidfile" ]] || continue
    pid="$(cat "$pidfile")"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$pidfile"
  done
}

show_logs() {
  local log
  for log in "$dir/munge/munged.log" "$dir/slurmctld.log" "$dir/slurmd.log"; do
    [[ -f "$log" ]] && { echo "---- $log (last 30 lines)"; tail -30 "$log"; }
  done
  return 0
}

# wait_for <seconds> <what> <command...>: runs the command every 0.2 s until it succeeds.
wait_for() {
  local seconds="$1" what="$2"
  shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      echo "slurm-cluster: $what did not happen within ${seconds}s" >&2
      return 1
    fi
    sleep 0.2
  done
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start_cluster() {
  if [[ $(id -u) -ne 0 ]]; then
    echo "slurm-cluster: must run as root (the cluster runs with SlurmUser=root)" >&2
    return 1
  fi
  local tool
  for tool in munged slurmctld slurmd sbatch scontrol sinfo; do
    if ! command -v "$tool" >/dev/null 2>&1 && [[ ! -x "/usr/sbin/$tool" ]]; then
      echo "slurm-cluster: $tool is missing: run scripts/setup.sh (Debian slurmctld slurmd slurm-client munge)" >&2
      return 1
    fi
  done
  mkdir -p "$dir/munge" "$dir/state" "$dir/spool"
  chmod 755 "$dir"
  if ! runuser -u munge -- test -x "$dir"; then
    echo "slurm-cluster: the munge user cannot reach $dir: make the folders above it searchable (chmod o+x)" >&2
    return 1
  fi
  # munged refuses keys and folders others can write; the key is private to this cluster.
  chown munge:munge "$dir/munge"
  chmod 700 "$dir/munge"
  dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
  chown munge:munge "$dir/munge/munge.key"
  chmod 400 "$dir/munge/munge.key"
  runuser -u munge -- /usr/sbin/munged --force --socket="$dir/munge/munge.socket" \
    --key-file="$dir/munge/munge.key" --pid-file="$dir/munge/munged.pid" \
    --log-file="$dir/munge/munged.log" --seed-file="$dir/munge/munged.seed"
  wait_for 10 "munged's socket" test -S "$dir/munge/munge.socket"
  chmod 755 "$dir/munge"  # slurm connects to the socket as root; the key stays 0400

  local host
  host="$(hostname -s)"
  cat >"$dir/slurm.conf" <<CONF
ClusterName=sluice
SlurmctldHost=${host}(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$(free_port)
SlurmdPort=$(free_port)
AuthType=auth/munge
AuthInfo=socket=$dir/munge/munge.socket
CredType=cred/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
ReturnToService=2
MinJobAge=600
NodeName=${host} NodeAddr=127.0.0.1 CPUs=2 RealMemory=1024 State=UNKNOWN
PartitionName=debug Nodes=${host} Default=YES MaxTime=INFINITE State=UP
CONF
  export SLURM_CONF="$dir/slurm.conf"
  /usr/sbin/slurmctld -i
  wait_for 20 "slurmctld answering" scontrol ping
  /usr/sbin/slurmd -N "$host"
  wait_for 30 "node $host idle" bash -c "sinfo -h -n '$host' -o %T | grep -qx idle"
  echo "export SLURM_CONF=$dir/slurm.conf"
}

case "$action" in
  start)
    trap 'status=$?; if ((status != 0)); then show_logs >&2; stop_cluster; fi' EXIT
    start_cluster
    ;;
  stop) stop_cluster ;;
  *) usage ;;
esac
