package parttable

import "bytes"

// A GPT disk's sector 0 may be a hybrid MBR (sgdisk -h, gdisk's "r h"):
// besides the 0xEE protective entry, up to three entries that mirror GPT
// partitions for systems that read only MBR. Each mirror must match its
// GPT partition exactly: sgdisk -v reports "Mismatched GPT and MBR
// partition" for one that does not, and a legacy system would use a
// partition that is gone. The 0xEE entries must not overlap the mirrors.

// isHybrid reports whether sector 0 holds an entry other than 0xEE.
func isHybrid(sec []byte) bool {
	for i := 0; i < 4; i++ {
		if e := rawEntry(sec, i, 0); e.used() && e.ptype != typeGPTProt {
			return true
		}
	}
	return false
}

// hasSpan reports whether a used GPT entry covers exactly sectors a..b.
func (t *gptTable) hasSpan(a, b int64) bool {
	for i := int64(0); i < t.numEntries; i++ {
		if x, y := t.span(i); t.used(i) && x == a && y == b {
			return true
		}
	}
	return false
}

// syncHybridMBR updates a hybrid MBR after GPT partitions were deleted,
// as sgdisk does when it deletes one (gdisk's DeleteByLocation and
// OptimizeEESize): the mirrors that no longer match a GPT partition are
// removed, each 0xEE entry then grows over the free space next to it, and
// when no mirror is left, sector 0 becomes a plain protective MBR (boot
// code kept). Sector 0 is written only if it changed; a protective MBR
// that is not hybrid is left alone.
func syncHybridMBR(t *table) error {
	if !isHybrid(t.sector0) {
		return nil
	}
	sec := append([]byte(nil), t.sector0...)
	removed, left := false, 0
	for i := 0; i < 4; i++ {
		e := rawEntry(sec, i, 0)
		if !e.used() || e.ptype == typeGPTProt {
			continue
		}
		if t.gpt.hasSpan(e.start, e.end()) {
			left++
			continue
		}
		putEntry(sec, i, 0, mbrEntry{})
		removed = true
	}
	switch {
	case !removed:
		return nil
	case left == 0:
		setProtective(sec, t.g)
	default:
		growProtective(sec, t.g)
	}
	if bytes.Equal(sec, t.sector0) {
		return nil
	}
	if err := t.g.writeSectors(0, sec); err != nil {
		return err
	}
	t.sector0 = sec
	return nil
}

// growProtective extends every 0xEE entry of sector 0 over the free
// sectors (used by no other entry) just before and just after it, within
// sectors 1 to the last the disk and MBR can address.
func growProtective(sec []byte, g geometry) {
	var ents [4]mbrEntry
	for i := range ents {
		ents[i] = rawEntry(sec, i, 0)
	}
	last := min(g.sectors-1, maxMBRSector)
	for i, e := range ents {
		if !e.used() || e.ptype != typeGPTProt {
			continue
		}
		lo, hi := int64(1), last
		for j, o := range ents {
			if j == i || !o.used() {
				continue
			}
			if o.end() < e.start && o.end()+1 > lo {
				lo = o.end() + 1
			}
			if o.start > e.end() && o.start-1 < hi {
				hi = o.start - 1
			}
		}
		if lo > e.start || hi < e.end() {
			continue // overlaps another entry already: leave it as it is
		}
		if lo == e.start && hi == e.end() {
			continue
		}
		status := sec[mbrTableOffset+16*i]
		putEntry(sec, i, 0, mbrEntry{status: status, ptype: typeGPTProt, start: lo, size: hi - lo + 1})
	}
}
