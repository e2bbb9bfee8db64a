#!/usr/bin/env python3
"""Events with the goguestfs Python binding.

Registers a progress callback, a close callback and a trace callback, then
calls some actions. Run from the source tree after `make`:

    ./run python3 examples/python/events.py

Progress events come from long daemon actions (upload, fill, mkfs of large
devices...); until the daemon actions are used here, the script shows the
trace and close events and the internal test actions' return values.
"""

import sys

import guestfs


def on_progress(event, event_handle, buf, array):
    proc_nr, serial, position, total = array
    print("progress: %d/%d (%.0f%%)" % (position, total, 100.0 * position / max(total, 1)))


def on_close(event, event_handle, buf, array):
    print("handle closed (%s)" % guestfs.event_to_string(event))


def on_trace(event, event_handle, buf, array):
    print("trace: %s" % buf.decode("utf-8", "replace"))


def main():
    with guestfs.GuestFS(python_return_dict=True) as g:
        g.set_event_callback(on_progress, guestfs.EVENT_PROGRESS)
        g.set_event_callback(on_close, guestfs.EVENT_CLOSE)
        eh = g.set_event_callback(on_trace, guestfs.EVENT_TRACE)
        g.set_trace(True)

        v = g.version()
        print("library version %d.%d.%d (%s)" % (v["major"], v["minor"], v["release"], v["extra"]))
        print("string list:", g.internal_test_rstringlist("3"))
        print("hash table:", g.internal_test_rhashtable("2"))
        print("struct:", g.internal_test_rstruct("x")["pv_name"])

        g.set_trace(False)
        g.delete_event_callback(eh)
        try:
            g.internal_test_rinterr()
        except guestfs.Error as e:
            print("error as expected: %s (errno %d)" % (e, e.errno))
    # Leaving the with block closed the handle: on_close ran.
    return 0


if __name__ == "__main__":
    sys.exit(main())
