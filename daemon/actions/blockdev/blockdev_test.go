package blockdev_test

import (
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"goguestfs/daemon/daemontest"
)

func TestDevicesAndSizes(t *testing.T) {
	d := daemontest.Start(t, daemontest.Image(t, 8<<20), daemontest.Image(t, 4<<20))
	var devs []string
	require.NoError(t, d.Call("list_devices", &devs))
	assert.Equal(t, []string{"/dev/sda", "/dev/sdb"}, devs)
	var size int64
	require.NoError(t, d.Call("blockdev_getsize64", &size, "/dev/hdb"))
	assert.Equal(t, int64(4<<20), size)
	require.NoError(t, d.Call("blockdev_getsz", &size, "/dev/sda"))
	assert.Equal(t, int64(8<<20/512), size)
	var i int
	require.NoError(t, d.Call("device_index", &i, "/dev/sdb"))
	assert.Equal(t, 1, i)

	require.NoError(t, d.Call("part_disk", nil, "/dev/sda", "mbr"))
	require.NoError(t, d.Call("blockdev_getsize64", &size, "/dev/sda1"))
	assert.Less(t, size, int64(8<<20))
	assert.ErrorIs(t, d.Call("device_index", &i, "/dev/sda1"), syscall.EINVAL)
}

func TestReadWriteAndReadOnly(t *testing.T) {
	d := daemontest.Start(t, daemontest.Image(t, 8<<20))
	var n int
	require.NoError(t, d.Call("pwrite_device", &n, "/dev/sda", []byte("hello"), int64(4096)))
	assert.Equal(t, 5, n)
	var buf []byte
	require.NoError(t, d.Call("pread_device", &buf, "/dev/sda", 5, int64(4096)))
	assert.Equal(t, "hello", string(buf))

	require.NoError(t, d.Call("blockdev_setro", nil, "/dev/sda"))
	var ro bool
	require.NoError(t, d.Call("blockdev_getro", &ro, "/dev/sda"))
	assert.True(t, ro)
	err := d.Call("pwrite_device", &n, "/dev/sda", []byte("x"), int64(0))
	assert.ErrorIs(t, err, syscall.EROFS)
	assert.EqualError(t, err, "pwrite_device: /dev/sda: device is read-only (blockdev_setro)")
	assert.ErrorIs(t, d.Call("part_disk", nil, "/dev/sda", "gpt"), syscall.EROFS, "every group's writes obey the flag")
	require.NoError(t, d.Call("blockdev_setrw", nil, "/dev/sda"))
	require.NoError(t, d.Call("zero_device", nil, "/dev/sda"))
	require.NoError(t, d.Call("pread_device", &buf, "/dev/sda", 5, int64(4096)))
	assert.Equal(t, make([]byte, 5), buf)
}

func TestBadArguments(t *testing.T) {
	d := daemontest.Start(t, daemontest.Image(t, 1<<20))
	var buf []byte
	assert.ErrorIs(t, d.Call("pread_device", &buf, "/dev/sda", -1, int64(0)), syscall.EINVAL)
	assert.ErrorIs(t, d.Call("pread_device", &buf, "/dev/sda", 1, int64(-1)), syscall.EINVAL)
	err := d.Call("pread_device", &buf, "/dev/"+strings.Repeat("a", 1<<20), 1, int64(0))
	assert.ErrorIs(t, err, syscall.ENOENT)
	assert.Less(t, len(err.Error()), 300, "a long name is cut in the message")
}
