package magic

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
	"time"
)

// binaryMagic runs file(1)'s binary tests that this daemon knows.
func (m *magicFile) binaryMagic() (string, error) {
	h := m.head
	at := func(off int) byte {
		if off < len(h) {
			return h[off]
		}
		return 0
	}
	switch {
	case bytes.HasPrefix(h, []byte("\x7fELF")):
		return m.elf()
	case bytes.HasPrefix(h, []byte("\x1f\x8b")):
		return m.gzip()
	case bytes.HasPrefix(h, []byte("BZh")):
		d := "bzip2 compressed data"
		if at(3) > '0' {
			d += ", block size = " + string(at(3)) + "00k"
		}
		return d, nil
	case bytes.HasPrefix(h, []byte("\xfd7zXZ\x00")):
		d := "XZ compressed data, checksum"
		if s, ok := map[byte]string{0: "NONE", 1: "CRC32", 4: "CRC64", 0xa: "SHA-256"}[at(7)&0xf]; ok {
			d += " " + s
		}
		return d, nil
	case bytes.HasPrefix(h, []byte("PK\x05\x06")):
		return "Zip archive data (empty)", nil
	case bytes.HasPrefix(h, []byte("PK\x03\x04")) && len(h) >= 30:
		if string(h[26:38]) == "\x08\x00\x00\x00mimetype" {
			return "", nil // an OpenDocument, EPUB...: libmagic names the format
		}
		if nameLen := int(h[26]) | int(h[27])<<8; at(30+nameLen) == 0xfe && at(31+nameLen) == 0xca {
			return "Java archive data (JAR)", nil
		}
		ver := h[4]
		method, ok := map[int]string{0: "store", 1: "Shrinking", 6: "Imploding", 7: "Tokenizing", 8: "deflate",
			9: "deflate64", 10: "Library imploding", 12: "bzip2", 14: "lzma", 93: "Zstd", 95: "xz", 96: "Jpeg",
			98: "PPMd", 99: "AES Encrypted"}[int(h[8])|int(h[9])<<8]
		if !ok {
			method = fmt.Sprintf("[%#x]", int(h[8])|int(h[9])<<8)
		}
		return fmt.Sprintf("Zip archive data, at least v%d.%d to extract, compression method=%s", ver/10, ver%10, method), nil
	case bytes.HasPrefix(h, []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR")) && len(h) >= 29:
		d := fmt.Sprintf("PNG image data, %d x %d, %d-bit", int32(binary.BigEndian.Uint32(h[16:])), int32(binary.BigEndian.Uint32(h[20:])), h[24])
		d += map[byte]string{0: " grayscale,", 2: "/color RGB,", 3: " colormap,", 4: " gray+alpha,", 6: "/color RGBA,"}[h[25]]
		d += map[byte]string{0: " non-interlaced", 1: " interlaced"}[h[28]]
		return d, nil
	case bytes.HasPrefix(h, []byte("GIF8")):
		d := "GIF image data"
		if v := string(h[4:min(6, len(h))]); v == "7a" || v == "9a" {
			d += ", version 8" + v + ","
		}
		if w := int(at(6)) | int(at(7))<<8; w > 0 {
			d += fmt.Sprintf(" %d x", w)
		}
		if ht := int(at(8)) | int(at(9))<<8; ht > 0 {
			d += fmt.Sprintf(" %d", ht)
		}
		return d, nil
	case bytes.HasPrefix(h, []byte("\xff\xd8\xff\xf7")):
		return "JPEG-LS image data", nil
	case bytes.HasPrefix(h, []byte("\xff\xd8\xff")):
		d := "JPEG image data"
		if string(h[min(6, len(h)):min(10, len(h))]) == "JFIF" && len(h) >= 20 {
			d += fmt.Sprintf(", JFIF standard %d.%02d", at(11), at(12))
			d += map[byte]string{0: ", aspect ratio", 1: ", resolution (DPI)", 2: ", resolution (DPCM)"}[at(13)]
			d += fmt.Sprintf(", density %dx%d, segment length %d", int16(binary.BigEndian.Uint16(h[14:])),
				int16(binary.BigEndian.Uint16(h[16:])), int16(binary.BigEndian.Uint16(h[4:])))
			if at(18) != 0 {
				d += fmt.Sprintf(", thumbnail %dx%d", at(18), at(19))
			}
		}
		return d, nil
	case bytes.HasPrefix(h, []byte("%PDF-")):
		return fmt.Sprintf("PDF document, version %c.%c", at(5), at(7)), nil
	case bytes.HasPrefix(h, []byte("#!")):
		if isPerlScript(h) {
			return "Perl script text executable", nil
		}
	}
	return "", nil
}

// gzip describes a gzip file as file(1)'s gzip-info does.
func (m *magicFile) gzip() (string, error) {
	h := m.head
	at := func(off int) byte {
		if off < len(h) {
			return h[off]
		}
		return 0
	}
	flags := at(3)
	var sb strings.Builder
	sb.WriteString("gzip compressed data")
	switch method := at(2); {
	case method < 8:
		sb.WriteString(", reserved method")
	case method > 8:
		sb.WriteString(", unknown method")
	}
	for _, f := range []struct {
		bit  byte
		text string
	}{{0x01, ", ASCII"}, {0x02, ", has CRC"}, {0x04, ", extra field"}} {
		if flags&f.bit != 0 {
			sb.WriteString(f.text)
		}
	}
	if flags&0x0c == 0x08 && len(h) > 10 {
		name := h[10:min(len(h), 10+127)]
		if i := bytes.IndexByte(name, 0); i >= 0 {
			name = name[:i]
		}
		sb.WriteString(`, was "` + string(name) + `"`)
	}
	if flags&0x10 != 0 {
		sb.WriteString(", has comment")
	}
	if flags&0x20 != 0 {
		sb.WriteString(", encrypted")
	}
	if len(h) >= 8 {
		if t := int32(binary.LittleEndian.Uint32(h[4:])); t > 0 {
			sb.WriteString(", last modified: " + time.Unix(int64(t), 0).UTC().Format("Mon Jan _2 15:04:05 2006"))
		}
	}
	switch at(8) {
	case 2:
		sb.WriteString(", max compression")
	case 4:
		sb.WriteString(", max speed")
	}
	if os, ok := map[byte]string{0: "FAT filesystem (MS-DOS, OS/2, NT)", 1: "Amiga", 2: "VMS", 3: "Unix", 4: "VM/CMS",
		5: "Atari", 6: "HPFS filesystem (OS/2, NT)", 7: "MacOS", 8: "Z-System", 9: "CP/M", 10: "TOPS/20",
		11: "NTFS filesystem (NT)", 12: "QDOS", 13: "Acorn RISCOS"}[at(9)]; ok && len(h) > 9 {
		sb.WriteString(", from " + os)
	}
	tail, err := m.readAt(make([]byte, 4), m.size-4)
	if err != nil {
		return "", err
	}
	if len(tail) == 4 {
		sb.WriteString(fmt.Sprintf(", original size modulo 2^32 %d", binary.LittleEndian.Uint32(tail)))
	}
	return sb.String(), nil
}

// elf describes an ELF file as file(1) starts to: class, byte order,
// type (a shared object with DF_1_PIE, or executable by its mode when it
// has no dynamic section, is a pie executable), machine, version and OS
// ABI. For a machine whose description file(1) details further it stops
// after the machine's name.
func (m *magicFile) elf() (string, error) {
	h := m.head
	if len(h) < 24 {
		return "ELF", nil
	}
	var sb strings.Builder
	sb.WriteString("ELF")
	class := h[4]
	switch class {
	case 1:
		sb.WriteString(" 32-bit")
	case 2:
		sb.WriteString(" 64-bit")
	default:
		sb.WriteString(" invalid class")
	}
	var bo binary.ByteOrder
	switch h[5] {
	case 1:
		bo = binary.LittleEndian
		sb.WriteString(" LSB")
	case 2:
		bo = binary.BigEndian
		sb.WriteString(" MSB")
	default:
		sb.WriteString(" invalid byte order")
		return sb.String(), nil
	}
	typ := bo.Uint16(h[16:])
	switch typ {
	case 0:
		sb.WriteString(" no file type,")
	case 1:
		sb.WriteString(" relocatable,")
	case 2:
		sb.WriteString(" executable,")
	case 3:
		pie, err := m.elfPIE(bo, class)
		if err != nil {
			return "", err
		}
		if pie {
			sb.WriteString(" pie executable,")
		} else {
			sb.WriteString(" shared object,")
		}
	case 4:
		sb.WriteString(" core file,")
	default:
		return sb.String(), nil
	}
	mach, ok := map[uint16]string{3: "Intel 80386", 20: "PowerPC or cisco 4500", 21: "64-bit PowerPC or cisco 7500",
		22: "IBM S/390", 62: "x86-64", 183: "ARM aarch64"}[bo.Uint16(h[18:])]
	if !ok {
		return strings.TrimSuffix(sb.String(), ","), nil
	}
	sb.WriteString(" " + mach + ",")
	if bo.Uint16(h[18:]) == 21 && len(h) >= 52 {
		if abi, ok := map[uint32]string{0: "Unspecified or Power ELF V1 ABI", 1: "Power ELF V1 ABI", 2: "OpenPOWER ELF V2 ABI"}[bo.Uint32(h[48:])]; ok {
			sb.WriteString(" " + abi + ",")
		}
	}
	switch bo.Uint32(h[20:]) {
	case 0:
		sb.WriteString(" invalid version")
	case 1:
		sb.WriteString(" version 1")
	}
	if osabi, ok := map[byte]string{0: "SYSV", 1: "HP-UX", 2: "NetBSD", 3: "GNU/Linux", 4: "GNU/Hurd", 5: "86Open",
		6: "Solaris", 7: "Monterey", 8: "IRIX", 9: "FreeBSD", 10: "Tru64", 11: "Novell Modesto", 12: "OpenBSD",
		13: "OpenVMS", 14: "HP NonStop Kernel", 15: "AROS", 16: "FenixOS", 17: "Nuxi CloudABI", 97: "ARM",
		255: "embedded"}[h[7]]; ok {
		sb.WriteString(" (" + osabi + ")")
	}
	return sb.String(), nil
}

// elfPIE is file(1)'s choice between "pie executable" and "shared object":
// the DF_1_PIE flag of the dynamic section, or without one the file's
// execute permission.
func (m *magicFile) elfPIE(bo binary.ByteOrder, class byte) (bool, error) {
	const ptDynamic, dtFlags1, df1PIE = 2, 0x6ffffffb, 0x08000000
	h := m.head
	pie := m.mode&0o111 != 0
	var phoff uint64
	var phentsize, phnum int
	switch {
	case class == 2 && len(h) >= 64:
		phoff, phentsize, phnum = bo.Uint64(h[32:]), int(bo.Uint16(h[54:])), int(bo.Uint16(h[56:]))
	case class == 1 && len(h) >= 52:
		phoff, phentsize, phnum = uint64(bo.Uint32(h[28:])), int(bo.Uint16(h[42:])), int(bo.Uint16(h[44:]))
	default:
		return pie, nil
	}
	if phnum > 2048 || phentsize < 32 || phoff > uint64(m.size) {
		return pie, nil
	}
	phs, err := m.readAt(make([]byte, phnum*phentsize), int64(phoff))
	if err != nil {
		return false, err
	}
	for i := 0; i+phentsize <= len(phs); i += phentsize {
		ph := phs[i:]
		if bo.Uint32(ph) != ptDynamic {
			continue
		}
		var off, size uint64
		if class == 2 {
			off, size = bo.Uint64(ph[8:]), bo.Uint64(ph[32:])
		} else {
			off, size = uint64(bo.Uint32(ph[4:])), uint64(bo.Uint32(ph[16:]))
		}
		if off > uint64(m.size) {
			return pie, nil
		}
		dyn, err := m.readAt(make([]byte, min(size, 64<<10)), int64(off))
		if err != nil {
			return false, err
		}
		pie = false
		ent := 8
		if class == 2 {
			ent = 16
		}
		for j := 0; j+ent <= len(dyn); j += ent {
			var tag, val uint64
			if class == 2 {
				tag, val = bo.Uint64(dyn[j:]), bo.Uint64(dyn[j+8:])
			} else {
				tag, val = uint64(bo.Uint32(dyn[j:])), uint64(bo.Uint32(dyn[j+4:]))
			}
			if tag == 0 {
				break
			}
			if tag == dtFlags1 {
				pie = val&df1PIE != 0
			}
		}
		return pie, nil
	}
	return pie, nil
}

// isPerlScript is file(1)'s Perl test: a first line "#!.../bin/perl", with
// arguments or not, or "#!/usr/bin/env perl".
func isPerlScript(h []byte) bool {
	if bytes.HasPrefix(h, []byte("#!/usr/bin/env perl")) || bytes.HasPrefix(h, []byte("#! /usr/bin/env perl")) {
		return true
	}
	line := h
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	i := bytes.LastIndex(line, []byte("/bin/perl"))
	if i < 0 {
		return false
	}
	rest := line[i+len("/bin/perl"):]
	return len(rest) == 0 || rest[0] == ' ' || rest[0] == '\t' || rest[0] == '\r' || rest[0] == '\f' || rest[0] == '\v'
}
