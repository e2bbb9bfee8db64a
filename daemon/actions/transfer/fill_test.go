package transfer_test

import (
	"bytes"
	"fmt"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"goguestfs/daemon/daemontest"
)

// cpExtRoot starts a daemon with a fresh ext4 image of size bytes mounted
// at / and returns it with the image.
func cpExtRoot(t *testing.T, size int64) (*daemontest.Daemon, string) {
	t.Helper()
	img := fsImage(t, size, "mkfs.ext4", "-q", "-F")
	d := daemontest.Start(t, img)
	require.NoError(t, d.Call("mount", nil, "/dev/sda", "/"))
	return d, img
}

// TestFill compares fill and fill_pattern with the same bytes made here:
// zeros are real blocks, a pattern's last copy is cut short, an existing
// file is truncated; 24 MiB report progress.
func TestFill(t *testing.T) {
	d, img := cpExtRoot(t, 64<<20)
	progress, err := d.CallOpts("fill", nil, nil, 0, 24<<20, "/zeros")
	require.NoError(t, err)
	cpProgress(t, progress, 24<<20)
	assert.Equal(t, sha(make([]byte, 24<<20)), cpSum(t, d, "/zeros"))
	st := cpStat(t, d, "/zeros")
	assert.EqualValues(t, 24<<20, st.StSize)
	assert.GreaterOrEqual(t, st.StBlocks*512, int64(24<<20), "zeros are written, not a hole")

	require.NoError(t, d.Call("fill", nil, 0x41, 3<<20+5, "/a"))
	assert.Equal(t, sha(bytes.Repeat([]byte{0x41}, 3<<20+5)), cpSum(t, d, "/a"))
	require.NoError(t, d.Call("fill", nil, 255, 10, "/a"))
	assert.Equal(t, sha(bytes.Repeat([]byte{255}, 10)), cpSum(t, d, "/a"), "truncated first")
	require.NoError(t, d.Call("fill", nil, 7, 0, "/empty"))
	assert.EqualValues(t, 0, cpStat(t, d, "/empty").StSize)

	for _, c := range []struct {
		pattern string
		n       int
	}{{"abc", 3<<20 + 2}, {"x", 5}, {"longer than len", 4}, {"0123456789abcdefg", 1 << 20}} {
		require.NoError(t, d.Call("fill_pattern", nil, c.pattern, c.n, "/p"))
		want := bytes.Repeat([]byte(c.pattern), c.n/len(c.pattern)+1)[:c.n]
		assert.Equal(t, sha(want), cpSum(t, d, "/p"), "%q %d", c.pattern, c.n)
	}
	progress, err = d.CallOpts("fill_pattern", nil, nil, "xyz", 21<<20, "/big")
	require.NoError(t, err)
	cpProgress(t, progress, 21<<20)

	require.NoError(t, d.Call("mkdir", nil, "/dir"))
	for _, c := range []struct {
		proc string
		args []any
		want syscall.Errno
	}{
		{"fill", []any{256, 1, "/f"}, syscall.EINVAL},
		{"fill", []any{-1, 1, "/f"}, syscall.EINVAL},
		{"fill", []any{0, -1, "/f"}, syscall.EINVAL},
		{"fill", []any{0, 1, "/dir"}, syscall.EISDIR},
		{"fill", []any{0, 1, "/nope/f"}, syscall.ENOENT},
		{"fill", []any{0, 100 << 20, "/huge"}, syscall.ENOSPC},
		{"fill_pattern", []any{"", 1, "/f"}, syscall.EINVAL},
		{"fill_pattern", []any{"ab", -1, "/f"}, syscall.EINVAL},
		{"fill_pattern", []any{"ab", 1, "/dir"}, syscall.EISDIR},
	} {
		err := d.Call(c.proc, nil, c.args...)
		require.Error(t, err, "%s %v", c.proc, c.args)
		assert.Equal(t, c.want, errnoOf(t, err), "%s %v: %v", c.proc, c.args, err)
	}
	require.NoError(t, d.Call("rm", nil, "/huge"))
	check(t, d, img, "e2fsck", "-fn")
}

// TestFillCancel cancels a fill at its first progress message: EINTR.
func TestFillCancel(t *testing.T) {
	d, img := cpExtRoot(t, 64<<20)
	assert.Equal(t, syscall.EINTR, errnoOf(t, d.CallCancelled("fill", 1, 40<<20, "/f")))
	assert.Less(t, cpStat(t, d, "/f").StSize, int64(40<<20))
	check(t, d, img, "e2fsck", "-fn")
}

// TestFillDir makes files with libguestfs's names, on ext4 and vfat, and
// refuses an existing name.
func TestFillDir(t *testing.T) {
	for _, fs := range []struct {
		tool string
		args []string
		fsck []string
	}{
		{"mkfs.ext4", []string{"-q", "-F"}, []string{"e2fsck", "-fn"}},
		{"mkfs.vfat", nil, []string{"fsck.fat", "-n"}},
	} {
		t.Run(fs.tool, func(t *testing.T) {
			img := fsImage(t, 32<<20, fs.tool, fs.args...)
			d := daemontest.Start(t, img)
			require.NoError(t, d.Call("mount", nil, "/dev/sda", "/"))
			require.NoError(t, d.Call("mkdir", nil, "/d"))
			progress, err := d.CallOpts("fill_dir", nil, nil, "/d", 1500)
			require.NoError(t, err)
			if len(progress) > 0 {
				cpProgress(t, progress, 1500)
			}
			var names []string
			require.NoError(t, d.Call("ls", &names, "/d"))
			require.Len(t, names, 1500)
			for i, n := range names {
				assert.Equal(t, fmt.Sprintf("%08d", i), n)
			}
			st := cpStat(t, d, "/d/00000042")
			assert.EqualValues(t, 0, st.StSize)
			if fs.tool == "mkfs.ext4" {
				assert.EqualValues(t, 0o100644, st.StMode)
			}
			require.NoError(t, d.Call("fill_dir", nil, "/d", 0))
			require.NoError(t, d.Call("mkdir", nil, "/e"))
			require.NoError(t, d.Call("touch", nil, "/e/00000002"))
			err = d.Call("fill_dir", nil, "/e", 5)
			assert.Equal(t, syscall.EEXIST, errnoOf(t, err))
			require.NoError(t, d.Call("ls", &names, "/e"))
			assert.Equal(t, []string{"00000000", "00000001", "00000002"}, names, "the files before the clash stay")
			assert.Equal(t, syscall.EINVAL, errnoOf(t, d.Call("fill_dir", nil, "/e", -1)))
			assert.Equal(t, syscall.ENOENT, errnoOf(t, d.Call("fill_dir", nil, "/nope", 1)))
			assert.Equal(t, syscall.ENOTDIR, errnoOf(t, d.Call("fill_dir", nil, "/e/00000002", 1)))
			check(t, d, img, fs.fsck[0], fs.fsck[1:]...)
		})
	}
}
