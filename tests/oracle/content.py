"""What the cross-check puts on its images, and how a listing is taken.

Imported by both sides of tests/oracle/test_crosscheck.py: by the test itself
(through this project's `guestfs`, under ./run) and by oracle_side.py (through
Debian's libguestfs, under ../shared/tools/oracle). Both bindings have the
same API, so the same operations build image A (ours) and image B (the real
kernel's); bulk content goes in through tar_in and upload on both sides (each
call into the appliance costs ~20 ms), so the kernel also reads back what
our tar_in and upload wrote.

Standard library only; no import of `guestfs` here.
"""

import hashlib
import io
import random
import stat
import tarfile
import tempfile

MiB = 1 << 20

ESP_GUID = "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"
ROOT_GUID = "4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709"  # Linux root (x86-64)

ESP_MOUNT = "/boot/efi"
UMASK = 0o022  # the daemon's umask, in both implementations

# The disk layouts: sizes in bytes, partitions as (start sector, end sector).
# Image A's ESP is over 512 MiB so that mkfs makes FAT32, B's is FAT16; A's
# root (~1 GiB) gets 4 KiB blocks, B's and C's (under 512 MiB: mke2fs.conf's
# "small" type) 1 KiB blocks.
SECTOR = 512


def layout(size, esp_mib):
    esp_end = 2048 + esp_mib * 2048 - 1
    last = size // SECTOR - 34
    return [(2048, esp_end), (esp_end + 1, last)]


IMAGE_A_SIZE = 1536 * MiB
IMAGE_A_LAYOUT = layout(IMAGE_A_SIZE, 540)
IMAGE_B_SIZE = 512 * MiB
IMAGE_B_LAYOUT = layout(IMAGE_B_SIZE, 100)
# The crash images: C (1 KiB blocks, orphans chained from the superblock)
# and D (4 KiB blocks, the orphan_file feature), mounted at CRASH_D_MOUNT in C.
IMAGE_C_SIZE = 128 * MiB
IMAGE_D_SIZE = 640 * MiB
CRASH_D_MOUNT = "/d"


def blob(seed, n):
    """n deterministic pseudo-random bytes."""
    return random.Random(seed).randbytes(n)


OS_RELEASE = b"""PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
HOME_URL="https://www.debian.org/"
"""

LONG_NAME = "L" * 255
# Values are strings (libguestfs's Python setxattr takes str): every
# character but NUL, so 383 bytes of UTF-8.
XATTR_TEXT = "".join(chr(i) for i in range(1, 256))
SLOW_TARGET = "/".join(["subdirectory-%02d" % i for i in range(6)]) + "/target"  # > 60 bytes
TARGET_59 = "t" * 59   # the longest fast symlink target (i_block holds 60 bytes)
TARGET_60 = "u" * 60   # the shortest slow one

assert len(SLOW_TARGET) > 60


def big_entries(n=3000):
    """The htree directory's contents: (relative path, data or None for a directory)."""
    out = []
    for i in range(n):
        name = "f-%04d-%s" % (i, "x" * (i % 37))
        out.append((name, b"%d\n" % i if i % 10 == 0 else b""))
    for d in range(5):
        out.append(("dir-%d" % d, None))
        out.append(("dir-%d/inside" % d, b"inside %d\n" % d))
    return out


def esp_many_entries():
    return [("entry number %03d with a long name.dat" % i, b"%d" % i) for i in range(120)]


