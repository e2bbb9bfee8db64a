#!/usr/bin/env python3
"""Transfer benchmarks from Python (`make bench` runs this through ./run):
upload and download of a 256 MiB file of random data into ext4, against
`cp` of the same file on the same disk in the same run; how long
user_cancel takes to stop a stuck download; tar_out of a tree and
compress_out of a file. Medians of repeated runs; measures, asserts
nothing."""

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import guestfs

MIB = 1 << 20


def timed(fn, runs):
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    size = 256 * MIB
    d = tempfile.mkdtemp(dir=os.environ.get("BENCH_DIR", "/var/tmp"))
    try:
        src = os.path.join(d, "src")
        with open(src, "wb") as f:
            for _ in range(size // MIB):
                f.write(os.urandom(MIB))
        img = os.path.join(d, "disk.img")
        g = guestfs.GuestFS()
        g.disk_create(img, "raw", size + 256 * MIB)
        g.add_drive(img)
        g.launch()
        g.mkfs("ext4", "/dev/sda")
        g.mount("/dev/sda", "/")

        def cp():
            subprocess.run(["cp", src, os.path.join(d, "copy")], check=True)
            os.sync()

        def up():
            g.upload(src, "/f")
            g.sync()

        def down():
            g.download("/f", os.path.join(d, "out"))
            os.sync()

        t_cp = timed(cp, runs)
        t_up = timed(up, runs)
        t_down = timed(down, runs)
        mbs = lambda t: size / t / 1e6
        print("python: cp of 256 MiB on the same disk: median %.0f MB/s (n=%d)" % (mbs(t_cp), runs))
        print("python: upload of 256 MiB into ext4: median %.0f MB/s, %.0f%% of cp (n=%d)"
              % (mbs(t_up), 100 * t_cp / t_up, runs))
        print("python: download of 256 MiB from ext4: median %.0f MB/s, %.0f%% of cp (n=%d)"
              % (mbs(t_down), 100 * t_cp / t_down, runs))

        # user_cancel of a download into a pipe nobody reads.
        latencies = []
        for _ in range(5):
            r, w = os.pipe()
            stamp = []

            def cancel():
                stamp.append(time.perf_counter())
                g.user_cancel()
            timer = threading.Timer(0.3, cancel)
            timer.start()
            try:
                g.download("/f", "/dev/fd/%d" % w)
            except RuntimeError:
                latencies.append(time.perf_counter() - stamp[0])
            os.close(r)
            os.close(w)
        print("python: user_cancel to EINTR of a stuck download: median %.0f ms, max %.0f ms (n=%d)"
              % (statistics.median(latencies) * 1e3, max(latencies) * 1e3, len(latencies)))

        g.mkdir("/tree")
        for i in range(20):
            g.mkdir("/tree/d%d" % i)
            for j in range(50):
                g.write("/tree/d%d/f%d" % (i, j), b"line of text %d %d\n" % (i, j) * 100)
        t_tar = timed(lambda: g.tar_out("/tree", os.path.join(d, "tree.tar")), runs)
        print("python: tar_out of 1,000 files of 2 KiB: median %.0f ms (n=%d)" % (t_tar * 1e3, runs))
        t_gz = timed(lambda: g.compress_out("gzip", "/f", os.path.join(d, "f.gz")), runs)
        print("python: compress_out gzip of 256 MiB of random data: median %.0f MB/s (n=%d)"
              % (mbs(t_gz), runs))
        g.close()
    finally:
        shutil.rmtree(d)


if __name__ == "__main__":
    main()
