package file_test

import (
	"crypto/sha256"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"goguestfs/daemon/daemontest"
	"goguestfs/daemon/server"
)

// lstatns returns the statns of p, not following a final link.
func lstatns(t *testing.T, d *daemontest.Daemon, p string) server.Statns {
	t.Helper()
	var st server.Statns
	require.NoError(t, d.Call("lstatns", &st, p))
	return st
}

// sha256Of returns the checksum action's sha256 of p.
func sha256Of(t *testing.T, d *daemontest.Daemon, p string) string {
	t.Helper()
	var sum string
	require.NoError(t, d.Call("checksum", &sum, "sha256", p))
	return sum
}

// missingPath asserts that p does not exist.
func missingPath(t *testing.T, d *daemontest.Daemon, p string) {
	t.Helper()
	var st server.Statns
	errnoIs(t, d.Call("lstatns", &st, p), syscall.ENOENT, p)
}

// random returns n reproducible random bytes.
func random(n int, seed int64) []byte {
	b := make([]byte, n)
	rand.New(rand.NewSource(seed)).Read(b)
	return b
}

func TestCp(t *testing.T) {
	d, img := extDaemon(t)
	content := random(3<<20+11, 5)
	writeBig(t, d, "/src", content)
	require.NoError(t, d.Call("chmod", nil, 0o4775, "/src"))
	require.NoError(t, d.Call("cp", nil, "/src", "/dst"))
	assert.Equal(t, fmt.Sprintf("%x", sha256.Sum256(content)), sha256Of(t, d, "/dst"))

	// The host's cp, as root with umask 022, gives the new file's mode.
	host := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(host, "src"), content, 0o644))
	require.NoError(t, os.Chmod(filepath.Join(host, "src"), 0o775|os.ModeSetuid))
	_, code := hostRun(t, nil, "sh", "-c", `umask 022 && cp "$1/src" "$1/dst"`, "sh", host)
	require.Equal(t, 0, code)
	hst, err := os.Stat(filepath.Join(host, "dst"))
	require.NoError(t, err)
	assert.Equal(t, int64(hst.Sys().(*syscall.Stat_t).Mode), lstatns(t, d, "/dst").StMode, "as cp: no set-user-ID, umask")

	// An existing file keeps its mode.
	require.NoError(t, d.Call("write", nil, "/old", []byte("old, longer content")))
	require.NoError(t, d.Call("chmod", nil, 0o600, "/old"))
	require.NoError(t, d.Call("write", nil, "/small", []byte("new")))
	require.NoError(t, d.Call("cp", nil, "/small", "/old"))
	var s string
	require.NoError(t, d.Call("cat", &s, "/old"))
	assert.Equal(t, "new", s)
	assert.Equal(t, int64(0o100600), lstatns(t, d, "/old").StMode)

	// Into a directory, through links.
	require.NoError(t, d.Call("mkdir", nil, "/dir"))
	require.NoError(t, d.Call("ln_s", nil, "dir", "/dirlink"))
	require.NoError(t, d.Call("ln_s", nil, "small", "/smalllink"))
	require.NoError(t, d.Call("cp", nil, "/smalllink", "/dirlink"))
	require.NoError(t, d.Call("cat", &s, "/dir/smalllink"))
	assert.Equal(t, "new", s)
	assert.Equal(t, int64(0o100644), lstatns(t, d, "/dir/smalllink").StMode, "the link's target is copied")
	require.NoError(t, d.Call("ln_s", nil, "old", "/oldlink"))
	require.NoError(t, d.Call("cp", nil, "/src", "/oldlink"))
	assert.Equal(t, sha256Of(t, d, "/src"), sha256Of(t, d, "/old"), "written through a link")
	assert.Equal(t, int64(0o120777), lstatns(t, d, "/oldlink").StMode)

	errnoIs(t, d.Call("cp", nil, "/dir", "/x"), syscall.EISDIR)
	errnoIs(t, d.Call("cp", nil, "/src", "/src"), syscall.EINVAL)
	errnoIs(t, d.Call("cp", nil, "/old", "/oldlink"), syscall.EINVAL, "the same file through a link")
	require.NoError(t, d.Call("ln_s", nil, "nowhere", "/dangling"))
	errnoIs(t, d.Call("cp", nil, "/src", "/dangling"), syscall.EEXIST)
	missingPath(t, d, "/nowhere")
	errnoIs(t, d.Call("cp", nil, "/nope", "/x"), syscall.ENOENT)
	errnoIs(t, d.Call("cp", nil, "/src", "/nodir/x"), syscall.ENOENT)
	require.NoError(t, d.Call("mkdir", nil, "/dir/src"))
	errnoIs(t, d.Call("cp", nil, "/src", "/dir"), syscall.EISDIR, "onto a directory")

	// Holes stay holes on ext.
	require.NoError(t, d.Call("write", nil, "/sparse", []byte("start")))
	require.NoError(t, d.Call("pwrite", new(int), "/sparse", []byte("middle"), int64(8<<20)))
	require.NoError(t, d.Call("truncate_size", nil, "/sparse", int64(16<<20)))
	require.NoError(t, d.Call("cp", nil, "/sparse", "/sparse2"))
	assert.Equal(t, sha256Of(t, d, "/sparse"), sha256Of(t, d, "/sparse2"))
	st := lstatns(t, d, "/sparse2")
	assert.Equal(t, int64(16<<20), st.StSize)
	assert.LessOrEqual(t, st.StBlocks, lstatns(t, d, "/sparse").StBlocks+8)
	fsckClean(t, d, img, "e2fsck", "-fn")
}

