package transfer_test

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"goguestfs/daemon/daemontest"
	"goguestfs/daemon/server"
	"goguestfs/protocol"
)

// The copy actions' optional arguments, by position.
const (
	optSrcoffset = iota
	optDestoffset
	optSize
	optSparse
	optAppend
)

// cpRandImage makes an image of size bytes of random data and returns it
// with its bytes.
func cpRandImage(t *testing.T, size int64) (string, []byte) {
	t.Helper()
	img := daemontest.Image(t, size)
	b := make([]byte, size)
	rand.Read(b)
	require.NoError(t, os.WriteFile(img, b, 0o644))
	return img, b
}

// cpProgress checks a transfer's progress messages: some, positions
// monotonic and within total, the last at total.
func cpProgress(t *testing.T, progress []*protocol.Progress, total uint64) {
	t.Helper()
	require.NotEmpty(t, progress)
	var last uint64
	for _, p := range progress {
		assert.GreaterOrEqual(t, p.Position, last)
		assert.LessOrEqual(t, p.Position, p.Total)
		assert.Equal(t, total, p.Total)
		last = p.Position
	}
	assert.Equal(t, total, last)
}

// cpSum is the guest file's sha256 by the checksum action.
func cpSum(t *testing.T, d *daemontest.Daemon, p string) string {
	t.Helper()
	var sum string
	require.NoError(t, d.Call("checksum", &sum, "sha256", p))
	return sum
}

// sha is the sha256 of b in hexadecimal.
func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// cpStat is the guest file's statns.
func cpStat(t *testing.T, d *daemontest.Daemon, p string) server.Statns {
	t.Helper()
	var st server.Statns
	require.NoError(t, d.Call("statns", &st, p))
	return st
}

// TestCopyDeviceToDevice copies an ext4 filesystem between drives (the
// copy is clean and mounts with its file), a range between raw drives,
// and checks the bytes on the host.
func TestCopyDeviceToDevice(t *testing.T) {
	fsImg := fsImage(t, 32<<20, "mkfs.ext4", "-q", "-F")
	dst := daemontest.Image(t, 40<<20)
	raw, data := cpRandImage(t, 8<<20)
	d := daemontest.Start(t, fsImg, dst, raw)
	require.NoError(t, d.Call("mount", nil, "/dev/sda", "/"))
	require.NoError(t, d.Call("write", nil, "/hello", []byte("hello, world")))
	require.NoError(t, d.Call("umount_all", nil))

	progress, err := d.CallOpts("copy_device_to_device", map[int]any{optSparse: true}, nil, "/dev/sda", "/dev/sdb")
	require.NoError(t, err)
	cpProgress(t, progress, 32<<20)
	var st syscall.Stat_t
	require.NoError(t, syscall.Stat(dst, &st))
	assert.Less(t, st.Blocks*512, int64(16<<20), "the sparse copy kept the empty filesystem's holes")
	out, err := exec.Command("cmp", "-n", "33554432", fsImg, dst).CombinedOutput()
	assert.NoError(t, err, "%s", out)
	require.NoError(t, d.Call("mount", nil, "/dev/sdb", "/"))
	var got []byte
	require.NoError(t, d.Call("read_file", &got, "/hello"))
	assert.Equal(t, "hello, world", string(got))
	check(t, d, dst, "e2fsck", "-fn")
	check(t, d, fsImg, "e2fsck", "-fn")

	// A range, from the raw drive to the second at an offset.
	before, err := os.ReadFile(dst)
	require.NoError(t, err)
	_, err = d.CallOpts("copy_device_to_device", map[int]any{optSrcoffset: int64(1000), optDestoffset: int64(5 << 20), optSize: int64(3<<20 + 7)}, nil, "/dev/sdc", "/dev/sdb")
	require.NoError(t, err)
	img, err := os.ReadFile(dst)
	require.NoError(t, err)
	assert.Equal(t, data[1000:1000+3<<20+7], img[5<<20:5<<20+3<<20+7])
	assert.Equal(t, before[:5<<20], img[:5<<20], "nothing written before the range")
	assert.Equal(t, before[8<<20+7:], img[8<<20+7:], "nothing written after the range")

	// On one device: forward over an earlier range works, a later
	// overlapping one is refused.
	_, err = d.CallOpts("copy_device_to_device", map[int]any{optSrcoffset: int64(1 << 20), optSize: int64(2 << 20)}, nil, "/dev/sdc", "/dev/sdc")
	require.NoError(t, err)
	img, err = os.ReadFile(raw)
	require.NoError(t, err)
	assert.Equal(t, data[1<<20:3<<20], img[:2<<20])
	assert.Equal(t, data[2<<20:], img[2<<20:])
	_, err = d.CallOpts("copy_device_to_device", map[int]any{optDestoffset: int64(100), optSize: int64(1000)}, nil, "/dev/sdc", "/dev/sdc")
	assert.Equal(t, syscall.EINVAL, errnoOf(t, err))
}

