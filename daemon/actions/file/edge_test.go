// Edge cases a review found in the file and fs groups and in the ext
// driver: each test's comment says what went wrong before it was fixed;
// the test checks the behaviour of Linux or libguestfs.
package file_test

import (
	"bytes"
	"os"
	"os/exec"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"goguestfs/daemon/daemontest"
	"goguestfs/daemon/server"
)

// TestEdgeRmRfDotDot: rm_rf "/a/b/.." resolves to /a and removes it
// with everything in it; libguestfs runs rm -rf, which refuses a path
// whose last component is ".." or "." and removes nothing.
func TestEdgeRmRfDotDot(t *testing.T) {
	d, _ := extRoot(t)
	require.NoError(t, d.Call("mkdir_p", nil, "/a/b"))
	require.NoError(t, d.Call("write", nil, "/a/keep", []byte("precious")))
	err := d.Call("rm_rf", nil, "/a/b/..")
	var ok bool
	require.NoError(t, d.Call("exists", &ok, "/a/keep"))
	assert.True(t, ok, "rm_rf /a/b/.. removed /a/keep")
	assert.Error(t, err)
	err = d.Call("rm_rf", nil, "/a/.")
	require.NoError(t, d.Call("exists", &ok, "/a/keep"))
	assert.True(t, ok, "rm_rf /a/. removed /a/keep")
	assert.Error(t, err)
}

// TestEdgeRmdirRenameDot: rmdir(2) of a path ending in "." is EINVAL and
// rename(2) of one EBUSY; here both act on the directory itself.
func TestEdgeRmdirRenameDot(t *testing.T) {
	d, _ := extRoot(t)
	require.NoError(t, d.Call("mkdir", nil, "/a"))
	var ok bool
	if err := d.Call("rmdir", nil, "/a/."); assert.Error(t, err, "rmdir /a/.") {
		assert.Equal(t, syscall.EINVAL, errnoOf(t, err))
	}
	require.NoError(t, d.Call("is_dir_opts", &ok, "/a"))
	assert.True(t, ok, "rmdir /a/. removed /a")
	require.NoError(t, d.Call("mkdir_p", nil, "/a"))

	if err := d.Call("rename", nil, "/a/.", "/b"); assert.Error(t, err, "rename /a/. /b") {
		assert.Equal(t, syscall.EBUSY, errnoOf(t, err))
	}
	require.NoError(t, d.Call("is_dir_opts", &ok, "/a"))
	assert.True(t, ok, "rename /a/. moved /a")
	require.NoError(t, d.Call("mkdir_p", nil, "/a"))

	require.NoError(t, d.Call("mkdir", nil, "/c"))
	if err := d.Call("rename", nil, "/a", "/c/."); assert.Error(t, err, "rename /a /c/.") {
		assert.Equal(t, syscall.EBUSY, errnoOf(t, err))
	}
}

// TestEdgeMkdirPDotDotAfterSymlink: mkdir_p joins ".." lexically
// (path.Join), so "/link/../b" makes /b rather than the b beside the
// link's target, which mkdir(2) (libguestfs's recursive_mkdir) makes.
func TestEdgeMkdirPDotDotAfterSymlink(t *testing.T) {
	d, _ := extRoot(t)
	require.NoError(t, d.Call("mkdir_p", nil, "/x/y"))
	require.NoError(t, d.Call("ln_s", nil, "/x/y", "/link"))
	require.NoError(t, d.Call("mkdir_p", nil, "/link/../b"))
	var ok bool
	require.NoError(t, d.Call("is_dir_opts", &ok, "/x/b"))
	assert.True(t, ok, "/x/b made")
	require.NoError(t, d.Call("exists", &ok, "/b"))
	assert.False(t, ok, "/b not made")
}

