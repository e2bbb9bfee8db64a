package ext

import (
	"bytes"
	"encoding/binary"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"goguestfs/daemon/errno"
	"goguestfs/daemon/fs"
)

// TestRenameOverNoFiletype: renaming over an existing name rewrites the
// target's entry in place; without the filetype feature its file type
// byte is the high byte of name_len and must stay.
func TestRenameOverNoFiletype(t *testing.T) {
	im := mkfs(t, 8<<10, "-t", "ext2", "-O", "^filetype")
	f, done := im.open(fs.OpenOptions{})
	defer done()
	writeFile(t, f, "/a", []byte("a"), os.O_CREATE|os.O_WRONLY)
	writeFile(t, f, "/b", []byte("b"), os.O_CREATE|os.O_WRONLY)
	require.NoError(t, f.Rename("/a", "/b"))
	assert.Equal(t, "a", string(readFile(t, f, "/b")))
	require.NoError(t, f.Close())
	im.fsck()
}

// TestRenameInlineDirOverEmptyDir moves an inline-data directory over an
// empty directory elsewhere, then over a file-less one in the same
// directory.
func TestRenameInlineDirOverEmptyDir(t *testing.T) {
	im := mkfs(t, 8<<10, "-t", "ext4", "-O", "inline_data")
	f, done := im.open(fs.OpenOptions{})
	defer done()
	for _, p := range []string{"/a", "/a/d", "/b", "/b/e", "/b/g"} {
		require.NoError(t, f.Mkdir(p, 0o755))
	}
	writeFile(t, f, "/a/d/x", []byte("x"), os.O_CREATE|os.O_WRONLY)
	require.NoError(t, f.Rename("/a/d", "/b/e"))
	require.NoError(t, f.Rename("/b/e", "/b/g"))
	st, err := f.Stat("/b/g/x")
	require.NoError(t, err)
	assert.True(t, st.Mode.IsRegular())
	require.NoError(t, f.Close())
	im.fsck()
}

// TestRenameOverLinkCounts renames directories over empty directories
// and files over hard-linked and open files in every parent relation, then
// checks with e2fsck and with lookups through the same (cached) FS.
func TestRenameOverLinkCounts(t *testing.T) {
	for _, args := range [][]string{{"-t", "ext4"}, {"-t", "ext4", "-O", "inline_data"}, {"-t", "ext3"}} {
		im := mkfs(t, 8<<10, args...)
		f, done := im.open(fs.OpenOptions{})
		for _, p := range []string{"/a", "/a/b", "/a/b/c", "/a/b/c/in", "/a/d", "/a/b/e", "/a/b/f", "/g"} {
			require.NoError(t, f.Mkdir(p, 0o755))
		}
		// Up: /a/b/c (fdir /a/b) over /a/d (tdir /a).
		require.NoError(t, f.Rename("/a/b/c", "/a/d"))
		// Down: /a/d (fdir /a) over /a/b/e (tdir /a/b).
		require.NoError(t, f.Rename("/a/d", "/a/b/e"))
		// Across to the root: /a/b/e over /g.
		require.NoError(t, f.Rename("/a/b/e", "/g"))
		// Sideways in one directory: /a/b/f over itself's sibling.
		require.NoError(t, f.Mkdir("/a/b/h", 0o755))
		require.NoError(t, f.Rename("/a/b/f", "/a/b/h"))
		st, err := f.Stat("/g/in")
		require.NoError(t, err)
		assert.True(t, st.Mode.IsDir())
		for _, p := range []string{"/a/b/c", "/a/d", "/a/b/e", "/a/b/f"} {
			_, err := f.Stat(p)
			assert.Error(t, err, p)
		}
		// Names come back where the cache had them.
		for _, p := range []string{"/a/b/c", "/a/d", "/a/b/e", "/a/b/f", "/g/in/x"} {
			require.NoError(t, f.Mkdir(p, 0o700), p)
		}
		// Files: over a hard-linked target, over an open target.
		writeFile(t, f, "/s", []byte("s"), os.O_CREATE|os.O_WRONLY)
		writeFile(t, f, "/t", []byte("t"), os.O_CREATE|os.O_WRONLY)
		require.NoError(t, f.Link("/t", "/g/t2"))
		require.NoError(t, f.Rename("/s", "/t"))
		st, err = f.Stat("/g/t2")
		require.NoError(t, err)
		assert.Equal(t, uint64(1), st.Nlink)
		writeFile(t, f, "/u", []byte("u"), os.O_CREATE|os.O_WRONLY)
		h, err := f.OpenFile("/g/t2", os.O_RDWR, 0)
		require.NoError(t, err)
		require.NoError(t, f.Rename("/u", "/g/t2"))
		b := make([]byte, 1)
		_, err = h.ReadAt(b, 0)
		require.NoError(t, err)
		assert.Equal(t, "t", string(b))
		require.NoError(t, h.Close())
		require.NoError(t, f.Close())
		done()
		im.fsck()
	}
}

