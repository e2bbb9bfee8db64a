// Package part implements the daemon's part group: MBR and GPT partition
// tables of whole disks, through package parttable.
package part

import (
	"fmt"
	"syscall"

	"goguestfs/daemon/devices"
	"goguestfs/daemon/errno"
	"goguestfs/daemon/parttable"
	"goguestfs/daemon/server"
)

// Actions is the part group. It keeps no state of its own: the tables are
// on the disks.
type Actions struct {
	devs *devices.Set
}

// New returns the part group over the drives of devs.
func New(devs *devices.Set) *Actions { return &Actions{devs: devs} }

var _ server.PartActions = (*Actions)(nil)

// table returns the partition table of a whole disk (writes go through the
// device's read-only guard).
func table(d *devices.Device) (*parttable.Device, error) {
	if err := d.Whole(); err != nil {
		return nil, err
	}
	return parttable.New(d.Name, d), nil
}

// ListPartitions lists the partitions of every drive; a drive whose table
// cannot be read has none.
func (a *Actions) ListPartitions(c *server.Call) ([]string, error) {
	out := []string{}
	for _, d := range a.devs.Drives() {
		parts, err := parttable.New(d.Name, d).PartList()
		if err != nil {
			continue
		}
		for _, p := range parts {
			out = append(out, fmt.Sprintf("%s%d", d.Name, p.PartNum))
		}
	}
	return out, nil
}

// PartInit writes an empty partition table.
func (a *Actions) PartInit(c *server.Call, device *devices.Device, parttype string) error {
	t, err := table(device)
	if err != nil {
		return err
	}
	return t.PartInit(parttype)
}

// PartAdd adds a partition.
func (a *Actions) PartAdd(c *server.Call, device *devices.Device, prlogex string, startsect, endsect int64) error {
	t, err := table(device)
	if err != nil {
		return err
	}
	return t.PartAdd(prlogex, startsect, endsect)
}

// PartDisk partitions a whole disk with one partition.
func (a *Actions) PartDisk(c *server.Call, device *devices.Device, parttype string) error {
	t, err := table(device)
	if err != nil {
		return err
	}
	return t.PartDisk(parttype)
}

// PartDel deletes a partition.
func (a *Actions) PartDel(c *server.Call, device *devices.Device, partnum int) error {
	t, err := table(device)
	if err != nil {
		return err
	}
	return t.PartDel(partnum)
}

// PartList lists the partitions of a disk.
func (a *Actions) PartList(c *server.Call, device *devices.Device) ([]server.Partition, error) {
	t, err := table(device)
	if err != nil {
		return nil, err
	}
	parts, err := t.PartList()
	if err != nil {
		return nil, err
	}
	out := make([]server.Partition, 0, len(parts))
	for _, p := range parts {
		out = append(out, server.Partition{PartNum: p.PartNum, PartStart: int64(p.PartStart),
			PartEnd: int64(p.PartEnd), PartSize: int64(p.PartSize)})
	}
	return out, nil
}

// PartGetParttype returns msdos or gpt.
func (a *Actions) PartGetParttype(c *server.Call, device *devices.Device) (string, error) {
	t, err := table(device)
	if err != nil {
		return "", err
	}
	return t.PartGetParttype()
}

// PartSetName sets a GPT partition's name.
func (a *Actions) PartSetName(c *server.Call, device *devices.Device, partnum int, name string) error {
	t, err := table(device)
	if err != nil {
		return err
	}
	return t.PartSetName(partnum, name)
}

// PartGetName returns a GPT partition's name.
func (a *Actions) PartGetName(c *server.Call, device *devices.Device, partnum int) (string, error) {
	t, err := table(device)
	if err != nil {
		return "", err
	}
	return t.PartGetName(partnum)
}

// PartSetBootable sets the bootable flag.
func (a *Actions) PartSetBootable(c *server.Call, device *devices.Device, partnum int, bootable bool) error {
	t, err := table(device)
	if err != nil {
		return err
	}
	return t.PartSetBootable(partnum, bootable)
}

// PartGetBootable returns the bootable flag.
func (a *Actions) PartGetBootable(c *server.Call, device *devices.Device, partnum int) (bool, error) {
	t, err := table(device)
	if err != nil {
		return false, err
	}
	return t.PartGetBootable(partnum)
}

// PartSetGPTType sets a GPT partition's type GUID.
func (a *Actions) PartSetGPTType(c *server.Call, device *devices.Device, partnum int, guid string) error {
	t, err := table(device)
	if err != nil {
		return err
	}
	return t.PartSetGptType(partnum, guid)
}

// PartGetGPTType returns a GPT partition's type GUID.
func (a *Actions) PartGetGPTType(c *server.Call, device *devices.Device, partnum int) (string, error) {
	t, err := table(device)
	if err != nil {
		return "", err
	}
	return t.PartGetGptType(partnum)
}

// PartGetGPTGuid returns a GPT partition's unique GUID.
func (a *Actions) PartGetGPTGuid(c *server.Call, device *devices.Device, partnum int) (string, error) {
	t, err := table(device)
	if err != nil {
		return "", err
	}
	return t.PartGetGptGuid(partnum)
}

// PartSetMBRID sets an MBR partition's type byte.
func (a *Actions) PartSetMBRID(c *server.Call, device *devices.Device, partnum, idbyte int) error {
	t, err := table(device)
	if err != nil {
		return err
	}
	return t.PartSetMbrId(partnum, idbyte)
}

// PartGetMBRID returns an MBR partition's type byte.
func (a *Actions) PartGetMBRID(c *server.Call, device *devices.Device, partnum int) (int, error) {
	t, err := table(device)
	if err != nil {
		return 0, err
	}
	return t.PartGetMbrId(partnum)
}

// PartToDev returns the disk holding a partition; the dispatcher has
// already checked that the partition exists.
func (a *Actions) PartToDev(c *server.Call, partition *devices.Device) (string, error) {
	if !partition.IsPartition() {
		return "", errno.New(syscall.EINVAL, "%s: is a whole device, not a partition", partition.Name)
	}
	return partition.Drive.Name, nil
}

// PartToPartnum returns the number of a partition.
func (a *Actions) PartToPartnum(c *server.Call, partition *devices.Device) (int, error) {
	if !partition.IsPartition() {
		return 0, errno.New(syscall.EINVAL, "%s: is a whole device, not a partition", partition.Name)
	}
	return partition.Partnum, nil
}

// PartExpandGPT moves the backup GPT to the end of the disk.
func (a *Actions) PartExpandGPT(c *server.Call, device *devices.Device) error {
	t, err := table(device)
	if err != nil {
		return err
	}
	return t.PartExpandGpt()
}
