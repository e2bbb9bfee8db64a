// Package layout holds the on-disk structures of ISO 9660 (ECMA-119) with
// its two extensions as Linux's isofs reads them: volume descriptors (the
// primary one and a Joliet supplementary one), directory records,
// the System Use Sharing Protocol and its Rock Ridge entries (NM, PX, PN,
// SL, TF, CL, PL, RE), dates, and the three ways of naming a file (Rock
// Ridge, Joliet's UCS-2, the plain name lower-cased). Every parser checks
// its bounds and returns an error for a record that does not fit; none
// allocates more than its input.
package layout

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf16"
)

// SectorSize is the size of a logical sector (and of every volume
// descriptor); the first descriptor is at sector 16.
const SectorSize = 2048

// FirstDescriptor is the sector of the first volume descriptor.
const FirstDescriptor = 16

// Volume descriptor types.
const (
	TypeBoot          = 0
	TypePrimary       = 1
	TypeSupplementary = 2
	TypePartition     = 3
	TypeTerminator    = 255
)

// Directory record flags.
const (
	FlagHidden     = 0x01
	FlagDir        = 0x02
	FlagAssociated = 0x04
	FlagMultiExt   = 0x80
)

// ErrCorrupt is wrapped by every parse error.
var ErrCorrupt = errors.New("corrupt ISO 9660 structure")

func corrupt(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrCorrupt, fmt.Sprintf(format, args...))
}

// IsDescriptor reports whether b (at least 7 bytes) is a volume descriptor:
// the standard identifier "CD001" at byte 1 and version 1.
func IsDescriptor(b []byte) bool {
	return len(b) >= 7 && string(b[1:6]) == "CD001" && b[6] == 1
}

// Volume is a primary or supplementary volume descriptor.
type Volume struct {
	Type byte
	// Joliet is 1, 2 or 3 for a Joliet supplementary descriptor (its
	// UCS-2 level), 0 otherwise.
	Joliet int
	// VolumeID is the volume identifier, trailing spaces removed (decoded
	// from UCS-2 for Joliet).
	VolumeID string
	// Blocks is the volume space size in logical blocks.
	Blocks uint32
	// BlockSize is the logical block size (2048 on every real disc).
	BlockSize uint32
	// Root is the root directory record.
	Root Record
	// Created and Modified are the volume dates as recorded, 17 bytes
	// each ("YYYYMMDDHHMMSScc" and a zone offset).
	Created, Modified [17]byte
}

// ParseVolume parses a primary or supplementary volume descriptor.
func ParseVolume(b []byte) (*Volume, error) {
	if len(b) < SectorSize || !IsDescriptor(b) {
		return nil, corrupt("not a volume descriptor")
	}
	v := &Volume{Type: b[0]}
	if v.Type != TypePrimary && v.Type != TypeSupplementary {
		return nil, corrupt("volume descriptor type %d is neither primary nor supplementary", v.Type)
	}
	if v.Type == TypeSupplementary && b[88] == '%' && b[89] == '/' {
		switch b[90] {
		case '@':
			v.Joliet = 1
		case 'C':
			v.Joliet = 2
		case 'E':
			v.Joliet = 3
		}
	}
	id := b[40:72]
	if v.Joliet != 0 {
		v.VolumeID = strings.TrimRight(UCS2(id), " \x00")
	} else {
		v.VolumeID = strings.TrimRight(string(id), " \x00")
	}
	v.Blocks = binary.LittleEndian.Uint32(b[80:84])
	v.BlockSize = uint32(binary.LittleEndian.Uint16(b[128:130]))
	if v.BlockSize != SectorSize {
		return nil, corrupt("logical block size %d (only 2048 is supported)", v.BlockSize)
	}
	root, err := ParseRecord(b[156:190])
	if err != nil {
		return nil, fmt.Errorf("root directory record: %w", err)
	}
	if root.Flags&FlagDir == 0 {
		return nil, corrupt("the root directory record is not a directory")
	}
	v.Root = root
	copy(v.Created[:], b[813:830])
	copy(v.Modified[:], b[830:847])
	return v, nil
}

