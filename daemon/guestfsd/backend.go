package main

import (
	"goguestfs/daemon/actions"
	"goguestfs/daemon/devices"
	"goguestfs/daemon/server"
)

// backend returns the daemon's action groups over a new, empty device set
// (the drives arrive with internal_add_drive).
func backend() (*server.Groups, *devices.Set) {
	devs := devices.NewSet()
	return actions.All(devs), devs
}
