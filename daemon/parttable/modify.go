package parttable

import "slices"

// PartDel deletes partition partnum (part_del). Deleting an MBR extended
// partition deletes its logical partitions; deleting a logical partition
// renumbers the ones after it, as the kernel and sfdisk number them.
func (dev *Device) PartDel(partnum int) error {
	return wrap(dev.partName(partnum), dev.partDel(partnum))
}

func (dev *Device) partDel(n int) error {
	if err := checkPartnum(n); err != nil {
		return err
	}
	t, err := dev.load()
	if err != nil {
		return err
	}
	if g := t.gpt; g != nil {
		if int64(n) > g.numEntries || !g.used(int64(n-1)) {
			return noSuchPartition()
		}
		clear(g.entry(int64(n - 1)))
		if err := g.write(t.g); err != nil {
			return err
		}
		// A hybrid MBR must not keep mirroring the deleted partition.
		return syncHybridMBR(t)
	}
	m := t.mbr
	switch {
	case n <= 4 && !m.prim[n-1].used(), n > 4 && n-5 >= len(m.logicals):
		return noSuchPartition()
	case n > 4:
		m.logicals = slices.Delete(m.logicals, n-5, n-4)
		if err := m.layoutLogicals(); err != nil {
			return err
		}
	case n-1 == m.ext:
		// Drop the whole chain: clear the first EBR, then the MBR entry.
		if err := t.g.writeSectors(m.prim[n-1].start, make([]byte, t.g.ss)); err != nil {
			return err
		}
		m.ext, m.logicals = -1, nil
	}
	if n <= 4 {
		m.prim[n-1] = mbrEntry{}
	}
	return m.write(t.g)
}

// mbrPartition returns the MBR entry of partition n, to read or change
// before t.write.
func (t *table) mbrPartition(n int) (*mbrEntry, error) {
	if t.mbr == nil {
		return nil, invalid("not an MBR (msdos) partition table")
	}
	if err := checkPartnum(n); err != nil {
		return nil, err
	}
	m := t.mbr
	if n <= 4 {
		if !m.prim[n-1].used() {
			return nil, noSuchPartition()
		}
		return &m.prim[n-1], nil
	}
	if n-5 >= len(m.logicals) {
		return nil, noSuchPartition()
	}
	return &m.logicals[n-5].mbrEntry, nil
}

// gptEntry returns the 128-byte entry of GPT partition n.
func (t *table) gptEntry(n int) ([]byte, error) {
	if t.gpt == nil {
		return nil, invalid("not a GPT partition table")
	}
	if err := checkPartnum(n); err != nil {
		return nil, err
	}
	if int64(n) > t.gpt.numEntries || !t.gpt.used(int64(n-1)) {
		return nil, noSuchPartition()
	}
	return t.gpt.entry(int64(n - 1)), nil
}

// write writes back whichever table t holds.
func (t *table) write() error {
	if t.gpt != nil {
		return t.gpt.write(t.g)
	}
	return t.mbr.write(t.g)
}

// PartSetMbrId sets the MBR type byte of partition partnum (part_set_mbr_id).
// An extended partition keeps an extended type, other partitions may not get
// one, and 0 (empty) is refused; use PartDel to delete.
func (dev *Device) PartSetMbrId(partnum, id int) error {
	return wrap(dev.partName(partnum), dev.partSetMbrID(partnum, id))
}

func (dev *Device) partSetMbrID(n, id int) error {
	if id < 1 || id > 255 {
		return invalid("MBR type %d out of range 1..255", id)
	}
	t, err := dev.load()
	if err != nil {
		return err
	}
	e, err := t.mbrPartition(n)
	if err != nil {
		return err
	}
	if isExtendedType(e.ptype) != isExtendedType(byte(id)) {
		return invalid("cannot change type 0x%02x to 0x%02x: extended types are only for the extended partition", e.ptype, id)
	}
	if id == typeGPTProt {
		// Linux, sfdisk, parted and this package take an MBR holding an
		// 0xee entry for the protective MBR of a GPT disk, and would no
		// longer see its MBR partitions.
		return invalid("type 0xee is the GPT protective type: a disk with it in its MBR is read as GPT, and its MBR partitions would be lost")
	}
	e.ptype = byte(id)
	return t.write()
}

// PartGetMbrId returns the MBR type byte of partition partnum (part_get_mbr_id).
func (dev *Device) PartGetMbrId(partnum int) (int, error) {
	t, err := dev.load()
	if err == nil {
		var e *mbrEntry
		if e, err = t.mbrPartition(partnum); err == nil {
			return int(e.ptype), nil
		}
	}
	return 0, wrap(dev.partName(partnum), err)
}