# Operations, in libguestfs's argument order. ("bulk", dir, entries) and
# ("upload", path, data) go through a host file (tar_in, upload).
def root_ops():
    ops = [
        ("mkdir_p", "/etc"),
        ("write", "/etc/os-release", OS_RELEASE),
        ("write", "/etc/hostname", b"crosscheck\n"),
        ("write", "/etc/shadow", b"root:*:19000:0:99999:7:::\n"),
        ("chmod", 0o640, "/etc/shadow"),
        ("chown", 0, 42, "/etc/shadow"),
        ("mkdir_p", "/boot/efi"),
        ("mkdir_p", "/usr/share/doc/pkg/a/b/c/d/e"),
        ("write", "/usr/share/doc/pkg/a/b/c/d/e/deep.txt", b"deep\n"),
        ("mkdir", "/data"),
        ("write", "/data/size-0", b""),
        ("write", "/data/size-1", b"x"),
        ("write", "/data/size-4095", blob(1, 4095)),
        ("write", "/data/size-4096", blob(2, 4096)),
        ("write", "/data/size-1MiB+1", blob(3, MiB + 1)),
        ("upload", "/data/size-3MiB+7", blob(4, 3 * MiB + 7)),
        # A hole in the middle, and one at the end.
        ("touch", "/data/sparse"),
        ("pwrite", "/data/sparse", b"head", 0),
        ("pwrite", "/data/sparse", b"tail", 10 * MiB),
        ("write", "/data/hole-at-end", b"abc"),
        ("truncate_size", "/data/hole-at-end", 5 * MiB),
        ("touch", "/data/fragmented"),
    ]
    # 24 separate extents: more than the inode holds, so an extent tree.
    for k in range(24):
        ops.append(("pwrite", "/data/fragmented", blob(100 + k, 4096), k * 65536))
    ops += [
        ("ln_s", "size-1", "/data/fast-link"),
        ("ln_s", SLOW_TARGET, "/data/slow-link"),
        ("ln_s", TARGET_59, "/data/link-59"),
        ("ln_s", TARGET_60, "/data/link-60"),
        ("ln_s", "/nonexistent/path", "/data/dangling"),
        ("ln_s", "usr/lib", "/lib"),
        ("mkdir_p", "/usr/lib"),
        ("ln", "/data/size-4096", "/data/hardlink-4096"),
        ("ln", "/data/size-4096", "/etc/hardlink-in-etc"),
        ("write", "/data/" + LONG_NAME, b"long name\n"),
        ("write", "/data/ünïcødé-ファイル", b"utf-8 name\n"),
        ("mkdir", "/data/emptydir"),
        # Modes and owners.
        ("write", "/data/setuid", b"#!/bin/sh\n"),
        ("chmod", 0o4755, "/data/setuid"),
        ("mkdir", "/data/setgid-dir"),
        ("chmod", 0o2775, "/data/setgid-dir"),
        ("mkdir", "/tmp"),
        ("chmod", 0o1777, "/tmp"),
        ("write", "/data/no-permissions", b"nothing\n"),
        ("chmod", 0o000, "/data/no-permissions"),
        ("mkdir", "/data/private"),
        ("chmod", 0o700, "/data/private"),
        ("mkdir_p", "/home/user"),
        ("chown", 1000, 1000, "/home/user"),
        ("write", "/home/user/.profile", b"PATH=$HOME/bin:$PATH\n"),
        ("chown", 1000, 1000, "/home/user/.profile"),
        ("write", "/data/nobody", b"nobody\n"),
        ("chown", 65534, 65534, "/data/nobody"),
        ("lchown", 1000, 1001, "/data/slow-link"),
        # Special files.
        ("mkdir", "/dev"),
        ("mkfifo", 0o644, "/data/fifo"),
        ("mknod_c", 0o666, 1, 3, "/dev/null"),
        ("mknod_b", 0o660, 8, 0, "/dev/sda"),
        # Extended attributes: small ones in the inode, a large one in a
        # block of its own, many on one file, on a directory and a symlink.
        ("write", "/data/xattrs", b"has xattrs\n"),
        ("setxattr", "user.comment", "hello", "/data/xattrs"),
        ("setxattr", "user.empty", "", "/data/xattrs"),
        ("setxattr", "user.text", XATTR_TEXT, "/data/xattrs"),
        ("setxattr", "trusted.overlay.opaque", "y", "/data/xattrs"),
        ("write", "/data/big-xattr", b""),
        # Outside the inode, as large as a 1 KiB block allows.
        ("setxattr", "trusted.big", blob(5, 450).hex(), "/data/big-xattr"),
        ("write", "/data/many-xattrs", b""),
        ("setxattr", "user.dir", "on a directory", "/data"),
        ("lsetxattr", "trusted.link", "on a symlink", "/data/fast-link"),
        ("bulk", "/big", big_entries()),
    ]
    for i in range(30):
        ops.append(("setxattr", "user.n%02d" % i, "value %d" % i, "/data/many-xattrs"))
    return ops