// hostTree makes the tree of TestCpRA on the host under dir.
func hostTree(t *testing.T, dir string, old time.Time) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "sub"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "f"), []byte("file"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "sub/g"), []byte("t/sub/g"), 0o644))
	require.NoError(t, os.Link(filepath.Join(dir, "sub/g"), filepath.Join(dir, "hard")))
	require.NoError(t, os.Symlink("f", filepath.Join(dir, "link")))
	require.NoError(t, syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o644))
	require.NoError(t, syscall.Mknod(filepath.Join(dir, "dev"), syscall.S_IFCHR|0o600, 1<<8|3))
	require.NoError(t, os.Chown(filepath.Join(dir, "f"), 1000, 1001))
	require.NoError(t, syscall.Chmod(filepath.Join(dir, "f"), 0o6751))
	require.NoError(t, syscall.Chmod(filepath.Join(dir, "sub"), 0o1777))
	require.NoError(t, os.Lchown(filepath.Join(dir, "link"), 1002, 1003))
	require.NoError(t, os.Chown(filepath.Join(dir, "fifo"), 1004, 1005))
	for _, n := range []string{"f", "sub/g", "fifo", "dev", "sub", ""} {
		require.NoError(t, os.Chtimes(filepath.Join(dir, n), old, old))
	}
}

