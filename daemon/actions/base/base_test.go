package base_test

import (
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"goguestfs/daemon/actions"
	"goguestfs/daemon/daemontest"
	"goguestfs/daemon/devices"
	"goguestfs/daemon/server"
)

func TestAvailable(t *testing.T) {
	d := daemontest.Start(t)
	require.NoError(t, d.Call("available", nil, []string{}))
	require.NoError(t, d.Call("available", nil, []string{"gdisk"}))
	err := d.Call("available", nil, []string{"gdisk", "lvm2"})
	assert.ErrorIs(t, err, syscall.ENOTSUP)
	assert.EqualError(t, err, "available: lvm2: group not available")
	err = d.Call("available", nil, []string{"nosuchgroup"})
	assert.ErrorIs(t, err, syscall.EINVAL)
	assert.EqualError(t, err, "available: nosuchgroup: unknown group")

	var ok bool
	require.NoError(t, d.Call("feature_available", &ok, []string{"gdisk"}))
	assert.True(t, ok)
	require.NoError(t, d.Call("feature_available", &ok, []string{"gdisk", "xfs"}))
	assert.False(t, ok)
	assert.ErrorIs(t, d.Call("feature_available", &ok, []string{"nosuchgroup"}), syscall.EINVAL)

	var all []string
	require.NoError(t, d.Call("available_all_groups", &all))
	assert.Contains(t, all, "gdisk")
	assert.Contains(t, all, "lvm2")
	assert.Contains(t, all, "linuxxattrs")
	assert.Len(t, all, len(server.Optgroups()))
}

// TestAbsentGroup: a group the daemon lacks answers ENOTSUP, and the
// optional groups it implements are then not available.
func TestAbsentGroup(t *testing.T) {
	d := daemontest.StartWith(t, func(devs *devices.Set) *server.Groups {
		g := actions.All(devs)
		g.Part = nil
		return g
	}, daemontest.Image(t, 1<<20))
	var s string
	err := d.Call("part_get_parttype", &s, "/dev/sda")
	assert.ErrorIs(t, err, syscall.ENOTSUP)
	assert.EqualError(t, err, "part_get_parttype: this daemon has no part actions")
	var ok bool
	require.NoError(t, d.Call("feature_available", &ok, []string{"gdisk"}))
	assert.False(t, ok)
	require.NoError(t, d.Call("sync", nil))
}
