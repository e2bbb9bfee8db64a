package fstools

import (
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"goguestfs/daemon/blockdev"
)

// countingDev counts the bytes written to a device.
type countingDev struct {
	blockdev.Dev
	written int64
}

func (c *countingDev) WriteAt(p []byte, off int64) (int, error) {
	c.written += int64(len(p))
	return c.Dev.WriteAt(p, off)
}

// extWithFiles makes fstype on a fresh test partition and puts files in
// it with debugfs: /f1 (a copy of /etc/services, 13 blocks at least),
// /d and /d/f2 (a copy of /etc/passwd). It returns the partition.
func extWithFiles(t *testing.T, fstype string) *blockdev.Part {
	t.Helper()
	d := openDrive(t, testImage(t, diskSize, true), false)
	part := testPart(d)
	require.NoError(t, MakeExt(part, ExtOptions{FSType: ptr(fstype)}))
	region := saveDev(t, part)
	debugfs(t, region, "write /etc/services f1", "mkdir d", "write /etc/passwd d/f2")
	writeBackTo(t, region, part)
	return part
}

// corrupt applies debugfs requests to the filesystem on part.
func corrupt(t *testing.T, part *blockdev.Part, requests ...string) {
	t.Helper()
	region := saveDev(t, part)
	debugfs(t, region, requests...)
	writeBackTo(t, region, part)
}

// firstBlock returns the first data block of inode ino (block map) in
// the filesystem at p.
func firstBlock(t *testing.T, p string, ino string) string {
	t.Helper()
	out, st := host(t, "debugfs", "-R", "bmap "+ino+" 0", p)
	require.Equal(t, 0, st, out)
	return lastLine(out)
}

// lastLine returns the last non-empty line of s.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

func TestE2fsck(t *testing.T) {
	part := extWithFiles(t, "ext4")
	require.NoError(t, E2fsck(part, true, false))
	require.NoError(t, E2fsck(part, false, true))
	err := E2fsck(part, true, true)
	assert.ErrorIs(t, err, syscall.EINVAL)
	assert.ErrorContains(t, err, "/dev/sda1: only one of the options")
	err = E2fsck(part, false, false)
	assert.ErrorIs(t, err, syscall.EINVAL)
	assert.ErrorContains(t, err, "/dev/sda1: e2fsck: ")
	assert.ErrorContains(t, err, "need terminal for interactive repairs")

	// A wrong link count: preen mode fixes it.
	corrupt(t, part, "set_inode_field <12> links_count 5")
	_, st := host(t, "e2fsck", "-fn", saveDev(t, part))
	require.NotEqual(t, 0, st)
	require.NoError(t, E2fsck(part, true, false))
	requireClean(t, saveDev(t, part))

	// An entry to a cleared inode: so does -y.
	corrupt(t, part, "clri <14>")
	require.NoError(t, E2fsck(part, false, true))
	requireClean(t, saveDev(t, part))
}

// TestE2fsckDuplicateBlocks: a block claimed by two files is beyond
// preen mode (EIO, with e2fsck's words); -y clones it, which reads the
// block's data: the clone must hold the file's bytes (the copy is whole).
func TestE2fsckDuplicateBlocks(t *testing.T) {
	part := extWithFiles(t, "ext2")
	region := saveDev(t, part)
	blk := firstBlock(t, region, "/f1")
	corrupt(t, part, "set_inode_field /d/f2 block[0] "+blk)
	err := E2fsck(part, true, false)
	assert.ErrorIs(t, err, syscall.EIO)
	assert.ErrorContains(t, err, "/dev/sda1: e2fsck: ")
	assert.ErrorContains(t, err, "UNEXPECTED INCONSISTENCY")
	assert.NotContains(t, err.Error(), memPath)
	require.NoError(t, E2fsck(part, false, true))
	region = saveDev(t, part)
	requireClean(t, region)
	// Both files start with /f1's first block: one of them has the clone.
	services, err := os.ReadFile("/etc/services")
	require.NoError(t, err)
	for _, f := range []string{"/f1", "/d/f2"} {
		out, err := exec.Command("debugfs", "-R", "cat "+f, region).Output()
		require.NoError(t, err)
		require.GreaterOrEqual(t, len(out), 1024)
		assert.Equal(t, string(services[:1024]), string(out[:1024]), "%s lost its first block's data", f)
	}
	assert.NotEqual(t, firstBlock(t, region, "/f1"), firstBlock(t, region, "/d/f2"))
}

// TestE2fsckWritesBackChangesOnly: a check of a clean filesystem changes
// its superblock (the last check time) and little else; only those blocks
// are written back, not the filesystem.
func TestE2fsckWritesBackChangesOnly(t *testing.T) {
	part := extWithFiles(t, "ext4")
	c := &countingDev{Dev: part}
	require.NoError(t, E2fsck(c, true, false))
	assert.Greater(t, c.written, int64(0))
	assert.LessOrEqual(t, c.written, int64(16*compareBlock))
	requireClean(t, saveDev(t, part))
}