def esp_ops():
    return [
        ("mkdir_p", "/EFI/BOOT"),
        ("upload", "/EFI/BOOT/BOOTX64.EFI", blob(10, 300 * 1024 + 17)),
        ("mkdir_p", "/EFI/debian"),
        ("write", "/EFI/debian/grubx64.efi", blob(11, 100 * 1024)),
        ("write", "/EFI/debian/shimx64.efi", blob(12, 4096)),
        ("write", "/EFI/debian/grub.cfg", b"search.fs_uuid 1234 root\nconfigfile $prefix/grub.cfg\n"),
        ("mkdir_p", "/loader/entries"),
        ("write", "/loader/entries/debian-6.1.0-amd64.conf", b"title Debian\nlinux /vmlinuz\n"),
        ("write", "/A long file name with spaces and more than 13 chars.txt", b"long\n"),
        ("write", "/lowercase.txt", b"lower\n"),
        ("write", "/MixedCase.Txt", b"mixed\n"),
        ("write", "/UPPER.TXT", b"upper\n"),
        ("write", "/Ünïcødé ファイル.txt", b"unicode\n"),
        ("write", "/empty.bin", b""),
        ("write", "/cluster.bin", blob(13, 4096)),
        ("touch", "/gap.bin"),
        ("pwrite", "/gap.bin", b"end", 10000),
        ("bulk", "/EFI/many", esp_many_entries()),
    ]


# Image C (the kernel's, left with a dirty journal): data first, then sync,
# then metadata-only changes that are only in the journal when it "crashes".
def crash_data_ops():
    return [
        ("mkdir_p", "/data/dir-to-remove/sub"),
        ("write", "/data/keep", blob(20, 200000)),
        ("write", "/data/to-delete", blob(21, 50000)),
        ("write", "/data/to-move", b"moved\n"),
        ("write", "/data/to-truncate", blob(22, 300000)),
        ("write", "/data/to-chmod", b"chmod\n"),
        ("write", "/data/dir-to-remove/sub/f", b"f\n"),
        ("write", "/orphan-data", blob(23, MiB)),
    ]


def crash_meta_ops():
    ops = [
        ("mkdir_p", "/after-sync/x/y"),
        ("touch", "/after-sync/empty"),
        ("ln_s", "../data/keep", "/after-sync/link"),
        ("ln", "/data/keep", "/after-sync/hardlink"),
        ("chmod", 0o600, "/data/to-chmod"),
        ("chown", 1000, 100, "/data/to-chmod"),
        ("setxattr", "user.after", "sync", "/data/keep"),
        ("mv", "/data/to-move", "/after-sync/moved"),
        ("rm", "/data/to-delete"),
        ("rm_rf", "/data/dir-to-remove"),
        ("truncate_size", "/data/to-truncate", 1000),
        ("mkdir", "/after-sync/many"),
        ("bulk", "/after-sync/many", [("empty-%04d-entry" % i, b"") for i in range(300)]),
    ]
    return ops


