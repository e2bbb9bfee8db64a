package file_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"goguestfs/daemon/daemontest"
	"goguestfs/daemon/server"
	"goguestfs/protocol"
)

// image makes an image of size bytes with a filesystem made on the host by
// tool.
func image(t *testing.T, size int64, tool string, args ...string) string {
	t.Helper()
	img := daemontest.Image(t, size)
	out, err := exec.Command(tool, append(args, img)...).CombinedOutput()
	require.NoError(t, err, "%s", out)
	return img
}

// extRoot starts a daemon with an ext4 image mounted at / and returns it
// with the image's path.
func extRoot(t *testing.T) (*daemontest.Daemon, string) {
	t.Helper()
	img := image(t, 64<<20, "mkfs.ext4", "-q", "-F")
	d := daemontest.Start(t, img)
	require.NoError(t, d.Call("mount", nil, "/dev/sda", "/"))
	return d, img
}

// errnoOf returns the errno of an action's error.
func errnoOf(t *testing.T, err error) syscall.Errno {
	t.Helper()
	var pe *protocol.Error
	require.ErrorAs(t, err, &pe)
	return syscall.Errno(pe.Errno)
}

// checked unmounts everything and runs the real checker on img.
func checked(t *testing.T, d *daemontest.Daemon, img string, tool string, args ...string) {
	t.Helper()
	require.NoError(t, d.Call("umount_all", nil))
	out, err := exec.Command(tool, append(args, img)...).CombinedOutput()
	assert.NoError(t, err, "%s: %s", tool, out)
}

func TestErrnos(t *testing.T) {
	d, img := extRoot(t)
	require.NoError(t, d.Call("mkdir", nil, "/dir"))
	require.NoError(t, d.Call("write", nil, "/dir/f", []byte("hello")))
	require.NoError(t, d.Call("mkdir", nil, "/full"))
	require.NoError(t, d.Call("touch", nil, "/full/x"))
	for _, c := range []struct {
		proc string
		args []any
		want syscall.Errno
	}{
		{"mkdir", []any{"/dir"}, syscall.EEXIST},
		{"mkdir", []any{"/nope/x"}, syscall.ENOENT},
		{"mkdir", []any{"/dir/f/x"}, syscall.ENOTDIR},
		{"rm", []any{"/dir"}, syscall.EISDIR},
		{"rm", []any{"/nope"}, syscall.ENOENT},
		{"rmdir", []any{"/full"}, syscall.ENOTEMPTY},
		{"rmdir", []any{"/dir/f"}, syscall.ENOTDIR},
		{"touch", []any{"/dir"}, syscall.EISDIR},
		{"readlink", []any{"/dir/f"}, syscall.EINVAL},
		{"pwrite", []any{"/nope", []byte("x"), int64(0)}, syscall.ENOENT},
		{"pwrite", []any{"/dir/f", []byte("x"), int64(-1)}, syscall.EINVAL},
		{"truncate_size", []any{"/dir/f", int64(-1)}, syscall.EINVAL},
		{"mkdir", []any{"/" + strings.Repeat("n", 256)}, syscall.ENAMETOOLONG},
		{"ln", []any{"/dir", "/dirlink"}, syscall.EPERM},
		{"ln", []any{"/dir/f", "/dir/f"}, syscall.EEXIST},
		{"rm_rf", []any{"/"}, syscall.EINVAL},
		{"rm_rf", []any{"/dir/.."}, syscall.EINVAL},
		{"mknod", []any{0o100644, 0, 0, "/reg"}, syscall.EINVAL},
		{"mkfifo", []any{0o10644, "/fifo"}, syscall.EINVAL},
		{"utimens", []any{"/dir/f", int64(0), int64(1e9), int64(0), int64(0)}, syscall.EINVAL},
		{"rename", []any{"/dir", "/dir/sub"}, syscall.EINVAL},
		{"statns", []any{"/nope"}, syscall.ENOENT},
		{"getxattr", []any{"/dir/f", "user.none"}, syscall.ENODATA},
		{"readlinklist", []any{"/dir", []string{"a/b"}}, syscall.EINVAL},
	} {
		err := d.Call(c.proc, nil, c.args...)
		require.Error(t, err, "%s %v", c.proc, c.args)
		assert.Equal(t, c.want, errnoOf(t, err), "%s %v: %v", c.proc, c.args, err)
		assert.True(t, strings.HasPrefix(err.Error(), c.proc+": "), "%v names the action once", err)
	}
	require.NoError(t, d.Call("rm_f", nil, "/nope"))
	require.NoError(t, d.Call("rm_rf", nil, "/nope"))
	checked(t, d, img, "e2fsck", "-fn")
}