func TestFsck(t *testing.T) {
	part := extWithFiles(t, "ext4")
	st, err := Fsck(part, "ext4")
	require.NoError(t, err)
	assert.Equal(t, 0, st)
	// fsck -a (no -f) skips a filesystem marked clean, as libguestfs's
	// does; one marked not clean is checked.
	corrupt(t, part, "set_inode_field <12> links_count 5")
	st, err = Fsck(part, "ext4")
	require.NoError(t, err)
	assert.Equal(t, 0, st, "a clean filesystem is not checked")
	corrupt(t, part, "ssv state 0")
	st, err = Fsck(part, "ext4")
	require.NoError(t, err)
	assert.Equal(t, 1, st, "errors corrected")
	requireClean(t, saveDev(t, part))

	// What preen mode cannot fix is a status, not an error.
	part = extWithFiles(t, "ext2")
	blk := firstBlock(t, saveDev(t, part), "/f1")
	corrupt(t, part, "set_inode_field /d/f2 block[0] "+blk, "ssv state 0")
	st, err = Fsck(part, "ext2")
	require.NoError(t, err)
	assert.Equal(t, 4, st&4, "errors left uncorrected: status %d", st)

	_, err = Fsck(part, "xfs")
	assert.ErrorIs(t, err, syscall.ENOTSUP)
	assert.EqualError(t, err, "/dev/sda1: no checker for xfs filesystems")
}

// TestFsckVFAT: fsck.fat -a on a FAT whose two copies differ (a lost
// cluster in the first) reclaims the cluster (status 1), and fsck.fat -n
// finds the result clean.
func TestFsckVFAT(t *testing.T) {
	for _, fstype := range []string{"vfat", "msdos"} {
		t.Run(fstype, func(t *testing.T) {
			d := openDrive(t, testImage(t, diskSize, true), false)
			part := testPart(d)
			region := filepath.Join(t.TempDir(), "fat.img")
			require.NoError(t, os.WriteFile(region, nil, 0o644))
			require.NoError(t, os.Truncate(region, part.Size()))
			out, st := host(t, "mkfs.fat", "-F", "16", region)
			require.Equal(t, 0, st, out)
			out, st = host(t, "mcopy", "-i", region, "/etc/services", "::/SERV")
			require.Equal(t, 0, st, out)
			writeBackTo(t, region, part)

			status, err := Fsck(part, fstype)
			require.NoError(t, err)
			assert.Equal(t, 0, status)

			// Cluster 100 marked end-of-chain in the first FAT only.
			boot := make([]byte, 512)
			_, err = part.ReadAt(boot, 0)
			require.NoError(t, err)
			reserved := int64(binary.LittleEndian.Uint16(boot[14:]))
			_, err = part.WriteAt([]byte{0xff, 0xff}, reserved*512+100*2)
			require.NoError(t, err)
			out, st = host(t, "fsck.fat", "-n", saveDev(t, part))
			require.NotEqual(t, 0, st, out)

			status, err = Fsck(part, fstype)
			require.NoError(t, err)
			assert.Equal(t, 1, status)
			out, st = host(t, "fsck.fat", "-n", saveDev(t, part))
			assert.Equal(t, 0, st, out)
		})
	}
}

// fakeTool makes tool run the shell script body instead, for the test.
func fakeTool(t *testing.T, tool, body string) {
	t.Helper()
	findTools()
	p := filepath.Join(t.TempDir(), tool)
	require.NoError(t, os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755))
	saved, had := tools[tool]
	tools[tool] = p
	t.Cleanup(func() {
		if had {
			tools[tool] = saved
		} else {
			delete(tools, tool)
		}
	})
}

// TestOnCopy: what a checker changes in the copy reaches the device when
// it exits, whatever its status; a checker killed by a signal changes
// nothing; a checker that is not installed is ENOTSUP.
func TestOnCopy(t *testing.T) {
	d := openDrive(t, testImage(t, diskSize, true), false)
	part := testPart(d)
	before := readDev(t, part)
	// The last argument is the memfd's path; write 4 bytes at 8192.
	write := `for a; do f=$a; done; printf XXXX | dd of="$f" bs=1 seek=8192 conv=notrunc 2>/dev/null`

	fakeTool(t, "fsck.fat", write+"; kill -9 $$")
	_, err := Fsck(part, "vfat")
	assert.ErrorIs(t, err, syscall.EIO)
	assert.ErrorContains(t, err, "/dev/sda1: fsck.vfat: signal: killed")
	assert.Equal(t, before, readDev(t, part))

	fakeTool(t, "fsck.fat", write+"; echo broken >&2; exit 12")
	st, err := Fsck(part, "vfat")
	require.NoError(t, err)
	assert.Equal(t, 12, st)
	want := append([]byte(nil), before...)
	copy(want[8192:], "XXXX")
	assert.Equal(t, want, readDev(t, part))

	fakeTool(t, "e2fsck", write+"; echo 'e2fsck: broken' >&2; exit 8")
	err = E2fsck(part, true, false)
	assert.ErrorIs(t, err, syscall.EINVAL)
	assert.EqualError(t, err, "/dev/sda1: e2fsck: broken")

	findTools()
	saved := tools["fsck.fat"]
	delete(tools, "fsck.fat")
	defer func() { tools["fsck.fat"] = saved }()
	_, err = Fsck(part, "vfat")
	assert.ErrorIs(t, err, syscall.ENOTSUP)
	assert.EqualError(t, err, "/dev/sda1: fsck.fat is not installed")
}
