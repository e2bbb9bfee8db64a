"""The real kernel reads what we wrote, and we read what it wrote.

Run by `make test-oracle` as `./run python3 -m unittest -v tests/oracle/test_crosscheck.py`:
`import guestfs` is this project's binding; the oracle is Debian's libguestfs,
reached through ../shared/tools/oracle in a subprocess (oracle_side.py), whose
appliance boots a real Linux kernel under TCG. One launch serves the file.

  A  ours -> kernel: our library builds a GPT disk (vfat ESP, FAT32; ext4
     root, 4 KiB blocks; contents in content.py); the kernel lists it; the
     listing must match what was written, and what our library reads back;
     e2fsck -fn and fsck.fat -n must pass; /big (3,005 entries) must be an
     indexed (htree) directory, as the kernel would make it.
  E  ours -> kernel: an MBR disk with ext2 and ext3, the same checks.
  B  kernel -> ours: the kernel builds A's contents on its own GPT disk
     (FAT16, ext4 with 1 KiB blocks; tar_in, upload); our library must list
     it as the kernel does.
  C, D  crash: two kernel ext4s (D with orphan_file) left with dirty
     journals (the changes after a sync only in the journal) and an orphan
     inode each, by killing qemu; our library must see what the kernel saw
     before the crash (journal replay), and after a read-write mount by our
     library e2fsck -fn must pass.

The oracle's log (LIBGUESTFS_DEBUG=1) is build/tests/oracle/oracle.log; it is
printed when the launch times out or the oracle fails.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import traceback
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import content  # noqa: E402

def _oracle():
    """The command that runs Debian's libguestfs: GOGUESTFS_ORACLE, else the
    workplace's ../shared/tools/oracle when the clone sits beside it, else
    this directory's copy of it (oracle-env), for a clone on its own."""
    if os.environ.get("GOGUESTFS_ORACLE"):
        return os.environ["GOGUESTFS_ORACLE"]
    shared = os.path.join(os.path.dirname(TOP), "shared", "tools", "oracle")
    return shared if os.access(shared, os.X_OK) else os.path.join(HERE, "oracle-env")


ORACLE = _oracle()
WORK = os.path.join(TOP, "build", "tests", "oracle")
LAUNCH_TIMEOUT = int(os.environ.get("CROSSCHECK_LAUNCH_TIMEOUT", 300))  # start to booted appliance
ORACLE_TIMEOUT = 1800    # seconds for everything the oracle does after that

ESP = content.ESP_MOUNT
TWO_PART = [(ESP, "vfat"), ("/", "ext")]


def log_tail(path, n=150):
    try:
        with open(path, "rb") as f:
            lines = f.read().decode("utf-8", "replace").splitlines()
    except OSError as e:
        return "(no log: %s)" % e
    return "\n".join(lines[-n:])


def run_oracle(job_path, log_path):
    """Run oracle_side.py under the oracle; return (phases, error or None)."""
    env = dict(os.environ, LIBGUESTFS_DEBUG="1")
    env.pop("LIBGUESTFS_TRACE", None)
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [ORACLE, "python3", os.path.join(HERE, "oracle_side.py"), job_path],
            stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL,
            start_new_session=True, env=env)
    phases = []
    reader = threading.Thread(target=lambda: [phases.append(l.decode().strip())
                                              for l in proc.stdout], daemon=True)
    reader.start()
    start = time.monotonic()
    launched = None
    while proc.poll() is None:
        time.sleep(0.5)
        now = time.monotonic()
        if launched is None and any(p.startswith("PHASE launched") for p in phases):
            launched = now
        if launched is None and now - start > LAUNCH_TIMEOUT:
            why = "the appliance did not launch within %d s" % LAUNCH_TIMEOUT
            break
        if launched is not None and now - launched > ORACLE_TIMEOUT:
            why = "the oracle did not finish within %d s of launch" % ORACLE_TIMEOUT
            break
    else:
        reader.join(5)
        proc.stdout.close()
        if proc.returncode == 0:
            return phases, None
        return phases, "the oracle exited with status %d" % proc.returncode
    # libguestfs's recovery process kills qemu (its own process group) when
    # its parent dies.
    os.killpg(proc.pid, 9)
    proc.wait()
    reader.join(5)
    proc.stdout.close()
    return phases, why