func TestReadOnlyMount(t *testing.T) {
	img := image(t, 32<<20, "mkfs.ext4", "-q", "-F")
	d := daemontest.Start(t, img)
	require.NoError(t, d.Call("mount", nil, "/dev/sda", "/"))
	require.NoError(t, d.Call("write", nil, "/f", []byte("x")))
	require.NoError(t, d.Call("umount_opts", nil, "/"))
	require.NoError(t, d.Call("mount_ro", nil, "/dev/sda", "/"))
	for _, c := range []struct {
		proc string
		args []any
	}{
		{"write", []any{"/f", []byte("y")}}, {"touch", []any{"/g"}}, {"mkdir", []any{"/d"}},
		{"rm", []any{"/f"}}, {"chmod", []any{0o600, "/f"}}, {"ln_s", []any{"/f", "/l"}},
		{"truncate", []any{"/f"}}, {"setxattr", []any{"user.a", "v", 1, "/f"}},
	} {
		assert.Equal(t, syscall.EROFS, errnoOf(t, d.Call(c.proc, nil, c.args...)), c.proc)
	}
	var content []byte
	require.NoError(t, d.Call("read_file", &content, "/f"))
	assert.Equal(t, "x", string(content))
	var st server.Statvfs
	require.NoError(t, d.Call("statvfs", &st, "/"))
	assert.Equal(t, int64(1), st.Flag&1, "ST_RDONLY")
	checked(t, d, img, "e2fsck", "-fn")
}

func TestSymlinkResolution(t *testing.T) {
	root := image(t, 32<<20, "mkfs.ext4", "-q", "-F")
	boot := image(t, 32<<20, "mkfs.ext4", "-q", "-F")
	d := daemontest.Start(t, root, boot)
	require.NoError(t, d.Call("mount", nil, "/dev/sda", "/"))
	require.NoError(t, d.Call("mkdir", nil, "/boot"))
	require.NoError(t, d.Call("mount", nil, "/dev/sdb", "/boot"))
	require.NoError(t, d.Call("mkdir_p", nil, "/boot/grub"))
	require.NoError(t, d.Call("write", nil, "/boot/grub/grub.cfg", []byte("cfg")))
	// An absolute link is rooted at the guest's /, across the mount.
	require.NoError(t, d.Call("ln_s", nil, "/boot/grub", "/grub"))
	// A relative link climbs out of /boot back into the root filesystem.
	require.NoError(t, d.Call("mkdir", nil, "/etc"))
	require.NoError(t, d.Call("write", nil, "/etc/os-release", []byte("ID=test\n")))
	require.NoError(t, d.Call("ln_s", nil, "../../etc/os-release", "/boot/grub/release"))
	// .. never climbs above /.
	require.NoError(t, d.Call("ln_s", nil, "../../../../../../etc", "/up"))
	require.NoError(t, d.Call("ln_s", nil, "/loop2", "/loop1"))
	require.NoError(t, d.Call("ln_s", nil, "/loop1", "/loop2"))

	var s string
	require.NoError(t, d.Call("realpath", &s, "/grub/grub.cfg"))
	assert.Equal(t, "/boot/grub/grub.cfg", s)
	require.NoError(t, d.Call("realpath", &s, "/grub/release"))
	assert.Equal(t, "/etc/os-release", s)
	require.NoError(t, d.Call("realpath", &s, "/up/os-release"))
	assert.Equal(t, "/etc/os-release", s)
	require.NoError(t, d.Call("realpath", &s, "/grub/.."))
	assert.Equal(t, "/boot", s, ".. of a link's target, not of the link's name")
	require.NoError(t, d.Call("realpath", &s, "//boot/./grub//"))
	assert.Equal(t, "/boot/grub", s)
	var lst server.Statns
	require.NoError(t, d.Call("lstatns", &lst, "/grub/"))
	assert.Equal(t, int64(syscall.S_IFDIR), lst.StMode&syscall.S_IFMT, "a trailing / follows the link")
	var content []byte
	require.NoError(t, d.Call("read_file", &content, "/grub/release"))
	assert.Equal(t, "ID=test\n", string(content))
	assert.Equal(t, syscall.ELOOP, errnoOf(t, d.Call("realpath", &s, "/loop1")))
	var ok bool
	require.NoError(t, d.Call("is_symlink", &ok, "/loop1"))
	assert.True(t, ok)
	require.NoError(t, d.Call("exists", &ok, "/loop1"))
	assert.False(t, ok, "exists follows links")

	var st server.Statns
	require.NoError(t, d.Call("statns", &st, "/grub"))
	require.NoError(t, d.Call("lstatns", &lst, "/grub"))
	assert.Equal(t, int64(syscall.S_IFDIR), st.StMode&syscall.S_IFMT)
	assert.Equal(t, int64(syscall.S_IFLNK), lst.StMode&syscall.S_IFMT)
	assert.NotEqual(t, st.StDev, lst.StDev, "the link and its target are on different mounts")
	require.NoError(t, d.Call("umount_all", nil))
	for _, img := range []string{root, boot} {
		out, err := exec.Command("e2fsck", "-fn", img).CombinedOutput()
		assert.NoError(t, err, "%s", out)
	}
}

