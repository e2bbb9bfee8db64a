"""The daemon from Python: launch, the partitioning scenario checked by
sfdisk/sgdisk, errno from the daemon, progress events during
debug("progress") and Ctrl-C (SIGINT) cancelling it."""

import errno
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import unittest

import guestfs

from helpers import UNDER_VALGRIND, run_script

#: Test-only: first progress event after 50 ms, then every 20 ms.
os.environ["GOGUESTFS_TEST_PROGRESS"] = "50,20"


def check_image(test, img, gpt, parts):
    """Run the real checkers on img and compare sfdisk --json with part_list."""
    p = subprocess.run(["sfdisk", "--verify", img], capture_output=True, text=True)
    test.assertEqual(p.returncode, 0, p.stdout + p.stderr)
    test.assertIn("No errors detected", p.stdout)
    if gpt:
        p = subprocess.run(["sgdisk", "-v", img], capture_output=True, text=True)
        test.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        test.assertIn("No problems found", p.stdout)
    table = json.loads(subprocess.run(["sfdisk", "--json", img], capture_output=True,
                                      text=True, check=True).stdout)["partitiontable"]
    got = {int(q["node"][len(img):]): (q["start"], q["size"]) for q in table["partitions"]}
    want = {q["part_num"]: (q["part_start"] // 512, q["part_size"] // 512) for q in parts}
    test.assertEqual(got, want)


class TestDaemon(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.img = os.path.join(self.dir, "disk.img")
        self.g = guestfs.GuestFS(python_return_dict=True)

    def tearDown(self):
        self.g.close()
        shutil.rmtree(self.dir)

    def test_partition_scenario(self):
        g = self.g
        events = []
        g.set_event_callback(lambda ev, eh, buf, a: events.append(guestfs.event_to_string(ev)),
                             guestfs.EVENT_LAUNCH_DONE | guestfs.EVENT_SUBPROCESS_QUIT | guestfs.EVENT_CLOSE)
        g.disk_create(self.img, "raw", 64 * 1024 * 1024)
        g.add_drive_opts(self.img, format="raw", readonly=False)
        g.launch()
        self.assertEqual(g.list_devices(), ["/dev/sda"])
        g.part_init("/dev/sda", "gpt")
        g.part_add("/dev/sda", "p", 2048, 40959)
        g.part_add("/dev/sda", "p", 40960, -34)
        g.part_set_name("/dev/sda", 1, "boot")
        g.part_set_bootable("/dev/sda", 1, True)
        self.assertEqual(g.part_get_name("/dev/sda", 1), "boot")
        self.assertIs(g.part_get_bootable("/dev/sda", 1), True)
        self.assertEqual(g.part_get_parttype("/dev/sda"), "gpt")
        self.assertEqual(g.list_partitions(), ["/dev/sda1", "/dev/sda2"])
        parts = g.part_list("/dev/sda")
        self.assertEqual([p["part_num"] for p in parts], [1, 2])
        self.assertEqual(g.blockdev_getsize64("/dev/sda1"), parts[0]["part_size"])
        g.shutdown()
        check_image(self, self.img, True, parts)
        g.close()
        self.assertEqual(events, ["launch_done", "subprocess_quit", "close"])

    def test_mbr_logical_partitions(self):
        g = self.g
        g.disk_create(self.img, "raw", 64 * 1024 * 1024)
        g.add_drive(self.img)
        g.launch()
        g.part_init("/dev/sda", "mbr")
        g.part_add("/dev/sda", "p", 2048, 20479)
        g.part_add("/dev/sda", "e", 20480, -1)
        g.part_add("/dev/sda", "l", 22528, 40959)
        g.part_add("/dev/sda", "l", 43008, 60000)
        g.part_set_mbr_id("/dev/sda", 1, 0x0c)
        self.assertEqual(g.part_get_mbr_id("/dev/sda", 1), 0x0c)
        self.assertEqual(g.part_get_parttype("/dev/sda"), "msdos")
        parts = g.part_list("/dev/sda")
        self.assertEqual([p["part_num"] for p in parts], [1, 2, 5, 6])
        g.close()
        check_image(self, self.img, False, parts)

    def test_errno_from_daemon(self):
        g = self.g
        g.add_drive_scratch(8 * 1024 * 1024)
        g.launch()
        g.part_disk("/dev/sda", "msdos")
        with self.assertRaises(RuntimeError) as cm:
            g.part_del("/dev/sda", 9)
        self.assertEqual(cm.exception.errno, errno.ENOENT)
        self.assertIn("part_del: /dev/sda", str(cm.exception))
        with self.assertRaises(RuntimeError) as cm:
            g.blockdev_getsize64("/dev/sdq")
        self.assertEqual(cm.exception.errno, errno.ENOENT)
        # Buffers both ways.
        self.assertEqual(g.pwrite_device("/dev/sda1", b"\x00abc\xff", 512), 5)
        self.assertEqual(g.pread_device("/dev/sda1", 5, 512), b"\x00abc\xff")

    def test_readonly_overlay(self):
        g = self.g
        with open(self.img, "wb") as f:
            f.truncate(4 * 1024 * 1024)
        g.add_drive_ro(self.img)
        g.launch()
        g.pwrite_device("/dev/sda", b"overlay", 0)
        self.assertEqual(g.pread_device("/dev/sda", 7, 0), b"overlay")
        g.close()
        with open(self.img, "rb") as f:
            self.assertEqual(f.read(7), b"\0" * 7)

    def test_add_drive_takes_optargs(self):
        # libguestfs scripts call add_drive with optional arguments.
        g = self.g
        with open(self.img, "wb") as f:
            f.truncate(4 * 1024 * 1024)
        g.add_drive(self.img, readonly=True, format="raw")
        g.launch()
        g.pwrite_device("/dev/sda", b"overlay", 0)
        g.close()
        with open(self.img, "rb") as f:
            self.assertEqual(f.read(7), b"\0" * 7)
        g2 = guestfs.GuestFS()
        with self.assertRaises(TypeError):
            g2.add_drive(self.img, no_such_option=1)
        g2.close()

    def test_progress_events(self):
        g = self.g
        g.launch()
        seen = []
        g.set_event_callback(lambda ev, eh, buf, array: seen.append(array), guestfs.EVENT_PROGRESS)
        self.assertEqual(g.debug("progress", ["1"]), "ok")
        self.assertTrue(seen)
        proc_nr, serial, position, total = seen[-1]
        self.assertEqual(position, total)
        self.assertTrue(all(0 <= a[2] <= a[3] for a in seen))

    def test_sigint_during_progress(self):
        """Ctrl-C during debug("progress"): the action is cancelled, the
        call raises KeyboardInterrupt, the handle stays usable."""
        g = self.g
        g.launch()
        seen = []

        def cb(ev, eh, buf, array):
            seen.append(array)
            if len(seen) == 1:
                # Python raises KeyboardInterrupt here, inside the callback:
                # the binding cancels the call and re-raises it afterwards.
                os.kill(os.getpid(), signal.SIGINT)
        g.set_event_callback(cb, guestfs.EVENT_PROGRESS)
        with self.assertRaises(KeyboardInterrupt):
            g.debug("progress", ["600"])
        self.assertTrue(seen)
        self.assertEqual(g.debug("echo", ["still", "usable"]), "still usable")

    def test_sigint_from_another_thread(self):
        """SIGINT arriving while the main thread waits inside the call (the
        terminal's Ctrl-C), not from a callback."""
        g = self.g
        g.launch()
        timer = threading.Timer(0.5 if not UNDER_VALGRIND else 3, os.kill, (os.getpid(), signal.SIGINT))
        timer.start()
        try:
            with self.assertRaises(KeyboardInterrupt):
                g.debug("progress", ["600"])
        finally:
            timer.cancel()
        self.assertEqual(g.list_devices(), [])

    def test_close_from_another_thread_stopped_daemon(self):
        """close() while a call runs on another thread and the daemon has
        stopped answering (SIGSTOP): the call is cancelled, the library
        kills the daemon once it stays idle, the call raises (EIO), close
        returns and the daemon is gone. A watchdog kills the daemon if
        close has not returned after a generous time, so a regression
        fails instead of hanging the suite."""
        g = self.g
        before = _daemons()
        g.launch()
        new = _daemons() - before
        self.assertEqual(len(new), 1)
        pid = new.pop()
        try:
            pidfd = os.pidfd_open(pid)  # signals never reach a reused pid
        except OSError as e:
            if e.errno != errno.ENOSYS:
                raise
            self.skipTest("no pidfd_open here (valgrind 3.19 does not know the call)")
        done = threading.Event()
        fired = []

        def watchdog():
            if not done.wait(HANG_GUARD):
                fired.append(True)
                _kill(pidfd)
        dog = threading.Thread(target=watchdog, daemon=True)
        try:
            started = threading.Event()
            g.set_event_callback(lambda *a: started.set(), guestfs.EVENT_PROGRESS)
            warnings = []
            g.set_event_callback(lambda ev, eh, buf, a: warnings.append(buf), guestfs.EVENT_WARNING)
            res = {}

            def worker():
                try:
                    res["r"] = g.debug("progress", ["60"])
                except Exception as e:  # what the test checks
                    res["r"] = e
            t = threading.Thread(target=worker, daemon=True)
            t.start()
            self.assertTrue(started.wait(HANG_GUARD), "no progress: the call is not in flight")
            _sigstop(pid)
            dog.start()
            g.close()
            done.set()
            self.assertFalse(fired, "close returned only once the watchdog killed the daemon")
            t.join(HANG_GUARD)
            self.assertFalse(t.is_alive(), "the call in flight did not return")
            self.assertIsInstance(res["r"], RuntimeError)
            self.assertEqual(res["r"].errno, errno.EIO, res["r"])
            self.assertIn("by the library", str(res["r"]))
            with self.assertRaises(ProcessLookupError):  # killed and reaped
                signal.pidfd_send_signal(pidfd, 0)
            self.assertEqual(len(warnings), 1, warnings)
            self.assertIn(b"close: the daemon (guestfsd, pid %d)" % pid, warnings[0])
            with self.assertRaises(guestfs.ClosedHandle):
                g.list_devices()
        finally:
            done.set()
            _kill(pidfd)
            os.close(pidfd)

    def test_close_in_fork_child_with_call_in_flight(self):
        """In a child made by fork() while another thread of the parent is
        in a call, close() of the inherited handle is a silent no-op: it
        does not wait for that call, whose thread does not exist in the
        child. The parent's call and close are unaffected."""
        code = """
            import os, signal, threading, guestfs
            os.environ["GOGUESTFS_TEST_PROGRESS"] = "50,20"
            g = guestfs.GuestFS()
            g.launch()
            started = threading.Event()
            g.set_event_callback(lambda *a: started.set(), guestfs.EVENT_PROGRESS)
            res = []
            t = threading.Thread(target=lambda: res.append(g.debug("progress", ["3"])), daemon=True)
            t.start()
            assert started.wait(90)
            pid = os.fork()
            if pid == 0:
                signal.alarm(60)    # a hang kills the child: "child -14"
                g.close()
                os._exit(0)
            _, status = os.waitpid(pid, 0)
            print("child", os.waitstatus_to_exitcode(status))
            t.join(90)
            print("parent", res)
            g.close()
        """
        p = run_script(code, timeout=HANG_GUARD)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, "child 0\nparent ['ok']\n")

    def test_daemon_death(self):
        g = self.g
        g.launch()
        pids = [int(p) for p in os.listdir("/proc") if p.isdigit()]
        mine = [p for p in pids if _ppid(p) == os.getpid() and _comm(p) == "guestfsd"]
        self.assertEqual(len(mine), 1)
        os.kill(mine[0], signal.SIGKILL)
        with self.assertRaises(RuntimeError) as cm:
            g.list_devices()
        self.assertEqual(cm.exception.errno, errno.EIO)
        self.assertIn("can only be closed", str(cm.exception))


#: How long a test waits for what must happen at all (far above the
#: library's 5 s bound, so a slow machine does not fail it).
HANG_GUARD = 90


def _daemons():
    """The pids of this process's guestfsd children."""
    pids = [int(p) for p in os.listdir("/proc") if p.isdigit()]
    return {p for p in pids if _ppid(p) == os.getpid() and _comm(p) == "guestfsd"}


def _sigstop(pid):
    """Stop pid and wait until every thread of it is stopped (kill returns
    before they all are)."""
    os.kill(pid, signal.SIGSTOP)
    for _ in range(HANG_GUARD * 200):
        states = []
        for task in os.listdir("/proc/%d/task" % pid):
            try:
                with open("/proc/%d/task/%s/stat" % (pid, task)) as f:
                    states.append(f.read().rsplit(")", 1)[1].split()[0])
            except OSError:
                states.append("?")
        if states and all(s in ("T", "t") for s in states):
            return
        threading.Event().wait(0.005)
    raise AssertionError("pid %d did not stop" % pid)


def _kill(pidfd):
    try:
        signal.pidfd_send_signal(pidfd, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _ppid(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except OSError:
        return -1


def _comm(pid):
    try:
        with open("/proc/%d/comm" % pid) as f:
            return f.read().strip()
    except OSError:
        return ""


if __name__ == "__main__":
    unittest.main()
