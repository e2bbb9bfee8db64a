#!/usr/bin/env python3
"""Benchmarks of the daemon from Python (`make bench` runs this through
./run): median time of handle create + add a 1 GiB scratch drive + launch,
and median round trip of a trivial daemon action. Measures; asserts
nothing."""

import statistics
import sys
import time

import guestfs


def launch_once():
    t0 = time.perf_counter()
    g = guestfs.GuestFS()
    g.add_drive_scratch(1 << 30)
    g.launch()
    t = time.perf_counter() - t0
    g.close()
    return t


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    launch_once()  # warm the page cache
    launches = [launch_once() for _ in range(n)]
    print("python: create + add 1 GiB scratch + launch: median %.2f ms, p90 %.2f ms (n=%d)"
          % (statistics.median(launches) * 1e3, statistics.quantiles(launches, n=10)[-1] * 1e3, n))

    g = guestfs.GuestFS()
    g.add_drive_scratch(1 << 30)
    g.launch()
    rounds = []
    for _ in range(20):
        k = 500
        t0 = time.perf_counter()
        for _ in range(k):
            g.blockdev_getss("/dev/sda")
        rounds.append((time.perf_counter() - t0) / k)
    single = []
    for _ in range(5000):
        t0 = time.perf_counter()
        g.blockdev_getss("/dev/sda")
        single.append(time.perf_counter() - t0)
    g.close()
    print("python: trivial daemon action (blockdev_getss) round trip: median %.1f us (per-call median of %d), "
          "batched mean median %.1f us" % (statistics.median(single) * 1e6, len(single),
                                            statistics.median(rounds) * 1e6))
    return 0


if __name__ == "__main__":
    sys.exit(main())