// TestDirCacheInStep exercises the name cache through changes that
// touch two directories or an inode that stays alive, comparing every
// lookup with a fresh open of the same image.
func TestDirCacheInStep(t *testing.T) {
	im := mkfs(t, 8<<10, "-t", "ext4", "-O", "inline_data")
	f, done := im.open(fs.OpenOptions{})
	for _, p := range []string{"/a", "/a/sub", "/b", "/c"} {
		require.NoError(t, f.Mkdir(p, 0o755))
	}
	writeFile(t, f, "/a/sub/f", []byte("f"), os.O_CREATE|os.O_WRONLY)
	// Warm the cache of every directory.
	for _, p := range []string{"/a/x", "/a/sub/x", "/b/x", "/c/x"} {
		_, err := f.Stat(p)
		require.Error(t, err)
	}
	h, err := f.OpenFile("/a/sub/f", os.O_RDWR, 0)
	require.NoError(t, err)
	require.NoError(t, f.Remove("/a/sub/f"))
	writeFile(t, f, "/a/sub/f", []byte("new"), os.O_CREATE|os.O_EXCL|os.O_WRONLY)
	require.NoError(t, h.Close())
	require.NoError(t, f.Rename("/a/sub", "/b/sub"))
	require.NoError(t, f.Mkdir("/a/sub", 0o755))
	require.NoError(t, f.Rename("/b/sub", "/c"))
	require.NoError(t, f.Link("/c/f", "/a/sub/hl"))
	for i := 0; i < 40; i++ { // grows /a/sub out of its inline data
		writeFile(t, f, "/a/sub/"+string(rune('A'+i))+"-long-name-to-fill-the-inode", nil, os.O_CREATE|os.O_WRONLY)
	}
	paths := []string{"/a/sub", "/b/sub", "/c", "/c/f", "/a/sub/hl", "/a/sub/f", "/b/sub/f", "/a/sub/A-long-name-to-fill-the-inode"}
	got := map[string]uint64{}
	for _, p := range paths {
		if st, err := f.Stat(p); err == nil {
			got[p] = st.Ino
		}
	}
	require.NoError(t, f.Close())
	done()
	im.fsck()
	f, done = im.open(fs.OpenOptions{ReadOnly: true})
	defer done()
	want := map[string]uint64{}
	for _, p := range paths {
		if st, err := f.Stat(p); err == nil {
			want[p] = st.Ino
		}
	}
	assert.Equal(t, want, got)
}

// renameEntry renames, in the image, the entry old of the linear directory
// dir (its first block) to new, of the same length, bytes as given: the
// corrupt or hostile names no driver call makes.
func renameEntry(t *testing.T, im *image, dir, old, new string) {
	t.Helper()
	require.Equal(t, len(old), len(new))
	var blk, bs int64
	_, err := fmtSscan(im.debugfs("bmap "+quote(dir)+" 0"), &blk)
	require.NoError(t, err)
	_, err = fmtSscan(strings.TrimPrefix(strings.Split(strings.Split(im.debugfs("stats"), "Block size:")[1], "\n")[0], " "), &bs)
	require.NoError(t, err)
	raw, err := os.ReadFile(im.path)
	require.NoError(t, err)
	b := raw[im.off+blk*bs : im.off+(blk+1)*bs]
	for off := 0; off+8 <= len(b); {
		rec := int(binary.LittleEndian.Uint16(b[off+4:]))
		n := int(b[off+6])
		if binary.LittleEndian.Uint32(b[off:]) != 0 && string(b[off+8:off+8+n]) == old {
			copy(b[off+8:], new)
			require.NoError(t, os.WriteFile(im.path, raw, 0o600))
			return
		}
		require.NotZero(t, rec)
		off += rec
	}
	t.Fatalf("%s: no entry %q", dir, old)
}

