"""Filesystems from Python: a GPT disk with a vfat EFI system partition and
an ext4 root, built in one handle, checked by the real tools, and read back
in a new read-only handle; the Python types of the filesystem actions'
arguments and results; errno of file errors."""

import errno
import json
import os
import shutil
import subprocess
import tempfile
import unittest

import guestfs

ESP_TYPE = "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"


def partition_copy(img, n, dest):
    """Copy partition n of img to the file dest, for the checkers."""
    table = json.loads(subprocess.run(["sfdisk", "--json", img], capture_output=True,
                                      text=True, check=True).stdout)["partitiontable"]
    p = table["partitions"][n - 1]
    with open(img, "rb") as src, open(dest, "wb") as out:
        src.seek(p["start"] * 512)
        left = p["size"] * 512
        while left:
            b = src.read(min(left, 1 << 20))
            out.write(b)
            left -= len(b)


class TestFilesystems(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.img = os.path.join(self.dir, "disk.img")

    def tearDown(self):
        shutil.rmtree(self.dir)

    def test_efi_and_root(self):
        g = guestfs.GuestFS(python_return_dict=True)
        g.disk_create(self.img, "raw", 128 << 20)
        g.add_drive(self.img)
        g.launch()
        g.part_init("/dev/sda", "gpt")
        g.part_add("/dev/sda", "p", 2048, 67583)
        g.part_add("/dev/sda", "p", 67584, -34)
        g.part_set_gpt_type("/dev/sda", 1, ESP_TYPE)
        g.mkfs("vfat", "/dev/sda1", label="ESP")
        g.mkfs("ext4", "/dev/sda2")
        g.set_label("/dev/sda2", "root")
        g.mount("/dev/sda2", "/")
        g.mkdir_p("/boot/efi")
        g.mount("/dev/sda1", "/boot/efi")
        g.mkdir_p("/boot/efi/EFI/BOOT")
        g.write("/boot/efi/EFI/BOOT/BOOTX64.EFI", b"MZ\x00\x01")
        g.mkdir("/etc")
        g.write("/etc/os-release", b"ID=pytest\n")
        g.setxattr("user.k", "v", 1, "/etc/os-release")
        self.assertEqual(g.mounts(), ["/dev/sda2", "/dev/sda1"])
        self.assertEqual(g.mountpoints(), {"/dev/sda2": "/", "/dev/sda1": "/boot/efi"})
        g.shutdown()
        g.close()

        for n, check in ((1, ["fsck.fat", "-n"]), (2, ["e2fsck", "-fn"])):
            part = os.path.join(self.dir, "part%d" % n)
            partition_copy(self.img, n, part)
            p = subprocess.run(check + [part], capture_output=True, text=True)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            os.unlink(part)

        g = guestfs.GuestFS(python_return_dict=True)
        g.add_drive_ro(self.img)
        g.launch()
        self.assertEqual(g.list_filesystems(), {"/dev/sda1": "vfat", "/dev/sda2": "ext4"})
        self.assertEqual(g.vfs_label("/dev/sda1"), "ESP")
        self.assertEqual(g.vfs_label("/dev/sda2"), "root")
        g.mount_ro("/dev/sda2", "/")
        g.mount_ro("/dev/sda1", "/boot/efi")
        self.assertEqual(g.read_file("/boot/efi/efi/boot/bootx64.efi"), b"MZ\x00\x01")
        self.assertEqual(g.cat("/etc/os-release"), "ID=pytest\n")
        self.assertEqual(g.getxattrs("/etc/os-release"), [{"attrname": "user.k", "attrval": b"v"}])
        st = g.statns("/etc/os-release")
        self.assertEqual(st["st_mode"], 0o100644)
        self.assertEqual(st["st_size"], 10)
        ents = {e["name"]: e["ftyp"] for e in g.readdir("/")}
        self.assertEqual(ents["etc"], "d")
        self.assertTrue(g.is_dir("/boot/efi/EFI"))
        self.assertFalse(g.is_file("/boot/efi/EFI"))
        with self.assertRaises(RuntimeError) as cm:
            g.write("/etc/x", b"")
        self.assertEqual(cm.exception.errno, errno.EROFS)
        with self.assertRaises(RuntimeError) as cm:
            g.statns("/etc/missing")
        self.assertEqual(cm.exception.errno, errno.ENOENT)
        self.assertIn("statns: /etc/missing", str(cm.exception))
        g.close()

    def test_argument_types(self):
        g = guestfs.GuestFS()
        g.add_drive_scratch(64 << 20)
        g.launch()
        g.mkfs("ext4", "/dev/sda")
        g.mount("/dev/sda", "/")
        with self.assertRaises(TypeError):
            g.write("/f", 42)
        with self.assertRaises(TypeError):
            g.chmod("644", "/f")
        g.write("/f", b"\x00\xff")
        self.assertEqual(g.pread("/f", 10, 1), b"\xff")
        self.assertEqual(g.pwrite("/f", b"ab", 4), 2)
        self.assertEqual(g.filesize("/f"), 6)
        self.assertEqual(g.is_file("/f", followsymlinks=True), True)
        g.close()


if __name__ == "__main__":
    unittest.main()