// TestCopyFiles copies between a raw drive and ext4 files and between
// files: ranges, append, sparse, and a file onto itself, each compared
// with the same bytes cut here.
func TestCopyFiles(t *testing.T) {
	img := fsImage(t, 96<<20, "mkfs.ext4", "-q", "-F")
	raw, data := cpRandImage(t, 24<<20)
	out := daemontest.Image(t, 8<<20)
	d := daemontest.Start(t, img, raw, out)
	require.NoError(t, d.Call("mount", nil, "/dev/sda", "/"))

	progress, err := d.CallOpts("copy_device_to_file", nil, nil, "/dev/sdb", "/f")
	require.NoError(t, err)
	cpProgress(t, progress, 24<<20)
	assert.Equal(t, sha(data), cpSum(t, d, "/f"))

	// A range at an offset: a hole before it, the file truncated first.
	require.NoError(t, d.Call("fill", nil, 9, 30<<20, "/g"))
	_, err = d.CallOpts("copy_file_to_file", map[int]any{optSrcoffset: int64(1000), optDestoffset: int64(777), optSize: int64(5<<20 + 3)}, nil, "/f", "/g")
	require.NoError(t, err)
	want := append(make([]byte, 777), data[1000:1000+5<<20+3]...)
	assert.Equal(t, sha(want), cpSum(t, d, "/g"))

	// append writes at the end; a file onto itself with append doubles.
	_, err = d.CallOpts("copy_file_to_file", map[int]any{optAppend: true, optSize: int64(100)}, nil, "/f", "/g")
	require.NoError(t, err)
	want = append(want, data[:100]...)
	assert.Equal(t, sha(want), cpSum(t, d, "/g"))
	_, err = d.CallOpts("copy_file_to_file", map[int]any{optAppend: true}, nil, "/g", "/g")
	require.NoError(t, err)
	want = append(want, want...)
	assert.Equal(t, sha(want), cpSum(t, d, "/g"))
	_, err = d.CallOpts("copy_file_to_file", nil, nil, "/g", "/g")
	assert.Equal(t, syscall.EINVAL, errnoOf(t, err), "onto itself without append")
	assert.Equal(t, sha(want), cpSum(t, d, "/g"), "left alone")

	// Sparse: zeros between data are skipped, the size still ends right.
	require.NoError(t, d.Call("fill", nil, 0, 8<<20, "/z"))
	require.NoError(t, d.Call("pwrite", nil, "/z", []byte("middle"), int64(3<<20)))
	_, err = d.CallOpts("copy_file_to_file", map[int]any{optSparse: true}, nil, "/z", "/s")
	require.NoError(t, err)
	zs := make([]byte, 8<<20)
	copy(zs[3<<20:], "middle")
	assert.Equal(t, sha(zs), cpSum(t, d, "/s"))
	st := cpStat(t, d, "/s")
	assert.EqualValues(t, 8<<20, st.StSize)
	assert.Less(t, st.StBlocks*512, int64(1<<20), "only the block holding data is written")
	_, err = d.CallOpts("copy_file_to_file", map[int]any{optSparse: true, optSrcoffset: int64(4 << 20)}, nil, "/z", "/s")
	require.NoError(t, err)
	assert.Equal(t, sha(make([]byte, 4<<20)), cpSum(t, d, "/s"), "all zeros: a hole of the right size")

	// A guest file to a device, at an offset; the rest untouched.
	_, err = d.CallOpts("copy_file_to_device", map[int]any{optDestoffset: int64(4096), optSize: int64(3 << 20)}, nil, "/f", "/dev/sdc")
	require.NoError(t, err)
	got, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.Equal(t, make([]byte, 4096), got[:4096])
	assert.Equal(t, data[:3<<20], got[4096:4096+3<<20])
	assert.Equal(t, make([]byte, 8<<20-4096-3<<20), got[4096+3<<20:])

	// The device copied to a file from an offset to its end.
	_, err = d.CallOpts("copy_device_to_file", map[int]any{optSrcoffset: int64(4096)}, nil, "/dev/sdc", "/h")
	require.NoError(t, err)
	assert.Equal(t, sha(got[4096:]), cpSum(t, d, "/h"))
	check(t, d, img, "e2fsck", "-fn")
}

