// Package magic describes a regular file's contents as file(1) -b does,
// from its first bytes (and for some formats a few more: a gzip file's
// last four, an ELF file's program headers and dynamic section), for the
// common formats.
package magic

import (
	"bytes"
	"encoding/json"
	"io"
	iofs "io/fs"
)

// file(1)'s limits: how much of a file it reads, how much of that its
// text tests look at, and the line length above which it calls lines
// very long.
const (
	magicBytesMax    = 7 << 20
	magicEncodingMax = 64 << 10
	magicMaxLineLen  = 300
)

// readChunk is how much trimmedLen reads back at a time, as the daemon's
// content actions read files: never a whole file at once.
const readChunk = 256 << 10

// magicFile is what file(1) reads of a regular file.
type magicFile struct {
	r         io.ReaderAt
	size      int64
	mode      iofs.FileMode
	cancelled func() error
	flen      int64  // the bytes file(1) reads: up to magicBytesMax
	head      []byte // the first min(flen, magicEncodingMax) of them
}

// readAt reads len(b) bytes at off (fewer at the end of the file).
func (m *magicFile) readAt(b []byte, off int64) ([]byte, error) {
	if off < 0 || off >= m.size {
		return nil, nil
	}
	k, err := m.r.ReadAt(b, off)
	if err != nil && err != io.EOF {
		return nil, err
	}
	return b[:k], nil
}

// Describe describes the contents of a regular file of size bytes, read
// through r, as file(1) 5.44 -b does for the common formats: a prefix of
// what it prints for ELF (class, byte order, type, machine, version and
// OS ABI, not the dynamic linking details), tar, JSON, gzip (its header
// fields), bzip2, XZ, Zip, PNG, GIF, JPEG (the JFIF version), PDF,
// scripts, and text in ASCII, UTF-8 (with or without a BOM), UTF-7,
// ISO-8859 or extended ASCII with its line terminators; anything else is
// "data" (where libmagic may know a rare format).
//
// mode is the file's mode: file(1) calls an ELF shared object without a
// DF_1_PIE flag a pie executable when it has no dynamic section and an
// execute bit is set. r may be asked for up to 7 MiB from anywhere below
// size; its errors other than io.EOF are returned as they are, so a
// caller wanting them to name the file wraps them in r. cancelled, if not
// nil, is called before each of the long reads of a text test, and an
// error from it ends Describe with that error.
func Describe(r io.ReaderAt, size int64, mode iofs.FileMode, cancelled func() error) (string, error) {
	switch size {
	case 0:
		return "empty", nil
	case 1:
		return "very short file (no magic)", nil
	}
	m := &magicFile{r: r, size: size, mode: mode, cancelled: cancelled, flen: min(size, magicBytesMax)}
	head, err := m.readAt(make([]byte, min(m.flen, magicEncodingMax)), 0)
	if err != nil {
		return "", err
	}
	m.head = head
	if len(head) >= 512 {
		if t := tarKind(head[:512]); t != "" {
			return t, nil
		}
	}
	if d, err := m.json(); d != "" || err != nil {
		return d, err
	}
	if d, err := m.binaryMagic(); d != "" || err != nil {
		return d, err
	}
	d, err := m.text()
	if d == "" && err == nil {
		d = "data"
	}
	return d, err
}

// tarKind is file(1)'s tar test of a first 512-byte header: its checksum
// and magic.
func tarKind(h []byte) string {
	field := h[148:156]
	recsum := fromOct(field)
	sum := 0
	for _, b := range h {
		sum += int(b)
	}
	for _, b := range field {
		sum -= int(int8(b)) // file(1) subtracts them as (signed) chars
	}
	sum += ' ' * len(field)
	if recsum < 0 || sum != recsum {
		return ""
	}
	magic := h[257:265]
	cstr := func(b []byte) []byte {
		if i := bytes.IndexByte(b, 0); i >= 0 {
			return b[:i]
		}
		return b
	}
	switch string(cstr(magic)) {
	case "ustar  ":
		return "POSIX tar archive (GNU)"
	case "ustar":
		return "POSIX tar archive"
	}
	return "tar archive"
}

// fromOct is file(1)'s octal field reader: -1 for a blank or non-octal
// field.
func fromOct(b []byte) int {
	space := func(c byte) bool { return c == ' ' || ('\t' <= c && c <= '\r') }
	digs, i := len(b), 0
	for i < len(b) && space(b[i]) {
		i++
		if digs--; digs == 0 {
			return -1
		}
	}
	value := 0
	for digs > 0 && i < len(b) && '0' <= b[i] && b[i] <= '7' {
		value = value<<3 | int(b[i]-'0')
		i++
		digs--
	}
	if digs > 0 && i < len(b) && b[i] != 0 && !space(b[i]) {
		return -1
	}
	return value
}

// json reports a file that is a single JSON object or array, as file(1)'s
// JSON test does ("JSON text data").
func (m *magicFile) json() (string, error) {
	t := bytes.TrimLeft(m.head, " \t\r\n")
	if len(t) == 0 || (t[0] != '{' && t[0] != '[') || m.size > m.flen {
		return "", nil
	}
	all := m.head
	if m.flen > int64(len(all)) {
		b, err := m.readAt(make([]byte, m.flen), 0)
		if err != nil {
			return "", err
		}
		all = b
	}
	if json.Valid(all) {
		return "JSON text data", nil
	}
	return "", nil
}