def build_image_a(guestfs, path):
    """Image A, made by our library."""
    with open(path, "wb") as f:
        f.truncate(content.IMAGE_A_SIZE)
    g = guestfs.GuestFS(python_return_dict=True)
    g.add_drive_opts(path, format="raw")
    g.launch()
    g.part_init("/dev/sda", "gpt")
    for s, e in content.IMAGE_A_LAYOUT:
        g.part_add("/dev/sda", "p", s, e)
    g.part_set_gpt_type("/dev/sda", 1, content.ESP_GUID)
    g.part_set_gpt_type("/dev/sda", 2, content.ROOT_GUID)
    g.part_set_name("/dev/sda", 1, "EFI-system")
    g.part_set_name("/dev/sda", 2, "root")
    g.mkfs("vfat", "/dev/sda1", label="ESP")
    g.mkfs_opts("ext4", "/dev/sda2", label="root")
    g.mount("/dev/sda2", "/")
    content.apply(g, content.root_ops())
    g.mount("/dev/sda1", ESP)
    content.apply(g, content.esp_ops(), base=ESP)
    mounts = g.mounts()
    g.umount_all()
    g.shutdown()
    g.close()
    return mounts


def build_image_e(guestfs, path):
    """Image E, made by our library: MBR, ext2 and ext3."""
    with open(path, "wb") as f:
        f.truncate(content.IMAGE_E_SIZE)
    g = guestfs.GuestFS(python_return_dict=True)
    g.add_drive_opts(path, format="raw")
    g.launch()
    g.part_init("/dev/sda", "mbr")
    for s, e in content.IMAGE_E_LAYOUT:
        g.part_add("/dev/sda", "p", s, e)
    g.mkfs("ext2", "/dev/sda1", label="old-ext2")
    g.mkfs("ext3", "/dev/sda2")
    g.mount("/dev/sda2", "/")
    content.apply(g, content.small_ops() + [("mkdir", content.EXT2_MOUNT)])
    g.mount("/dev/sda1", content.EXT2_MOUNT)
    content.apply(g, content.small_ops(), base=content.EXT2_MOUNT)
    g.umount_all()
    g.shutdown()
    g.close()


E_PARTS = [("/dev/sda2", "/"), ("/dev/sda1", content.EXT2_MOUNT)]
E_MOUNTS = [(content.EXT2_MOUNT, "ext"), ("/", "ext")]


def e_model():
    m = content.model(content.small_ops() + [("mkdir", content.EXT2_MOUNT)], "ext")
    m.update(content.model(content.small_ops(), "ext", base=content.EXT2_MOUNT))
    return m


def read_with_ours(guestfs, paths, parts, readonly=True, mounts=TWO_PART):
    """Our library's listing (and partition metadata of sda) of images."""
    g = guestfs.GuestFS(python_return_dict=True)
    for path in paths if isinstance(paths, list) else [paths]:
        g.add_drive_opts(path, format="raw", readonly=readonly)
    g.launch()
    try:
        mnt = g.mount_ro if readonly else g.mount
        for dev, mp in parts:
            mnt(dev, mp)
        lst = content.listing_per_file(g, mounts)
        meta = content.metadata(g, "/dev/sda")
        g.umount_all()
        g.shutdown()
    finally:
        g.close()
    return lst, meta


def partitions(img):
    """[(start byte, size in bytes)] of img, from sfdisk (not our library)."""
    out = subprocess.run(["sfdisk", "--json", img], check=True, capture_output=True, text=True)
    pt = json.loads(out.stdout)["partitiontable"]
    ss = pt.get("sectorsize", 512)
    return [(p["start"] * ss, p["size"] * ss) for p in pt["partitions"]]


def extract(img, start, size, out):
    """Copy a byte range of img to its own (sparse) file."""
    with open(img, "rb") as src, open(out, "wb") as dst:
        fd, end, pos = src.fileno(), start + size, start
        while pos < end:
            try:
                data = os.lseek(fd, pos, os.SEEK_DATA)
            except OSError:
                break
            if data >= end:
                break
            hole = min(os.lseek(fd, data, os.SEEK_HOLE), end)
            src.seek(data)
            dst.seek(data - start)
            left = hole - data
            while left:
                chunk = src.read(min(left, 4 << 20))
                dst.write(chunk)
                left -= len(chunk)
            pos = hole
        dst.truncate(size)
    return out


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    return p.returncode, (p.stdout + p.stderr).strip()


