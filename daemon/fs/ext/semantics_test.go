package ext

import (
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"goguestfs/daemon/errno"
	"goguestfs/daemon/fs"
)

func TestErrnos(t *testing.T) {
	im := mkfs(t, 8<<10, "-t", "ext4")
	f, done := im.open(fs.OpenOptions{})
	defer done()
	require.NoError(t, f.Mkdir("/d", 0o755))
	writeFile(t, f, "/d/f", []byte("x"), os.O_CREATE|os.O_WRONLY)
	require.NoError(t, f.Mkdir("/e", 0o700))

	_, err := f.Stat("/nope")
	assert.ErrorIs(t, err, syscall.ENOENT)
	assert.Contains(t, err.Error(), "/nope")
	_, err = f.Stat("/d/f/x")
	assert.ErrorIs(t, err, syscall.ENOTDIR)
	assert.ErrorIs(t, f.Mkdir("/d", 0o755), syscall.EEXIST)
	assert.ErrorIs(t, f.Mkdir("/", 0o755), syscall.EEXIST)
	assert.ErrorIs(t, f.Mkdir("/x/y", 0o755), syscall.ENOENT)
	_, err = f.OpenFile("/d", os.O_RDONLY, 0)
	assert.ErrorIs(t, err, syscall.EISDIR)
	_, err = f.OpenFile("/d/f", os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	assert.ErrorIs(t, err, syscall.EEXIST)
	assert.ErrorIs(t, f.Remove("/d"), syscall.ENOTEMPTY)
	assert.ErrorIs(t, f.Remove("/"), syscall.EBUSY)
	_, err = f.Stat("/" + strings.Repeat("n", 256))
	assert.ErrorIs(t, err, syscall.ENAMETOOLONG)
	assert.ErrorIs(t, f.Mkdir("/"+strings.Repeat("n", 256), 0o755), syscall.ENAMETOOLONG)
	assert.ErrorIs(t, f.Link("/d", "/dl"), syscall.EPERM)
	_, err = f.Readlink("/d/f")
	assert.ErrorIs(t, err, syscall.EINVAL)
	assert.ErrorIs(t, f.Rename("/d", "/d/sub"), syscall.EINVAL)
	assert.ErrorIs(t, f.Rename("/d", "/d/f"), syscall.EINVAL) // under itself wins, as in Linux
	assert.ErrorIs(t, f.Rename("/d/f", "/e"), syscall.EISDIR)
	assert.ErrorIs(t, f.Rename("/e", "/d"), syscall.ENOTEMPTY)
	assert.ErrorIs(t, f.Symlink("", "/s"), syscall.ENOENT)
	assert.ErrorIs(t, f.Symlink(strings.Repeat("a", 5000), "/s"), syscall.ENAMETOOLONG)
	assert.ErrorIs(t, f.SetXattr("/d/f", "bogus.x", []byte("v")), syscall.EOPNOTSUPP)
	assert.ErrorIs(t, f.RemoveXattr("/d/f", "user.none"), syscall.ENODATA)
	assert.ErrorIs(t, f.SetLabel(strings.Repeat("l", 17)), syscall.EINVAL)
	assert.ErrorIs(t, f.SetUUID("nope"), syscall.EINVAL)

	// Renames that succeed: over a file, over an empty directory, onto itself.
	writeFile(t, f, "/g", []byte("g"), os.O_CREATE|os.O_WRONLY)
	require.NoError(t, f.Rename("/g", "/d/f"))
	assert.Equal(t, "g", string(readFile(t, f, "/d/f")))
	require.NoError(t, f.Mkdir("/empty", 0o755))
	require.NoError(t, f.Rename("/e", "/empty"))
	for _, p := range []string{"/p1", "/p1/x", "/p1/x/in", "/p2", "/p2/y"} {
		require.NoError(t, f.Mkdir(p, 0o755))
	}
	require.NoError(t, f.Rename("/p1/x", "/p2/y")) // a directory over an empty one elsewhere
	st, err := f.Stat("/p2/y/in")
	require.NoError(t, err)
	assert.True(t, st.Mode.IsDir())
	require.NoError(t, f.Link("/d/f", "/d/f2"))
	require.NoError(t, f.Rename("/d/f", "/d/f2"))
	st, err = f.Stat("/d/f")
	require.NoError(t, err)
	assert.Equal(t, uint64(2), st.Nlink)
	require.NoError(t, f.Close())
	im.fsck()
}

func TestSymlinkResolution(t *testing.T) {
	im := mkfs(t, 8<<10, "-t", "ext4")
	f, done := im.open(fs.OpenOptions{})
	defer done()
	require.NoError(t, f.Mkdir("/etc", 0o755))
	writeFile(t, f, "/etc/hosts", []byte("hosts"), os.O_CREATE|os.O_WRONLY)
	require.NoError(t, f.Symlink("/etc", "/abs"))
	require.NoError(t, f.Symlink("../../../../etc", "/etc/up"))
	require.NoError(t, f.Symlink("loop2", "/loop1"))
	require.NoError(t, f.Symlink("loop1", "/loop2"))
	require.NoError(t, f.Symlink("/nowhere", "/dangling"))
	assert.Equal(t, "hosts", string(readFile(t, f, "/abs/hosts")))
	assert.Equal(t, "hosts", string(readFile(t, f, "/etc/up/hosts")))
	assert.Equal(t, "hosts", string(readFile(t, f, "/abs/up/up/hosts")))
	st, err := f.Stat("/abs")
	require.NoError(t, err)
	assert.Equal(t, os.ModeSymlink, st.Mode.Type())
	_, err = f.Stat("/loop1/x")
	assert.ErrorIs(t, err, syscall.ELOOP)
	_, err = f.OpenFile("/loop1", os.O_RDONLY, 0)
	assert.ErrorIs(t, err, syscall.ELOOP)
	_, err = f.OpenFile("/dangling", os.O_RDONLY, 0)
	assert.ErrorIs(t, err, syscall.ENOENT)
	_, err = f.OpenFile("/dangling", os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	assert.ErrorIs(t, err, syscall.EEXIST)
	require.NoError(t, f.Symlink("made", "/etc/rel"))
	require.NoError(t, f.Symlink("/etc/rel", "/chain"))
	writeFile(t, f, "/chain", []byte("through"), os.O_CREATE|os.O_WRONLY)
	assert.Equal(t, "through", string(readFile(t, f, "/etc/made")))
	_, err = f.OpenFile("/loop1", os.O_CREATE|os.O_WRONLY, 0o644)
	assert.ErrorIs(t, err, syscall.ELOOP)
	ents, err := f.ReadDir("/abs")
	require.NoError(t, err)
	names := []string{}
	for _, e := range ents {
		names = append(names, e.Name)
	}
	assert.ElementsMatch(t, []string{"hosts", "up", "rel", "made"}, names)
	require.NoError(t, f.Remove("/loop1"))
	require.NoError(t, f.Close())
	im.fsck()
}

func TestOpenFlags(t *testing.T) {
	im := mkfs(t, 8<<10, "-t", "ext4", "-b", "1024")
	f, done := im.open(fs.OpenOptions{})
	defer done()
	h, err := f.OpenFile("/a", os.O_CREATE|os.O_RDWR, 0o640)
	require.NoError(t, err)
	_, err = h.WriteAt([]byte("hello world"), 0)
	require.NoError(t, err)
	_, err = h.WriteAt([]byte("W"), 6)
	require.NoError(t, err)
	_, err = h.WriteAt([]byte("!"), 100000) // a hole
	require.NoError(t, err)
	require.NoError(t, h.Truncate(11))
	b := make([]byte, 20)
	n, err := h.ReadAt(b, 0)
	assert.Equal(t, io.EOF, err)
	assert.Equal(t, "hello World", string(b[:n]))
	st, err := h.Stat()
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o640), st.Mode)
	require.NoError(t, h.Close())
	_, err = h.ReadAt(b, 0)
	assert.ErrorIs(t, err, syscall.EBADF)

	h, err = f.OpenFile("/a", os.O_WRONLY|os.O_APPEND, 0)
	require.NoError(t, err)
	_, err = h.WriteAt([]byte(" more"), 0)
	require.NoError(t, err)
	_, err = h.ReadAt(b, 0)
	assert.ErrorIs(t, err, syscall.EBADF)
	require.NoError(t, h.Close())
	assert.Equal(t, "hello World more", string(readFile(t, f, "/a")))

	h, err = f.OpenFile("/a", os.O_WRONLY|os.O_TRUNC, 0)
	require.NoError(t, err)
	require.NoError(t, h.Close())
	assert.Empty(t, readFile(t, f, "/a"))

	// A removed file stays readable while open and is freed at its close.
	writeFile(t, f, "/b", []byte("still here"), os.O_CREATE|os.O_WRONLY)
	h, err = f.OpenFile("/b", os.O_RDWR, 0)
	require.NoError(t, err)
	require.NoError(t, f.Remove("/b"))
	n, _ = h.ReadAt(b, 0)
	assert.Equal(t, "still here", string(b[:n]))
	_, err = h.WriteAt([]byte("!"), 10)
	require.NoError(t, err)
	require.NoError(t, h.Close())

	mt := time.Unix(1700000000, 123456789)
	require.NoError(t, f.Chtimes("/a", time.Time{}, mt))
	st, err = f.Stat("/a")
	require.NoError(t, err)
	assert.True(t, mt.Equal(st.Mtime), "%v", st.Mtime)
	require.NoError(t, f.SetLabel("mylabel"))
	require.NoError(t, f.SetUUID("01234567-89ab-cdef-0123-456789abcdef"))
	l, _ := f.Label()
	assert.Equal(t, "mylabel", l)
	sfs, err := f.StatFS()
	require.NoError(t, err)
	assert.Equal(t, int64(1024), sfs.Bsize)
	assert.NotZero(t, sfs.Bfree)
	assert.Contains(t, im.debugfs("stats"), "Filesystem state:         not clean")
	require.NoError(t, f.Sync())
	assert.Contains(t, im.debugfs("stats"), "Filesystem state:         clean")
	im.fsck()
	writeFile(t, f, "/after-sync", []byte("x"), os.O_CREATE|os.O_WRONLY)
	assert.Contains(t, im.debugfs("stats"), "Filesystem state:         not clean")
	require.NoError(t, f.Close())
	im.fsck()
	assert.Contains(t, im.debugfs("stats"), "01234567-89ab-cdef-0123-456789abcdef")
	assert.Contains(t, im.debugfs("stats"), "mylabel")
}

