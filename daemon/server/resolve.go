package server

import (
	"strings"
	"syscall"

	"goguestfs/daemon/devices"
	"goguestfs/daemon/errno"
)

// errGroupAbsent is the error of an action whose group this daemon does
// not implement.
func errGroupAbsent(group string) error {
	return errno.New(syscall.ENOTSUP, "this daemon has no %s actions", group)
}

// errBadArgs is the error of a call whose arguments do not decode.
func errBadArgs(err error) error {
	return errno.New(syscall.EINVAL, "bad arguments: %v", err)
}

// resolveDevice resolves a Device argument, as libguestfs's RESOLVE_DEVICE
// does: the handler gets the device, or the call fails with ENOENT naming
// it.
func (c *Call) resolveDevice(name string) (*devices.Device, error) {
	return c.s.devs.Resolve(name)
}

// resolvePathname checks a Pathname argument: an absolute path inside the
// guest, passed on as given, since "..", "." and a trailing "/" mean what
// the namespace's resolution (through symbolic links) makes of them, not
// what a textual clean would. EINVAL otherwise.
func resolvePathname(p string) (string, error) {
	if !strings.HasPrefix(p, "/") {
		return "", errno.New(syscall.EINVAL, "%s: path must start with a / character", errno.Cut(p))
	}
	if strings.IndexByte(p, 0) >= 0 {
		return "", errno.New(syscall.EINVAL, "%s: path contains a NUL byte", errno.Cut(p))
	}
	return p, nil
}

// Optgroup reports whether name is one of libguestfs's optional groups
// (known) and whether this daemon implements all of its actions
// (available).
func (c *Call) Optgroup(name string) (known, available bool) {
	for _, n := range optgroupNames {
		if n == name {
			known = true
		}
	}
	needs, ok := optgroupNeeds[name]
	if !known || !ok {
		return known, false
	}
	for _, g := range needs {
		if !c.s.groups.has(g) {
			return true, false
		}
	}
	return true, true
}

// Optgroups returns every optional group this build knows.
func Optgroups() []string { return append([]string(nil), optgroupNames...) }
