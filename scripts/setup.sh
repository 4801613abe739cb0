#!/usr/bin/env bash
# Installs the Debian packages sluice builds with, the single-node Slurm cluster of the export
# tests (scripts/slurm-cluster.sh), the S3 test server (s3rver, pinned in
# storage/s3/testing/package-lock.json) and the Argo schema the export tests check against
# (tests/export/argo/package-lock.json). Idempotent: installs only what is missing.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

packages=(
  build-essential cmake ninja-build pkg-config clang-format
  libboost-dev libyaml-cpp-dev libfmt-dev libspdlog-dev libcli11-dev
  nlohmann-json3-dev
  libhiredis-dev redis-server
  libsqlite3-dev libpq-dev postgresql
  python3-numpy python3-pandas help2man
  libgtest-dev libgmock-dev libbenchmark-dev gnuplot-nox
  clang libclang-rt-14-dev
  libcurl4-openssl-dev libssl-dev
  slurmctld slurmd slurm-client munge
  libopenmpi-dev openmpi-bin
  libfuse3-dev fuse3
)

missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

# Node and npm run s3rver for the S3 tests; a machine with Node from elsewhere keeps it.
if ! command -v npm >/dev/null 2>&1; then
  missing+=(nodejs npm)
fi

if ((${#missing[@]} > 0)); then
  echo "setup: installing ${missing[*]}"
  sudo=""
  if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq -o DPkg::Lock::Timeout=600
  $sudo apt-get install -y -qq -o DPkg::Lock::Timeout=600 --no-install-recommends "${missing[@]}"
fi

# s3rver, exactly the version the lock file pins.
if [[ ! -d "$root/storage/s3/testing/node_modules/s3rver" ]]; then
  echo "setup: installing s3rver (npm ci --prefix storage/s3/testing)"
  npm ci --prefix "$root/storage/s3/testing" --no-audit --no-fund
fi

# The Argo Workflow schema and js-yaml, exactly the versions the lock file pins.
if [[ ! -d "$root/tests/export/argo/node_modules/@kubernetes-models/argo-workflows" ]]; then
  echo "setup: installing the Argo schema (npm ci --prefix tests/export/argo)"
  npm ci --prefix "$root/tests/export/argo" --no-audit --no-fund
fi
