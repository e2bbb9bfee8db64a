package parttable

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"sort"
)

const (
	gptSignature    = "EFI PART"
	gptRevision     = 0x00010000
	gptHeaderSize   = 92
	gptNumEntries   = 128
	gptEntrySize    = 128
	maxEntryArray   = 1 << 20 // largest partition entry array accepted, bytes
	maxGPTEntrySize = 4096
	attrLegacyBoot  = 1 << 2
)

// gptTable is a GPT as read from (or to be written to) the disk. The header
// fields describe the primary header; backup* say where the copies go.
type gptTable struct {
	diskGUID         guid
	firstUsable      int64
	lastUsable       int64
	primaryEntries   int64 // LBA of the primary entry array
	backupLBA        int64 // LBA of the backup header
	backupEntries    int64 // LBA of the backup entry array
	numEntries       int64
	entrySize        int64
	entries          []byte // numEntries*entrySize bytes
	entrySectorCount int64
}

// gptHeader is the decoded content of one GPT header sector.
type gptHeader struct {
	myLBA, altLBA, firstUsable, lastUsable, entriesLBA int64
	numEntries, entrySize                              int64
	entriesCRC                                         uint32
	diskGUID                                           guid
}

func u64(b []byte) int64 {
	v := binary.LittleEndian.Uint64(b)
	if v > 1<<62 {
		return -1 // absurd; fails every range check below
	}
	return int64(v)
}

// parseGPTHeader checks and decodes the header sector read at lba.
func parseGPTHeader(g geometry, sec []byte, lba int64) (gptHeader, error) {
	var h gptHeader
	if !bytes.Equal(sec[0:8], []byte(gptSignature)) {
		return h, corrupt("no GPT signature at sector %d", lba)
	}
	hsize := int64(binary.LittleEndian.Uint32(sec[12:16]))
	if hsize < gptHeaderSize || hsize > g.ss {
		return h, corrupt("GPT header at sector %d has bad size %d", lba, hsize)
	}
	hdr := append([]byte(nil), sec[:hsize]...)
	want := binary.LittleEndian.Uint32(hdr[16:20])
	clear(hdr[16:20])
	if crc32.ChecksumIEEE(hdr) != want {
		return h, corrupt("GPT header at sector %d has a bad CRC", lba)
	}
	h.myLBA, h.altLBA = u64(sec[24:32]), u64(sec[32:40])
	h.firstUsable, h.lastUsable = u64(sec[40:48]), u64(sec[48:56])
	copy(h.diskGUID[:], sec[56:72])
	h.entriesLBA = u64(sec[72:80])
	h.numEntries = int64(binary.LittleEndian.Uint32(sec[80:84]))
	h.entrySize = int64(binary.LittleEndian.Uint32(sec[84:88]))
	h.entriesCRC = binary.LittleEndian.Uint32(sec[88:92])
	if h.myLBA != lba {
		return h, corrupt("GPT header at sector %d says it is at sector %d", lba, h.myLBA)
	}
	if h.entrySize < gptEntrySize || h.entrySize > maxGPTEntrySize || h.entrySize&(h.entrySize-1) != 0 {
		return h, corrupt("GPT header at sector %d has bad entry size %d", lba, h.entrySize)
	}
	if h.numEntries < 1 || h.numEntries*h.entrySize > maxEntryArray {
		return h, corrupt("GPT header at sector %d has bad entry count %d", lba, h.numEntries)
	}
	n := entrySectors(g, h.numEntries, h.entrySize)
	if h.firstUsable < 0 || h.lastUsable < h.firstUsable || h.lastUsable >= g.sectors {
		return h, corrupt("GPT header at sector %d has bad usable range %d..%d (disk has %d sectors)", lba, h.firstUsable, h.lastUsable, g.sectors)
	}
	if h.altLBA < 1 || h.altLBA >= g.sectors || h.entriesLBA < 2 || h.entriesLBA+n > g.sectors {
		return h, corrupt("GPT header at sector %d points outside the disk (%d sectors)", lba, g.sectors)
	}
	if lba == 1 {
		if h.entriesLBA+n > h.firstUsable || h.altLBA-n <= h.lastUsable {
			return h, corrupt("primary GPT header overlaps the usable area with its tables")
		}
	} else if h.entriesLBA <= h.lastUsable || h.entriesLBA+n > lba || h.altLBA >= h.firstUsable {
		return h, corrupt("backup GPT header overlaps the usable area with its tables")
	}
	return h, nil
}

