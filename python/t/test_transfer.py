"""Transfers from Python: upload and download round trips (by name and by
/dev/fd/N), progress events during a long download, and cancellation by
user_cancel from another thread and by SIGINT (Ctrl-C), each followed by a
working call and a clean e2fsck."""

import errno
import hashlib
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import unittest

import guestfs

from helpers import UNDER_VALGRIND

# The test-only fast progress rule, for every handle of the suite (as
# test_daemon.py sets it).
os.environ["GOGUESTFS_TEST_PROGRESS"] = "50,20"

SIZE = 8 << 20
DELAY = 3 if UNDER_VALGRIND else 0.3


class TestTransfer(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.img = os.path.join(self.dir, "disk.img")
        g = self.g = guestfs.GuestFS()
        g.disk_create(self.img, "raw", 64 << 20)
        g.add_drive(self.img)
        g.launch()
        g.mkfs("ext4", "/dev/sda")
        g.mount("/dev/sda", "/")
        self.data = os.urandom(SIZE)
        self.src = os.path.join(self.dir, "src")
        with open(self.src, "wb") as f:
            f.write(self.data)
        g.upload(self.src, "/f")

    def tearDown(self):
        self.g.close()
        shutil.rmtree(self.dir)

    def assert_consistent(self):
        """The handle works, the file is intact and e2fsck is clean."""
        g = self.g
        self.assertEqual(g.checksum("sha256", "/f"), hashlib.sha256(self.data).hexdigest())
        g.umount_all()
        r = subprocess.run(["e2fsck", "-fn", self.img], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        g.mount("/dev/sda", "/")

    def test_round_trip(self):
        g = self.g
        out = os.path.join(self.dir, "out")
        g.download("/f", out)
        with open(out, "rb") as f:
            self.assertEqual(f.read(), self.data)
        # Through a descriptor of our own, from its offset.
        with open(out, "wb") as f:
            f.write(b"head")
            f.flush()
            g.download_offset("/f", "/dev/fd/%d" % f.fileno(), 10, 5)
        with open(out, "rb") as f:
            self.assertEqual(f.read(), b"head" + self.data[10:15])
        g.upload_offset(out, "/f2", 3)
        self.assertEqual(g.read_file("/f2"), b"\0\0\0head" + self.data[10:15])
        with self.assertRaises(RuntimeError) as cm:
            g.upload(os.path.join(self.dir, "missing"), "/g")
        self.assertEqual(cm.exception.errno, errno.ENOENT)
        self.assertIn("missing", str(cm.exception))
        self.assert_consistent()

    def test_progress_events(self):
        g = self.g
        seen = []
        g.set_event_callback(lambda ev, eh, buf, array: seen.append(array), guestfs.EVENT_PROGRESS)
        r, w = os.pipe()

        def drain():
            while os.read(r, 1 << 20):
                time.sleep(0.02)
        t = threading.Thread(target=drain)
        t.start()
        g.download("/f", "/dev/fd/%d" % w)
        os.close(w)
        t.join()
        os.close(r)
        self.assertTrue(seen)
        positions = [a[2] for a in seen]
        self.assertEqual(positions, sorted(positions))
        self.assertTrue(all(a[3] == SIZE for a in seen))
        self.assertEqual(seen[-1][2], SIZE)

    def stuck_download(self):
        """A download into a pipe nobody reads: it runs until cancelled."""
        r, w = os.pipe()
        try:
            self.g.download("/f", "/dev/fd/%d" % w)
        finally:
            os.close(r)
            os.close(w)

    def test_user_cancel_from_thread(self):
        g = self.g
        timer = threading.Timer(DELAY, g.user_cancel)
        timer.start()
        try:
            with self.assertRaises(RuntimeError) as cm:
                self.stuck_download()
        finally:
            timer.cancel()
        self.assertEqual(cm.exception.errno, errno.EINTR)
        self.assert_consistent()

    def test_sigint(self):
        timer = threading.Timer(DELAY, os.kill, (os.getpid(), signal.SIGINT))
        timer.start()
        try:
            with self.assertRaises(KeyboardInterrupt):
                self.stuck_download()
        finally:
            timer.cancel()
        self.assert_consistent()

    def test_sigint_upload(self):
        """Ctrl-C during an upload from a pipe that stays empty."""
        r, w = os.pipe()
        os.write(w, b"x" * 4096)
        timer = threading.Timer(DELAY, os.kill, (os.getpid(), signal.SIGINT))
        timer.start()
        try:
            with self.assertRaises(KeyboardInterrupt):
                self.g.upload("/dev/fd/%d" % r, "/partial")
        finally:
            timer.cancel()
            os.close(r)
            os.close(w)
        self.assert_consistent()


if __name__ == "__main__":
    unittest.main()
