#!/usr/bin/env python3
"""Filesystem benchmarks from Python (`make bench` runs this through ./run):
mkfs ext4 + mount of a 512 MiB partition, 200 write calls of 100 bytes,
and 2,000 touch calls plus one ls of that directory on ext4 and vfat.
Medians of repeated runs; measures, asserts nothing."""

import statistics
import sys
import time

import guestfs


def handle(size):
    g = guestfs.GuestFS()
    g.add_drive_scratch(size)
    g.launch()
    g.part_disk("/dev/sda", "gpt")
    return g


def mkfs_mount(runs):
    g = handle(520 << 20)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        g.mkfs("ext4", "/dev/sda1")
        g.mount("/dev/sda1", "/")
        times.append(time.perf_counter() - t0)
        g.umount("/")
    size = g.blockdev_getsize64("/dev/sda1")
    g.close()
    print("python: mkfs ext4 + mount, %d MiB partition: median %.1f ms, min %.1f ms (n=%d)"
          % (size >> 20, statistics.median(times) * 1e3, min(times) * 1e3, runs))


def writes(fstype, runs):
    g = handle(256 << 20)
    g.mkfs(fstype, "/dev/sda1")
    g.mount("/dev/sda1", "/")
    data = b"x" * 100
    per_call = []
    for r in range(runs):
        g.mkdir("/w%d" % r)
        for i in range(200):
            t0 = time.perf_counter()
            g.write("/w%d/f%d" % (r, i), data)
            per_call.append(time.perf_counter() - t0)
    g.close()
    print("python: write of 100 bytes (new file) on %s: median %.1f us per call (%d calls)"
          % (fstype, statistics.median(per_call) * 1e6, len(per_call)))


def touches(fstype, runs):
    g = handle(256 << 20)
    g.mkfs(fstype, "/dev/sda1")
    g.mount("/dev/sda1", "/")
    per_file, ls_times = [], []
    for r in range(runs):
        d = "/t%d" % r
        g.mkdir(d)
        t0 = time.perf_counter()
        for i in range(2000):
            g.touch("%s/file-%04d" % (d, i))
        per_file.append((time.perf_counter() - t0) / 2000)
        t0 = time.perf_counter()
        n = len(g.ls(d))
        ls_times.append(time.perf_counter() - t0)
        assert n == 2000
    g.close()
    print("python: 2000 touch + ls on %s: median %.1f us per touch, ls of 2000 names %.1f ms (n=%d)"
          % (fstype, statistics.median(per_file) * 1e6, statistics.median(ls_times) * 1e3, runs))


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    mkfs_mount(runs)
    for fstype in ("ext4", "vfat"):
        writes(fstype, max(runs // 2, 1))
        touches(fstype, max(runs // 3, 1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