def short(rec):
    keys = ("type", "mode", "uid", "gid", "size", "nlink", "target", "sha256", "error")
    return {k: (oct(rec[k]) if k == "mode" else rec[k]) for k in keys if k in rec}


def compare(mine, theirs, fields, mine_name, their_name, model=False):
    """Every difference between two listings (path -> record), as a list of
    (kind, line); with model, theirs is content.model()'s and only its fields
    count."""
    out = []
    for p in sorted(set(mine) | set(theirs)):
        a, b = mine.get(p), theirs.get(p)
        if a is None:
            out.append(("missing", "%s: only in %s's listing: %s" % (p, their_name, short(b))))
            continue
        if b is None:
            out.append(("extra", "%s: only in %s's listing: %s" % (p, mine_name, short(a))))
            continue
        if "error" in a or "error" in b:
            out.append(("error", "%s: %s=%s %s=%s" % (p, mine_name, a.get("error", "ok"),
                                                       their_name, b.get("error", "ok"))))
            continue
        for f in fields:
            if (f not in a and f not in b) or (model and f not in b):
                continue
            va, vb = a.get(f), b.get(f)
            if va != vb:
                if f == "mode" and isinstance(va, int) and isinstance(vb, int):
                    va, vb = oct(va), oct(vb)
                out.append((f, "%s: %s: %s=%r %s=%r" % (p, f, mine_name, va, their_name, vb)))
    return out


def report(title, diffs, per_kind=12):
    """A readable summary: counts per kind, then the first few of each."""
    kinds = {}
    for k, line in diffs:
        kinds.setdefault(k, []).append(line)
    text = ["%s: %d difference(s): %s" % (title, len(diffs), ", ".join(
        "%s %d" % (k, len(v)) for k, v in sorted(kinds.items())))]
    for k, v in sorted(kinds.items()):
        text.append("[%s]" % k)
        text += ["  " + (l if len(l) < 400 else l[:400] + "...") for l in v[:per_kind]]
        if len(v) > per_kind:
            text.append("  ... and %d more" % (len(v) - per_kind))
    return "\n".join(text)


def against_model(listing, mod):
    """Differences of a listing from content.model(): fields, paths, hard links."""
    diffs = compare(listing, mod, ("type", "mode", "uid", "gid", "size", "nlink",
                                   "target", "sha256", "xattrs", "rdev"),
                    "listing", "written", model=True)
    # Hard links: the same inode exactly where the model says so (ext only).
    groups = {}
    for p, m in mod.items():
        if p in listing and listing[p].get("fs") == "ext" and "ino" in listing[p]:
            groups.setdefault(m["inode"], set()).add(listing[p]["ino"])
    seen = {}
    for mid, inos in groups.items():
        if len(inos) != 1:
            diffs.append(("ino", "the hard links of one file have inode numbers %s"
                          % sorted(inos)))
        for ino in inos:
            if ino in seen and seen[ino] != mid:
                diffs.append(("ino", "inode %d is shared by paths that are not hard links" % ino))
            seen[ino] = mid
    return diffs


def full_model(ops_root, ops_esp):
    m = content.model(ops_root, "ext")
    m.update(content.model(ops_esp, "vfat", base=ESP))
    return m


