#!/usr/bin/env python3
"""Build a bootable-layout disk image from Python: a GPT disk with an EFI
system partition (vfat, /EFI/BOOT/BOOTX64.EFI) and an ext4 root filesystem
(/etc/os-release, a symbolic link, a directory tree), then open it again in
a new read-only handle and list what is there. Host files go in with
upload and copy_in and come out with download and tar_out (checked here
with Python's tarfile). Run from the source tree
after `make`:

    ./run python3 examples/python/efi_image.py disk.img

`make demo` then checks the image with sgdisk -v, fsck.fat -n and e2fsck -fn.
"""

import os
import sys
import tarfile
import tempfile

import guestfs

ESP_TYPE = "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"
LINUX_ROOT_X86_64 = "4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709"


def build(image):
    g = guestfs.GuestFS(python_return_dict=True)
    g.disk_create(image, "raw", 256 * 1024 * 1024)
    g.add_drive_opts(image, format="raw")
    g.launch()

    g.part_init("/dev/sda", "gpt")
    g.part_add("/dev/sda", "p", 2048, 206847)      # 100 MiB ESP
    g.part_add("/dev/sda", "p", 206848, -34)       # the rest: root
    g.part_set_gpt_type("/dev/sda", 1, ESP_TYPE)
    g.part_set_name("/dev/sda", 1, "EFI System Partition")
    g.part_set_gpt_type("/dev/sda", 2, LINUX_ROOT_X86_64)
    g.part_set_name("/dev/sda", 2, "root")

    g.mkfs("vfat", "/dev/sda1", label="ESP")
    g.mkfs("ext4", "/dev/sda2", label="root")
    g.mount("/dev/sda2", "/")
    g.mkdir_p("/boot/efi")
    g.mount("/dev/sda1", "/boot/efi")

    g.mkdir_p("/boot/efi/EFI/BOOT")
    g.write("/boot/efi/EFI/BOOT/BOOTX64.EFI", b"MZ" + bytes(510))
    g.write("/boot/efi/EFI/BOOT/grub.cfg", b"configfile /EFI/debian/grub.cfg\n")
    g.mkdir_p("/etc")
    g.write("/etc/os-release", b'NAME="Demo Linux"\nID=demo\nVERSION_ID=1\n')
    g.ln_s("../usr/lib/os-release", "/etc/os-release.link")
    g.mkdir_p("/usr/lib")
    g.cp("/etc/os-release", "/usr/lib/os-release")
    g.mkdir_mode("/root", 0o700)
    g.write("/etc/hostname", b"demo\n")
    g.chmod(0o644, "/etc/hostname")
    for i in range(50):
        g.write("/usr/lib/module-%02d.conf" % i, b"# module %d\n" % i)
    # Host files: this script with upload, a small /etc/skel tree with copy_in.
    g.mkdir_p("/usr/share/demo")
    g.upload(__file__, "/usr/share/demo/efi_image.py")
    with tempfile.TemporaryDirectory() as tmp:
        skel = os.path.join(tmp, "skel")
        os.makedirs(os.path.join(skel, ".config"))
        with open(os.path.join(skel, ".profile"), "w") as f:
            f.write("PATH=/usr/local/bin:/usr/bin:/bin\n")
        with open(os.path.join(skel, ".config", "demo.conf"), "w") as f:
            f.write("demo=1\n")
        g.copy_in(skel, "/etc")
    print("mounted:", g.mountpoints())
    print("statvfs /:", {k: v for k, v in g.statvfs("/").items() if k in ("bsize", "blocks", "bfree")})
    g.umount_all()
    g.shutdown()
    g.close()


def show(image):
    g = guestfs.GuestFS(python_return_dict=True)
    g.add_drive_opts(image, format="raw", readonly=True)
    g.launch()
    print("filesystems:", g.list_filesystems())
    for dev in ("/dev/sda1", "/dev/sda2"):
        print("  %s: type %s, label %r, uuid %s" % (dev, g.vfs_type(dev), g.vfs_label(dev), g.vfs_uuid(dev)))
    g.mount_ro("/dev/sda2", "/")
    g.mount_ro("/dev/sda1", "/boot/efi")
    print("/etc/os-release:")
    for line in g.read_lines("/etc/os-release"):
        print("   ", line)
    print("link /etc/os-release.link ->", g.readlink("/etc/os-release.link"),
          "=", g.realpath("/etc/os-release.link"))
    print("ESP:", g.find("/boot/efi"))
    print("sha256 BOOTX64.EFI:", g.checksum("sha256", "/boot/efi/EFI/BOOT/BOOTX64.EFI"))
    print("files under /usr/lib:", len(g.ls("/usr/lib")))
    with tempfile.TemporaryDirectory() as tmp:
        script = os.path.join(tmp, "script")
        g.download("/usr/share/demo/efi_image.py", script)
        with open(script, "rb") as a, open(__file__, "rb") as b:
            assert a.read() == b.read(), "download differs from what was uploaded"
        print("download of the uploaded script: identical")
        archive = os.path.join(tmp, "etc.tar.gz")
        g.tar_out("/etc", archive, compress="gzip")
        with tarfile.open(archive) as t:
            names = sorted(t.getnames())
        assert "./skel/.config/demo.conf" in names, names
        print("tar_out /etc (gzip), read by Python's tarfile:", names)
    g.close()


def main(image):
    build(image)
    show(image)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "disk.img"))