// Record is a directory record.
type Record struct {
	// Len is the record's length in bytes.
	Len int
	// ExtAttrLen is the extended attribute record's length in blocks,
	// which precede the data in the extent.
	ExtAttrLen uint8
	// Extent is the first block of the data; Size its length in bytes.
	Extent, Size uint32
	// Date is the recording date, 7 bytes.
	Date  [7]byte
	Flags uint8
	// Interleaved is set when the file is recorded in interleaved mode
	// (a file unit size or gap size that is not zero).
	Interleaved bool
	// Name is the file identifier as recorded: "\x00" for the directory
	// itself, "\x01" for its parent.
	Name []byte
	// SystemUse is the system use area after the name.
	SystemUse []byte
}

// ParseRecord parses the directory record at the start of b; b may hold
// more than the record.
func ParseRecord(b []byte) (Record, error) {
	if len(b) < 34 {
		return Record{}, corrupt("directory record of %d bytes", len(b))
	}
	n := int(b[0])
	if n < 34 || n > len(b) {
		return Record{}, corrupt("directory record length %d (%d bytes available)", n, len(b))
	}
	nl := int(b[32])
	if nl == 0 || 33+nl > n {
		return Record{}, corrupt("file identifier of %d bytes in a record of %d", nl, n)
	}
	r := Record{
		Len:         n,
		ExtAttrLen:  b[1],
		Extent:      binary.LittleEndian.Uint32(b[2:6]),
		Size:        binary.LittleEndian.Uint32(b[10:14]),
		Flags:       b[25],
		Interleaved: b[26] != 0 || b[27] != 0,
		Name:        b[33 : 33+nl],
	}
	copy(r.Date[:], b[18:25])
	su := 33 + nl
	if nl%2 == 0 {
		su++ // padding byte after an even-length identifier
	}
	if su < n {
		r.SystemUse = b[su:n]
	}
	return r, nil
}

// IsSelf reports whether r is the "." record.
func (r *Record) IsSelf() bool { return len(r.Name) == 1 && r.Name[0] == 0 }

// IsParent reports whether r is the ".." record.
func (r *Record) IsParent() bool { return len(r.Name) == 1 && r.Name[0] == 1 }

// RecordTime decodes a 7-byte recording date as Linux's iso_date does: the
// zone offset (in 15-minute units) is applied only when it is within 13
// hours of GMT.
func RecordTime(d [7]byte) time.Time {
	t := time.Date(1900+int(d[0]), time.Month(d[1]), int(d[2]), int(d[3]), int(d[4]), int(d[5]), 0, time.UTC)
	if tz := int(int8(d[6])); tz >= -52 && tz <= 52 {
		t = t.Add(-time.Duration(tz) * 15 * time.Minute)
	}
	return t
}

// LongTime decodes a 17-byte date ("YYYYMMDDHHMMSScc" and a zone offset);
// ok is false for an unset or malformed date.
func LongTime(d []byte) (t time.Time, ok bool) {
	if len(d) < 17 {
		return time.Time{}, false
	}
	var v [7]int
	widths := [7]int{4, 2, 2, 2, 2, 2, 2}
	p := 0
	for i, w := range widths {
		for _, c := range d[p : p+w] {
			if c < '0' || c > '9' {
				return time.Time{}, false
			}
			v[i] = v[i]*10 + int(c-'0')
		}
		p += w
	}
	if v[0] == 0 {
		return time.Time{}, false
	}
	t = time.Date(v[0], time.Month(v[1]), v[2], v[3], v[4], v[5], v[6]*10_000_000, time.UTC)
	if tz := int(int8(d[16])); tz >= -52 && tz <= 52 {
		t = t.Add(-time.Duration(tz) * 15 * time.Minute)
	}
	return t, true
}

// UCS2 decodes big-endian UCS-2 (UTF-16, surrogate pairs included); an
// odd trailing byte is dropped.
func UCS2(b []byte) string {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.BigEndian.Uint16(b[2*i:])
	}
	return string(utf16.Decode(u))
}