// TestReadDirCorruptNames: an entry whose name holds "/" or NUL, or is "."
// or ".." past the first two entries, fails ReadDir with EIO naming the
// directory, is not in the name cache, and keeps the directory from
// counting as empty; the other directories read as before.
func TestReadDirCorruptNames(t *testing.T) {
	for _, c := range []struct{ old, new string }{
		{"aaaaaaaaa", "../../etc"}, {"nul-in-it", "nul\x00in-it"}, {"zz", ".."}, {"z", "."}, {"slash", "/etc/"},
	} {
		im := mkfs(t, 8<<10, "-t", "ext4", "-O", "^metadata_csum")
		f, done := im.open(fs.OpenOptions{})
		for _, p := range []string{"/victim", "/other", "/etc"} {
			require.NoError(t, f.Mkdir(p, 0o755))
		}
		writeFile(t, f, "/victim/keep", nil, os.O_CREATE|os.O_WRONLY)
		writeFile(t, f, "/victim/"+c.old, nil, os.O_CREATE|os.O_WRONLY)
		writeFile(t, f, "/other/f", nil, os.O_CREATE|os.O_WRONLY)
		done()
		renameEntry(t, im, "/victim", c.old, c.new)

		f, done = im.open(fs.OpenOptions{})
		_, err := f.ReadDir("/victim")
		if assert.Error(t, err, "%q", c.new) {
			assert.Equal(t, syscall.EIO, errno.Of(err))
			assert.Contains(t, err.Error(), "/victim: corrupt directory entry")
		}
		ents, err := f.ReadDir("/other")
		require.NoError(t, err)
		assert.Len(t, ents, 1)
		st, err := f.Stat("/victim")
		require.NoError(t, err)
		_, err = f.Stat("/victim/keep")
		assert.NoError(t, err)
		cached := false
		for dir, m := range f.dc.dirs {
			for name := range m {
				assert.False(t, badName(name), "%q cached", name)
			}
			if uint64(dir) == st.Ino {
				cached = true
				assert.Len(t, m, 1, "%q", c.new)
			}
		}
		assert.True(t, cached)
		up, err := f.Stat("/victim/..")
		require.NoError(t, err)
		root, err := f.Stat("/")
		require.NoError(t, err)
		assert.Equal(t, root.Ino, up.Ino, "%q", c.new)
		require.NoError(t, f.Remove("/victim/keep"))
		assert.ErrorIs(t, f.Remove("/victim"), syscall.ENOTEMPTY, "%q", c.new)
		done()
	}
}

// TestReadDirInlineCorruptName: the position of "." and ".." is counted in
// an inline-data directory too, where libext2fs restarts its own count
// for each part: the first real entries are listed, a bad one refused.
func TestReadDirInlineCorruptName(t *testing.T) {
	im := mkfs(t, 8<<10, "-t", "ext4", "-O", "inline_data,^metadata_csum")
	f, done := im.open(fs.OpenOptions{})
	require.NoError(t, f.Mkdir("/d", 0o755))
	for _, n := range []string{"x", "y", "qwertyuio"} {
		writeFile(t, f, "/d/"+n, nil, os.O_CREATE|os.O_WRONLY)
	}
	ents, err := f.ReadDir("/d")
	require.NoError(t, err)
	assert.Len(t, ents, 3)
	done()
	raw, err := os.ReadFile(im.path)
	require.NoError(t, err)
	require.Equal(t, 1, bytes.Count(raw, []byte("qwertyuio")))
	require.NoError(t, os.WriteFile(im.path, bytes.Replace(raw, []byte("qwertyuio"), []byte("../../etc"), 1), 0o600))
	f, done = im.open(fs.OpenOptions{ReadOnly: true})
	defer done()
	_, err = f.ReadDir("/d")
	assert.ErrorIs(t, err, syscall.EIO)
	for _, n := range []string{"/d/x", "/d/y"} {
		_, err := f.Stat(n)
		assert.NoError(t, err, n)
	}
}

