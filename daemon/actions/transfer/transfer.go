// Package transfer implements the daemon's transfer group: moving data
// between host files (passed as descriptors with the call) and the guest's
// files and devices, and between guest files and devices, in bounded
// memory, with progress and cancellation. Guest paths are resolved by the
// file group (package file), which it builds on.
package transfer

import (
	"goguestfs/daemon/actions/file"
	"goguestfs/daemon/devices"
	"goguestfs/daemon/mountns"
)

// Actions is the transfer group over the drives, the namespace of mounts
// (to refuse writing a device under a mounted filesystem) and the file
// group (which resolves guest paths).
type Actions struct {
	devs  *devices.Set
	ns    *mountns.NS
	files *file.Actions
}

// New returns the transfer group over devs, ns and files.
func New(devs *devices.Set, ns *mountns.NS, files *file.Actions) *Actions {
	return &Actions{devs: devs, ns: ns, files: files}
}
