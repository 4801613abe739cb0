#!/usr/bin/env bash
# `sluice export argo` on iris, the random DAG project and filtered pipelines, each Workflow
# checked by argo/check_workflow.mjs against the Argo schema (@kubernetes-models/argo-workflows,
# pinned in argo/package-lock.json, installed by scripts/setup.sh). A Workflow with an unknown
# key must be refused too, so the check is known to bite.
# Usage: argo_schema_test.sh <sluice> <iris project> <random project> <plugin dir> <node>
set -euo pipefail
sluice="$1" iris="$2" random="$3" plugins="$4" node="$5"
here="$(cd "$(dirname "$0")" && pwd)"
if [[ ! -d "$here/argo/node_modules/@kubernetes-models/argo-workflows" ]]; then
  echo "FAIL: $here/argo/node_modules is missing: run scripts/setup.sh (npm ci --prefix tests/export/argo)"
  exit 1
fi
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
cp -r "$iris" "$scratch/iris"
cp -r "$random" "$scratch/random"
export SLUICE_PLUGIN_PATH="$plugins"
(cd "$scratch/iris" && "$sluice" export argo --image reg/iris:1 --namespace ml >"$scratch/iris.yaml")
(cd "$scratch/iris" && "$sluice" export argo --image reg/iris:1 --to-nodes make_predictions \
  --group chains --params random_state=4 --out "$scratch/iris-filtered.yaml")
(cd "$scratch/random" && "$sluice" export argo --image reg/random:1 --intermediates s3://runs/random \
  --pass-env SLUICE_PLUGIN_PATH --out "$scratch/random.yaml")
(cd "$scratch/random" && "$sluice" export argo --image reg/random:1 --group chains \
  --intermediates redis://redis:6379/0 --from-nodes node3 --out "$scratch/random-filtered.yaml")
"$node" "$here/argo/check_workflow.mjs" "$scratch"/{iris,iris-filtered,random,random-filtered}.yaml
grep -q 'make-predictions' "$scratch/iris-filtered.yaml"
if grep -q 'report-accuracy' "$scratch/iris-filtered.yaml"; then
  echo "FAIL: --to-nodes make_predictions exported report_accuracy"
  exit 1
fi
sed 's/workingDir:/workDir:/' "$scratch/iris.yaml" >"$scratch/unknown-key.yaml"
if "$node" "$here/argo/check_workflow.mjs" "$scratch/unknown-key.yaml" >"$scratch/refused.txt"; then
  echo "FAIL: a Workflow with the unknown key container.workDir passed the check"
  exit 1
fi
grep -q 'container.workDir: not a property of v1/Container.d.ts' "$scratch/refused.txt"
echo "PASS"
