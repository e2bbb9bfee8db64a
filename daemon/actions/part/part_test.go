package part_test

import (
	"os/exec"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"goguestfs/daemon/daemontest"
	"goguestfs/daemon/server"
)

func TestPartitionThroughTheDispatcher(t *testing.T) {
	img := daemontest.Image(t, 16<<20)
	d := daemontest.Start(t, img)
	require.NoError(t, d.Call("part_init", nil, "/dev/vda", "mbr"))
	require.NoError(t, d.Call("part_add", nil, "/dev/sda", "p", 2048, 10239))
	require.NoError(t, d.Call("part_add", nil, "/dev/sda", "p", 10240, -2048))
	var parts []server.Partition
	require.NoError(t, d.Call("part_list", &parts, "/dev/sda"))
	require.Len(t, parts, 2)
	assert.Equal(t, server.Partition{PartNum: 1, PartStart: 2048 * 512, PartEnd: 10240*512 - 1, PartSize: 8192 * 512}, parts[0])
	var names []string
	require.NoError(t, d.Call("list_partitions", &names))
	assert.Equal(t, []string{"/dev/sda1", "/dev/sda2"}, names)
	var dev string
	require.NoError(t, d.Call("part_to_dev", &dev, "/dev/vda2"))
	assert.Equal(t, "/dev/sda", dev)
	var n int
	require.NoError(t, d.Call("part_to_partnum", &n, "/dev/sda2"))
	assert.Equal(t, 2, n)
	require.NoError(t, d.Call("sync", nil))
	out, err := exec.Command("sfdisk", "--verify", img).CombinedOutput()
	assert.NoError(t, err, "%s", out)
}

// TestNames checks that every call rejects the same names, with the action
// named once and the device named.
func TestNames(t *testing.T) {
	d := daemontest.Start(t, daemontest.Image(t, 16<<20))
	require.NoError(t, d.Call("part_disk", nil, "/dev/sda", "gpt"))
	for _, tc := range []struct {
		proc, arg string
		errno     syscall.Errno
		msg       string
	}{
		{"part_to_dev", "/dev/sda1p1", syscall.ENOENT, "part_to_dev: /dev/sda1p1: no such device"},
		{"part_to_dev", "/dev/sda99", syscall.ENOENT, "part_to_dev: /dev/sda99: no such partition"},
		{"part_to_dev", "/dev/sda", syscall.EINVAL, "part_to_dev: /dev/sda: is a whole device, not a partition"},
		{"part_to_partnum", "/dev/sda99", syscall.ENOENT, "part_to_partnum: /dev/sda99: no such partition"},
		{"part_list", "/dev/sdb", syscall.ENOENT, "part_list: /dev/sdb: no such device"},
		{"part_list", "/dev/sda1", syscall.EINVAL, "part_list: /dev/sda1: is a partition, not a whole device"},
		{"part_list", "sda", syscall.EINVAL, "part_list: sda: not a device name (device names start with /dev/)"},
		{"blockdev_getsize64", "/dev/sda1p1", syscall.ENOENT, "blockdev_getsize64: /dev/sda1p1: no such device"},
		{"blockdev_getsize64", "/dev/sda99", syscall.ENOENT, "blockdev_getsize64: /dev/sda99: no such partition"},
	} {
		var s any
		err := d.Call(tc.proc, &s, tc.arg)
		assert.ErrorIs(t, err, tc.errno, tc.proc+" "+tc.arg)
		assert.EqualError(t, err, tc.msg)
	}
}

func TestWholeDiskOnly(t *testing.T) {
	d := daemontest.Start(t, daemontest.Image(t, 16<<20))
	require.NoError(t, d.Call("part_disk", nil, "/dev/sda", "mbr"))
	err := d.Call("part_init", nil, "/dev/sda1", "gpt")
	assert.ErrorIs(t, err, syscall.EINVAL)
	var ty string
	require.NoError(t, d.Call("part_get_parttype", &ty, "/dev/sda"))
	assert.Equal(t, "msdos", ty)
}

// TestActionNamedOnce: an error from the partition code gets the action's
// name from the server, once, and keeps its errno.
func TestActionNamedOnce(t *testing.T) {
	d := daemontest.Start(t, daemontest.Image(t, 16<<20))
	err := d.Call("part_init", nil, "/dev/sda", "sun")
	assert.ErrorIs(t, err, syscall.EINVAL)
	assert.Regexp(t, `^part_init: /dev/sda: unknown partition type`, err.Error())
	require.NoError(t, d.Call("part_init", nil, "/dev/sda", "gpt"))
	err = d.Call("part_del", nil, "/dev/sda", 9)
	assert.ErrorIs(t, err, syscall.ENOENT)
	assert.EqualError(t, err, "part_del: /dev/sda9: no such partition")
}
