// Package base implements the daemon's base group: sync, and the
// availability of libguestfs's optional groups.
package base

import (
	"syscall"

	"goguestfs/daemon/errno"
	"goguestfs/daemon/server"
)

// Actions is the base group. It keeps no state: sync flushes through the
// server, and availability is a property of the build.
type Actions struct{}

// New returns the base group.
func New() *Actions { return &Actions{} }

var _ server.BaseActions = (*Actions)(nil)

// Sync flushes every group and every drive to stable storage.
func (a *Actions) Sync(c *server.Call) error { return c.Flush() }

// check fails for the first group in groups that is unknown (EINVAL) or,
// when strict, not available (ENOTSUP); it reports whether all are
// available.
func check(c *server.Call, groups []string, strict bool) (bool, error) {
	all := true
	for _, g := range groups {
		known, available := c.Optgroup(g)
		switch {
		case !known:
			return false, errno.New(syscall.EINVAL, "%s: unknown group", errno.Cut(g))
		case !available && strict:
			return false, errno.New(syscall.ENOTSUP, "%s: group not available", g)
		}
		all = all && available
	}
	return all, nil
}

// Available fails unless every group is available.
func (a *Actions) Available(c *server.Call, groups []string) error {
	_, err := check(c, groups, true)
	return err
}

// FeatureAvailable reports whether every group is available.
func (a *Actions) FeatureAvailable(c *server.Call, groups []string) (bool, error) {
	return check(c, groups, false)
}

// AvailableAllGroups lists every optional group the build knows.
func (a *Actions) AvailableAllGroups(c *server.Call) ([]string, error) {
	return server.Optgroups(), nil
}
