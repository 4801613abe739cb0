#!/usr/bin/env python3
"""slowfs-measure.py MOUNTPOINT: times, through a `sluice slowfs` mount, writing 8 MiB of random
bytes (open with O_TRUNC, one write, close), reading them back (open, read until EOF, close)
and opening a file to read 1 byte; prints the median of 3 of each (README, "A real slow
filesystem")."""
import os
import statistics
import sys
import time

path = os.path.join(sys.argv[1], "slowfs-measure.bin")
data = os.urandom(8 << 20)


def write():
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.write(fd, data)
    os.close(fd)


def read():
    fd = os.open(path, os.O_RDONLY)
    got = b""
    while chunk := os.read(fd, 8 << 20):
        got += chunk
    os.close(fd)
    assert got == data, "the bytes read back differ"


def open_and_read_one_byte():
    fd = os.open(path, os.O_RDONLY)
    os.read(fd, 1)
    os.close(fd)


for name, step in [("write 8 MiB", write), ("read 8 MiB", read),
                   ("open + read 1 byte", open_and_read_one_byte)]:
    runs = []
    for _ in range(3):
        start = time.monotonic()
        step()
        runs.append(time.monotonic() - start)
    print(f"{name}: median {statistics.median(runs) * 1000:.0f} ms "
          f"of {[round(run * 1000) for run in runs]}")
os.remove(path)