func TestFileOps(t *testing.T) {
	d, img := extRoot(t)
	require.NoError(t, d.Call("write", nil, "/f", []byte("hello")))
	require.NoError(t, d.Call("write_append", nil, "/f", []byte(" world")))
	var n int
	require.NoError(t, d.Call("pwrite", &n, "/f", []byte("HELLO"), int64(0)))
	assert.Equal(t, 5, n)
	require.NoError(t, d.Call("pwrite", &n, "/f", []byte("!"), int64(20)))
	var size int64
	require.NoError(t, d.Call("filesize", &size, "/f"))
	assert.Equal(t, int64(21), size)
	require.NoError(t, d.Call("truncate_size", nil, "/f", int64(11)))
	var content []byte
	require.NoError(t, d.Call("read_file", &content, "/f"))
	assert.Equal(t, "HELLO world", string(content))

	require.NoError(t, d.Call("allocate", nil, "/alloc", int64(3<<20)))
	var st server.Statns
	require.NoError(t, d.Call("statns", &st, "/alloc"))
	assert.Equal(t, int64(3<<20), st.StSize)
	assert.GreaterOrEqual(t, st.StBlocks*512, int64(3<<20), "allocate allocates")
	assert.Equal(t, int64(0o100644), st.StMode)

	require.NoError(t, d.Call("mkdir_mode", nil, "/m", 0o777))
	require.NoError(t, d.Call("statns", &st, "/m"))
	assert.Equal(t, int64(0o40755), st.StMode, "umask 022")
	require.NoError(t, d.Call("chmod", nil, 0o4711, "/f"))
	require.NoError(t, d.Call("chown", nil, 1000, 100, "/f"))
	require.NoError(t, d.Call("statns", &st, "/f"))
	assert.Equal(t, int64(0o100711), st.StMode, "chown clears set-user-ID, as Linux")
	assert.Equal(t, []int64{1000, 100}, []int64{st.StUid, st.StGid})
	require.NoError(t, d.Call("chown", nil, -1, 7, "/f"))
	require.NoError(t, d.Call("statns", &st, "/f"))
	assert.Equal(t, []int64{1000, 7}, []int64{st.StUid, st.StGid})
	require.NoError(t, d.Call("utimens", nil, "/f", int64(1000000000), int64(5), int64(1200000000), int64(6)))
	require.NoError(t, d.Call("statns", &st, "/f"))
	assert.Equal(t, []int64{1000000000, 5, 1200000000, 6}, []int64{st.StAtimeSec, st.StAtimeNsec, st.StMtimeSec, st.StMtimeNsec})
	require.NoError(t, d.Call("utimens", nil, "/f", int64(0), int64(-2), int64(1300000000), int64(0)))
	require.NoError(t, d.Call("statns", &st, "/f"))
	assert.Equal(t, []int64{1000000000, 1300000000}, []int64{st.StAtimeSec, st.StMtimeSec}, "UTIME_OMIT keeps atime")

	require.NoError(t, d.Call("ln", nil, "/f", "/hard"))
	require.NoError(t, d.Call("statns", &st, "/f"))
	assert.Equal(t, int64(2), st.StNlink)
	require.NoError(t, d.Call("ln_s", nil, "f", "/sym"))
	require.NoError(t, d.Call("lchown", nil, 5, 6, "/sym"))
	require.NoError(t, d.Call("lstatns", &st, "/sym"))
	assert.Equal(t, []int64{5, 6}, []int64{st.StUid, st.StGid})
	require.NoError(t, d.Call("ln_sf", nil, "hard", "/sym"))
	var target string
	require.NoError(t, d.Call("readlink", &target, "/sym"))
	assert.Equal(t, "hard", target)
	var targets []string
	require.NoError(t, d.Call("readlinklist", &targets, "/", []string{"sym", "f", "missing"}))
	assert.Equal(t, []string{"hard", "", ""}, targets)
	var sts []server.Statns
	require.NoError(t, d.Call("lstatnslist", &sts, "/", []string{"f", "missing"}))
	require.Len(t, sts, 2)
	assert.Equal(t, int64(-1), sts[1].StIno)

	require.NoError(t, d.Call("mkdir", nil, "/into"))
	require.NoError(t, d.Call("ln_s", nil, "/f", "/into"))
	require.NoError(t, d.Call("readlink", &target, "/into/f"), "ln_s into a directory, as ln -s")
	assert.Equal(t, "/f", target)

	require.NoError(t, d.Call("setxattr", nil, "user.k", "v\x00w", 3, "/f"))
	require.NoError(t, d.Call("lsetxattr", nil, "trusted.l", "link", 4, "/sym"))
	var xs []server.Xattr
	require.NoError(t, d.Call("getxattrs", &xs, "/f"))
	assert.Equal(t, []server.Xattr{{Attrname: "user.k", Attrval: []byte("v\x00w")}}, xs)
	require.NoError(t, d.Call("lgetxattrs", &xs, "/sym"))
	assert.Equal(t, []server.Xattr{{Attrname: "trusted.l", Attrval: []byte("link")}}, xs)
	require.NoError(t, d.Call("removexattr", nil, "user.k", "/f"))
	require.NoError(t, d.Call("getxattrs", &xs, "/f"))
	assert.Empty(t, xs)

	require.NoError(t, d.Call("mknod_c", nil, 0o666, 4, 64, "/tty"))
	require.NoError(t, d.Call("mknod_b", nil, 0o600, 259, 70000, "/blk"))
	require.NoError(t, d.Call("mkfifo", nil, 0o644, "/fifo"))
	require.NoError(t, d.Call("mknod", nil, syscall.S_IFSOCK|0o777, 0, 0, "/sock"))
	require.NoError(t, d.Call("lstatns", &st, "/blk"))
	assert.Equal(t, int64(syscall.S_IFBLK|0o600), st.StMode)
	assert.Equal(t, int64(259<<8|(70000&0xff)|(70000&^0xff)<<12), st.StRdev)
	for _, c := range []struct {
		proc string
		want bool
	}{{"is_chardev_opts", true}, {"is_blockdev_opts", false}, {"is_fifo_opts", false}, {"is_file_opts", false}} {
		var ok bool
		require.NoError(t, d.Call(c.proc, &ok, "/tty"))
		assert.Equal(t, c.want, ok, c.proc)
	}
	var ok bool
	require.NoError(t, d.Call("is_socket_opts", &ok, "/sock"))
	assert.True(t, ok)
	require.NoError(t, d.Call("is_file_opts", &ok, "/sym"))
	assert.False(t, ok, "a link is not followed by default")
	_, err := d.CallOpts("is_file_opts", map[int]any{0: true}, &ok, "/sym")
	require.NoError(t, err)
	assert.True(t, ok, "followsymlinks")

	var ents []server.Dirent
	require.NoError(t, d.Call("readdir", &ents, "/"))
	types := map[string]byte{}
	for _, e := range ents {
		types[e.Name] = e.Ftyp
	}
	assert.Equal(t, map[string]byte{".": 'd', "..": 'd', "lost+found": 'd', "f": 'r', "hard": 'r', "alloc": 'r', "m": 'd',
		"sym": 'l', "into": 'd', "tty": 'c', "blk": 'b', "fifo": 'f', "sock": 's'}, types)
	var names []string
	require.NoError(t, d.Call("ls", &names, "/"))
	assert.Equal(t, []string{"alloc", "blk", "f", "fifo", "hard", "into", "lost+found", "m", "sock", "sym", "tty"}, names)

	require.NoError(t, d.Call("rename", nil, "/f", "/hard"))
	require.NoError(t, d.Call("rm_rf", nil, "/into"))
	require.NoError(t, d.Call("rm", nil, "/sym"))
	checked(t, d, img, "e2fsck", "-fn")
	out, err := exec.Command("debugfs", "-R", "stat /blk", img).CombinedOutput()
	require.NoError(t, err)
	assert.Contains(t, string(out), "Device major/minor number: 259:70000", "debugfs reads our device number")
}