func TestReadOnly(t *testing.T) {
	im := mkfs(t, 8<<10, "-t", "ext4")
	before, err := os.ReadFile(im.path)
	require.NoError(t, err)
	f, done := im.open(fs.OpenOptions{ReadOnly: true})
	_, err = f.OpenFile("/x", os.O_CREATE|os.O_WRONLY, 0o644)
	assert.ErrorIs(t, err, syscall.EROFS)
	assert.ErrorIs(t, f.Mkdir("/x", 0o755), syscall.EROFS)
	assert.ErrorIs(t, f.Chmod("/", 0o700), syscall.EROFS)
	ents, err := f.ReadDir("/")
	require.NoError(t, err)
	assert.Equal(t, "lost+found", ents[0].Name)
	assert.True(t, ents[0].Type.IsDir())
	done()
	after, err := os.ReadFile(im.path)
	require.NoError(t, err)
	assert.Equal(t, before, after, "a read-only open wrote the device")
}

func TestRefusals(t *testing.T) {
	// A superblock that claims more blocks than the device holds.
	im := mkfs(t, 8<<10, "-t", "ext4")
	d, done := im.dev()
	d.size = 4 << 20
	_, err := Open(d, fs.OpenOptions{})
	assert.ErrorIs(t, err, syscall.EINVAL)
	done()

	for _, feat := range []string{"quota", "casefold", "encrypt", "verity", "mmp", "ea_inode", "bigalloc"} {
		args := []string{"-t", "ext4", "-O", feat}
		if feat == "bigalloc" {
			args = append(args, "-C", "16384")
		}
		im := mkfs(t, 16<<10, args...)
		d, done := im.dev()
		_, err := Open(d, fs.OpenOptions{})
		assert.ErrorIs(t, err, syscall.EROFS, feat)
		assert.Contains(t, err.Error(), "read-only", feat)
		f, err := Open(d, fs.OpenOptions{ReadOnly: true})
		require.NoError(t, err, feat)
		_, err = f.ReadDir("/")
		assert.NoError(t, err, feat)
		require.NoError(t, f.Close())
		done()
	}
	_, err = parseOptions(fs.OpenOptions{Options: "subvol=x"})
	assert.ErrorIs(t, err, syscall.EINVAL)
}

