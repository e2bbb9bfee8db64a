package parttable

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// hybridImage is a 64 MiB GPT disk with partitions 1-3 at sectors
// 2048..20479, 20480..40959 and 40960..61439, whose sector 0 sgdisk made
// hybrid with sgdisk -h hybridArg.
func hybridImage(t *testing.T, hybridArg string) *image {
	t.Helper()
	im := newImage(t, 64*MiB)
	requireTools(t)
	d := im.dev
	require.NoError(t, d.PartInit("gpt"))
	require.NoError(t, d.PartAdd("p", 2048, 20479))
	require.NoError(t, d.PartAdd("p", 20480, 40959))
	require.NoError(t, d.PartAdd("p", 40960, 61439))
	require.NoError(t, im.f.Sync())
	out, code := run(t, "sgdisk", "-h", hybridArg, im.path)
	require.Equal(t, 0, code, out)
	require.True(t, isHybrid(im.sector0(t)), "sgdisk -h %s made no hybrid MBR", hybridArg)
	im.check(t)
	return im
}

func (im *image) sector0(t *testing.T) []byte {
	t.Helper()
	sec := make([]byte, 512)
	_, err := im.f.ReadAt(sec, 0)
	require.NoError(t, err)
	return sec
}

// mbrEntries decodes the four entries of sector 0 (CHS aside: sgdisk and
// we may compute it for different geometries).
func mbrEntries(sec []byte) [4]mbrEntry {
	var es [4]mbrEntry
	for i := range es {
		es[i] = rawEntry(sec, i, 0)
	}
	return es
}

// sgdiskCopy copies the image and runs sgdisk with args on the copy, the
// reference for what our action should leave in sector 0.
func (im *image) sgdiskCopy(t *testing.T, args ...string) [4]mbrEntry {
	t.Helper()
	require.NoError(t, im.f.Sync())
	b, err := os.ReadFile(im.path)
	require.NoError(t, err)
	p := filepath.Join(t.TempDir(), "copy.img")
	require.NoError(t, os.WriteFile(p, b, 0o600))
	out, code := run(t, "sgdisk", append(args, p)...)
	require.Equal(t, 0, code, out)
	f, err := os.Open(p)
	require.NoError(t, err)
	defer f.Close()
	sec := make([]byte, 512)
	_, err = f.ReadAt(sec, 0)
	require.NoError(t, err)
	return mbrEntries(sec)
}

func TestHybridMBRPartDel(t *testing.T) {
	for _, c := range []struct {
		name, hybrid string
		del          []int
	}{
		{"0xEE first, delete the first mirror", "1:2", []int{1, 2}},
		{"0xEE first, delete the last mirror", "1:2", []int{2, 1}},
		{"0xEE last", "1:2:EE", []int{1, 2}},
		{"one mirror", "2", []int{2}},
		{"mirror of the last partition", "3", []int{1, 3}},
	} {
		t.Run(c.name, func(t *testing.T) {
			im := hybridImage(t, c.hybrid)
			for _, n := range c.del {
				want := im.sgdiskCopy(t, "-d", strconv.Itoa(n))
				require.NoError(t, im.dev.PartDel(n))
				// sgdisk -v is clean (check), and sector 0 has the entries
				// sgdisk -d itself leaves.
				im.check(t)
				require.Equal(t, want, mbrEntries(im.sector0(t)), "after part_del %d", n)
			}
			// Once no mirror is left, a plain protective MBR.
			if !isHybrid(im.sector0(t)) {
				es := mbrEntries(im.sector0(t))
				require.Equal(t, mbrEntry{ptype: typeGPTProt, start: 1, size: 64*MiB/512 - 1}, es[0])
			}
		})
	}
}

// TestHybridMBRUnmirroredPartDel: deleting a partition that has no mirror
// leaves sector 0 as it was.
func TestHybridMBRUnmirroredPartDel(t *testing.T) {
	im := hybridImage(t, "1:2")
	before := im.sector0(t)
	require.NoError(t, im.dev.PartDel(3))
	im.check(t)
	require.Equal(t, before, im.sector0(t))
	// A new partition where 3 was, then its deletion: still untouched.
	require.NoError(t, im.dev.PartAdd("p", 40960, 50000))
	require.NoError(t, im.dev.PartDel(3))
	require.Equal(t, before, im.sector0(t))
	im.check(t)
}

// TestHybridMBRExpandGpt: on a grown disk, part_expand_gpt moves the
// backup GPT but leaves a hybrid MBR alone, as sgdisk -e does; growing the
// 0xEE entry over the whole disk would overlap the mirrors.
func TestHybridMBRExpandGpt(t *testing.T) {
	for _, hybrid := range []string{"1:2", "3"} {
		im := hybridImage(t, hybrid)
		before := im.sector0(t)
		require.NoError(t, im.f.Truncate(128*MiB))
		want := im.sgdiskCopy(t, "-e")
		require.NoError(t, im.dev.PartExpandGpt())
		im.check(t)
		require.Equal(t, want, mbrEntries(im.sector0(t)))
		require.Equal(t, before, im.sector0(t))
	}
}