func entrySectors(g geometry, num, size int64) int64 {
	return (num*size + g.ss - 1) / g.ss
}

// readGPTAt reads and checks the header at lba and its entry array.
func readGPTAt(g geometry, lba int64) (gptHeader, []byte, error) {
	sec, err := g.readSectors(lba, 1)
	if err != nil {
		return gptHeader{}, nil, err
	}
	h, err := parseGPTHeader(g, sec, lba)
	if err != nil {
		return h, nil, err
	}
	raw, err := g.readSectors(h.entriesLBA, entrySectors(g, h.numEntries, h.entrySize))
	if err != nil {
		return h, nil, err
	}
	raw = raw[:h.numEntries*h.entrySize]
	if crc32.ChecksumIEEE(raw) != h.entriesCRC {
		return h, nil, corrupt("GPT partition entries at sector %d have a bad CRC", h.entriesLBA)
	}
	return h, raw, nil
}

// readGPT reads the primary GPT, falling back to the backup at the last sector.
func readGPT(g geometry) (*gptTable, error) {
	if g.sectors < 3 {
		return nil, corrupt("disk too small for a GPT")
	}
	t := &gptTable{}
	h, raw, perr := readGPTAt(g, 1)
	if perr == nil {
		t.primaryEntries = h.entriesLBA
		t.backupLBA = h.altLBA
	} else {
		var berr error
		h, raw, berr = readGPTAt(g, g.sectors-1)
		if berr != nil {
			return nil, corrupt("no valid GPT (primary: %v; backup: %v)", perr, berr)
		}
		t.primaryEntries = 2
		t.backupLBA = h.myLBA
		if t.primaryEntries+entrySectors(g, h.numEntries, h.entrySize) > h.firstUsable {
			return nil, corrupt("primary GPT is bad (%v) and the backup leaves no room to rebuild it", perr)
		}
	}
	t.diskGUID, t.firstUsable, t.lastUsable = h.diskGUID, h.firstUsable, h.lastUsable
	t.numEntries, t.entrySize, t.entries = h.numEntries, h.entrySize, raw
	t.entrySectorCount = entrySectors(g, h.numEntries, h.entrySize)
	t.backupEntries = t.backupLBA - t.entrySectorCount
	if err := t.check(); err != nil {
		return nil, err
	}
	return t, nil
}

// entry returns the 128 standard bytes of entry i (0-based).
func (t *gptTable) entry(i int64) []byte {
	return t.entries[i*t.entrySize : i*t.entrySize+gptEntrySize]
}

func (t *gptTable) used(i int64) bool { return !guid(t.entry(i)[0:16]).isZero() }

func (t *gptTable) span(i int64) (int64, int64) {
	e := t.entry(i)
	return u64(e[32:40]), u64(e[40:48])
}

// check refuses partitions outside the usable area or overlapping each other.
func (t *gptTable) check() error {
	type part struct{ n, a, b int64 }
	var ps []part
	for i := int64(0); i < t.numEntries; i++ {
		if !t.used(i) {
			continue
		}
		a, b := t.span(i)
		if a < t.firstUsable || b < a || b > t.lastUsable {
			return corrupt("partition %d (sectors %d..%d) lies outside the usable area %d..%d", i+1, a, b, t.firstUsable, t.lastUsable)
		}
		ps = append(ps, part{i + 1, a, b})
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].a < ps[j].a })
	for i := 1; i < len(ps); i++ {
		if ps[i].a <= ps[i-1].b {
			return corrupt("partitions %d and %d overlap", ps[i-1].n, ps[i].n)
		}
	}
	return nil
}