# Image E (ours, MBR): ext3 at /, ext2 at /ext2, the same small tree on each.
IMAGE_E_SIZE = 256 * MiB
IMAGE_E_LAYOUT = [(2048, 2048 + 100 * 2048 - 1), (2048 + 100 * 2048, IMAGE_E_SIZE // SECTOR - 1)]
EXT2_MOUNT = "/ext2"


def small_ops():
    ops = [
        ("mkdir_p", "/etc/default"),
        ("write", "/etc/os-release", OS_RELEASE),
        ("write", "/etc/default/grub", b"GRUB_TIMEOUT=5\n"),
        ("write", "/size-4097", blob(30, 4097)),
        ("write", "/size-300k", blob(31, 300 * 1024 + 3)),
        # Past the 12 direct blocks and into the double-indirect ones (1 KiB
        # blocks: 12 + 256 blocks), with holes: ext2/3 block maps, no extents.
        ("touch", "/sparse"),
        ("pwrite", "/sparse", b"first", 0),
        ("pwrite", "/sparse", b"indirect", 20 * 1024),
        ("pwrite", "/sparse", b"double", 400 * 1024),
        ("ln_s", "etc/os-release", "/fast-link"),
        ("ln_s", SLOW_TARGET, "/slow-link"),
        ("ln", "/size-4097", "/hardlink"),
        ("mkdir", "/home"),
        ("chown", 1000, 1000, "/home"),
        ("chmod", 0o750, "/home"),
        ("write", "/home/.secret", b"s"),
        ("chmod", 0o600, "/home/.secret"),
        ("chown", 1000, 1000, "/home/.secret"),
        ("mkfifo", 0o600, "/fifo"),
        ("mknod_c", 0o620, 4, 1, "/tty1"),
        ("setxattr", "user.mime_type", "text/plain", "/etc/os-release"),
        ("setxattr", "trusted.md5", blob(32, 16).hex(), "/size-4097"),
        ("bulk", "/many", [("file-%03d-%s" % (i, "y" * (i % 50)), b"" if i % 3 else b"%d" % i)
                           for i in range(400)]),
    ]
    return ops


def tarball(entries):
    """A tar of entries as big_entries() describes them (owner 0:0, default modes)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for name, data in entries:
            ti = tarfile.TarInfo(name)
            ti.uid = ti.gid = 0
            ti.uname = ti.gname = "root"
            ti.mtime = 1700000000
            if data is None:
                ti.type = tarfile.DIRTYPE
                ti.mode = 0o755
                tar.addfile(ti)
            else:
                ti.mode = 0o644
                ti.size = len(data)
                tar.addfile(ti, io.BytesIO(data))
    return buf.getvalue()


def apply(g, ops, base="", workdir=None):
    """Carry out ops on handle g, paths prefixed with base (a mount point);
    host files for tar_in and upload are written in workdir (a temporary
    directory when None)."""
    if workdir is None:
        with tempfile.TemporaryDirectory() as tmp:
            return apply(g, ops, base, tmp)
    P = lambda p: base + p if base else p  # noqa: E731
    for op in ops:
        name, args = op[0], op[1:]
        if name == "bulk":
            d, entries = args
            g.mkdir_p(P(d))
            path = "%s/bulk-%s.tar" % (workdir, hashlib.sha1(P(d).encode()).hexdigest())
            with open(path, "wb") as f:
                f.write(tarball(entries))
            g.tar_in(path, P(d))
        elif name == "upload":
            p, data = args
            path = "%s/upload-%s" % (workdir, hashlib.sha1(P(p).encode()).hexdigest())
            with open(path, "wb") as f:
                f.write(data)
            g.upload(path, P(p))
        elif name in ("mkdir_p", "mkdir", "touch", "rm", "rm_rf"):
            getattr(g, name)(P(args[0]))
        elif name in ("write",):
            g.write(P(args[0]), args[1])
        elif name == "pwrite":
            n = g.pwrite(P(args[0]), args[1], args[2])
            if n != len(args[1]):
                raise RuntimeError("pwrite %s: wrote %d of %d bytes" % (args[0], n, len(args[1])))
        elif name == "truncate_size":
            g.truncate_size(P(args[0]), args[1])
        elif name == "ln_s":
            g.ln_s(args[0], P(args[1]))  # the target is stored as given
        elif name in ("ln", "mv"):
            getattr(g, name)(P(args[0]), P(args[1]))
        elif name == "chmod":
            g.chmod(args[0], P(args[1]))
        elif name in ("chown", "lchown"):
            getattr(g, name)(args[0], args[1], P(args[2]))
        elif name in ("setxattr", "lsetxattr"):
            getattr(g, name)(args[0], args[1], len(args[1].encode()), P(args[2]))
        elif name == "mkfifo":
            g.mkfifo(args[0], P(args[1]))
        elif name in ("mknod_c", "mknod_b"):
            getattr(g, name)(args[0], args[1], args[2], P(args[3]))
        else:
            raise ValueError("unknown op %r" % (op,))


# ---- the model: what a listing must show after ops ---------------------------

def model(ops, fs, base=""):
    """path -> expected record fields, simulating ops (fs: 'ext' or 'vfat').

    Covers type, mode, uid, gid, size, nlink, target, sha256, xattrs, rdev and
    which paths are the same inode (key 'inode', an arbitrary id)."""
    P = lambda p: (base + p) if p != "/" else (base or "/")  # noqa: E731
    root = base or "/"
    nodes = {}      # id -> node
    names = {}      # path -> id
    counter = [0]

    def new(kind, mode, **kw):
        counter[0] += 1
        n = dict(type=kind, mode=mode, uid=0, gid=0, data=b"", target=None,
                 xattrs={}, rdev=(0, 0), id=counter[0])
        n.update(kw)
        nodes[counter[0]] = n
        return counter[0]

    names[root] = new("dir", 0o755)
    if fs == "ext":
        names[P("/lost+found")] = new("dir", 0o700)

    def parent_ok(p):
        par = p.rsplit("/", 1)[0] or "/"
        if par not in names:
            raise ValueError("model: no parent for %s" % p)

    def mkdir_p(p):
        parts = p.strip("/").split("/")
        for i in range(1, len(parts) + 1):
            q = (base or "") + "/" + "/".join(parts[:i])
            if q not in names:
                names[q] = new("dir", 0o755)

    def file(p):
        if P(p) not in names:
            parent_ok(P(p))
            names[P(p)] = new("reg", 0o644)
        return nodes[names[P(p)]]

    for op in ops:
        name, args = op[0], op[1:]
        if name == "mkdir_p":
            mkdir_p(args[0])
        elif name == "mkdir":
            parent_ok(P(args[0]))
            names[P(args[0])] = new("dir", 0o755)
        elif name == "bulk":
            d, entries = args
            mkdir_p(d)
            for rel, data in entries:
                q = P(d) + "/" + rel
                parent_ok(q)
                names[q] = new("dir", 0o755) if data is None else new("reg", 0o644, data=data)
        elif name in ("write", "upload"):
            file(args[0])["data"] = args[1]
        elif name == "touch":
            file(args[0])
        elif name == "pwrite":
            n = file(args[0])
            d, off = n["data"], args[2]
            if len(d) < off:
                d = d + bytes(off - len(d))
            n["data"] = d[:off] + args[1] + d[off + len(args[1]):]
        elif name == "truncate_size":
            n = file(args[0])
            d, size = n["data"], args[1]
            n["data"] = d[:size] + bytes(max(0, size - len(d)))
        elif name == "ln_s":
            names[P(args[1])] = new("lnk", 0o777, target=args[0])
        elif name == "ln":
            names[P(args[1])] = names[P(args[0])]
        elif name == "mv":
            names[P(args[1])] = names.pop(P(args[0]))
        elif name == "rm":
            del names[P(args[0])]
        elif name == "rm_rf":
            pre = P(args[0])
            for q in [q for q in names if q == pre or q.startswith(pre + "/")]:
                del names[q]
        elif name == "chmod":
            nodes[names[P(args[1])]]["mode"] = args[0]
        elif name in ("chown", "lchown"):
            n = nodes[names[P(args[2])]]
            n["uid"], n["gid"] = args[0], args[1]
        elif name in ("setxattr", "lsetxattr"):
            nodes[names[P(args[2])]]["xattrs"][args[0]] = args[1].encode()
        elif name == "mkfifo":
            names[P(args[1])] = new("fifo", args[0] & ~UMASK)
        elif name in ("mknod_c", "mknod_b"):
            names[P(args[3])] = new("chr" if name == "mknod_c" else "blk",
                                    args[0] & ~UMASK, rdev=(args[1], args[2]))
        else:
            raise ValueError("model: unknown op %r" % (op,))

    links = {}
    for p, i in names.items():
        links[i] = links.get(i, 0) + 1
    out = {}
    for p, i in names.items():
        n = nodes[i]
        rec = dict(type=n["type"], uid=n["uid"], gid=n["gid"], inode=i,
                   xattrs={k: v.hex() for k, v in n["xattrs"].items()})
        if fs == "vfat":
            rec["mode"] = 0o755  # fmask=dmask=0022: every file rwxr-xr-x
            rec["xattrs"] = {}
        else:
            rec["mode"] = n["mode"]
        if n["type"] == "reg":
            rec["size"] = len(n["data"])
            rec["sha256"] = hashlib.sha256(n["data"]).hexdigest()
            rec["nlink"] = links[i]
        elif n["type"] == "lnk":
            rec["size"] = len(n["target"].encode())
            rec["target"] = n["target"]
            rec["nlink"] = 1
        elif n["type"] == "dir":
            rec["nlink"] = 2 + sum(1 for q, j in names.items()
                                   if nodes[j]["type"] == "dir" and q != p
                                   and (q.rsplit("/", 1)[0] or "/") == p)
        else:
            rec["size"] = 0
            rec["nlink"] = 1
            rec["rdev"] = list(n["rdev"])
        out[p] = rec
    return out


def metadata(g, disk):
    """The partition table and what each partition holds, as the API reports them."""
    parts = g.part_list(disk)
    out = {"part_list": [dict(p) for p in parts],
           "parttype": g.part_get_parttype(disk),
           "gpt_type": {}, "part_name": {}, "mbr_id": {}, "fs": {}}
    for p in parts:
        n = p["part_num"]
        dev = "%s%d" % (disk, n)
        if out["parttype"] == "gpt":
            out["gpt_type"][str(n)] = g.part_get_gpt_type(disk, n)
            out["part_name"][str(n)] = g.part_get_name(disk, n)
        else:
            out["mbr_id"][str(n)] = g.part_get_mbr_id(disk, n)
        out["fs"][str(n)] = {"type": g.vfs_type(dev), "label": g.vfs_label(dev),
                             "uuid": g.vfs_uuid(dev)}
    return out


# ---- listings -----------------------------------------------------------------

TYPES = {stat.S_IFREG: "reg", stat.S_IFDIR: "dir", stat.S_IFLNK: "lnk",
         stat.S_IFIFO: "fifo", stat.S_IFCHR: "chr", stat.S_IFBLK: "blk",
         stat.S_IFSOCK: "sock"}

# Fields of the primary comparison (the brief's list) and the extended one.
PRIMARY = ("type", "mode", "uid", "gid", "size", "nlink", "target", "sha256", "xattrs")
EXTENDED = ("ino", "rdev", "blocks", "blksize", "atime", "mtime", "ctime")


def dev_split(rdev):
    # Linux's new_encode_dev/huge encoding as glibc's major()/minor().
    major = ((rdev >> 8) & 0xfff) | ((rdev >> 32) & ~0xfff)
    minor = (rdev & 0xff) | ((rdev >> 12) & ~0xff)
    return [major, minor]


def record(st, fs):
    mode = st["st_mode"]
    rec = {
        "type": TYPES.get(stat.S_IFMT(mode), "?%o" % stat.S_IFMT(mode)),
        "mode": stat.S_IMODE(mode),
        "uid": st["st_uid"], "gid": st["st_gid"],
        "size": st["st_size"], "nlink": st["st_nlink"],
        "rdev": dev_split(st["st_rdev"]),
        "blocks": st["st_blocks"], "blksize": st["st_blksize"],
        "atime": [st["st_atime_sec"], st["st_atime_nsec"]],
        "mtime": [st["st_mtime_sec"], st["st_mtime_nsec"]],
        "ctime": [st["st_ctime_sec"], st["st_ctime_nsec"]],
        "fs": fs,
    }
    if fs == "ext":  # vfat inode numbers are made up by each implementation
        rec["ino"] = st["st_ino"]
    return rec


def fs_of(path, mounts):
    """mounts: list of (mountpoint, fs), longest first."""
    for mp, fs in mounts:
        if path == mp or path.startswith(mp.rstrip("/") + "/"):
            return fs
    raise ValueError(path)


def xattr_dict(lst):
    return {x["attrname"]: bytes(x["attrval"]).hex() for x in lst}


def _err(e):
    return "ERROR: %s" % (e,)


def listing_per_file(g, mounts):
    """The listing through one call per question (lstatns, readlink, checksum,
    lgetxattrs on every path): how this project's library is read."""
    paths = ["/"] + ["/" + p for p in g.find("/")]
    out = {}
    for p in paths:
        fs = fs_of(p, mounts)
        try:
            rec = record(g.lstatns(p), fs)
        except RuntimeError as e:
            out[p] = {"error": _err(e)}
            continue
        if rec["type"] == "lnk":
            try:
                rec["target"] = g.readlink(p)
            except RuntimeError as e:
                rec["target"] = _err(e)
        if rec["type"] == "reg":
            try:
                rec["sha256"] = g.checksum("sha256", p)
            except RuntimeError as e:
                rec["sha256"] = _err(e)
        try:
            rec["xattrs"] = xattr_dict(g.lgetxattrs(p))
        except RuntimeError as e:
            rec["xattrs"] = _err(e)
        out[p] = rec
    return out


def listing_batched(g, mounts, tmpfile):
    """The same listing in few calls (lstatnslist, readlinklist, lxattrlist per
    directory, one checksums_out): how the oracle's appliance is read."""
    paths = ["/" + p for p in g.find("/")]
    out = {"/": record(g.lstatns("/"), fs_of("/", mounts))}
    out["/"]["xattrs"] = xattr_dict(g.lgetxattrs("/"))
    by_dir = {}
    for p in paths:
        d, n = p.rsplit("/", 1)
        by_dir.setdefault(d or "/", []).append(n)
    for d, names in sorted(by_dir.items()):
        for i in range(0, len(names), 400):
            chunk = names[i:i + 400]
            full = [(d.rstrip("/") + "/" + n) for n in chunk]
            for p, st in zip(full, g.lstatnslist(d, chunk)):
                out[p] = record(st, fs_of(p, mounts))
            lnk = [n for n, p in zip(chunk, full) if out[p]["type"] == "lnk"]
            if lnk:
                for n, t in zip(lnk, g.readlinklist(d, lnk)):
                    out[d.rstrip("/") + "/" + n]["target"] = t
            xl = g.lxattrlist(d, chunk)
            j = 0
            for p in full:
                cnt = int(bytes(xl[j]["attrval"]).rstrip(b"\0") or b"0")
                assert xl[j]["attrname"] == "", xl[j]
                out[p]["xattrs"] = xattr_dict(xl[j + 1:j + 1 + cnt])
                j += 1 + cnt
    g.checksums_out("sha256", "/", tmpfile)
    with open(tmpfile, "rb") as f:
        for line in f.read().decode("utf-8").splitlines():
            h, p = line[:64], line[66:]
            assert p.startswith("./"), line
            out[p[1:]]["sha256"] = h
    return out
