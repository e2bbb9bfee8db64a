package parttable

import (
	"crypto/rand"
	"encoding/binary"
	"sort"
)

const (
	mbrTableOffset = 446
	mbrSigOffset   = 510
	maxLogicals    = 256 // longest EBR chain the reader follows
	// maxPartNum is the highest MBR partition number part_add creates, so
	// at most maxPartNum-4 logical partitions: libfdisk (sfdisk, fdisk)
	// reads no partition past #60 ("Omitting partitions after #60. They
	// will be deleted if you save this partition table"), parted stops at
	// 64 and Linux at 255. Every table we write thus reads back the same
	// through sfdisk, parted and the kernel, and through our own reader,
	// which follows up to maxLogicals EBRs (see the check below).
	maxPartNum   = 60
	maxMBRSector = 1<<32 - 1
	typeGPTProt  = 0xee
	typeExtended = 0x05
	typeLinux    = 0x83
)

// The reader must read every chain the writer makes.
var _ [maxLogicals - (maxPartNum - 4)]struct{}

// mbrEntry is one slot of an MBR or EBR partition table, with absolute LBAs.
type mbrEntry struct {
	status byte
	ptype  byte
	start  int64
	size   int64
}

func (e mbrEntry) used() bool    { return e.size != 0 }
func (e mbrEntry) end() int64    { return e.start + e.size - 1 }
func isExtendedType(t byte) bool { return t == 0x05 || t == 0x0f || t == 0x85 }

// logical is a logical partition and the EBR that describes it.
type logical struct {
	ebr int64 // LBA of its EBR
	mbrEntry
}

// mbrTable is a parsed MBR with its EBR chain.
type mbrTable struct {
	sector0  []byte
	prim     [4]mbrEntry
	ext      int // slot of the extended partition, -1 if none
	logicals []logical
	oldEBRs  []int64 // EBR sectors in use when the table was read
}

func hasBootSignature(sec []byte) bool {
	return len(sec) >= 512 && sec[mbrSigOffset] == 0x55 && sec[mbrSigOffset+1] == 0xaa
}

// rawEntry decodes slot i of a 512-byte partition sector, relative to base.
func rawEntry(sec []byte, i int, base int64) mbrEntry {
	b := sec[mbrTableOffset+16*i:]
	return mbrEntry{
		status: b[0],
		ptype:  b[4],
		start:  base + int64(binary.LittleEndian.Uint32(b[8:12])),
		size:   int64(binary.LittleEndian.Uint32(b[12:16])),
	}
}

// chs encodes an LBA as the 3-byte CHS address for 255 heads, 63 sectors.
func chs(lba int64) [3]byte {
	if lba >= 1024*255*63 {
		return [3]byte{0xfe, 0xff, 0xff}
	}
	c, h, s := lba/(255*63), (lba/63)%255, lba%63+1
	return [3]byte{byte(h), byte(s) | byte(c>>8)<<6, byte(c)}
}

// putEntry encodes e into slot i of sec, with LBAs relative to base.
func putEntry(sec []byte, i int, base int64, e mbrEntry) {
	b := sec[mbrTableOffset+16*i : mbrTableOffset+16*i+16]
	if !e.used() {
		clear(b)
		return
	}
	first, last := chs(e.start), chs(e.end())
	b[0] = e.status
	copy(b[1:4], first[:])
	b[4] = e.ptype
	copy(b[5:8], last[:])
	binary.LittleEndian.PutUint32(b[8:12], uint32(e.start-base))
	binary.LittleEndian.PutUint32(b[12:16], uint32(e.size))
}

// looksLikeMBR reports whether sector 0 holds an MBR partition table: boot
// signature present and every status byte 0x00 or 0x80 (the kernel's test).
func looksLikeMBR(sec []byte) bool {
	if !hasBootSignature(sec) {
		return false
	}
	for i := 0; i < 4; i++ {
		if s := sec[mbrTableOffset+16*i]; s != 0 && s != 0x80 {
			return false
		}
	}
	return true
}

