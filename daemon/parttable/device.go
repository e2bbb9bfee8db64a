// Package parttable implements libguestfs's partition actions (part_init,
// part_add, part_list, ...) on MBR and GPT partition tables, working directly
// on a Disk with no kernel, parted or VM involved.
package parttable

import (
	"bytes"
	"strconv"
	"syscall"
)

// Partition is one entry of part_list, in bytes as libguestfs reports it.
type Partition struct {
	PartNum   int32  // partition number (MBR logical partitions from 5)
	PartStart uint64 // first byte
	PartEnd   uint64 // last byte (inclusive)
	PartSize  uint64 // size in bytes
}

// Device is a whole disk on which partition actions run. Name is the device
// name used in error messages and partition names, e.g. "/dev/sda".
type Device struct {
	Name string
	Disk Disk
}

// New returns the Device for disk d named name.
func New(name string, d Disk) *Device { return &Device{Name: name, Disk: d} }

// partName is the name of partition n of the device, e.g. "/dev/sda1".
func (dev *Device) partName(n int) string {
	if l := len(dev.Name); l > 0 && dev.Name[l-1] >= '0' && dev.Name[l-1] <= '9' {
		return dev.Name + "p" + strconv.Itoa(n)
	}
	return dev.Name + strconv.Itoa(n)
}

// table is what an action found on the disk: exactly one of mbr and gpt.
type table struct {
	g       geometry
	sector0 []byte
	mbr     *mbrTable
	gpt     *gptTable
}

// load reads and checks the partition table on the disk.
func (dev *Device) load() (*table, error) {
	g, err := newGeometry(dev.Disk)
	if err != nil {
		return nil, err
	}
	if g.sectors < 1 {
		return nil, invalid("unrecognised disk label: the disk is smaller than one sector")
	}
	sec, err := g.readSectors(0, 1)
	if err != nil {
		return nil, err
	}
	if !looksLikeMBR(sec) {
		return nil, invalid("unrecognised disk label")
	}
	t := &table{g: g, sector0: sec}
	for i := 0; i < 4; i++ {
		if e := rawEntry(sec, i, 0); e.used() && e.ptype == typeGPTProt {
			t.gpt, err = readGPT(g)
			return t, err
		}
	}
	t.mbr, err = parseMBR(g, sec)
	return t, err
}

// checkPartnum checks that a partition number is positive.
func checkPartnum(n int) error {
	if n < 1 {
		return invalid("partition number must be >= 1 (got %d)", n)
	}
	return nil
}

// noSuchPartition is the error for a partition number with no partition.
func noSuchPartition() error {
	return &tableError{syscall.ENOENT, "no such partition"}
}

// PartGetParttype returns "msdos" or "gpt" (part_get_parttype).
func (dev *Device) PartGetParttype() (string, error) {
	t, err := dev.load()
	if err != nil {
		return "", wrap(dev.Name, err)
	}
	if t.gpt != nil {
		return "gpt", nil
	}
	return "msdos", nil
}

// PartInit writes an empty partition table (part_init). parttype is "msdos"
// or "mbr" for MBR, "gpt" or "efi" for GPT.
func (dev *Device) PartInit(parttype string) error {
	return wrap(dev.Name, dev.partInit(parttype))
}

func (dev *Device) partInit(parttype string) error {
	g, err := newGeometry(dev.Disk)
	if err != nil {
		return err
	}
	var gpt bool
	switch parttype {
	case "msdos", "mbr":
	case "gpt", "efi":
		gpt = true
	default:
		return invalid("unknown partition type %q (expected msdos, mbr, gpt or efi)", parttype)
	}
	if g.sectors < 1 {
		return noSpace("the disk is smaller than one sector")
	}
	old, err := g.readSectors(0, 1)
	if err != nil {
		return err
	}
	if gpt {
		t, err := newGPT(g)
		if err != nil {
			return err
		}
		if err := t.write(g); err != nil {
			return err
		}
		return g.writeSectors(0, protectiveMBR(old, g))
	}
	// Remove GPT headers so that no tool mistakes the disk for GPT.
	for _, lba := range []int64{1, g.sectors - 1} {
		if lba < 1 || lba >= g.sectors {
			continue
		}
		sec, err := g.readSectors(lba, 1)
		if err != nil {
			return err
		}
		if bytes.HasPrefix(sec, []byte(gptSignature)) {
			if err := g.writeSectors(lba, make([]byte, g.ss)); err != nil {
				return err
			}
		}
	}
	sec, err := newMBRSector0(old, g.ss)
	if err != nil {
		return err
	}
	return g.writeSectors(0, sec)
}

// PartDisk initialises the table and adds one primary partition from sector
// 2048 to the last usable sector (part_disk).
func (dev *Device) PartDisk(parttype string) error {
	return wrap(dev.Name, dev.partDisk(parttype))
}

func (dev *Device) partDisk(parttype string) error {
	if err := dev.partInit(parttype); err != nil {
		return err
	}
	t, err := dev.load()
	if err != nil {
		return err
	}
	last := t.g.sectors - 1
	if t.gpt != nil {
		last = t.gpt.lastUsable
	}
	if last < 2048 {
		return noSpace("disk of %d sectors is too small for a partition starting at sector 2048", t.g.sectors)
	}
	return dev.partAdd("p", 2048, -1)
}

// PartList lists the partitions, in bytes (part_list). On MBR the extended
// partition is listed too, as parted and sfdisk do.
func (dev *Device) PartList() ([]Partition, error) {
	t, err := dev.load()
	if err != nil {
		return nil, wrap(dev.Name, err)
	}
	ss := uint64(t.g.ss)
	out := []Partition{}
	add := func(n int64, a, b int64) {
		out = append(out, Partition{PartNum: int32(n), PartStart: uint64(a) * ss,
			PartEnd: uint64(b+1)*ss - 1, PartSize: uint64(b-a+1) * ss})
	}
	if t.gpt != nil {
		for i := int64(0); i < t.gpt.numEntries; i++ {
			if t.gpt.used(i) {
				a, b := t.gpt.span(i)
				add(i+1, a, b)
			}
		}
		return out, nil
	}
	for i, p := range t.mbr.prim {
		if p.used() {
			add(int64(i+1), p.start, p.end())
		}
	}
	for i, l := range t.mbr.logicals {
		add(int64(i+5), l.start, l.end())
	}
	return out, nil
}