func TestMkdirPAndTouch(t *testing.T) {
	d, img := extRoot(t)
	require.NoError(t, d.Call("mkdir_p", nil, "/a/b/c"))
	require.NoError(t, d.Call("mkdir_p", nil, "/a/b/c"))
	require.NoError(t, d.Call("touch", nil, "/a/b/file"))
	assert.Equal(t, syscall.EEXIST, errnoOf(t, d.Call("mkdir_p", nil, "/a/b/file/x")))
	var st server.Statns
	require.NoError(t, d.Call("statns", &st, "/a/b/file"))
	assert.Equal(t, int64(0o100644), st.StMode)
	require.NoError(t, d.Call("mkfifo", nil, 0o600, "/a/fifo"))
	assert.Equal(t, syscall.EINVAL, errnoOf(t, d.Call("touch", nil, "/a/fifo")))
	checked(t, d, img, "e2fsck", "-fn")
}

func TestVfatCapabilities(t *testing.T) {
	img := image(t, 32<<20, "mkfs.fat")
	d := daemontest.Start(t, img)
	require.NoError(t, d.Call("mount", nil, "/dev/sda", "/"))
	require.NoError(t, d.Call("write", nil, "/Long File Name.txt", []byte("x")))
	assert.Equal(t, syscall.EPERM, errnoOf(t, d.Call("ln_s", nil, "x", "/l")))
	assert.Equal(t, syscall.EPERM, errnoOf(t, d.Call("ln", nil, "/Long File Name.txt", "/h")))
	assert.Equal(t, syscall.EPERM, errnoOf(t, d.Call("mkfifo", nil, 0o644, "/p")))
	assert.Equal(t, syscall.ENOTSUP, errnoOf(t, d.Call("setxattr", nil, "user.a", "v", 1, "/Long File Name.txt")))
	assert.Equal(t, syscall.EPERM, errnoOf(t, d.Call("chown", nil, 1, 1, "/Long File Name.txt")))
	var names []string
	require.NoError(t, d.Call("ls", &names, "/"))
	assert.Equal(t, []string{"Long File Name.txt"}, names)
	checked(t, d, img, "fsck.fat", "-n")
	out, err := exec.Command("mdir", "-b", "-i", img, "::/").CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Contains(t, string(out), "Long File Name.txt")
}