// TestCopyErrors checks the refusals, each before anything is written.
func TestCopyErrors(t *testing.T) {
	img := fsImage(t, 32<<20, "mkfs.ext4", "-q", "-F")
	raw, data := cpRandImage(t, 4<<20)
	d := daemontest.Start(t, img, raw)
	require.NoError(t, d.Call("mount", nil, "/dev/sda", "/"))
	require.NoError(t, d.Call("write", nil, "/f", []byte("0123456789")))
	require.NoError(t, d.Call("mkdir", nil, "/dir"))
	for _, c := range []struct {
		proc string
		opts map[int]any
		args []any
		want syscall.Errno
	}{
		{"copy_file_to_file", map[int]any{optSrcoffset: int64(-1)}, []any{"/f", "/g"}, syscall.EINVAL},
		{"copy_file_to_file", map[int]any{optDestoffset: int64(-1)}, []any{"/f", "/g"}, syscall.EINVAL},
		{"copy_file_to_file", map[int]any{optSize: int64(-1)}, []any{"/f", "/g"}, syscall.EINVAL},
		{"copy_file_to_file", map[int]any{optSize: int64(11)}, []any{"/f", "/g"}, syscall.EINVAL},
		{"copy_file_to_file", map[int]any{optSrcoffset: int64(5), optSize: int64(6)}, []any{"/f", "/g"}, syscall.EINVAL},
		{"copy_file_to_file", map[int]any{optSrcoffset: int64(11)}, []any{"/f", "/g"}, syscall.EINVAL},
		{"copy_file_to_file", map[int]any{optAppend: true, optDestoffset: int64(0)}, []any{"/f", "/g"}, syscall.EINVAL},
		{"copy_file_to_file", nil, []any{"/nope", "/g"}, syscall.ENOENT},
		{"copy_file_to_file", nil, []any{"/f", "/nope/g"}, syscall.ENOENT},
		{"copy_file_to_file", nil, []any{"/f", "/dir"}, syscall.EISDIR},
		{"copy_file_to_file", nil, []any{"/dir", "/g"}, syscall.EISDIR},
		{"copy_file_to_device", map[int]any{optAppend: true}, []any{"/f", "/dev/sdb"}, syscall.EINVAL},
		{"copy_file_to_device", map[int]any{optDestoffset: int64(4<<20 - 9)}, []any{"/f", "/dev/sdb"}, syscall.ENOSPC},
		{"copy_device_to_device", map[int]any{optDestoffset: int64(1)}, []any{"/dev/sdb", "/dev/sdb"}, syscall.EINVAL},
		{"copy_device_to_device", nil, []any{"/dev/sdb", "/dev/sda"}, syscall.EBUSY},
		{"copy_file_to_device", nil, []any{"/f", "/dev/sda"}, syscall.EBUSY},
		{"copy_device_to_file", map[int]any{optSize: int64(4<<20 + 1)}, []any{"/dev/sdb", "/g"}, syscall.EINVAL},
		{"copy_device_to_file", nil, []any{"/dev/sdc", "/g"}, syscall.ENOENT},
	} {
		_, err := d.CallOpts(c.proc, c.opts, nil, c.args...)
		require.Error(t, err, "%s %v %v", c.proc, c.opts, c.args)
		assert.Equal(t, c.want, errnoOf(t, err), "%s %v %v: %v", c.proc, c.opts, c.args, err)
		assert.True(t, strings.HasPrefix(err.Error(), c.proc+": /"), "%v names the object after the action", err)
		assert.Equal(t, 1, strings.Count(err.Error(), "copy_"), "%v names the action once", err)
	}
	var names []string
	require.NoError(t, d.Call("ls", &names, "/"))
	assert.NotContains(t, names, "g", "no refusal created the destination")

	require.NoError(t, d.Call("blockdev_setro", nil, "/dev/sdb"))
	_, err := d.CallOpts("copy_file_to_device", nil, nil, "/f", "/dev/sdb")
	assert.Equal(t, syscall.EROFS, errnoOf(t, err))
	assert.Equal(t, "copy_file_to_device: /dev/sdb: device is read-only (blockdev_setro)", err.Error())
	got, err := os.ReadFile(raw)
	require.NoError(t, err)
	assert.Equal(t, data, got)
	check(t, d, img, "e2fsck", "-fn")
}

// TestCopyCancel cancels a copy at its first progress message: EINTR, the
// bytes so far copied.
func TestCopyCancel(t *testing.T) {
	img := fsImage(t, 96<<20, "mkfs.ext4", "-q", "-F")
	raw, data := cpRandImage(t, 48<<20)
	d := daemontest.Start(t, img, raw)
	require.NoError(t, d.Call("mount", nil, "/dev/sda", "/"))
	assert.Equal(t, syscall.EINTR, errnoOf(t, d.CallCancelled("copy_device_to_file", "/dev/sdb", "/f")))
	st := cpStat(t, d, "/f")
	require.Less(t, st.StSize, int64(48<<20))
	var part []byte
	require.NoError(t, d.Call("pread", &part, "/f", 1<<20, int64(0)))
	if st.StSize >= 1<<20 {
		assert.Equal(t, data[:1<<20], part)
	}
	check(t, d, img, "e2fsck", "-fn")
}
