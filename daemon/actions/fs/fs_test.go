package fs_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"goguestfs/daemon/daemontest"
	"goguestfs/protocol"
)

// mkfsImage makes an image of size bytes holding a filesystem made by the
// real tool on the host.
func mkfsImage(t *testing.T, size int64, tool string, args ...string) string {
	t.Helper()
	img := daemontest.Image(t, size)
	out, err := exec.Command(tool, append(args, img)...).CombinedOutput()
	require.NoError(t, err, "%s", out)
	return img
}

func errnoOf(t *testing.T, err error) syscall.Errno {
	t.Helper()
	var pe *protocol.Error
	require.ErrorAs(t, err, &pe)
	return syscall.Errno(pe.Errno)
}

func fsckClean(t *testing.T, img string, tool string, args ...string) {
	t.Helper()
	out, err := exec.Command(tool, append(args, img)...).CombinedOutput()
	assert.NoError(t, err, "%s %v: %s", tool, args, out)
}

func TestMountNamespace(t *testing.T) {
	root := mkfsImage(t, 32<<20, "mkfs.ext4", "-q", "-F", "-L", "rootfs")
	boot := mkfsImage(t, 32<<20, "mkfs.fat", "-n", "ESP")
	d := daemontest.Start(t, root, boot)

	var typ string
	require.NoError(t, d.Call("vfs_type", &typ, "/dev/sda"))
	assert.Equal(t, "ext4", typ)
	require.NoError(t, d.Call("vfs_type", &typ, "/dev/sdb"))
	assert.Equal(t, "vfat", typ)

	err := d.Call("mount", nil, "/dev/sdb", "/boot")
	assert.Equal(t, syscall.ENOENT, errnoOf(t, err), "a mountpoint before / is mounted")
	require.NoError(t, d.Call("mount", nil, "/dev/sda", "/"))
	assert.Equal(t, syscall.EBUSY, errnoOf(t, d.Call("mount", nil, "/dev/sda", "/mnt")))
	assert.Equal(t, syscall.ENOENT, errnoOf(t, d.Call("mount", nil, "/dev/sdb", "/boot")), "no /boot directory yet")
	require.NoError(t, d.Call("mkdir", nil, "/boot"))
	require.NoError(t, d.Call("ln_s", nil, "/boot", "/bootlink"))
	require.NoError(t, d.Call("mount", nil, "/dev/sdb", "/bootlink"))

	var mps [][2]string
	require.NoError(t, d.Call("mountpoints", &mps))
	assert.Equal(t, [][2]string{{"/dev/sda", "/"}, {"/dev/sdb", "/boot"}}, mps)

	require.NoError(t, d.Call("mkdir_p", nil, "/boot/EFI/BOOT"))
	require.NoError(t, d.Call("write", nil, "/boot/EFI/BOOT/BOOTX64.EFI", []byte("efi")))
	var ok bool
	require.NoError(t, d.Call("is_file_opts", &ok, "/bootlink/efi/boot/bootx64.efi"))
	assert.True(t, ok, "vfat lookups ignore case, through a link into the mount")
	assert.Equal(t, syscall.EXDEV, errnoOf(t, d.Call("rename", nil, "/boot/EFI", "/EFI")))
	assert.Equal(t, syscall.EBUSY, errnoOf(t, d.Call("rmdir", nil, "/boot")))
	assert.Equal(t, syscall.EBUSY, errnoOf(t, d.Call("umount_opts", nil, "/")), "/boot is beneath it")

	var label string
	require.NoError(t, d.Call("vfs_label", &label, "/dev/sda"))
	assert.Equal(t, "rootfs", label)
	require.NoError(t, d.Call("vfs_label", &label, "/dev/sdb"))
	assert.Equal(t, "ESP", label)

	require.NoError(t, d.Call("umount_all", nil))
	var mounts []string
	require.NoError(t, d.Call("mounts", &mounts))
	assert.Empty(t, mounts)
	fsckClean(t, root, "e2fsck", "-fn")
	fsckClean(t, boot, "fsck.fat", "-n")
}