// TestFullFilesystem fills ext4 and vfat through write: the call that does
// not fit fails with ENOSPC, what was written before stays, and the
// checkers find nothing.
func TestFullFilesystem(t *testing.T) {
	for _, c := range []struct {
		tool  string
		args  []string
		check []string
	}{
		{"mkfs.ext4", []string{"-q", "-F"}, []string{"e2fsck", "-fn"}},
		{"mkfs.fat", nil, []string{"fsck.fat", "-n"}},
	} {
		t.Run(c.tool, func(t *testing.T) {
			img := image(t, 8<<20, c.tool, c.args...)
			d := daemontest.Start(t, img)
			require.NoError(t, d.Call("mount", nil, "/dev/sda", "/"))
			require.NoError(t, d.Call("write", nil, "/keep", []byte("kept")))
			chunk := make([]byte, 512<<10)
			var err error
			n := 0
			for ; n < 64; n++ {
				if err = d.Call("write", nil, "/fill"+strings.Repeat("x", n%3)+string(rune('a'+n%26))+string(rune('a'+n/26)), chunk); err != nil {
					break
				}
			}
			require.Error(t, err, "an 8 MiB filesystem took 32 MiB")
			assert.Equal(t, syscall.ENOSPC, errnoOf(t, err))
			var content []byte
			require.NoError(t, d.Call("read_file", &content, "/keep"))
			assert.Equal(t, "kept", string(content))
			assert.Equal(t, syscall.ENOSPC, errnoOf(t, d.Call("allocate", nil, "/big", int64(64<<20))))
			checked(t, d, img, c.check[0], c.check[1:]...)
		})
	}
}