// PlainName is the name Linux's isofs gives a record without a Rock Ridge
// name when mounted with the default map=normal: ASCII letters lower-cased,
// a trailing ";1" or ".;1" dropped, every other ';' (and '/') turned into
// '.', and the name cut at a NUL.
func PlainName(id []byte) string {
	var out []byte
	n := len(id)
	for i := 0; i < n; i++ {
		c := id[i]
		if c == 0 {
			break
		}
		if c >= 'A' && c <= 'Z' {
			c |= 0x20
		}
		if c == '.' && i == n-3 && id[i+1] == ';' && id[i+2] == '1' {
			break
		}
		if c == ';' && i == n-2 && id[i+1] == '1' {
			break
		}
		if c == ';' || c == '/' {
			c = '.'
		}
		out = append(out, c)
	}
	return string(out)
}

// JolietName is the name Linux's isofs gives a Joliet record: the UCS-2
// identifier decoded, a trailing ";1" dropped, then trailing dots.
func JolietName(id []byte) string {
	s := UCS2(id)
	if len(s) > 2 && strings.HasSuffix(s, ";1") {
		s = s[:len(s)-2]
	}
	for len(s) >= 2 && s[len(s)-1] == '.' {
		s = s[:len(s)-1]
	}
	return s
}

// SUSPEntry is one System Use entry.
type SUSPEntry struct {
	Sig     string
	Version byte
	Data    []byte
}

// Continuation is a CE entry: where the system use area goes on.
type Continuation struct {
	Block, Offset, Len uint32
}

// ParseSUSP splits a system use area into its entries; the area ends at
// an ST entry, at padding, or where fewer than 4 bytes remain. A CE entry
// is returned apart (the last one wins, as in Linux).
func ParseSUSP(area []byte) ([]SUSPEntry, *Continuation, error) {
	var out []SUSPEntry
	var ce *Continuation
	for len(area) >= 4 {
		n := int(area[2])
		if area[0] == 0 {
			break // padding
		}
		if n < 4 || n > len(area) {
			return out, ce, corrupt("system use entry %q of length %d (%d bytes left)", area[:2], n, len(area))
		}
		e := SUSPEntry{Sig: string(area[:2]), Version: area[3], Data: area[4:n]}
		area = area[n:]
		switch e.Sig {
		case "ST":
			return out, ce, nil
		case "CE":
			if len(e.Data) < 24 {
				return out, ce, corrupt("CE entry of %d bytes", len(e.Data)+4)
			}
			ce = &Continuation{
				Block:  binary.LittleEndian.Uint32(e.Data[0:]),
				Offset: binary.LittleEndian.Uint32(e.Data[8:]),
				Len:    binary.LittleEndian.Uint32(e.Data[16:]),
			}
			continue
		}
		out = append(out, e)
	}
	return out, ce, nil
}

// IsSP reports whether the entries begin a SUSP area (an SP entry with
// its check bytes) and returns the bytes to skip in every other system
// use area.
func IsSP(es []SUSPEntry) (skip int, ok bool) {
	if len(es) == 0 || es[0].Sig != "SP" || len(es[0].Data) < 3 || es[0].Data[0] != 0xBE || es[0].Data[1] != 0xEF {
		return 0, false
	}
	return int(es[0].Data[2]), true
}

// TF flags.
const (
	tfCreate = 1 << iota
	tfModify
	tfAccess
	tfAttributes
	tfBackup
	tfExpiration
	tfEffective
	tfLongForm
)

// RockRidge is what a record's Rock Ridge entries say.
type RockRidge struct {
	// Any is set when the record has at least one Rock Ridge entry.
	Any bool
	// Name is the NM name (HasName set when there was one).
	Name    string
	HasName bool
	// PX: mode (st_mode bits), nlink, uid, gid.
	HasPX                  bool
	Mode, Nlink, UID, GID  uint32
	HasPN                  bool
	DevHigh, DevLow        uint32
	HasSL                  bool
	Target                 string
	Ctime, Mtime, Atime    time.Time
	HasCtime, HasMtime     bool
	HasAtime               bool
	ChildLink, ParentLink  uint32
	HasChild, Relocated    bool
	Compressed             bool // ZF: zisofs
	nameDone, symlinkEnded bool
}

