"""add_drive refuses a file that launch could not open, in add_drive itself,
as libguestfs does: a missing file raises RuntimeError with errno ENOENT and
the message "FILE: No such file or directory"; a directory EISDIR; a file
that cannot be read, or written for a read-write drive, EACCES."""

import contextlib
import ctypes
import errno
import os
import shutil
import tempfile
import unittest

import guestfs

MISSING = "/nonexistent/dir/disk.img"

_libc = ctypes.CDLL(None, use_errno=True)
_SYS_SETRESUID, _SYS_SETRESGID = 117, 119  # x86_64
_KEEP = ctypes.c_long(-1)


def _set_thread_ids(uid, gid):
    """Set the effective ids of the calling thread only (raw system calls:
    os.setresuid changes every thread)."""
    calls = [(_SYS_SETRESGID, gid), (_SYS_SETRESUID, uid)]
    if uid == 0:
        calls.reverse()
    for nr, v in calls:
        if _libc.syscall(ctypes.c_long(nr), _KEEP, ctypes.c_long(v), _KEEP) != 0:
            raise OSError(ctypes.get_errno(), "setres[ug]id")


@contextlib.contextmanager
def as_nobody():
    """Run the body with this thread's effective ids set to nobody when run
    as root (the library checks access on the calling thread), so that the
    permission checks apply; without root, as is."""
    if os.geteuid() != 0:
        yield
        return
    _set_thread_ids(65534, 65534)
    try:
        yield
    finally:
        _set_thread_ids(0, 0)


class TestAddDrive(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        os.chmod(self.dir, 0o755)
        self.g = guestfs.GuestFS()

    def tearDown(self):
        self.g.close()
        shutil.rmtree(self.dir)

    def assert_refused(self, fn, filename, err, text, action):
        with self.assertRaises(RuntimeError) as cm:
            fn(filename)
        self.assertEqual(cm.exception.errno, err)
        self.assertTrue(str(cm.exception).startswith("%s: %s: %s" % (action, filename, text)),
                        str(cm.exception))

    def test_missing_file(self):
        g = self.g
        for fn, action in [(g.add_drive, "add_drive_opts"), (g.add_drive_opts, "add_drive_opts"),
                           (g.add_drive_ro, "add_drive_ro"), (g.add_cdrom, "add_cdrom")]:
            self.assert_refused(fn, MISSING, errno.ENOENT, "No such file or directory", action)
        with self.assertRaises(RuntimeError) as cm:
            g.add_drive(MISSING, readonly=True, format="raw")
        self.assertEqual(cm.exception.errno, errno.ENOENT)
        self.assertEqual(str(cm.exception),
                         "add_drive_opts: /nonexistent/dir/disk.img: No such file or directory")

    def test_directory(self):
        self.assert_refused(self.g.add_drive_ro, self.dir, errno.EISDIR, "Is a directory", "add_drive_ro")

    @unittest.skipUnless(os.uname().machine == "x86_64" or os.geteuid() != 0,
                         "run as root, thread-local ids need the x86_64 system call numbers")
    def test_permissions(self):
        g = self.g
        ro = os.path.join(self.dir, "ro.img")
        with open(ro, "wb") as f:
            f.truncate(1024 * 1024)
        os.chmod(ro, 0o444)
        with as_nobody():
            self.assert_refused(g.add_drive, ro, errno.EACCES, "Permission denied", "add_drive_opts")
            g.add_drive_ro(ro)
            g.add_drive(ro, readonly=True)
        os.chmod(ro, 0)
        with as_nobody():
            self.assert_refused(g.add_drive_ro, ro, errno.EACCES, "Permission denied", "add_drive_ro")
        os.chmod(ro, 0o444)
        g.add_drive("/dev/null")
        g.launch()
        self.assertEqual(g.list_devices(), ["/dev/sda", "/dev/sdb", "/dev/sdc"])
        self.assertEqual(g.blockdev_getsize64("/dev/sdc"), 0)


if __name__ == "__main__":
    unittest.main()