func TestReadOnlyFormats(t *testing.T) {
	src := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(src, "isolinux"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(src, "isolinux", "isolinux.cfg"), []byte("default linux\n"), 0o644))
	require.NoError(t, os.Symlink("isolinux/isolinux.cfg", filepath.Join(src, "cfg")))
	dir := t.TempDir()
	iso, sq := filepath.Join(dir, "cd.iso"), filepath.Join(dir, "root.sqfs")
	out, err := exec.Command("xorriso", "-as", "mkisofs", "-R", "-J", "-V", "CDLABEL", "-o", iso, src).CombinedOutput()
	require.NoError(t, err, "%s", out)
	out, err = exec.Command("mksquashfs", src, sq, "-quiet", "-noappend").CombinedOutput()
	require.NoError(t, err, "%s", out)
	d := daemontest.Start(t, iso, sq)
	var fses [][2]string
	require.NoError(t, d.Call("list_filesystems", &fses))
	assert.Equal(t, [][2]string{{"/dev/sda", "iso9660"}, {"/dev/sdb", "squashfs"}}, fses)
	var label string
	require.NoError(t, d.Call("vfs_label", &label, "/dev/sda"))
	assert.Equal(t, "CDLABEL", label)
	require.NoError(t, d.Call("mount", nil, "/dev/sda", "/"))
	var lines []string
	require.NoError(t, d.Call("read_lines", &lines, "/cfg"))
	assert.Equal(t, []string{"default linux"}, lines)
	require.NoError(t, d.Call("mount", nil, "/dev/sdb", "/isolinux"))
	assert.Equal(t, syscall.ENOENT, errnoOf(t, d.Call("read_lines", &lines, "/cfg")), "the link's target is hidden by the mount")
	require.NoError(t, d.Call("read_lines", &lines, "/isolinux/cfg"), "a squashfs link, resolved inside the mount")
	assert.Equal(t, []string{"default linux"}, lines)
	assert.Equal(t, syscall.EROFS, errnoOf(t, d.Call("write", nil, "/new", []byte("x"))))
	assert.Equal(t, syscall.EROFS, errnoOf(t, d.Call("mkdir", nil, "/isolinux/new")))
	require.NoError(t, d.Call("umount_all", nil))
}

func TestMkfsAndTools(t *testing.T) {
	img := daemontest.Image(t, 96<<20)
	d := daemontest.Start(t, img)
	require.NoError(t, d.Call("part_init", nil, "/dev/sda", "gpt"))
	require.NoError(t, d.Call("part_add", nil, "/dev/sda", "p", 2048, 67583))
	require.NoError(t, d.Call("part_add", nil, "/dev/sda", "p", 67584, -34))
	_, err := d.CallOpts("mkfs_opts", map[int]any{4: "boot"}, nil, "vfat", "/dev/sda1")
	require.NoError(t, err)
	_, err = d.CallOpts("mkfs_opts", map[int]any{0: 4096, 4: "root"}, nil, "ext4", "/dev/sda2")
	require.NoError(t, err)
	var fses [][2]string
	require.NoError(t, d.Call("list_filesystems", &fses))
	assert.Equal(t, [][2]string{{"/dev/sda1", "vfat"}, {"/dev/sda2", "ext4"}}, fses)
	var hash [][2]string
	require.NoError(t, d.Call("blkid", &hash, "/dev/sda2"))
	keys := map[string]string{}
	for _, kv := range hash {
		keys[kv[0]] = kv[1]
	}
	assert.Equal(t, "ext4", keys["TYPE"])
	assert.Equal(t, "root", keys["LABEL"])
	assert.Len(t, keys["UUID"], 36)
	require.NoError(t, d.Call("tune2fs_l", &hash, "/dev/sda2"))
	keys = map[string]string{}
	for _, kv := range hash {
		keys[kv[0]] = kv[1]
	}
	assert.Equal(t, "4096", keys["Block size"])
	assert.Equal(t, "root", keys["Filesystem volume name"])

	require.NoError(t, d.Call("mount", nil, "/dev/sda2", "/"))
	assert.Equal(t, syscall.EBUSY, errnoOf(t, d.Call("mkfs_opts", nil, "ext4", "/dev/sda2")))
	assert.Equal(t, syscall.EBUSY, errnoOf(t, d.Call("e2fsck", nil, "/dev/sda2")))
	require.NoError(t, d.Call("write", nil, "/f", []byte("data")))
	require.NoError(t, d.Call("set_label", nil, "/dev/sda2", "newroot"))
	require.NoError(t, d.Call("umount_opts", nil, "/dev/sda2"))
	var label string
	require.NoError(t, d.Call("vfs_label", &label, "/dev/sda2"))
	assert.Equal(t, "newroot", label)
	var status int
	require.NoError(t, d.Call("fsck", &status, "ext4", "/dev/sda2"))
	assert.Equal(t, 0, status)
	require.NoError(t, d.Call("fsck", &status, "vfat", "/dev/sda1"))
	assert.Equal(t, 0, status)
	_, err = d.CallOpts("e2fsck", map[int]any{0: true}, nil, "/dev/sda2")
	require.NoError(t, err)
	require.NoError(t, d.Call("zerofree", nil, "/dev/sda2"))
	assert.Equal(t, syscall.EINVAL, errnoOf(t, d.Call("mkfs_opts", nil, "xfs", "/dev/sda2")))
	assert.Equal(t, syscall.EINVAL, errnoOf(t, d.Call("set_e2label", nil, "/dev/sda1", "x")))
	_, err = d.CallOpts("mke2fs", map[int]any{18: "ext2", 15: "m2fs", 6: int64(256)}, nil, "/dev/sda2")
	require.NoError(t, err)
	require.NoError(t, d.Call("vfs_type", &label, "/dev/sda2"))
	assert.Equal(t, "ext2", label)
	require.NoError(t, d.Call("sync", nil))
	out, err := exec.Command("sgdisk", "-v", img).CombinedOutput()
	require.NoError(t, err, "%s", out)
}