func TestCpRA(t *testing.T) {
	d, img := extDaemon(t)
	old := time.Date(2003, 4, 5, 6, 7, 8, 123456789, time.UTC)
	tree{"t/sub/", "t/f", "t/sub/g", "t/link -> f"}.make(t, d, "", "")
	require.NoError(t, d.Call("write", nil, "/t/f", []byte("file")))
	require.NoError(t, d.Call("mkfifo", nil, 0o644, "/t/fifo"))
	require.NoError(t, d.Call("mknod_c", nil, 0o600, 1, 3, "/t/dev"))
	require.NoError(t, d.Call("chmod", nil, 0o6751, "/t/f"))
	require.NoError(t, d.Call("chmod", nil, 0o1777, "/t/sub"))
	require.NoError(t, d.Call("chown", nil, 1000, 1001, "/t/f"))
	require.NoError(t, d.Call("chmod", nil, 0o6751, "/t/f"))
	require.NoError(t, d.Call("lchown", nil, 1002, 1003, "/t/link"))
	require.NoError(t, d.Call("chown", nil, 1004, 1005, "/t/fifo"))
	require.NoError(t, d.Call("setxattr", nil, "user.colour", "blue", 4, "/t/f"))
	require.NoError(t, d.Call("ln", nil, "/t/sub/g", "/t/hard"))
	for _, n := range []string{"f", "sub/g", "fifo", "dev", "sub", ""} {
		require.NoError(t, d.Call("utimens", nil, "/t/"+n, old.Unix(), int64(old.Nanosecond()), old.Unix(), int64(old.Nanosecond())))
	}
	host := t.TempDir()
	hostTree(t, filepath.Join(host, "t"), old)

	for _, c := range []struct {
		action, flag string
	}{{"cp_r", "-rP"}, {"cp_a", "-a"}} {
		dest := "/" + c.action
		require.NoError(t, d.Call(c.action, nil, "/t", dest))
		_, code := hostRun(t, nil, "sh", "-c", `umask 022 && cp `+c.flag+` "$1/t" "$1/`+c.action+`"`, "sh", host)
		require.Equal(t, 0, code)
		for _, n := range []string{"", "/f", "/sub", "/sub/g", "/link", "/fifo", "/dev", "/hard"} {
			st := lstatns(t, d, dest+n)
			var hst syscall.Stat_t
			require.NoError(t, syscall.Lstat(filepath.Join(host, c.action)+n, &hst))
			what := c.action + " " + n
			assert.Equal(t, int64(hst.Mode), st.StMode, what)
			assert.Equal(t, int64(hst.Rdev), st.StRdev, what)
			if hst.Mode&syscall.S_IFMT != syscall.S_IFDIR {
				assert.Equal(t, int64(hst.Size), st.StSize, what)
			}
			if c.action == "cp_a" {
				assert.Equal(t, [2]int64{int64(hst.Uid), int64(hst.Gid)}, [2]int64{st.StUid, st.StGid}, what)
				if n != "/link" {
					assert.Equal(t, [2]int64{hst.Mtim.Sec, hst.Mtim.Nsec}, [2]int64{st.StMtimeSec, st.StMtimeNsec}, what)
				}
			} else {
				assert.Equal(t, [2]int64{0, 0}, [2]int64{st.StUid, st.StGid}, what)
				assert.Greater(t, st.StMtimeSec, old.Unix(), what)
			}
		}
		assert.NotEqual(t, lstatns(t, d, dest+"/hard").StIno, lstatns(t, d, dest+"/sub/g").StIno, "hard links copied apart")
		var target string
		require.NoError(t, d.Call("readlink", &target, dest+"/link"))
		assert.Equal(t, "f", target)
		var xs []server.Xattr
		require.NoError(t, d.Call("getxattrs", &xs, dest+"/f"))
		if c.action == "cp_a" {
			assert.Equal(t, []server.Xattr{{Attrname: "user.colour", Attrval: []byte("blue")}}, xs)
		} else {
			assert.Empty(t, xs)
		}
	}

	// Copying again merges into the copy, replacing its files.
	require.NoError(t, d.Call("write", nil, "/t/sub/g", []byte("changed")))
	require.NoError(t, d.Call("write", nil, "/cp_r/extra", []byte("kept")))
	require.NoError(t, d.Call("cp_r", nil, "/t/", "/cp_r/"))
	var s string
	require.NoError(t, d.Call("cat", &s, "/cp_r/t/sub/g"))
	assert.Equal(t, "changed", s, "into the existing directory")
	require.NoError(t, d.Call("mkdir", nil, "/merge"))
	require.NoError(t, d.Call("cp_r", nil, "/t/sub", "/merge/sub"))
	require.NoError(t, d.Call("write", nil, "/merge/sub/mine", []byte("mine")))
	require.NoError(t, d.Call("cp_r", nil, "/t/sub", "/merge"))
	require.NoError(t, d.Call("cat", &s, "/merge/sub/mine"))
	assert.Equal(t, "mine", s)

	errnoIs(t, d.Call("cp_r", nil, "/t", "/t/sub"), syscall.EINVAL, "into itself")
	errnoIs(t, d.Call("cp_a", nil, "/t", "/t"), syscall.EINVAL, "into itself")
	errnoIs(t, d.Call("cp_a", nil, "/t/f", "/t/f"), syscall.EINVAL, "the same file")
	errnoIs(t, d.Call("cp_r", nil, "/t", "/t/f"), syscall.ENOTDIR)
	errnoIs(t, d.Call("cp_r", nil, "/nope", "/x"), syscall.ENOENT)
	fsckClean(t, d, img, "e2fsck", "-fn")
}