// TestChownKillsSetuid: chown, as chown(2) on Linux for root too, clears
// a non-directory's set-user-ID bit, its set-group-ID bit when
// group-executable, and its security.capability, even with -1, -1.
func TestChownKillsSetuid(t *testing.T) {
	im := mkfs(t, 8<<10, "-t", "ext4")
	f, done := im.open(fs.OpenOptions{})
	defer done()
	writeFile(t, f, "/f", nil, os.O_CREATE|os.O_WRONLY)
	require.NoError(t, f.Mkdir("/d", 0o755))
	mode := func(p string) uint32 {
		st, err := f.Stat(p)
		require.NoError(t, err)
		return uint32(unixPerm(st.Mode))
	}
	for _, c := range []struct {
		perm     os.FileMode
		uid, gid int
		want     uint32
	}{
		{os.ModeSetuid | os.ModeSetgid | 0o755, 1000, 100, 0o755},
		{os.ModeSetuid | os.ModeSetgid | 0o745, -1, 7, 0o2745},
		{os.ModeSetuid | 0o755, -1, -1, 0o755},
		{os.ModeSetgid | os.ModeSticky | 0o775, 5, -1, 0o1775},
	} {
		require.NoError(t, f.Chmod("/f", c.perm))
		require.NoError(t, f.SetXattr("/f", "security.capability", []byte{0, 0, 0, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}))
		require.NoError(t, f.SetXattr("/f", "user.keep", []byte("k")))
		require.NoError(t, f.Chown("/f", c.uid, c.gid))
		assert.Equal(t, c.want, mode("/f"), "chown %d %d of %v", c.uid, c.gid, c.perm)
		names, err := f.ListXattrs("/f")
		require.NoError(t, err)
		assert.Equal(t, []string{"user.keep"}, names)
	}
	st, err := f.Stat("/f")
	require.NoError(t, err)
	assert.Equal(t, []uint32{5, 7}, []uint32{st.Uid, st.Gid})
	require.NoError(t, f.Chmod("/d", os.ModeSetuid|os.ModeSetgid|0o755))
	require.NoError(t, f.Chown("/d", 1, 1))
	assert.Equal(t, uint32(0o6755), mode("/d"), "a directory keeps its bits")
	require.NoError(t, f.Close())
	im.fsck()
}

// TestNewInodeGroup: in a set-group-ID directory new files, directories,
// symbolic links and nodes get the directory's group and new directories
// the set-group-ID bit (inode_init_owner); mkdir keeps only 0777 and the
// sticky bit of its mode. With grpid every directory hands on its group
// and no set-group-ID bit; bsdgroups in the default mount options is
// grpid, which nogrpid undoes.
func TestNewInodeGroup(t *testing.T) {
	make := func(f *FS, dir string) {
		writeFile(t, f, dir+"/f", nil, os.O_CREATE|os.O_WRONLY)
		require.NoError(t, f.Mkdir(dir+"/s", os.ModeSetuid|os.ModeSetgid|os.ModeSticky|0o755))
		require.NoError(t, f.Symlink("f", dir+"/l"))
		require.NoError(t, f.Mknod(dir+"/p", os.ModeNamedPipe|0o644, 0))
	}
	check := func(f *FS, dir string, gid uint32, sdirMode uint32) {
		for _, n := range []string{"f", "s", "l", "p"} {
			st, err := f.Stat(dir + "/" + n)
			require.NoError(t, err)
			assert.Equal(t, gid, st.Gid, "group of %s/%s", dir, n)
			if n == "s" {
				assert.Equal(t, sdirMode, uint32(unixPerm(st.Mode)), "mode of %s/s", dir)
			}
		}
	}
	for _, c := range []struct {
		mkfs    []string
		options string
		grpid   bool
	}{
		{[]string{"-t", "ext4"}, "", false},
		{[]string{"-t", "ext4", "-O", "inline_data"}, "", false},
		{[]string{"-t", "ext2", "-I", "128"}, "", false},
		{[]string{"-t", "ext4"}, "grpid", true},
		{[]string{"-t", "ext3"}, "bsdgroups", true},
	} {
		im := mkfs(t, 8<<10, c.mkfs...)
		f, done := im.open(fs.OpenOptions{Options: c.options})
		for _, d := range []string{"/plain", "/sgid", "/grp"} {
			require.NoError(t, f.Mkdir(d, 0o755))
		}
		require.NoError(t, f.Chown("/sgid", 0, 100))
		require.NoError(t, f.Chmod("/sgid", os.ModeSetgid|0o775))
		require.NoError(t, f.Chown("/grp", 0, 200))
		for _, d := range []string{"/plain", "/sgid", "/grp"} {
			make(f, d)
		}
		check(f, "/plain", 0, 0o1755)
		check(f, "/sgid", 100, map[bool]uint32{false: 0o3755, true: 0o1755}[c.grpid])
		check(f, "/grp", map[bool]uint32{false: 0, true: 200}[c.grpid], 0o1755)
		done()
		im.fsck()
	}
	im := mkfs(t, 8<<10, "-t", "ext4")
	run(t, "tune2fs", "-o", "bsdgroups", im.path)
	f, done := im.open(fs.OpenOptions{})
	require.NoError(t, f.Mkdir("/grp", 0o755))
	require.NoError(t, f.Chown("/grp", 0, 300))
	writeFile(t, f, "/grp/f", nil, os.O_CREATE|os.O_WRONLY)
	st, err := f.Stat("/grp/f")
	require.NoError(t, err)
	assert.Equal(t, uint32(300), st.Gid, "bsdgroups by default")
	done()
	f, done = im.open(fs.OpenOptions{Options: "nogrpid"})
	defer done()
	writeFile(t, f, "/grp/g", nil, os.O_CREATE|os.O_WRONLY)
	st, err = f.Stat("/grp/g")
	require.NoError(t, err)
	assert.Equal(t, uint32(0), st.Gid, "nogrpid")
}