// parseMBR parses the primary table in sector0 and follows the EBR chain.
func parseMBR(g geometry, sector0 []byte) (*mbrTable, error) {
	t := &mbrTable{sector0: sector0, ext: -1}
	for i := 0; i < 4; i++ {
		e := rawEntry(sector0, i, 0)
		if !e.used() {
			t.prim[i] = mbrEntry{}
			continue
		}
		if e.start < 1 || e.end() >= g.sectors {
			return nil, corrupt("partition %d (sectors %d..%d) lies outside the disk (%d sectors)", i+1, e.start, e.end(), g.sectors)
		}
		if isExtendedType(e.ptype) {
			if t.ext >= 0 {
				return nil, corrupt("more than one extended partition")
			}
			t.ext = i
		}
		t.prim[i] = e
	}
	for i := 0; i < 4; i++ {
		for j := i + 1; j < 4; j++ {
			a, b := t.prim[i], t.prim[j]
			if a.used() && b.used() && a.start <= b.end() && b.start <= a.end() {
				return nil, corrupt("partitions %d and %d overlap", i+1, j+1)
			}
		}
	}
	if t.ext >= 0 {
		if err := t.readChain(g); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// readChain follows the EBR chain of the extended partition, refusing loops,
// links outside the extended partition and overlapping logical partitions.
func (t *mbrTable) readChain(g geometry) error {
	ext := t.prim[t.ext]
	visited := map[int64]bool{}
	for cur := ext.start; ; {
		if visited[cur] {
			return corrupt("EBR chain loops back to sector %d", cur)
		}
		if len(visited) >= maxLogicals {
			return corrupt("EBR chain longer than %d entries", maxLogicals)
		}
		if cur < ext.start || cur > ext.end() {
			return corrupt("EBR link to sector %d outside the extended partition", cur)
		}
		visited[cur] = true
		sec, err := g.readSectors(cur, 1)
		if err != nil {
			return err
		}
		if !hasBootSignature(sec) {
			if cur == ext.start {
				break // an extended partition with no logical partitions
			}
			return corrupt("EBR at sector %d has no boot signature", cur)
		}
		t.oldEBRs = append(t.oldEBRs, cur)
		next := int64(-1)
		var data *mbrEntry
		for i := 0; i < 4; i++ {
			e := rawEntry(sec, i, 0)
			if !e.used() {
				continue
			}
			if isExtendedType(e.ptype) {
				if next < 0 {
					next = ext.start + e.start
				}
			} else if data == nil {
				e.start += cur
				data = &e
			}
		}
		if data != nil {
			if data.start <= cur || data.end() > ext.end() {
				return corrupt("logical partition %d (sectors %d..%d) lies outside its extended partition", 5+len(t.logicals), data.start, data.end())
			}
			t.logicals = append(t.logicals, logical{ebr: cur, mbrEntry: *data})
		}
		if next < 0 {
			break
		}
		cur = next
	}
	// EBR sectors and logical partitions must not overlap one another.
	type span struct{ a, b int64 }
	spans := make([]span, 0, 2*len(t.oldEBRs))
	for _, e := range t.oldEBRs {
		spans = append(spans, span{e, e})
	}
	for _, l := range t.logicals {
		spans = append(spans, span{l.start, l.end()})
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].a < spans[j].a })
	for i := 1; i < len(spans); i++ {
		if spans[i].a <= spans[i-1].b {
			return corrupt("logical partitions or EBRs overlap at sector %d", spans[i].a)
		}
	}
	return nil
}

