"""The real kernel's side of the cross-check: run by test_crosscheck.py as
`../shared/tools/oracle python3 tests/oracle/oracle_side.py JOB.json`, so
`import guestfs` is Debian's libguestfs (the appliance, a real Linux kernel).

One appliance launch does everything (sda = image A, read-only; sdb = image
B; sdc, sdd = images C, D; sde = image E, read-only):
  1. build image B (GPT, vfat ESP, ext4 root) with content.root_ops/esp_ops;
  2. list images A and E (made by our library) and B, mounted read-only;
  3. build images C and D (ext4; D with orphan_file, mounted on C), sync
     their data, make metadata-only changes and an orphan inode (a file
     unlinked while a process holds it open), let the journal commit them
     with writeback off, list them, and kill qemu: the kernel's "crash"
     leaves both with dirty journals.
Progress goes to stdout as "PHASE name" lines; the result is JSON in
job["out"]. LIBGUESTFS_DEBUG from the environment turns on the appliance log
(stderr).
"""

import json
import os
import signal
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import content  # noqa: E402
import guestfs  # noqa: E402  (Debian's)

ESP = content.ESP_MOUNT
# Device names inside the appliance are not the API's: find the one mounted.
DUMPE2FS_SYSROOT = ("while read d m r; do [ $m = /sysroot ] && dev=$d; done < /proc/mounts;"
                    " dumpe2fs -h $dev 2>/dev/null | grep -iE 'features|state|orphan|block size'; true")


def phase(name):
    print("PHASE", name, "%.1f" % (time.time() - T0), flush=True)


def build_two_part(g, disk, lay, workdir):
    g.part_init(disk, "gpt")
    for s, e in lay:
        g.part_add(disk, "p", s, e)
    g.part_set_gpt_type(disk, 1, content.ESP_GUID)
    g.part_set_gpt_type(disk, 2, content.ROOT_GUID)
    g.part_set_name(disk, 1, "EFI-system")
    g.part_set_name(disk, 2, "root")
    g.mkfs("vfat", disk + "1", label="ESP")
    g.mkfs("ext4", disk + "2", label="root")
    g.mount(disk + "2", "/")
    content.apply(g, content.root_ops(), workdir=workdir)
    g.mount(disk + "1", ESP)
    content.apply(g, content.esp_ops(), base=ESP, workdir=workdir)
    g.umount_all()


def list_two_part(g, disk, workdir):
    g.mount_ro(disk + "2", "/")
    g.mount_ro(disk + "1", ESP)
    lst = content.listing_batched(g, [(ESP, "vfat"), ("/", "ext")], workdir + "/sums")
    info = g.debug("sh", [DUMPE2FS_SYSROOT])
    # What lgetxattrs itself says on vfat (the listing used lxattrlist).
    vfat_xattrs = content.xattr_dict(g.lgetxattrs(ESP + "/EFI"))
    # The appliance's own names for the partitions (not the API's: its disks
    # are named in probe order), to pick out what the kernel said about them.
    devs = [l.split()[0] for l in g.debug("sh", ["cat /proc/mounts"]).splitlines()
            if l.split()[1].startswith("/sysroot")]
    g.umount_all()
    names = sorted({d.rsplit("/", 1)[-1] for d in devs})
    dmesg = [l for l in g.debug("sh", ["dmesg"]).splitlines()
             if any("(%s)" % n in l or " %s:" % n in l for n in names)]
    return {"listing": lst, "dumpe2fs": info, "kernel_devices": names, "dmesg": dmesg,
            "lgetxattrs_on_vfat": vfat_xattrs}


def list_e(g, workdir):
    g.mount_ro("/dev/sde2", "/")
    g.mount_ro("/dev/sde1", content.EXT2_MOUNT)
    lst = content.listing_batched(g, [(content.EXT2_MOUNT, "ext"), ("/", "ext")],
                                  workdir + "/sums")
    g.umount_all()
    return {"listing": lst}