// TestUserXattrOnSpecialFiles: as Linux's xattr_permission, user.*
// attributes are for regular files and directories: EPERM to set or
// remove one elsewhere, ENODATA to read one an image holds (listing shows
// it); other namespaces are not concerned. nouser_xattr hides them all.
func TestUserXattrOnSpecialFiles(t *testing.T) {
	im := mkfs(t, 8<<10, "-t", "ext4")
	f, done := im.open(fs.OpenOptions{})
	require.NoError(t, f.Symlink("nowhere", "/l"))
	require.NoError(t, f.Mknod("/p", os.ModeNamedPipe|0o644, 0))
	require.NoError(t, f.Mkdir("/d", 0o755))
	writeFile(t, f, "/f", nil, os.O_CREATE|os.O_WRONLY)
	assert.ErrorIs(t, f.LSetXattr("/l", "user.a", []byte("v")), syscall.EPERM)
	assert.ErrorIs(t, f.SetXattr("/p", "user.a", []byte("v")), syscall.EPERM)
	assert.ErrorIs(t, f.RemoveXattr("/p", "user.a"), syscall.EPERM)
	require.NoError(t, f.LSetXattr("/l", "trusted.a", []byte("v")))
	require.NoError(t, f.SetXattr("/p", "security.a", []byte("v")))
	require.NoError(t, f.SetXattr("/d", "user.a", []byte("v")))
	require.NoError(t, f.SetXattr("/f", "user.a", []byte("v")))
	done()
	run(t, "debugfs", "-w", "-R", "ea_set /l user.b w", im.path)
	f, done = im.open(fs.OpenOptions{})
	names, err := f.LListXattrs("/l")
	require.NoError(t, err)
	assert.Equal(t, []string{"trusted.a", "user.b"}, names)
	_, err = f.LGetXattr("/l", "user.b")
	assert.ErrorIs(t, err, syscall.ENODATA)
	assert.ErrorIs(t, f.LRemoveXattr("/l", "user.b"), syscall.EPERM)
	done()
	im.fsck()

	f, done = im.open(fs.OpenOptions{Options: "nouser_xattr"})
	defer done()
	names, err = f.ListXattrs("/f")
	require.NoError(t, err)
	assert.Empty(t, names)
	_, err = f.GetXattr("/f", "user.a")
	assert.ErrorIs(t, err, syscall.EOPNOTSUPP)
	assert.ErrorIs(t, f.SetXattr("/d", "user.b", nil), syscall.EOPNOTSUPP)
	require.NoError(t, f.SetXattr("/d", "trusted.b", nil))
}

// TestSetUUIDForms: only the 8-4-4-4-12 form is a UUID (either case). On
// metadata_csum the old checksum seed is kept (metadata_csum_seed); with
// uninit_bg the group descriptor checksums, which cover the UUID, are
// set again; e2fsck finds both clean.
func TestSetUUIDForms(t *testing.T) {
	for _, args := range [][]string{
		{"-t", "ext4"}, {"-t", "ext4", "-O", "^metadata_csum,uninit_bg"}, {"-t", "ext3"}, {"-t", "ext4", "-O", "metadata_csum_seed"},
	} {
		im := mkfs(t, 8<<10, args...)
		f, done := im.open(fs.OpenOptions{})
		for _, bad := range []string{"0123456789abcdef0123456789abcdef----", "01234567-89ab-cdef-0123-456789abcde", "01234567-89ab-cdef-0123-456789abcdeg",
			"0123456-789ab-cdef-0123-456789abcdef", "{1234567-89ab-cdef-0123-456789abcdef", "random", ""} {
			assert.ErrorIs(t, f.SetUUID(bad), syscall.EINVAL, "%q", bad)
		}
		require.NoError(t, f.SetUUID("01234567-89AB-cdef-0123-456789ABCDEF"))
		u, err := f.UUID()
		require.NoError(t, err)
		assert.Equal(t, "01234567-89ab-cdef-0123-456789abcdef", u)
		done()
		im.fsck()
		stats := im.debugfs("stats")
		assert.Contains(t, stats, "01234567-89ab-cdef-0123-456789abcdef")
		if strings.Contains(strings.Join(args, " "), "^metadata_csum") || args[1] == "ext3" {
			assert.NotContains(t, stats, "metadata_csum", "%v", args)
		} else {
			assert.Contains(t, stats, "metadata_csum_seed", "%v", args)
		}
	}
}

