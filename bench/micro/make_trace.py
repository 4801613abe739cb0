#!/usr/bin/env python3
"""Writes a synthetic trace as the timeline hook writes it, to measure `sluice timeline`:

    python3 bench/micro/make_trace.py 100000 > /tmp/trace.json
    /usr/bin/time -v build/release/bin/sluice timeline /tmp/trace.json

N spans of nodes, loads, saves and background writes on 4 threads, with the arguments the hook
writes (the same trace as bench/micro/timeline_bench.cpp builds in memory).
"""
import json
import sys


def main():
    spans = int(sys.argv[1]) if len(sys.argv) > 1 else 100000
    categories = ["node", "load", "save", "tee"]
    out = sys.stdout
    out.write('{"displayTimeUnit": "ms",\n "otherData": {"run_id": "bench", "pipeline": '
              '"__default__"},\n "traceEvents": [\n')
    out.write('  {"name": "process_name", "ph": "M", "pid": 1, "args": {"name": "sluice run"}}')
    for thread in range(1, 5):
        out.write(',\n  {"name": "thread_name", "ph": "M", "pid": 1, "tid": %d, '
                  '"args": {"name": "thread %d"}}' % (thread, thread))
    for i in range(spans):
        dataset = "dataset_%d" % (i % 1000)
        event = {"name": "%s %s" % (categories[i % 4], dataset), "cat": categories[i % 4],
                 "ph": "X", "ts": i * 10.125, "dur": 9.5, "pid": 1, "tid": 1 + i % 4,
                 "args": {"dataset": dataset, "node": "node_%d" % (i % 500),
                          "bytes": str(i * 64)}}
        out.write(",\n  " + json.dumps(event))
    out.write("\n]}\n")


if __name__ == "__main__":
    main()
