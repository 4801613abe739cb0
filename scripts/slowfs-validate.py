#!/usr/bin/env python3
"""Issue 16's validation of the simulated storage against a real slow filesystem.

For each scenario and latency, runs every strategy of `sluice bench` twice at time scale 1: on
simulated storage (the SlowDataset decorator sleeps) and with --storage slowfs (real files on a
`sluice slowfs` FUSE mount charged the same latencies), and prints, per strategy, both medians and
their difference (slowfs / simulated - 1).

  scripts/slowfs-validate.py [--sluice build/release/bin/sluice] [--repeat 3]
      [--scenarios iris,chain:8,fanout:8] [--latencies 20ms,100ms,500ms] [--compute 0]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile


def bench(sluice, scenario, latency, compute, repeat, slowfs, cwd):
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as out:
        path = out.name
    command = [sluice, "bench", "--scenario", scenario, "--read-latency", latency,
               "--compute", compute, "--repeat", str(repeat), "--out", path]
    command += ["--storage", "slowfs"] if slowfs else ["--time-scale", "1"]
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"failed: {' '.join(command)}\n{done.stdout}{done.stderr}")
    with open(path) as f:
        results = json.load(f)
    os.unlink(path)
    return {r["strategy"]: r["wall_s"] for r in results}


def main():
    parser = argparse.ArgumentParser()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser.add_argument("--sluice", default=os.path.join(root, "build/release/bin/sluice"))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--scenarios", default="iris,chain:8,fanout:8")
    parser.add_argument("--latencies", default="20ms,100ms,500ms")
    parser.add_argument("--compute", default="0")
    args = parser.parse_args()
    cwd = os.path.join(root, "examples/iris")  # the iris scenario's project
    print("| scenario | latency | strategy | simulated (s) | slowfs (s) | difference |")
    print("|---|---|---|---|---|---|")
    worst = 0.0
    for scenario in args.scenarios.split(","):
        for latency in args.latencies.split(","):
            simulated = bench(args.sluice, scenario, latency, args.compute, args.repeat, False, cwd)
            real = bench(args.sluice, scenario, latency, args.compute, args.repeat, True, cwd)
            for strategy, wall in simulated.items():
                difference = real[strategy] / wall - 1
                worst = max(worst, abs(difference))
                print(f"| {scenario} | {latency} | {strategy} | {wall:.3f} | {real[strategy]:.3f} "
                      f"| {difference * 100:+.1f} % |", flush=True)
    print(f"\nlargest difference: {worst * 100:.1f} %")


if __name__ == "__main__":
    main()