// TestMountOptionList: the mount options ext4 takes, refused as
// ext4_fill_super refuses them: journalling options without a journal,
// journal_async_commit in data=ordered mode, data=journal with delalloc;
// quotas are refused (not kept), noload is norecovery (read-only only).
func TestMountOptionList(t *testing.T) {
	ok := []string{
		"journal_checksum", "journal_async_commit,data=writeback", "data=journal,journal_async_commit",
		"errors=continue", "errors=remount-ro", "errors=panic", "data=ordered", "data=writeback", "data=journal",
		"commit=0", "commit=30", "commit=0x10", "nodelalloc", "delalloc", "discard", "nodiscard", "nobarrier", "barrier",
		"barrier=0", "barrier=1", "nouser_xattr", "user_xattr", "noinit_itable", "init_itable", "init_itable=10",
		"max_batch_time=100", "min_batch_time=10", "stripe=4", "resuid=1000", "resgid=100", "grpid", "bsdgroups",
		"nogrpid", "sysvgroups", "noquota", "lazytime", "nolazytime", "acl", "noatime", "ro,noload", "ro,norecovery",
		"data=journal,nodelalloc", "defaults,rw,nosuid,nodev",
	}
	bad := []string{
		"journal_async_commit", "journal_async_commit,data=ordered", "data=journal,delalloc", "delalloc,nodelalloc,data=journal",
		"quota", "usrquota", "grpquota", "prjquota", "usrjquota=aquota.user", "jqfmt=vfsv0", "noload", "norecovery",
		"errors=foo", "data=bogus", "grpid=1", "commit=4294967295", "commit=-1", "commit=", "stripe=x", "resuid=4294967295",
		"subvol=x", "nouser_xattr=1",
	}
	noJournal := func(o string) bool {
		return strings.Contains(o, "journal_") || strings.Contains(o, "data=") || (strings.HasPrefix(o, "commit=") && o != "commit=0")
	}
	for _, typ := range []string{"ext4", "ext2"} {
		im := mkfs(t, 8<<10, "-t", typ)
		d, done := im.dev()
		for _, o := range ok {
			ro := strings.HasPrefix(o, "ro,")
			f, err := Open(d, fs.OpenOptions{Options: o})
			if typ == "ext2" && noJournal(o) {
				assert.ErrorIs(t, err, syscall.EINVAL, "%s %s", typ, o)
				if err == nil {
					require.NoError(t, f.Close())
				}
				continue
			}
			if assert.NoError(t, err, "%s %s", typ, o) {
				assert.Equal(t, ro, f.ReadOnly(), o)
				require.NoError(t, f.Close())
			}
		}
		for _, o := range bad {
			f, err := Open(d, fs.OpenOptions{Options: o})
			assert.ErrorIs(t, err, syscall.EINVAL, "%s %s", typ, o)
			if err == nil {
				require.NoError(t, f.Close())
			}
		}
		done()
		im.fsck()
	}
	// Without a journal the default commit interval (5 s) is fine.
	im := mkfs(t, 8<<10, "-t", "ext2")
	_, done := im.open(fs.OpenOptions{Options: "commit=" + strconv.Itoa(defaultCommitSecs)})
	done()
	// The superblock's default data mode counts.
	im = mkfs(t, 8<<10, "-t", "ext4")
	run(t, "tune2fs", "-o", "journal_data_writeback", im.path)
	_, done = im.open(fs.OpenOptions{Options: "journal_async_commit"})
	done()
	im = mkfs(t, 8<<10, "-t", "ext2")
	run(t, "tune2fs", "-o", "journal_data", im.path)
	_, done = im.open(fs.OpenOptions{Options: "data=journal"})
	done()
}