// Add applies the Rock Ridge entries es to r, in order; entries of other
// extensions are ignored. It fails on an entry too short for its kind.
func (r *RockRidge) Add(es []SUSPEntry) error {
	for _, e := range es {
		d := e.Data
		switch e.Sig {
		case "NM":
			r.Any = true
			if len(d) < 1 {
				return corrupt("NM entry without flags")
			}
			if r.nameDone || d[0]&0x06 != 0 {
				continue // "." or "..", or a name already complete
			}
			r.Name += string(d[1:])
			r.HasName = true
			if d[0]&1 == 0 {
				r.nameDone = true
			}
		case "PX":
			r.Any = true
			if len(d) < 32 {
				return corrupt("PX entry of %d bytes", len(d)+4)
			}
			r.HasPX = true
			r.Mode = binary.LittleEndian.Uint32(d[0:])
			r.Nlink = binary.LittleEndian.Uint32(d[8:])
			r.UID = binary.LittleEndian.Uint32(d[16:])
			r.GID = binary.LittleEndian.Uint32(d[24:])
		case "PN":
			r.Any = true
			if len(d) < 16 {
				return corrupt("PN entry of %d bytes", len(d)+4)
			}
			r.HasPN = true
			r.DevHigh = binary.LittleEndian.Uint32(d[0:])
			r.DevLow = binary.LittleEndian.Uint32(d[8:])
		case "SL":
			r.Any = true
			if len(d) < 1 {
				return corrupt("SL entry without flags")
			}
			if r.symlinkEnded {
				continue
			}
			t, err := symlinkChunk(d)
			if err != nil {
				return err
			}
			r.HasSL = true
			r.Target += t
		case "TF":
			r.Any = true
			if err := r.times(d); err != nil {
				return err
			}
		case "CL":
			r.Any = true
			if len(d) < 8 {
				return corrupt("CL entry of %d bytes", len(d)+4)
			}
			r.HasChild = true
			r.ChildLink = binary.LittleEndian.Uint32(d[0:])
		case "PL":
			r.Any = true
			if len(d) < 8 {
				return corrupt("PL entry of %d bytes", len(d)+4)
			}
			r.ParentLink = binary.LittleEndian.Uint32(d[0:])
		case "RE":
			r.Any = true
			r.Relocated = true
		case "ZF":
			r.Any = true
			r.Compressed = true
		case "RR":
			r.Any = true
		}
	}
	return nil
}

// symlinkChunk is Linux's get_symlink_chunk: the components of one SL
// entry joined, with a '/' after each complete one and, when the entry
// continues in another SL entry, after its last complete one too.
func symlinkChunk(d []byte) (string, error) {
	more := d[0]&1 != 0
	c := d[1:]
	var out bytes.Buffer
	for len(c) >= 2 {
		fl, n := c[0], int(c[1])
		if 2+n > len(c) {
			return "", corrupt("SL component of %d bytes (%d left)", n, len(c)-2)
		}
		root := false
		switch fl &^ 1 {
		case 0:
			out.Write(c[2 : 2+n])
		case 2:
			out.WriteByte('.')
		case 4:
			out.WriteString("..")
		case 8:
			root = true
			out.WriteByte('/')
		}
		c = c[2+n:]
		if len(c) < 2 {
			if !root && more && fl&1 == 0 {
				out.WriteByte('/')
			}
			break
		}
		if !root && fl&1 == 0 {
			out.WriteByte('/')
		}
	}
	return out.String(), nil
}

func (r *RockRidge) times(d []byte) error {
	if len(d) < 1 {
		return corrupt("TF entry without flags")
	}
	fl := d[0]
	w := 7
	if fl&tfLongForm != 0 {
		w = 17
	}
	p := d[1:]
	next := func() (time.Time, bool, error) {
		if len(p) < w {
			return time.Time{}, false, corrupt("TF entry too short for its flags %#x", fl)
		}
		b := p[:w]
		p = p[w:]
		if w == 17 {
			t, ok := LongTime(b)
			return t, ok, nil
		}
		var s [7]byte
		copy(s[:], b)
		return RecordTime(s), true, nil
	}
	for bit := byte(tfCreate); bit <= tfEffective; bit <<= 1 {
		if fl&bit == 0 {
			continue
		}
		t, ok, err := next()
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		switch bit {
		case tfCreate, tfAttributes:
			r.Ctime, r.HasCtime = t, true
		case tfModify:
			r.Mtime, r.HasMtime = t, true
		case tfAccess:
			r.Atime, r.HasAtime = t, true
		}
	}
	return nil
}