// TestEdgeLnTargetDotDotAfterSymlink: ln cleans its target lexically, so
// "/link/../f" names /f instead of the f beside the link's target.
func TestEdgeLnTargetDotDotAfterSymlink(t *testing.T) {
	d, _ := extRoot(t)
	require.NoError(t, d.Call("mkdir_p", nil, "/x/y"))
	require.NoError(t, d.Call("write", nil, "/x/f", []byte("inner")))
	require.NoError(t, d.Call("write", nil, "/f", []byte("outer")))
	require.NoError(t, d.Call("ln_s", nil, "/x/y", "/link"))
	require.NoError(t, d.Call("ln", nil, "/link/../f", "/h"))
	var content []byte
	require.NoError(t, d.Call("read_file", &content, "/h"))
	assert.Equal(t, "inner", string(content))
}

// TestEdgeLnIntoDirectory: ln is link(2) in libguestfs and the contract
// says an existing linkname gives EEXIST; here a directory linkname gets
// the link inside it, as ln(1) would.
func TestEdgeLnIntoDirectory(t *testing.T) {
	d, _ := extRoot(t)
	require.NoError(t, d.Call("mkdir", nil, "/d"))
	require.NoError(t, d.Call("write", nil, "/f", []byte("f")))
	err := d.Call("ln", nil, "/f", "/d")
	require.Error(t, err)
	assert.Equal(t, syscall.EEXIST, errnoOf(t, err))
	var ok bool
	require.NoError(t, d.Call("exists", &ok, "/d/f"))
	assert.False(t, ok)
}

// TestEdgeMknodDeviceRange: glibc's mknod refuses (EINVAL) a device
// number that does not fit the kernel's 32 bits (major > 4095 or minor >
// 0xfffff); here it is encoded into i_block with overlapping bits, and
// stat gives another number back.
func TestEdgeMknodDeviceRange(t *testing.T) {
	d, img := extRoot(t)
	err := d.Call("mknod_c", nil, 0o666, 5000, 1, "/c")
	if err == nil {
		var st server.Statns
		require.NoError(t, d.Call("statns", &st, "/c"))
		t.Errorf("mknod_c major 5000 accepted; st_rdev %#x", st.StRdev)
	} else {
		assert.Equal(t, syscall.EINVAL, errnoOf(t, err))
	}
	err = d.Call("mknod_b", nil, 0o666, 1, 1<<20, "/b")
	if err == nil {
		t.Errorf("mknod_b minor 1<<20 accepted")
	} else {
		assert.Equal(t, syscall.EINVAL, errnoOf(t, err))
	}
	checked(t, d, img, "e2fsck", "-fn")
}

// TestEdgeVfsLabelBlank: vfs_label and vfs_uuid of a device holding no
// filesystem are "" in libguestfs (blkid exit status 2); here EINVAL.
func TestEdgeVfsLabelBlank(t *testing.T) {
	img := daemontest.Image(t, 16<<20)
	d := daemontest.Start(t, img)
	var s string
	assert.NoError(t, d.Call("vfs_label", &s, "/dev/sda"))
	assert.Equal(t, "", s)
	assert.NoError(t, d.Call("vfs_uuid", &s, "/dev/sda"))
	assert.Equal(t, "", s)
}

// TestEdgeMkfsWholeDiskWhilePartitionMounted: busy checks only the very
// device, so mkfs (and mount) of /dev/sda proceed while /dev/sda1, inside
// it, is mounted; mke2fs/mount on Linux give EBUSY (O_EXCL on the disk).
func TestEdgeMkfsWholeDiskWhilePartitionMounted(t *testing.T) {
	img := daemontest.Image(t, 64<<20)
	d := daemontest.Start(t, img)
	require.NoError(t, d.Call("part_disk", nil, "/dev/sda", "mbr"))
	require.NoError(t, d.Call("mkfs_opts", nil, "ext4", "/dev/sda1"))
	require.NoError(t, d.Call("mount", nil, "/dev/sda1", "/"))
	require.NoError(t, d.Call("write", nil, "/f", []byte("data")))
	err := d.Call("mkfs_opts", nil, "ext4", "/dev/sda")
	require.Error(t, err, "mkfs of the disk holding a mounted partition")
	assert.Equal(t, syscall.EBUSY, errnoOf(t, err))
}

