package ext

import (
	"bytes"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"goguestfs/daemon/fs"
)

// TestOrphans: a read-write open processes the orphan list a crash left
// (made here with debugfs): an unlinked inode is freed, a linked one loses
// its blocks past its size.
func TestOrphans(t *testing.T) {
	im := mkfs(t, 8<<10, "-t", "ext4", "-b", "1024", "-O", "^has_journal")
	src := filepath.Join(t.TempDir(), "src")
	require.NoError(t, os.WriteFile(src, bytes.Repeat([]byte("o"), 5000), 0o600))
	run(t, "debugfs", "-w", "-R", "write "+src+" gone", im.path)
	run(t, "debugfs", "-w", "-R", "write "+src+" short", im.path)
	gone := im.debugfs("ls -l /") // inode numbers: gone is 12, short is 13
	require.Contains(t, gone, " 12 ")
	for _, req := range []string{
		"unlink /gone", "sif <12> links_count 0", "sif <12> dtime 13",
		"sif /short size 100", "sif /short dtime 0", "ssv last_orphan 12",
	} {
		run(t, "debugfs", "-w", "-R", req, im.path)
	}
	_, err := osexec.Command("e2fsck", "-fn", im.path).CombinedOutput()
	require.Error(t, err, "e2fsck finds nothing to do before the open")
	f, done := im.open(fs.OpenOptions{})
	assert.Equal(t, 100, len(readFile(t, f, "/short")))
	require.NoError(t, f.Close())
	done()
	im.fsck()
	assert.Contains(t, im.debugfs("stats"), "Inode count:")
	assert.NotContains(t, im.debugfs("stats"), "Last orphan")
	assert.Contains(t, im.debugfs("stat /short"), "Blockcount: 2\n")
}

// TestOrphanFile: with the orphan_file feature the kernel records orphans
// in the orphan file's blocks and sets orphan_present; a read-write open
// processes them and clears both, and e2fsck finds the result clean.
func TestOrphanFile(t *testing.T) {
	im := mkfs(t, 8<<10, "-t", "ext4", "-b", "1024", "-O", "orphan_file")
	src := filepath.Join(t.TempDir(), "src")
	require.NoError(t, os.WriteFile(src, bytes.Repeat([]byte("o"), 5000), 0o600))
	run(t, "debugfs", "-w", "-R", "write "+src+" gone", im.path)
	ls := im.debugfs("ls -l /")
	require.Contains(t, ls, " 13 ", "gone is inode 13 (12 is the orphan file)")
	for _, req := range []string{"unlink /gone", "sif <13> links_count 0", "feature orphan_present"} {
		run(t, "debugfs", "-w", "-R", req, im.path)
	}
	// The first slot of the orphan file's first block names inode 13.
	var blk int64
	_, err := fmtSscan(strings.Fields(im.debugfs("blocks <12>"))[0], &blk)
	require.NoError(t, err)
	img, err := os.OpenFile(im.path, os.O_RDWR, 0)
	require.NoError(t, err)
	_, err = img.WriteAt([]byte{13, 0, 0, 0}, blk*1024)
	require.NoError(t, err)
	require.NoError(t, img.Close())
	_, err = osexec.Command("e2fsck", "-fn", im.path).CombinedOutput()
	require.Error(t, err, "e2fsck finds the orphan before the open")
	_, done := im.open(fs.OpenOptions{})
	done()
	im.fsck()
	assert.NotContains(t, im.debugfs("features"), "orphan_present")
}
