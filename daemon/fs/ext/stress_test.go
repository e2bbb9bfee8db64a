package ext

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"goguestfs/daemon/fs"
)

// TestHtreeDirectory grows a directory indexed by e2fsck -D (after the
// first 500 entries; the driver indexes a directory itself when it needs a
// second block, htree_test.go): the next 1,500 go through libext2fs's
// htree code (leaf splits) on e2fsck's index.
func TestHtreeDirectory(t *testing.T) {
	im := mkfs(t, 32<<10, "-t", "ext4", "-b", "1024")
	name := func(i int) string { return fmt.Sprintf("/big/entry-with-a-long-name-%05d", i) }
	create := func(f *FS, from, to int) {
		for i := from; i < to; i++ {
			h, err := f.OpenFile(name(i), os.O_CREATE|os.O_WRONLY, 0o644)
			require.NoError(t, err)
			require.NoError(t, h.Close())
		}
	}
	f, done := im.open(fs.OpenOptions{})
	require.NoError(t, f.Mkdir("/big", 0o755))
	create(f, 0, 500)
	done()
	out, err := exec.Command("e2fsck", "-fyD", im.path).CombinedOutput()
	require.True(t, err == nil || strings.Contains(err.Error(), "exit status 1"), "e2fsck -D: %v %s", err, out)
	require.Contains(t, im.debugfs("stat /big"), "Flags: 0x81000") // indexed, extents
	f, done = im.open(fs.OpenOptions{})
	defer done()
	create(f, 500, 2000)
	ents, err := f.ReadDir("/big")
	require.NoError(t, err)
	assert.Len(t, ents, 2000)
	_, err = f.Stat(name(1234))
	require.NoError(t, err)
	for i := 0; i < 2000; i += 3 {
		require.NoError(t, f.Remove(name(i)))
	}
	require.NoError(t, f.Close())
	im.fsck()
	assert.Contains(t, im.debugfs("stat /big"), "Flags: 0x81000")
	ls := im.debugfs("ls /big")
	assert.Contains(t, ls, "entry-with-a-long-name-01999")
	assert.NotContains(t, ls, "entry-with-a-long-name-01998")
}

func TestNoSpace(t *testing.T) {
	for _, args := range [][]string{{"-t", "ext4", "-b", "1024"}, {"-t", "ext2", "-b", "1024"}} {
		im := mkfs(t, 2<<10, args...)
		f, done := im.open(fs.OpenOptions{})
		writeFile(t, f, "/keep", []byte("precious"), os.O_CREATE|os.O_WRONLY)
		h, err := f.OpenFile("/fill", os.O_CREATE|os.O_WRONLY, 0o644)
		require.NoError(t, err)
		chunk := bytes.Repeat([]byte("z"), 64<<10)
		var werr error
		for off := int64(0); werr == nil && off < 8<<20; off += int64(len(chunk)) {
			_, werr = h.WriteAt(chunk, off)
		}
		assert.ErrorIs(t, werr, syscall.ENOSPC)
		assert.Contains(t, werr.Error(), "/fill")
		require.NoError(t, h.Close())
		// Creating files until the inodes or blocks run out fails cleanly too.
		var cerr error
		for i := 0; cerr == nil && i < 5000; i++ {
			cerr = f.Mkdir(fmt.Sprintf("/d%d", i), 0o755)
		}
		assert.ErrorIs(t, cerr, syscall.ENOSPC)
		require.NoError(t, f.Close())
		done()
		im.fsck()
		assert.Equal(t, "precious", string(im.cat("/keep")))
	}
}

func TestHostileImages(t *testing.T) {
	im := mkfs(t, 8<<10, "-t", "ext4", "-b", "1024")
	f, done := im.open(fs.OpenOptions{})
	require.NoError(t, f.Mkdir("/dir", 0o755))
	writeFile(t, f, "/dir/file", []byte("data"), os.O_CREATE|os.O_WRONLY)
	require.NoError(t, f.Close())
	done()
	raw, err := os.ReadFile(im.path)
	require.NoError(t, err)

	// A directory block of garbage: errors, no crash.
	var blk int64
	_, err = fmtSscan(im.debugfs("bmap /dir 0"), &blk)
	require.NoError(t, err)
	bad := append([]byte(nil), raw...)
	for i := blk * 1024; i < (blk+1)*1024; i++ {
		bad[i] = byte(i * 7)
	}
	require.NoError(t, os.WriteFile(im.path, bad, 0o600))
	f, done = im.open(fs.OpenOptions{ReadOnly: true})
	_, err = f.ReadDir("/dir")
	assert.ErrorIs(t, err, syscall.EIO)
	_, err = f.Stat("/dir/file")
	assert.Error(t, err)
	done()
	f, done = im.open(fs.OpenOptions{})
	assert.ErrorIs(t, f.Mkdir("/dir/x", 0o755), syscall.EIO)
	assert.Error(t, f.Remove("/dir/file"))
	require.NoError(t, f.Mkdir("/other", 0o755))
	assert.ErrorIs(t, f.Rename("/dir", "/other/moved"), syscall.EIO)
	_, err = f.Stat("/other/moved")
	assert.ErrorIs(t, err, syscall.ENOENT, "a failed rename left a name")
	done()

	// Superblocks with broken fields are refused with EINVAL.
	for _, c := range []struct {
		off int
		val []byte
	}{
		{0x18, []byte{40, 0, 0, 0}},   // block size
		{0x04, []byte{0, 0, 0, 0}},    // no blocks
		{0x04, []byte{0, 0, 0, 0x7f}}, // more blocks than the device
		{0x58, []byte{100, 0}},        // inode size
		{0x38, []byte{0, 0}},          // magic
	} {
		bad := append([]byte(nil), raw...)
		copy(bad[1024+c.off:], c.val)
		require.NoError(t, os.WriteFile(im.path, bad, 0o600))
		d, done := im.dev()
		_, err := Open(d, fs.OpenOptions{ReadOnly: true})
		assert.ErrorIs(t, err, syscall.EINVAL, "field at 0x%x", c.off)
		done()
	}
	// A bad group descriptor count or table: libext2fs refuses it.
	bad = append([]byte(nil), raw...)
	copy(bad[1024+0x20:], []byte{1, 0, 0, 0}) // blocks per group
	require.NoError(t, os.WriteFile(im.path, bad, 0o600))
	d, done := im.dev()
	_, err = Open(d, fs.OpenOptions{ReadOnly: true})
	assert.Error(t, err)
	done()
}