func TestProbeAndType(t *testing.T) {
	for typ, args := range map[string][]string{
		"ext2": {"-t", "ext2"}, "ext3": {"-t", "ext3"}, "ext4": {"-t", "ext4"},
	} {
		im := mkfs(t, 8<<10, args...)
		d, done := im.dev()
		got, err := Type(d)
		require.NoError(t, err)
		assert.Equal(t, typ, got)
		for _, drv := range []*Driver{Ext2, Ext3, Ext4} {
			ok, err := drv.Probe(d)
			require.NoError(t, err)
			assert.Equal(t, drv.Name() == typ, ok, "%s probing %s", drv.Name(), typ)
		}
		g, err := Ext2.Open(d, fs.OpenOptions{ReadOnly: true})
		require.NoError(t, err)
		assert.Equal(t, typ, g.(*FS).Type())
		require.NoError(t, g.Close())
		done()
	}
	p := t.TempDir() + "/garbage"
	require.NoError(t, os.WriteFile(p, make([]byte, 100), 0o600))
	gf, err := os.Open(p)
	require.NoError(t, err)
	defer gf.Close()
	ok, err := Ext4.Probe(&fileDev{f: gf, size: 100})
	assert.NoError(t, err)
	assert.False(t, ok)
}

// TestRenameOverOnFullFilesystem renames over existing targets when no
// block is free: the target's entry is reused in place, so nothing is lost
// and e2fsck finds the link counts right.
func TestRenameOverOnFullFilesystem(t *testing.T) {
	im := mkfs(t, 2048, "-t", "ext4", "-N", "64")
	f, done := im.open(fs.OpenOptions{})
	require.NoError(t, f.Mkdir("/a", 0o755))
	require.NoError(t, f.Mkdir("/b", 0o755))
	require.NoError(t, f.Mkdir("/a/sub", 0o755))
	require.NoError(t, f.Mkdir("/b/empty", 0o755))
	writeFile(t, f, "/a/src", []byte("new contents"), os.O_CREATE|os.O_WRONLY)
	writeFile(t, f, "/b/dst", []byte("old contents"), os.O_CREATE|os.O_WRONLY)
	writeFile(t, f, "/b/same", []byte("same dir"), os.O_CREATE|os.O_WRONLY)
	writeFile(t, f, "/b/other", []byte("x"), os.O_CREATE|os.O_WRONLY)
	big := make([]byte, 64<<10)
	for i := 0; ; i++ {
		h, err := f.OpenFile(fmt.Sprintf("/fill%d", i), os.O_CREATE|os.O_WRONLY, 0o644)
		require.NoError(t, err)
		_, err = h.WriteAt(big, 0)
		require.NoError(t, h.Close())
		if err != nil {
			require.Equal(t, syscall.ENOSPC, errno.Of(err))
			break
		}
	}
	require.NoError(t, f.Rename("/a/src", "/b/dst"))
	require.NoError(t, f.Rename("/b/same", "/b/other"))
	require.NoError(t, f.Rename("/a/sub", "/b/empty"))
	assert.Equal(t, "new contents", string(readFile(t, f, "/b/dst")))
	assert.Equal(t, "same dir", string(readFile(t, f, "/b/other")))
	_, err := f.Stat("/a/src")
	assert.Equal(t, syscall.ENOENT, errno.Of(err))
	fi, err := f.Stat("/b/empty")
	require.NoError(t, err)
	assert.True(t, fi.Mode.IsDir())
	done()
	im.fsck()
}