// TestDamagedFilesystems: a corrupted superblock fails mount with the
// driver's reason, a FAT cluster chain that loops gives EIO when read, and
// the handle goes on working.
func TestDamagedFilesystems(t *testing.T) {
	ext := image(t, 8<<20, "mkfs.ext4", "-q", "-F")
	f, err := os.OpenFile(ext, os.O_RDWR, 0)
	require.NoError(t, err)
	_, err = f.WriteAt([]byte{0xff, 0xff, 0xff, 0x7f}, 1024+4) // s_blocks_count_lo
	require.NoError(t, err)
	require.NoError(t, f.Close())

	fat := image(t, 8<<20, "mkfs.fat", "-F", "16", "-s", "1")
	src := filepath.Join(t.TempDir(), "loop")
	require.NoError(t, os.WriteFile(src, bytes.Repeat([]byte("0123456789"), 2000), 0o644))
	out, err := exec.Command("mcopy", "-i", fat, src, "::/loop").CombinedOutput()
	require.NoError(t, err, "%s", out)
	d := daemontest.Start(t, ext, fat)
	err = d.Call("mount", nil, "/dev/sda", "/")
	require.Error(t, err)
	assert.Equal(t, syscall.EINVAL, errnoOf(t, err))
	assert.Contains(t, err.Error(), "blocks")
	require.NoError(t, d.Call("mount_ro", nil, "/dev/sdb", "/"))
	var st server.Statns
	require.NoError(t, d.Call("statns", &st, "/loop"))
	require.NoError(t, d.Call("umount_all", nil))

	// Point the file's second cluster back at its first: a loop. FAT16:
	// two bytes per cluster, the FAT right after the reserved sectors.
	raw, err := os.ReadFile(fat)
	require.NoError(t, err)
	fatStart := (int64(raw[14]) | int64(raw[15])<<8) * 512
	entry := func(c int64) int64 { return int64(raw[fatStart+2*c]) | int64(raw[fatStart+2*c+1])<<8 }
	first := int64(2)
	for entry(first) == 0 {
		first++
	}
	next := entry(first)
	require.Less(t, next, int64(0xfff8), "the file has a second cluster")
	raw[fatStart+2*next] = byte(first)
	raw[fatStart+2*next+1] = byte(first >> 8)
	require.NoError(t, os.WriteFile(fat, raw, 0o600))
	require.NoError(t, d.Call("mount_ro", nil, "/dev/sdb", "/"))
	var content []byte
	err = d.Call("read_file", &content, "/loop")
	require.Error(t, err)
	assert.Equal(t, syscall.EIO, errnoOf(t, err))
	var names []string
	require.NoError(t, d.Call("ls", &names, "/"), "the handle goes on working")
	assert.Equal(t, []string{"loop"}, names)
}
