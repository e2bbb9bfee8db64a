package transfer_test

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
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

// cpFsImage makes an image of size bytes with a filesystem made on the
// host by tool.
func cpFsImage(t *testing.T, size int64, tool string, args ...string) string {
	t.Helper()
	img := daemontest.Image(t, size)
	out, err := exec.Command(tool, append(args, img)...).CombinedOutput()
	require.NoError(t, err, "%s", out)
	return img
}

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

// cpErrno returns the errno of an action's error.
func cpErrno(t *testing.T, err error) syscall.Errno {
	t.Helper()
	var pe *protocol.Error
	require.ErrorAs(t, err, &pe)
	return syscall.Errno(pe.Errno)
}

// cpChecked unmounts everything and runs the real checker on img.
func cpChecked(t *testing.T, d *daemontest.Daemon, img string, tool string, args ...string) {
	t.Helper()
	require.NoError(t, d.Call("umount_all", nil))
	out, err := exec.Command(tool, append(args, img)...).CombinedOutput()
	assert.NoError(t, err, "%s: %s", tool, out)
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
	fsImg := cpFsImage(t, 32<<20, "mkfs.ext4", "-q", "-F")
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
	cpChecked(t, d, dst, "e2fsck", "-fn")
	cpChecked(t, d, fsImg, "e2fsck", "-fn")

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
	assert.Equal(t, syscall.EINVAL, cpErrno(t, err))
}
