package parttable

// PartExpandGpt moves the backup GPT (header and entries) to the end of a
// disk that grew, and extends the last usable sector and the protective MBR
// to match (part_expand_gpt, like "sgdisk -e").
func (dev *Device) PartExpandGpt() error {
	return wrap(dev.Name, dev.partExpandGpt())
}

func (dev *Device) partExpandGpt() error {
	t, err := dev.load()
	if err != nil {
		return err
	}
	g := t.gpt
	if g == nil {
		return invalid("not a GPT partition table")
	}
	oldBackup := g.backupLBA
	g.backupLBA = t.g.sectors - 1
	g.backupEntries = g.backupLBA - g.entrySectorCount
	lastUsable := g.backupEntries - 1
	for i := int64(0); i < g.numEntries; i++ {
		if _, b := g.span(i); g.used(i) && b > lastUsable {
			return noSpace("partition %d ends at sector %d, past the new last usable sector %d", i+1, b, lastUsable)
		}
	}
	if lastUsable < g.firstUsable {
		return noSpace("disk of %d sectors is too small for this GPT", t.g.sectors)
	}
	g.lastUsable = lastUsable
	if err := g.write(t.g); err != nil {
		return err
	}
	// The old backup header now lies in free space: clear it so no tool
	// finds a stale header there.
	if oldBackup != g.backupLBA && oldBackup > 1 && oldBackup < g.backupEntries {
		if err := t.g.writeSectors(oldBackup, make([]byte, t.g.ss)); err != nil {
			return err
		}
	}
	if isHybrid(t.sector0) {
		// The mirrored partitions did not move and the 0xEE entries must
		// not grow over them: sector 0 stays as it is, as with sgdisk -e.
		return nil
	}
	sec := append([]byte(nil), t.sector0...)
	for i := 0; i < 4; i++ {
		if e := rawEntry(sec, i, 0); e.used() && e.ptype == typeGPTProt && e.start == 1 {
			e.size = min(t.g.sectors-1, maxMBRSector)
			putEntry(sec, i, 0, e)
			sec[mbrTableOffset+16*i+1], sec[mbrTableOffset+16*i+2], sec[mbrTableOffset+16*i+3] = 0x00, 0x02, 0x00
		}
	}
	return t.g.writeSectors(0, sec)
}