// newGPT lays out an empty GPT with 128 entries on a disk of g.sectors.
func newGPT(g geometry) (*gptTable, error) {
	n := entrySectors(g, gptNumEntries, gptEntrySize)
	t := &gptTable{
		numEntries: gptNumEntries, entrySize: gptEntrySize, entrySectorCount: n,
		entries:        make([]byte, gptNumEntries*gptEntrySize),
		primaryEntries: 2, firstUsable: 2 + n,
		backupLBA: g.sectors - 1, backupEntries: g.sectors - 1 - n, lastUsable: g.sectors - 2 - n,
	}
	if t.lastUsable < t.firstUsable {
		return nil, noSpace("disk of %d sectors is too small for a GPT", g.sectors)
	}
	var err error
	if t.diskGUID, err = randomGUID(); err != nil {
		return nil, err
	}
	return t, nil
}

func (t *gptTable) header(g geometry, my, alt, entriesLBA int64) []byte {
	sec := make([]byte, g.ss)
	copy(sec, gptSignature)
	le := binary.LittleEndian
	le.PutUint32(sec[8:], gptRevision)
	le.PutUint32(sec[12:], gptHeaderSize)
	le.PutUint64(sec[24:], uint64(my))
	le.PutUint64(sec[32:], uint64(alt))
	le.PutUint64(sec[40:], uint64(t.firstUsable))
	le.PutUint64(sec[48:], uint64(t.lastUsable))
	copy(sec[56:72], t.diskGUID[:])
	le.PutUint64(sec[72:], uint64(entriesLBA))
	le.PutUint32(sec[80:], uint32(t.numEntries))
	le.PutUint32(sec[84:], uint32(t.entrySize))
	le.PutUint32(sec[88:], crc32.ChecksumIEEE(t.entries))
	le.PutUint32(sec[16:], crc32.ChecksumIEEE(sec[:gptHeaderSize]))
	return sec
}

// write writes the primary entries and header, then the backup ones, so a
// crash at any point leaves at least one consistent copy.
func (t *gptTable) write(g geometry) error {
	arr := make([]byte, t.entrySectorCount*g.ss)
	copy(arr, t.entries)
	steps := []struct {
		lba int64
		buf []byte
	}{
		{t.primaryEntries, arr},
		{1, t.header(g, 1, t.backupLBA, t.primaryEntries)},
		{t.backupEntries, arr},
		{t.backupLBA, t.header(g, t.backupLBA, 1, t.backupEntries)},
	}
	for _, s := range steps {
		if err := g.writeSectors(s.lba, s.buf); err != nil {
			return err
		}
	}
	return nil
}

// protectiveMBR returns sector 0 for a GPT disk: old boot code kept, one 0xEE
// partition covering the disk (capped at 2^32-1 sectors).
func protectiveMBR(old []byte, g geometry) []byte {
	sec := make([]byte, g.ss)
	if len(old) >= 440 {
		copy(sec[:440], old[:440])
	}
	setProtective(sec, g)
	return sec
}

func setProtective(sec []byte, g geometry) {
	size := min(g.sectors-1, maxMBRSector)
	for i := 0; i < 4; i++ {
		putEntry(sec, i, 0, mbrEntry{})
	}
	putEntry(sec, 0, 0, mbrEntry{ptype: typeGPTProt, start: 1, size: size})
	b := sec[mbrTableOffset:]
	b[1], b[2], b[3] = 0x00, 0x02, 0x00 // CHS 0/0/2, as the UEFI spec says
	sec[mbrSigOffset], sec[mbrSigOffset+1] = 0x55, 0xaa
}