func TestMv(t *testing.T) {
	root := mkfsImage(t, 64<<20, "mkfs.ext4", "-q", "-F")
	boot := mkfsImage(t, 64<<20, "mkfs.fat")
	inner := mkfsImage(t, 32<<20, "mkfs.fat")
	d := daemontest.Start(t, root, boot, inner)
	require.NoError(t, d.Call("mount", nil, "/dev/sda", "/"))
	require.NoError(t, d.Call("mkdir", nil, "/boot"))
	require.NoError(t, d.Call("mount", nil, "/dev/sdb", "/boot"))
	var s string

	// On one filesystem: a rename.
	require.NoError(t, d.Call("write", nil, "/a", []byte("a")))
	ino := lstatns(t, d, "/a").StIno
	require.NoError(t, d.Call("mv", nil, "/a", "/b"))
	assert.Equal(t, ino, lstatns(t, d, "/b").StIno)
	missingPath(t, d, "/a")
	require.NoError(t, d.Call("mkdir", nil, "/dir"))
	require.NoError(t, d.Call("mv", nil, "/b", "/dir"))
	require.NoError(t, d.Call("cat", &s, "/dir/b"))
	assert.Equal(t, "a", s, "into the directory")
	require.NoError(t, d.Call("write", nil, "/c", []byte("c")))
	require.NoError(t, d.Call("mv", nil, "/c", "/dir/b"))
	require.NoError(t, d.Call("cat", &s, "/dir/b"))
	assert.Equal(t, "c", s, "replacing a file")

	// Across filesystems: copied with its times, the source removed.
	content := random(3<<20+5, 6)
	writeBig(t, d, "/big", content)
	mtime := time.Date(2010, 1, 2, 3, 4, 6, 0, time.UTC)
	require.NoError(t, d.Call("utimens", nil, "/big", mtime.Unix(), int64(0), mtime.Unix(), int64(0)))
	sum := sha256Of(t, d, "/big")
	require.NoError(t, d.Call("mv", nil, "/big", "/boot"))
	assert.Equal(t, sum, sha256Of(t, d, "/boot/big"))
	assert.Equal(t, mtime.Unix(), lstatns(t, d, "/boot/big").StMtimeSec)
	missingPath(t, d, "/big")

	tree{"tree/sub/deeper/", "tree/f", "tree/sub/g", "tree/sub/deeper/h"}.make(t, d, "", "")
	require.NoError(t, d.Call("chown", nil, 1000, 1000, "/tree/f"))
	var before []string
	require.NoError(t, d.Call("find", &before, "/tree"))
	require.NoError(t, d.Call("mv", nil, "/tree", "/boot/moved"))
	var after []string
	require.NoError(t, d.Call("find", &after, "/boot/moved"))
	assert.Equal(t, before, after)
	require.NoError(t, d.Call("cat", &s, "/boot/moved/sub/deeper/h"))
	assert.Equal(t, "tree/sub/deeper/h", s)
	missingPath(t, d, "/tree")
	require.NoError(t, d.Call("mv", nil, "/boot/moved", "/back"))
	require.NoError(t, d.Call("find", &after, "/back"))
	assert.Equal(t, before, after)
	missingPath(t, d, "/boot/moved")

	// Replacing across filesystems, as rename would.
	require.NoError(t, d.Call("write", nil, "/boot/x", []byte("old")))
	require.NoError(t, d.Call("write", nil, "/x", []byte("new")))
	require.NoError(t, d.Call("mv", nil, "/x", "/boot/x"))
	require.NoError(t, d.Call("cat", &s, "/boot/x"))
	assert.Equal(t, "new", s)
	require.NoError(t, d.Call("mkdir_p", nil, "/boot/full/back/sub"))
	errnoIs(t, d.Call("mv", nil, "/back", "/boot/full"), syscall.ENOTEMPTY)
	require.NoError(t, d.Call("mkdir_p", nil, "/boot/d/f"))
	require.NoError(t, d.Call("write", nil, "/f", []byte("f")))
	errnoIs(t, d.Call("mv", nil, "/f", "/boot/d"), syscall.EISDIR)
	errnoIs(t, d.Call("mv", nil, "/back", "/boot/x"), syscall.ENOTDIR)
	require.NoError(t, d.Call("cat", &s, "/boot/x"))
	assert.Equal(t, "new", s)

	// A tree vfat cannot hold is not moved, and no partial copy is left.
	tree{"links/", "links/a", "links/z -> a"}.make(t, d, "", "")
	errnoIs(t, d.Call("mv", nil, "/links", "/boot"), syscall.EPERM)
	missingPath(t, d, "/boot/links")
	require.NoError(t, d.Call("cat", &s, "/links/a"))

	errnoIs(t, d.Call("mv", nil, "/boot", "/elsewhere"), syscall.EBUSY)
	errnoIs(t, d.Call("mv", nil, "/dir", "/dir"), syscall.EINVAL)
	errnoIs(t, d.Call("mv", nil, "/dir", "/dir/sub"), syscall.EINVAL)
	require.NoError(t, d.Call("mkdir_p", nil, "/m/inner"))
	require.NoError(t, d.Call("mount", nil, "/dev/sdc", "/m/inner"))
	errnoIs(t, d.Call("mv", nil, "/m", "/m2"), syscall.EBUSY, "a mount beneath")
	errnoIs(t, d.Call("mv", nil, "/m", "/boot/m"), syscall.EBUSY, "a mount beneath")
	errnoIs(t, d.Call("mv", nil, "/nope", "/x"), syscall.ENOENT)

	// cp -a onto vfat: owners it cannot keep are let pass, times kept.
	require.NoError(t, d.Call("cp_a", nil, "/back", "/boot/copy"))
	require.NoError(t, d.Call("find", &after, "/boot/copy"))
	assert.Equal(t, before, after)
	// Holes are written out on vfat.
	require.NoError(t, d.Call("write", nil, "/sparse", []byte("s")))
	require.NoError(t, d.Call("truncate_size", nil, "/sparse", int64(5<<20)))
	require.NoError(t, d.Call("cp", nil, "/sparse", "/boot/sparse"))
	assert.Equal(t, sha256Of(t, d, "/sparse"), sha256Of(t, d, "/boot/sparse"))
	assert.GreaterOrEqual(t, lstatns(t, d, "/boot/sparse").StBlocks*512, int64(5<<20))

	require.NoError(t, d.Call("umount_all", nil))
	for _, c := range [][]string{{"e2fsck", "-fn", root}, {"fsck.fat", "-n", boot}, {"fsck.fat", "-n", inner}} {
		out, err := exec.Command(c[0], c[1:]...).CombinedOutput()
		assert.NoError(t, err, "%v: %s", c, out)
	}
}