class CrossCheck(unittest.TestCase):
    """One oracle launch for the whole class (setUpClass)."""

    @classmethod
    def setUpClass(cls):
        import guestfs
        cls.guestfs = guestfs
        ours = os.path.join(TOP, "build", "python")
        if not os.path.abspath(guestfs.__file__).startswith(ours + os.sep) and \
                os.environ.get("CROSSCHECK_ANY_BINDING") != "1":
            raise RuntimeError("guestfs is %s, not this project's build (run through ./run)"
                               % guestfs.__file__)
        if os.path.isdir(WORK):
            shutil.rmtree(WORK)
        os.makedirs(WORK)
        cls.img = {k: os.path.join(WORK, "image-%s.img" % k) for k in "ABCDE"}
        cls.errors = {}

        t = time.monotonic()
        try:
            cls.mounts_a = build_image_a(guestfs, cls.img["A"])
        except Exception:  # noqa: BLE001 - every A test reports it
            cls.errors["build_a"] = traceback.format_exc()
        cls.build_a_time = time.monotonic() - t
        try:
            build_image_e(guestfs, cls.img["E"])
        except Exception:  # noqa: BLE001 - every E test reports it
            cls.errors["build_e"] = traceback.format_exc()
        for k, size in (("B", content.IMAGE_B_SIZE), ("C", content.IMAGE_C_SIZE),
                        ("D", content.IMAGE_D_SIZE)):
            with open(cls.img[k], "wb") as f:
                f.truncate(size)

        job = {"workdir": WORK, "out": os.path.join(WORK, "oracle.json"),
               "image_a": None if "build_a" in cls.errors else cls.img["A"],
               "image_b": cls.img["B"], "image_c": cls.img["C"],
               "image_d": cls.img["D"],
               "image_e": None if "build_e" in cls.errors else cls.img["E"]}
        job_path = os.path.join(WORK, "job.json")
        with open(job_path, "w") as f:
            json.dump(job, f)
        cls.log = os.path.join(WORK, "oracle.log")
        t = time.monotonic()
        phases, why = run_oracle(job_path, cls.log)
        cls.oracle_time = time.monotonic() - t
        sys.stderr.write("\ncrosscheck: image A built by ours in %.1f s; oracle %.1f s; phases: %s\n"
                         % (cls.build_a_time, cls.oracle_time,
                            "; ".join(p[6:] for p in phases if p.startswith("PHASE "))))
        if why:
            raise AssertionError("oracle (Debian's libguestfs): %s.\nPhases: %s\n"
                                 "Last lines of the appliance log %s:\n%s"
                                 % (why, phases, cls.log, log_tail(cls.log)))
        with open(job["out"]) as f:
            cls.res = json.load(f)
        sys.stderr.write("crosscheck: oracle kernel %s\n" % cls.res.get("kernel"))

    # ---- helpers ---------------------------------------------------------

    def oracle(self, key):
        if key in self.res["errors"]:
            self.fail("oracle step %s failed:\n%s" % (key, self.res["errors"][key]))
        self.assertIn(key, self.res, "oracle step %s did not run" % key)
        return self.res[key]

    def no_diffs(self, diffs, title):
        if diffs:
            self.fail(report(title, diffs))

    def need_a(self):
        if "build_a" in self.errors:
            self.fail("our library could not build image A:\n" + self.errors["build_a"])

    def ours(self, name, *args, **kw):
        """Our library's listing of an image, computed once per class."""
        cache = self.__class__.__dict__.get("_cache")
        if cache is None:
            cache = self.__class__._cache = {}
        if name not in cache:
            try:
                cache[name] = (read_with_ours(self.guestfs, *args, **kw), None)
            except Exception:  # noqa: BLE001
                cache[name] = (None, traceback.format_exc())
        val, err = cache[name]
        if err:
            self.fail("our library could not read %s:\n%s" % (name, err))
        return val

    def check_fsck(self, img, kinds):
        for (start, size), kind in zip(partitions(img), kinds):
            part = extract(img, start, size, img + ".%s.part" % kind)
            try:
                if kind == "ext":
                    rc, out = run(["e2fsck", "-fn", part])
                else:
                    rc, out = run(["fsck.fat", "-n", part])
                with self.subTest(image=os.path.basename(img), fs=kind):
                    self.assertEqual(rc, 0, "%s on %s's %s partition: exit %d\n%s"
                                     % ("e2fsck -fn" if kind == "ext" else "fsck.fat -n",
                                        os.path.basename(img), kind, rc, out))
            finally:
                os.unlink(part)

    def check_htree(self, img, directory):
        start, size = partitions(img)[1]
        part = extract(img, start, size, img + ".htree.part")
        try:
            rc, out = run(["debugfs", "-R", "stat " + directory, part])
            m = re.search(r"Flags: 0x([0-9a-f]+)", out)
            self.assertTrue(m, "debugfs stat %s: %s" % (directory, out))
            rc2, ht = run(["debugfs", "-R", "htree " + directory, part])
            self.assertTrue(int(m.group(1), 16) & 0x1000,
                            "%s in %s has %d entries but is not an indexed (htree) directory: "
                            "inode flags 0x%s; debugfs htree says: %s"
                            % (directory, os.path.basename(img), 3005, m.group(1), ht[:300]))
            self.assertIn("Root node dump", ht, ht[:500])
        finally:
            os.unlink(part)

    # ---- A: ours -> kernel -------------------------------------------------

    def test_a1_kernel_reads_what_ours_wrote(self):
        self.need_a()
        lst = self.oracle("list_a")["listing"]
        self.no_diffs(against_model(lst, full_model(content.root_ops(), content.esp_ops())),
                      "image A (ours) as the kernel lists it vs what was written")

    def test_a2_ours_reads_back_as_the_kernel(self):
        self.need_a()
        lst, _ = self.ours("A", self.img["A"], [("/dev/sda2", "/"), ("/dev/sda1", ESP)])
        diffs = compare(lst, self.oracle("list_a")["listing"], content.PRIMARY, "ours", "kernel")
        self.no_diffs(diffs, "image A: ours vs kernel")

    def test_a3_extended_stat_fields(self):
        self.need_a()
        lst, _ = self.ours("A", self.img["A"], [("/dev/sda2", "/"), ("/dev/sda1", ESP)])
        diffs = compare(lst, self.oracle("list_a")["listing"], content.EXTENDED, "ours", "kernel")
        self.no_diffs(diffs, "image A: ours vs kernel, extended stat fields")

    def test_a4_fsck(self):
        self.need_a()
        self.check_fsck(self.img["A"], ["vfat", "ext"])

    def test_a5_htree(self):
        self.need_a()
        self.check_htree(self.img["A"], "/big")

    def test_a6_partitions_and_filesystems(self):
        self.need_a()
        _, meta = self.ours("A", self.img["A"], [("/dev/sda2", "/"), ("/dev/sda1", ESP)])
        self.assertEqual(meta, self.oracle("meta_a"), "image A: ours (first) vs kernel")

    def test_a7_kernel_log_has_no_complaints(self):
        """The kernel said nothing bad while mounting and reading image A."""
        self.need_a()
        res = self.oracle("list_a")
        bad = [l for l in res["dmesg"]
               if re.search(r"error|warn|corrupt|not properly|invalid|bad|fail|fix|repair",
                            l, re.I)]
        self.assertEqual(bad, [], "kernel messages about image A's partitions %s:\n%s"
                         % (res["kernel_devices"], "\n".join(res["dmesg"])))
        self.assertTrue(res["dmesg"], "no kernel messages about %s at all: mount not logged?"
                        % res["kernel_devices"])

    # ---- E: ours -> kernel, MBR with ext2 and ext3 ----------------------------

    def need_e(self):
        if "build_e" in self.errors:
            self.fail("our library could not build image E:\n" + self.errors["build_e"])

    def test_e1_kernel_reads_ext2_ext3_ours_wrote(self):
        self.need_e()
        self.no_diffs(against_model(self.oracle("list_e")["listing"], e_model()),
                      "image E (ours: MBR, ext2, ext3) as the kernel lists it vs what was written")

    def test_e2_ours_reads_back_ext2_ext3_as_the_kernel(self):
        self.need_e()
        lst, meta = self.ours("E", self.img["E"], E_PARTS, mounts=E_MOUNTS)
        diffs = compare(lst, self.oracle("list_e")["listing"], content.PRIMARY + content.EXTENDED,
                        "ours", "kernel")
        self.no_diffs(diffs, "image E: ours vs kernel")
        self.assertEqual(meta, self.oracle("meta_e"), "image E: ours (first) vs kernel")

    def test_e3_fsck_ext2_ext3(self):
        self.need_e()
        self.check_fsck(self.img["E"], ["ext", "ext"])
        start, size = partitions(self.img["E"])[1]
        part = extract(self.img["E"], start, size, self.img["E"] + ".p2.part")
        try:
            rc, out = run(["dumpe2fs", "-h", part])
            self.assertRegex(out, r"Filesystem features:.*has_journal", "ext3 without a journal")
        finally:
            os.unlink(part)

    # ---- B: kernel -> ours -------------------------------------------------

    def test_b1_kernel_image_as_specified(self):
        """Sanity of the oracle side: B holds what content.py says."""
        lst = self.oracle("list_b")["listing"]
        self.no_diffs(against_model(lst, full_model(content.root_ops(), content.esp_ops())),
                      "image B (kernel's) vs what was written")

    def test_b2_ours_reads_kernel_image(self):
        lst, _ = self.ours("B", self.img["B"], [("/dev/sda2", "/"), ("/dev/sda1", ESP)])
        diffs = compare(lst, self.oracle("list_b")["listing"], content.PRIMARY, "ours", "kernel")
        self.no_diffs(diffs, "image B (kernel's): ours vs kernel")

    def test_b3_extended_stat_fields(self):
        lst, _ = self.ours("B", self.img["B"], [("/dev/sda2", "/"), ("/dev/sda1", ESP)])
        diffs = compare(lst, self.oracle("list_b")["listing"], content.EXTENDED, "ours", "kernel")
        self.no_diffs(diffs, "image B (kernel's): ours vs kernel, extended stat fields")

    def test_b4_partitions_and_filesystems(self):
        _, meta = self.ours("B", self.img["B"], [("/dev/sda2", "/"), ("/dev/sda1", ESP)])
        self.assertEqual(meta, self.oracle("meta_b"), "image B: ours (first) vs kernel")

    def test_b5_kernel_image_is_htree_and_clean(self):
        """Sanity: B's /big is indexed, so test_b2 read an htree directory."""
        self.oracle("list_b")["listing"]
        self.check_htree(self.img["B"], "/big")
        self.check_fsck(self.img["B"], ["vfat", "ext"])

    # ---- C, D: the kernel's crashed ext4s -------------------------------------

    CD_PARTS = [("/dev/sda1", "/"), ("/dev/sdb1", content.CRASH_D_MOUNT)]
    CD_MOUNTS = [(content.CRASH_D_MOUNT, "ext"), ("/", "ext")]

    def test_c0_crashed_images_need_their_journals(self):
        """Sanity of the oracle side: without a journal replay, the changes
        made after the sync are not there (so test_c1 tests the replay)."""
        kern = self.oracle("build_c")["listing"]
        for k, top in (("C", ""), ("D", content.CRASH_D_MOUNT)):
            self.assertIn(top + "/after-sync/moved", kern)
            start, size = partitions(self.img[k])[0]
            part = extract(self.img[k], start, size, self.img[k] + ".raw.part")
            try:
                rc, out = run(["dumpe2fs", "-h", part])
                self.assertRegex(out, r"Filesystem features:.*needs_recovery", out)
                if k == "D":
                    self.assertRegex(out, r"Filesystem features:.*orphan_file", out)
                # -c (catastrophic mode: no bitmaps read): a crash may leave
                # a bitmap at home whose checksum only the journal's group
                # descriptors match, and then debugfs would not open it.
                rc, out = run(["debugfs", "-c", "-R", "ls /after-sync", part])
                self.assertIn("File not found", out,
                              "image %s's /after-sync is already at its home location: the "
                              "crash did not leave the changes only in the journal\n%s" % (k, out))
            finally:
                os.unlink(part)

    def test_c1_ours_reads_crashed_images(self):
        kern = self.oracle("build_c")["listing"]
        lst, _ = self.ours("CD", [self.img["C"], self.img["D"]], self.CD_PARTS,
                           mounts=self.CD_MOUNTS)
        diffs = compare(lst, kern, content.PRIMARY + content.EXTENDED,
                        "ours", "kernel before the crash")
        self.no_diffs(diffs, "images C and D (dirty journals, orphans), read-only: ours vs "
                      "the kernel's view before the crash")

    def test_c2_ours_recovers_crashed_images(self):
        kern = self.oracle("build_c")["listing"]
        copies = []
        for k in "CD":
            copies.append(extract(self.img[k], 0, os.path.getsize(self.img[k]),
                                  self.img[k] + ".recovered"))
        g = self.guestfs.GuestFS(python_return_dict=True)
        for c in copies:
            g.add_drive_opts(c, format="raw")
        g.launch()
        for dev, mp in self.CD_PARTS:
            g.mount(dev, mp)
        g.umount_all()
        g.shutdown()
        g.close()
        for c in copies:
            self.check_fsck(c, ["ext"])
        lst, _ = self.ours("CD2", copies, self.CD_PARTS, mounts=self.CD_MOUNTS)
        fields = content.PRIMARY + ("ino", "rdev", "blocks", "mtime")
        diffs = compare(lst, kern, fields, "ours", "kernel before the crash")
        self.no_diffs(diffs, "images C and D after our read-write mount (journal replay, "
                      "orphans): ours vs the kernel's view before the crash")


if __name__ == "__main__":
    unittest.main(verbosity=2)
