// Package actions assembles the daemon's backend: one package per action
// group under it (base, debug, blockdev, part), each holding only its own
// state.
package actions

import (
	"goguestfs/daemon/actions/base"
	"goguestfs/daemon/actions/blockdev"
	"goguestfs/daemon/actions/debug"
	"goguestfs/daemon/actions/part"
	"goguestfs/daemon/devices"
	"goguestfs/daemon/server"
)

// All returns every action group, over the drives of devs.
func All(devs *devices.Set) *server.Groups {
	return &server.Groups{
		Base:     base.New(),
		Debug:    debug.New(),
		Blockdev: blockdev.New(devs),
		Part:     part.New(devs),
	}
}