def main():
    job = json.load(open(sys.argv[1]))
    workdir = job["workdir"]
    res = {"errors": {}}

    g = guestfs.GuestFS(python_return_dict=True)
    g.set_memsize(1024)
    g.set_smp(2)
    if job.get("image_a"):
        g.add_drive_opts(job["image_a"], format="raw", readonly=True)
    else:  # keep the device names: a placeholder for a missing image A
        g.add_drive_scratch(64 << 20)
    g.add_drive_opts(job["image_b"], format="raw")
    g.add_drive_opts(job["image_c"], format="raw")
    g.add_drive_opts(job["image_d"], format="raw")
    if job.get("image_e"):
        g.add_drive_opts(job["image_e"], format="raw", readonly=True)
    phase("launch")
    g.launch()
    phase("launched")
    res["kernel"] = g.debug("sh", ["uname -r"]).strip()

    def step(name, fn):
        phase(name)
        try:
            res[name] = fn()
        except Exception:  # noqa: BLE001 - recorded, the test fails on it
            res["errors"][name] = traceback.format_exc()
            print(res["errors"][name], file=sys.stderr, flush=True)
            try:
                g.umount_all()
            except Exception:  # noqa: BLE001
                pass

    step("build_b", lambda: build_two_part(g, "/dev/sdb", content.IMAGE_B_LAYOUT, workdir))
    if job.get("image_a"):
        step("list_a", lambda: list_two_part(g, "/dev/sda", workdir))
        step("meta_a", lambda: content.metadata(g, "/dev/sda"))
    if job.get("image_e"):
        step("list_e", lambda: list_e(g, workdir))
        step("meta_e", lambda: content.metadata(g, "/dev/sde"))
    step("list_b", lambda: list_two_part(g, "/dev/sdb", workdir))
    step("meta_b", lambda: content.metadata(g, "/dev/sdb"))

    def build_c():
        D = content.CRASH_D_MOUNT
        g.part_disk("/dev/sdc", "gpt")
        g.part_disk("/dev/sdd", "gpt")
        # C: a journal large enough that nothing forces a checkpoint.
        g.mke2fs("/dev/sdc1", fstype="ext4", journalsize=32, label="crashed")
        g.mkfs("ext4", "/dev/sdd1", features="orphan_file", label="crashed-of")
        g.mount_options("commit=1,noatime", "/dev/sdc1", "/")
        g.mkdir(D)
        g.mount_options("commit=1,noatime", "/dev/sdd1", D)
        for base in ("", D):
            content.apply(g, content.crash_data_ops(), base=base, workdir=workdir)
        g.sync()
        # From here on nothing reaches the filesystems' home locations: the
        # flusher is off, and only the journal (commit every second) is written.
        g.debug("sh", ["echo 0 > /proc/sys/vm/dirty_writeback_centisecs;"
                       " echo 360000 > /proc/sys/vm/dirty_expire_centisecs"])
        for base in ("", D):
            content.apply(g, content.crash_meta_ops(), base=base, workdir=workdir)
            # An orphan: unlinked while a process keeps it open.
            f = "/sysroot%s/orphan-data" % base
            g.debug("sh", ["exec 3<%s; rm %s; setsid sleep 100000 <&3 >/dev/null 2>&1 & exit 0"
                           % (f, f)])
            # Make sure the journal holds it all: fsync of the newest file
            # commits its transaction and every earlier one (without writing
            # anything home; sync(2) would).
            f = "/sysroot%s/after-sync/committed" % base
            g.debug("sh", ["touch %s && sync %s" % (f, f)])
        g.debug("sh", ["sleep 2"])
        lst = content.listing_batched(g, [(D, "ext"), ("/", "ext")], workdir + "/sums")
        return {"listing": lst}

    step("build_c", build_c)
    # The crash: kill qemu with C mounted. (A close would let the appliance's
    # init run sync(2) once the daemon exits, writing everything home.)
    phase("kill")
    os.kill(g.get_pid(), signal.SIGKILL)
    g.set_autosync(False)
    try:
        g.close()
    except RuntimeError:
        pass
    phase("write")
    with open(job["out"], "w") as f:
        json.dump(res, f)
    phase("done")


T0 = time.time()
if __name__ == "__main__":
    main()