// TestEdgeFailedMountWrites: a mount whose mountpoint does not exist
// still opens the filesystem read-write first (mount count, not-clean
// state, orphans) and then closes it: the device changes although the
// call failed.
func TestEdgeFailedMountWrites(t *testing.T) {
	root := image(t, 32<<20, "mkfs.ext4", "-q", "-F")
	other := image(t, 32<<20, "mkfs.ext4", "-q", "-F")
	before, err := os.ReadFile(other)
	require.NoError(t, err)
	d := daemontest.Start(t, root, other)
	require.NoError(t, d.Call("mount", nil, "/dev/sda", "/"))
	require.Error(t, d.Call("mount", nil, "/dev/sdb", "/nowhere"))
	require.NoError(t, d.Call("sync", nil))
	after, err := os.ReadFile(other)
	require.NoError(t, err)
	if !bytes.Equal(before, after) {
		out, _ := exec.Command("dumpe2fs", "-h", other).CombinedOutput()
		t.Errorf("a failed mount changed the device:\n%s", out)
	}
}

// TestEdgeRmRfHostileName: a directory entry whose name holds a "/" (a
// corrupt or hostile image: here "../../etc") comes out of ReadDir as is,
// and rm_rf's removeTree joins it to its parent with path.Join, which
// cleans it to /etc: removing /victim removes /etc.
func TestEdgeRmRfHostileName(t *testing.T) {
	img := image(t, 32<<20, "mkfs.ext4", "-q", "-F", "-O", "^metadata_csum")
	for _, req := range []string{"mkdir victim", "mkdir victim/aaaaaaaaa", "mkdir etc", "mkdir etc/conf"} {
		out, err := exec.Command("debugfs", "-w", "-R", req, img).CombinedOutput()
		require.NoError(t, err, "%s", out)
	}
	raw, err := os.ReadFile(img)
	require.NoError(t, err)
	require.Equal(t, 1, bytes.Count(raw, []byte("aaaaaaaaa")))
	raw = bytes.Replace(raw, []byte("aaaaaaaaa"), []byte("../../etc"), 1)
	require.NoError(t, os.WriteFile(img, raw, 0o600))

	d := daemontest.Start(t, img)
	require.NoError(t, d.Call("mount", nil, "/dev/sda", "/"))
	// The fix refuses the entry where it is read: ReadDir fails with EIO
	// ("corrupt directory entry") rather than hand out a name holding "/",
	// so ls fails too (as ls does on a directory it cannot read).
	var names []string
	err = d.Call("ls", &names, "/victim")
	if assert.Error(t, err, "ls /victim: %q", names) {
		assert.Equal(t, syscall.EIO, errnoOf(t, err))
	}
	err = d.Call("rm_rf", nil, "/victim")
	t.Logf("rm_rf /victim: %v", err)
	var ok bool
	require.NoError(t, d.Call("is_dir_opts", &ok, "/etc/conf"))
	assert.True(t, ok, "rm_rf /victim removed /etc/conf")
}

// TestEdgeMountOptions: the contract of mount_options accepts errors=
// and journal_checksum and refuses noload read-write; mount_vfs with a type the
// device does not hold fails (the kernel refuses ext2 for an ext4 with
// extents).
func TestEdgeMountOptions(t *testing.T) {
	img := image(t, 32<<20, "mkfs.ext4", "-q", "-F")
	d := daemontest.Start(t, img)
	for _, o := range []string{"journal_checksum", "errors=panic"} {
		if assert.NoError(t, d.Call("mount_options", nil, o, "/dev/sda", "/"), o) {
			require.NoError(t, d.Call("umount_opts", nil, "/"))
		}
	}
	if err := d.Call("mount_options", nil, "noload", "/dev/sda", "/"); assert.Error(t, err, "noload read-write") {
		assert.Equal(t, syscall.EINVAL, errnoOf(t, err))
	} else {
		require.NoError(t, d.Call("umount_opts", nil, "/"))
	}
	require.NoError(t, d.Call("mount_options", nil, "ro,noload", "/dev/sda", "/"), "noload read-only skips the journal")
	require.NoError(t, d.Call("umount_opts", nil, "/"))
	assert.Error(t, d.Call("mount_vfs", nil, "", "ext2", "/dev/sda", "/"), "mount_vfs ext2 of an ext4")
}

