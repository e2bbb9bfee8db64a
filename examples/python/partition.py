#!/usr/bin/env python3
"""Partition a real disk image from Python: create a raw image, launch the
daemon on it, write a GPT with three named partitions, watch the progress
events of a long action, and shut down (which flushes the image). Run from
the source tree after `make`:

    ./run python3 examples/python/partition.py disk.img

Then check the result with `sfdisk --verify disk.img` and `sgdisk -v disk.img`.
"""

import sys

import guestfs


def on_event(event, event_handle, buf, array):
    if event == guestfs.EVENT_PROGRESS:
        proc_nr, serial, position, total = array
        print("  progress %3.0f%%" % (100.0 * position / max(total, 1)))
    else:
        print("  event: %s" % guestfs.event_to_string(event))


def main(image):
    g = guestfs.GuestFS(python_return_dict=True)
    g.set_event_callback(on_event, guestfs.EVENT_PROGRESS | guestfs.EVENT_LAUNCH_DONE |
                         guestfs.EVENT_SUBPROCESS_QUIT | guestfs.EVENT_CLOSE)
    g.disk_create(image, "raw", 128 * 1024 * 1024)
    g.add_drive_opts(image, format="raw")
    g.launch()
    print("devices:", g.list_devices())

    g.part_init("/dev/sda", "gpt")
    g.part_add("/dev/sda", "p", 2048, 206847)          # 100 MiB
    g.part_add("/dev/sda", "p", 206848, 239615)        # 16 MiB
    g.part_add("/dev/sda", "p", 239616, -34)           # the rest
    for n, name in ((1, "root"), (2, "swap"), (3, "data")):
        g.part_set_name("/dev/sda", n, name)
    g.part_set_gpt_type("/dev/sda", 2, "0657FD6D-A4AB-43C4-84E5-0933C84B4F4F")
    print("table:", g.part_get_parttype("/dev/sda"))
    for p in g.part_list("/dev/sda"):
        print("  /dev/sda%d  start %9d  size %9d  %s" % (
            p["part_num"], p["part_start"], p["part_size"], g.part_get_name("/dev/sda", p["part_num"])))

    try:
        g.part_del("/dev/sda", 9)
    except RuntimeError as e:
        print("error as expected: %s (errno %d)" % (e, e.errno))

    print("a long action with progress (Ctrl-C cancels it):")
    g.debug("progress", ["3"])
    g.shutdown()
    g.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "disk.img"))
