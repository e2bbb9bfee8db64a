package parttable

import "encoding/binary"

// PartAdd adds a partition from startsect to endsect inclusive (part_add).
// prlogex is "p"/"primary", "e"/"extended" or "l"/"logical" (the last two on
// MBR only). A negative endsect counts back from the last usable sector (-1).
func (dev *Device) PartAdd(prlogex string, startsect, endsect int64) error {
	return wrap(dev.Name, dev.partAdd(prlogex, startsect, endsect))
}

func (dev *Device) partAdd(prlogex string, start, end int64) error {
	var kind byte
	switch prlogex {
	case "p", "primary":
		kind = 'p'
	case "e", "extended":
		kind = 'e'
	case "l", "logical":
		kind = 'l'
	default:
		return invalid("unknown partition type %q (expected p, e or l)", prlogex)
	}
	t, err := dev.load()
	if err != nil {
		return err
	}
	last := t.g.sectors - 1
	if t.gpt != nil {
		last = t.gpt.lastUsable
	}
	if end < 0 {
		end = last + 1 + end
	}
	if start < 0 || end < start {
		return invalid("bad sector range %d..%d", start, end)
	}
	if end > last {
		return invalid("sector range %d..%d goes beyond the last usable sector %d", start, end, last)
	}
	if t.gpt != nil {
		if kind != 'p' {
			return invalid("extended and logical partitions exist only on MBR (msdos) tables")
		}
		return gptAdd(t, start, end)
	}
	return mbrAdd(t, kind, start, end)
}

func gptAdd(t *table, start, end int64) error {
	g := t.gpt
	if start < g.firstUsable {
		return invalid("start sector %d is before the first usable sector %d", start, g.firstUsable)
	}
	free := int64(-1)
	for i := int64(0); i < g.numEntries; i++ {
		if !g.used(i) {
			if free < 0 {
				free = i
			}
			continue
		}
		if a, b := g.span(i); start <= b && a <= end {
			return invalid("sectors %d..%d overlap partition %d", start, end, i+1)
		}
	}
	if free < 0 {
		return noSpace("all %d partition table entries are in use", g.numEntries)
	}
	typ, _ := parseGUID(LinuxFilesystemGUID)
	uniq, err := randomGUID()
	if err != nil {
		return err
	}
	e := g.entry(free)
	clear(e)
	copy(e[0:16], typ[:])
	copy(e[16:32], uniq[:])
	binary.LittleEndian.PutUint64(e[32:40], uint64(start))
	binary.LittleEndian.PutUint64(e[40:48], uint64(end))
	return g.write(t.g)
}

func mbrAdd(t *table, kind byte, start, end int64) error {
	m := t.mbr
	if start < 1 {
		return invalid("start sector must be >= 1 on MBR (sector 0 holds the table)")
	}
	if end > maxMBRSector || end-start+1 > maxMBRSector {
		return invalid("sectors %d..%d are beyond what MBR can address (2^32 sectors)", start, end)
	}
	e := mbrEntry{ptype: typeLinux, start: start, size: end - start + 1}
	if kind == 'l' {
		if m.ext < 0 {
			return invalid("there is no extended partition to hold a logical partition")
		}
		ext := m.prim[m.ext]
		if start <= ext.start || end > ext.end() {
			return invalid("sectors %d..%d are not inside the extended partition (sectors %d..%d, whose first sector holds an EBR)", start, end, ext.start, ext.end())
		}
		for i, l := range m.logicals {
			if start <= l.end() && l.start <= end {
				return invalid("sectors %d..%d overlap partition %d", start, end, i+5)
			}
		}
		if len(m.logicals) >= maxPartNum-4 {
			return noSpace("the extended partition already holds %d logical partitions (5 to %d), the most this library writes: sfdisk and fdisk ignore partitions past number %d", len(m.logicals), 4+len(m.logicals), maxPartNum)
		}
		m.logicals = append(m.logicals, logical{ebr: -1, mbrEntry: e})
		if err := m.layoutLogicals(); err != nil {
			return err
		}
		return m.write(t.g)
	}
	if kind == 'e' {
		if m.ext >= 0 {
			return invalid("there is already an extended partition (%d)", m.ext+1)
		}
		e.ptype = typeExtended
	}
	slot := -1
	for i, p := range m.prim {
		if !p.used() {
			if slot < 0 {
				slot = i
			}
			continue
		}
		if start <= p.end() && p.start <= end {
			return invalid("sectors %d..%d overlap partition %d", start, end, i+1)
		}
	}
	if slot < 0 {
		return noSpace("the MBR already has 4 primary/extended partitions")
	}
	m.prim[slot] = e
	if kind == 'e' {
		m.ext = slot
		m.logicals = nil
	}
	return m.write(t.g)
}