// TestEdgeSetUUID: the contract says set_uuid rewrites every checksum on
// a metadata_csum filesystem, as tune2fs -U does on an unmounted one; the
// driver adds metadata_csum_seed instead. It also takes any 36-character
// string of 32 hex digits and 4 dashes, wherever the dashes are. Decided:
// the driver keeps adding metadata_csum_seed (what tune2fs -O
// metadata_csum_seed -U does; Linux 4.4 and e2fsprogs 1.43 on read it) and
// the contract says so; only the 8-4-4-4-12 form is taken.
func TestEdgeSetUUID(t *testing.T) {
	img := image(t, 32<<20, "mkfs.ext4", "-q", "-F")
	d := daemontest.Start(t, img)
	assert.Error(t, d.Call("set_uuid", nil, "/dev/sda", "0123456789abcdef0123456789abcdef----"), "dashes misplaced")
	require.NoError(t, d.Call("set_uuid", nil, "/dev/sda", "01234567-89ab-cdef-0123-456789abcdef"))
	out, err := exec.Command("dumpe2fs", "-h", img).CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Contains(t, string(out), "metadata_csum_seed")
	out, err = exec.Command("e2fsck", "-fn", img).CombinedOutput()
	assert.NoError(t, err, "%s", out)
}

// TestEdgeTrailingSlashOnFile: Resolve drops a trailing "/" (it only
// forces following a link), so a path "file/" names the file; POSIX
// resolution requires a directory there (ENOTDIR), and open(O_CREAT) of a
// missing "name/" is EISDIR.
func TestEdgeTrailingSlashOnFile(t *testing.T) {
	d, _ := extRoot(t)
	require.NoError(t, d.Call("write", nil, "/f", []byte("keep")))
	var ok bool
	require.NoError(t, d.Call("is_file_opts", &ok, "/f/"))
	assert.False(t, ok, "is_file /f/")
	if err := d.Call("rm", nil, "/f/"); assert.Error(t, err, "rm /f/") {
		assert.Equal(t, syscall.ENOTDIR, errnoOf(t, err))
	}
	assert.Error(t, d.Call("touch", nil, "/new/"), "touch /new/")
	require.NoError(t, d.Call("exists", &ok, "/new"))
	assert.False(t, ok, "touch /new/ made a file")
}

// TestEdgeChownKillsSetuid: chown(2) on Linux clears S_ISUID, and
// S_ISGID when group-executable, of a non-directory, root or not
// (chown_common's ATTR_KILL_SUID|ATTR_KILL_SGID); libguestfs's chown is
// chown(2). Here the bits stay.
func TestEdgeChownKillsSetuid(t *testing.T) {
	d, _ := extRoot(t)
	require.NoError(t, d.Call("write", nil, "/f", []byte("x")))
	require.NoError(t, d.Call("chmod", nil, 0o6755, "/f"))
	require.NoError(t, d.Call("chown", nil, 1000, 100, "/f"))
	var st server.Statns
	require.NoError(t, d.Call("statns", &st, "/f"))
	assert.Equal(t, int64(0o100755), st.StMode, "mode %o", st.StMode)
}

