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

// DevOrPath is a resolved Dev_or_Path argument: a device (Device set)
// when the name starts with /dev/, else a guest path (Path set).
type DevOrPath struct {
	Device *devices.Device
	Path   string
}

// String returns the device's name or the path, for messages.
func (d DevOrPath) String() string {
	if d.Device != nil {
		return d.Device.Name
	}
	return d.Path
}

// resolveDevOrPath resolves a DevOrPath argument as libguestfs's
// REQUIRE_ROOT_OR_RESOLVE_DEVICE: a name under /dev/ must be a device
// (ENOENT otherwise), anything else a Pathname.
func (c *Call) resolveDevOrPath(name string) (DevOrPath, error) {
	if strings.HasPrefix(name, "/dev/") {
		d, err := c.resolveDevice(name)
		return DevOrPath{Device: d}, err
	}
	p, err := resolvePathname(name)
	return DevOrPath{Path: p}, err
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
