// Package actions assembles the daemon's backend: one package per action
// group under it (base, debug, blockdev, part, fs, file, transfer), each
// holding only its own state; fs and file share the namespace of mounts,
// and transfer builds on file. Importing it
// registers every filesystem driver.
package actions

import (
	"goguestfs/daemon/actions/base"
	"goguestfs/daemon/actions/blockdev"
	"goguestfs/daemon/actions/debug"
	"goguestfs/daemon/actions/file"
	fsactions "goguestfs/daemon/actions/fs"
	"goguestfs/daemon/actions/part"
	"goguestfs/daemon/actions/transfer"
	"goguestfs/daemon/devices"
	_ "goguestfs/daemon/fs/drivers" // every filesystem driver
	"goguestfs/daemon/mountns"
	"goguestfs/daemon/server"
)

// All returns every action group, over the drives of devs.
func All(devs *devices.Set) *server.Groups {
	ns := &mountns.NS{}
	files := file.New(ns)
	return &server.Groups{
		Base:     base.New(),
		Debug:    debug.New(),
		Blockdev: blockdev.New(devs),
		Part:     part.New(devs),
		Fs:       fsactions.New(devs, ns),
		File:     files,
		Transfer: transfer.New(devs, ns, files),
	}
}