// TestEdgeSetgidDirectoryGroup: in a set-group-ID directory Linux gives
// new files, directories, links and nodes the directory's group
// (inode_init_owner), and new directories the set-group-ID bit; here they
// get group 0 (the bit alone is copied for directories).
func TestEdgeSetgidDirectoryGroup(t *testing.T) {
	d, _ := extRoot(t)
	require.NoError(t, d.Call("mkdir", nil, "/d"))
	require.NoError(t, d.Call("chown", nil, 0, 100, "/d"))
	require.NoError(t, d.Call("chmod", nil, 0o2775, "/d"))
	require.NoError(t, d.Call("touch", nil, "/d/f"))
	require.NoError(t, d.Call("mkdir", nil, "/d/s"))
	require.NoError(t, d.Call("ln_s", nil, "f", "/d/l"))
	require.NoError(t, d.Call("mkfifo", nil, 0o644, "/d/p"))
	for _, p := range []string{"/d/f", "/d/s", "/d/l", "/d/p"} {
		var st server.Statns
		require.NoError(t, d.Call("lstatns", &st, p))
		assert.Equal(t, int64(100), st.StGid, "gid of %s", p)
		if p == "/d/s" {
			assert.NotZero(t, st.StMode&0o2000, "setgid of %s", p)
		}
	}
}

// TestEdgeMountOverParentOfMount: Linux lets a mount on /a cover a
// mount at /a/b; this namespace refuses it (EBUSY) rather than leave /a/b
// reachable through a directory the new /a may not have.
func TestEdgeMountOverParentOfMount(t *testing.T) {
	root := image(t, 32<<20, "mkfs.ext4", "-q", "-F")
	deep := image(t, 32<<20, "mkfs.ext4", "-q", "-F")
	over := image(t, 32<<20, "mkfs.ext4", "-q", "-F")
	d := daemontest.Start(t, root, deep, over)
	require.NoError(t, d.Call("mount", nil, "/dev/sda", "/"))
	require.NoError(t, d.Call("mkdir_p", nil, "/a/b"))
	require.NoError(t, d.Call("mount", nil, "/dev/sdb", "/a/b"))
	require.NoError(t, d.Call("write", nil, "/a/b/inner", []byte("x")))
	err := d.Call("mount", nil, "/dev/sdc", "/a")
	require.Error(t, err, "a mount over the parent of a mount would leave /a/b reachable through nothing")
	assert.Equal(t, syscall.EBUSY, errnoOf(t, err))
	var ok bool
	require.NoError(t, d.Call("exists", &ok, "/a/b/inner"))
	assert.True(t, ok)
	require.NoError(t, d.Call("umount_all", nil))
}

// TestEdgeUserXattrOnSpecialFiles: Linux refuses user.* attributes on
// anything but regular files and directories (xattr_permission: EPERM to
// set); here a symbolic link and a FIFO take them.
func TestEdgeUserXattrOnSpecialFiles(t *testing.T) {
	d, img := extRoot(t)
	require.NoError(t, d.Call("ln_s", nil, "nowhere", "/l"))
	require.NoError(t, d.Call("mkfifo", nil, 0o644, "/p"))
	if err := d.Call("lsetxattr", nil, "user.a", "v", 1, "/l"); assert.Error(t, err, "user.a on a link") {
		assert.Equal(t, syscall.EPERM, errnoOf(t, err))
	}
	if err := d.Call("setxattr", nil, "user.a", "v", 1, "/p"); assert.Error(t, err, "user.a on a FIFO") {
		assert.Equal(t, syscall.EPERM, errnoOf(t, err))
	}
	checked(t, d, img, "e2fsck", "-fn")
}

// TestEdgeMkdirModeSetgid: mkdir(2) keeps only 0777|S_ISVTX of its mode
// (vfs_mkdir), the set-group-ID bit coming from the parent alone; here
// mkdir_mode 02755 makes a set-group-ID directory.
func TestEdgeMkdirModeSetgid(t *testing.T) {
	d, _ := extRoot(t)
	require.NoError(t, d.Call("mkdir_mode", nil, "/d", 0o3755))
	var st server.Statns
	require.NoError(t, d.Call("statns", &st, "/d"))
	assert.Equal(t, int64(0o41755), st.StMode, "mode %o", st.StMode)
}