// layoutLogicals sorts the logical partitions by start and gives each an EBR
// sector: the first at the start of the extended partition, the others in the
// gap before their partition (kept where it already was, else just before it).
func (t *mbrTable) layoutLogicals() error {
	ext := t.prim[t.ext]
	ls := t.logicals
	sort.SliceStable(ls, func(i, j int) bool { return ls[i].start < ls[j].start })
	for i := range ls {
		lo := ext.start // lowest sector the EBR may take
		if i > 0 {
			lo = ls[i-1].end() + 1
		}
		switch {
		case i == 0:
			ls[i].ebr = ext.start
		case ls[i].ebr >= lo && ls[i].ebr < ls[i].start:
			// The EBR already sits in the gap before its partition: keep it.
		default:
			ls[i].ebr = ls[i].start - 1
		}
		if ls[i].ebr < lo || ls[i].ebr >= ls[i].start || ls[i].end() > ext.end() {
			return invalid("logical partition at sectors %d..%d overlaps another partition or leaves no sector for its EBR", ls[i].start, ls[i].end())
		}
	}
	return nil
}

// write writes the EBR chain (last EBR first, so every link points to a
// written EBR), clears EBR sectors no longer used, then writes sector 0.
func (t *mbrTable) write(g geometry) error {
	if t.ext >= 0 {
		if err := t.writeChain(g); err != nil {
			return err
		}
	}
	sec := append([]byte(nil), t.sector0...)
	for i := 0; i < 4; i++ {
		putEntry(sec, i, 0, t.prim[i])
	}
	sec[mbrSigOffset], sec[mbrSigOffset+1] = 0x55, 0xaa
	if err := g.writeSectors(0, sec); err != nil {
		return err
	}
	t.sector0 = sec
	return nil
}

func (t *mbrTable) writeChain(g geometry) error {
	ext := t.prim[t.ext]
	ls := t.logicals
	inUse := map[int64]bool{ext.start: true}
	for i := len(ls) - 1; i >= 0; i-- {
		sec := make([]byte, g.ss)
		putEntry(sec, 0, ls[i].ebr, ls[i].mbrEntry)
		if i+1 < len(ls) {
			n := ls[i+1]
			putEntry(sec, 1, ext.start, mbrEntry{ptype: typeExtended, start: n.ebr, size: n.end() - n.ebr + 1})
		}
		sec[mbrSigOffset], sec[mbrSigOffset+1] = 0x55, 0xaa
		if err := g.writeSectors(ls[i].ebr, sec); err != nil {
			return err
		}
		inUse[ls[i].ebr] = true
	}
	if len(ls) == 0 {
		if err := g.writeSectors(ext.start, emptyEBR(g.ss)); err != nil {
			return err
		}
	}
	for _, old := range t.oldEBRs {
		if inUse[old] || old < ext.start || old > ext.end() || t.insideLogical(old) {
			continue
		}
		if err := g.writeSectors(old, make([]byte, g.ss)); err != nil {
			return err
		}
	}
	t.oldEBRs = t.oldEBRs[:0]
	for e := range inUse {
		t.oldEBRs = append(t.oldEBRs, e)
	}
	return nil
}

func (t *mbrTable) insideLogical(lba int64) bool {
	for _, l := range t.logicals {
		if lba >= l.start && lba <= l.end() {
			return true
		}
	}
	return false
}

// emptyEBR is an EBR with a boot signature and no entries.
func emptyEBR(ss int64) []byte {
	sec := make([]byte, ss)
	sec[mbrSigOffset], sec[mbrSigOffset+1] = 0x55, 0xaa
	return sec
}

// newMBRSector0 returns sector 0 for a fresh MBR: the old boot code kept, a
// new random disk identifier, no partitions.
func newMBRSector0(old []byte, ss int64) ([]byte, error) {
	sec := make([]byte, ss)
	if len(old) >= 440 {
		copy(sec[:440], old[:440])
	}
	for binary.LittleEndian.Uint32(sec[440:444]) == 0 {
		if _, err := rand.Read(sec[440:444]); err != nil {
			return nil, err
		}
	}
	sec[mbrSigOffset], sec[mbrSigOffset+1] = 0x55, 0xaa
	return sec, nil
}
