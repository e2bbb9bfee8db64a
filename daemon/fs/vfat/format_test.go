package vfat

import (
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"goguestfs/daemon/fs"
	"goguestfs/daemon/fs/vfat/layout"
)

func readSectors(t *testing.T, path string, from, n int64) []byte {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	b := make([]byte, n*512)
	_, err = f.ReadAt(b, from*512)
	require.NoError(t, err)
	return b
}

// TestFormatMatchesMkfsFat formats the same sizes with mkfs.fat and with
// Format and compares the metadata sectors byte for byte (same serial).
func TestFormatMatchesMkfsFat(t *testing.T) {
	need(t, "mkfs.fat", "fsck.fat")
	const id = 0x1234ABCD
	sizes := []struct {
		size  int64
		label string
		typ   int
	}{
		{360 << 10, "", 12}, {1440 << 10, "FLOPPY", 12}, {2 << 20, "", 12}, {4 << 20, "", 12},
		{5 << 20, "", 12}, {10 << 20, "TEN", 16}, {17<<20 + 3*512, "", 16}, {32 << 20, "", 16},
		{100 << 20, "ESP", 16}, {255 << 20, "", 16}, {511 << 20, "", 16}, {512 << 20, "BIG", 32},
		{600<<20 + 7*512, "", 32}, {1 << 30, "", 32}, {9 << 30, "", 32},
	}
	for _, c := range sizes {
		args := []string{"-i", "1234ABCD"}
		if c.label != "" {
			args = append(args, "-n", c.label)
		}
		ref := mkfsImage(t, c.size, args...)
		ours := newImage(t, c.size)
		lab, err := layout.LabelField(c.label)
		require.NoError(t, err)
		m, err := layout.NewMkfs(c.size, 0, 0, lab, id)
		require.NoError(t, err, "size %d", c.size)
		assert.Equal(t, c.typ, m.FATType, "size %d", c.size)
		dev := openDev(t, ours)
		now := time.Date(2024, 5, 6, 7, 8, 10, 0, time.UTC)
		require.NoError(t, format(dev, m, now))
		g := m.Geo
		meta := g.DataStart / 512
		if m.FATType == layout.FAT32 {
			meta = g.ClusterOffset(2)/512 + g.ClusterSize/512
		}
		rb := readSectors(t, ref, 0, meta)
		ob := readSectors(t, ours, 0, meta)
		assert.Equal(t, rb[:512], ob[:512], "boot sector, size %d", c.size)
		if c.label == "" {
			assert.Equal(t, rb, ob, "metadata, size %d", c.size)
		} else {
			// The label entry's times differ.
			off := g.RootStart
			if m.FATType == layout.FAT32 {
				off = g.ClusterOffset(2)
			}
			assert.Equal(t, rb[:off], ob[:off], "metadata, size %d", c.size)
			assert.Equal(t, rb[off:off+12], ob[off:off+12], "label entry, size %d", c.size)
		}
		fsck(t, ours)
		os.Remove(ref)
		os.Remove(ours)
	}
}

func TestFormatDriver(t *testing.T) {
	need(t, "fsck.fat", "mdir")
	img := newImage(t, 64<<20)
	dev := openDev(t, img)
	require.NoError(t, Driver{}.Format(dev, fs.FormatOptions{Type: "vfat", Label: "EFI"}))
	fsck(t, img)
	x, err := Driver{}.Open(dev, fs.OpenOptions{})
	require.NoError(t, err)
	l, err := x.(fs.Labeler).Label()
	require.NoError(t, err)
	assert.Equal(t, "EFI", l)
	require.NoError(t, x.Close())
	out, err := exec.Command("mlabel", "-i", img, "-s", "::").CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Contains(t, string(out), "EFI")

	for _, o := range []fs.FormatOptions{{Type: "ext4"}, {Label: "bad*label"}, {Label: "waytoolonglabel"}, {Blocksize: 1000}, {Features: "fat99"}} {
		assert.Error(t, Driver{}.Format(dev, o), "%+v", o)
	}
	require.NoError(t, Driver{}.Format(dev, fs.FormatOptions{Features: "fat32", Blocksize: 512}))
	fsck(t, img)
	x, err = Driver{}.Open(dev, fs.OpenOptions{})
	require.NoError(t, err)
	assert.Equal(t, layout.FAT32, x.(*FS).g.FATType)
	require.NoError(t, x.Close())
	small := &memDev{b: make([]byte, 8<<10)}
	assert.Error(t, Driver{}.Format(small, fs.FormatOptions{}))
}
