#!/usr/bin/env bash
# What sluice writes, read by Python without sluice: runs examples/spaceflights (in a scratch
# copy) with the sluice binary, then numpy and pandas (Debian's python3-numpy, python3-pandas)
# read its CSV, JSON, SQLite and .npy outputs and check them against each other: the model's
# coefficients (.npy) applied to the model input table (SQLite) must explain the prices.
#
#   python_reads_test.sh SLUICE_BINARY SPACEFLIGHTS_PROJECT
set -euo pipefail
sluice=$1
source=$2
# Debian's Python, which has Debian's numpy and pandas (another python3 may come first on PATH).
python=/usr/bin/python3
[[ -x $python ]] || python=python3
if ! "$python" -c 'import numpy, pandas' 2>/dev/null; then
  echo "python3-numpy or python3-pandas is missing; run scripts/setup.sh" >&2
  [[ -n "${CI:-}" ]] && exit 1
  exit 77  # skipped, loudly, outside CI
fi
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cp -r "$source/sluice.yml" "$source/conf" "$scratch/"
mkdir -p "$scratch/data" && cp -r "$source/data/01_raw" "$scratch/data/"
(cd "$scratch" && "$sluice" run -q)
cd "$scratch"
"$python" - <<'PY'
import glob, json, sqlite3
import numpy as np
import pandas as pd

companies = pd.read_csv("data/02_intermediate/preprocessed_companies.csv")
assert list(companies.columns) == ["id", "company_rating", "iata_approved", "total_fleet_count"], companies.columns
assert len(companies) == 40 and companies["company_rating"].isna().sum() == 3, companies
table = pd.read_sql_query("SELECT * FROM model_input_table",
                          sqlite3.connect("data/03_primary/spaceflights.sqlite"))
assert len(table) == 105, len(table)
assert table["engines"].dtype == np.int64 and table["price"].dtype == np.float64, table.dtypes
metrics = json.load(open("data/08_reporting/active_modelling/metrics.json"))
features = ["engines", "passenger_capacity", "crew", "d_check_complete", "moon_clearance_complete",
            "iata_approved", "company_rating", "review_scores_rating"]
(path,) = glob.glob("data/06_models/active_modelling/regressor.npy/*/regressor.npy")
weights = np.load(path)
assert weights.dtype == np.float64 and weights.shape == (len(features) + 1,), weights
predicted = weights[0] + table[features].to_numpy(dtype=float) @ weights[1:]
residual = ((table["price"] - predicted) ** 2).sum()
total = ((table["price"] - table["price"].mean()) ** 2).sum()
r2 = 1 - residual / total
assert r2 > 0.95 and metrics["r2_score"] > 0.95, (r2, metrics)
report = pd.read_json("data/08_reporting/capacity_report.json", typ="series")
assert report["shuttles"] == len(table), report
print(f"python read sluice's CSV, SQLite, JSON and .npy: R^2 {r2:.3f} over all rows, "
      f"{metrics['r2_score']:.3f} on the test rows")
PY
