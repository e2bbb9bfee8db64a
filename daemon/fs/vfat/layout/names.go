package layout

import (
	"fmt"
	"hash/fnv"
	"strings"
	"syscall"
	"unicode/utf16"
	"unicode/utf8"
)

// MaxNameUnits is the longest long name, in UTF-16 units.
const MaxNameUnits = 255

// badChar reports the characters no FAT name may hold (Linux's
// vfat_bad_char).
func badChar(r rune) bool {
	return r < 0x20 || strings.ContainsRune(`*?<>|":/\`, r)
}

// replaceChar reports the characters a long name may hold but a short
// name may not (they become '_').
func replaceChar(r rune) bool { return strings.ContainsRune("+,;=[]", r) }

// skipChar reports the characters dropped from a short name.
func skipChar(r rune) bool { return r == '.' || r == ' ' }

// StripName drops a name's trailing dots, as Linux's vfat does on lookup
// and on create ("file." is "file").
func StripName(name string) string { return strings.TrimRight(name, ".") }

// CheckName validates a new entry's name after StripName, returning the
// name to store: EINVAL for characters FAT cannot hold, a trailing space
// or an empty name, ENAMETOOLONG past 255 UTF-16 units.
func CheckName(name string) (string, error) {
	s := StripName(name)
	if s == "" {
		return "", syscall.EINVAL
	}
	if !utf8.ValidString(s) {
		return "", syscall.EINVAL
	}
	for _, r := range s {
		if badChar(r) {
			return "", syscall.EINVAL
		}
	}
	if strings.HasSuffix(s, " ") {
		return "", syscall.EINVAL
	}
	if len(utf16.Encode([]rune(s))) > MaxNameUnits {
		return "", syscall.ENAMETOOLONG
	}
	return s, nil
}

type caseInfo struct{ lower, upper, valid bool }

// toShortChar converts one rune of a long name for a short name: 0 bytes
// for a skipped character.
func toShortChar(r rune, info *caseInfo) (byte, bool) {
	if skipChar(r) {
		info.valid = false
		return 0, false
	}
	if replaceChar(r) || r >= 0x7F {
		info.valid = false
		info.lower, info.upper = false, false
		return '_', true
	}
	c := byte(r)
	if c >= 'a' && c <= 'z' {
		info.upper = false
		return c - 'a' + 'A', true
	}
	if c >= 'A' && c <= 'Z' {
		info.lower = false
	}
	return c, true
}

// ShortName makes the short (8.3) name for the long name (already checked
// by CheckName), as Linux's vfat_create_shortname does with
// shortname=winnt: a name that fits 8.3 in one case per part is stored
// as a short name alone with the NT case flags (needLFN false); any other
// gets an upper-case alias, with a "~N" tail when it did not fit, that
// taken does not report as used.
func ShortName(name string, taken func([11]byte) bool) (sn [11]byte, nt uint8, needLFN bool, err error) {
	u := []rune(name)
	end := len(u)
	extStart := -1
	for i := end - 1; i >= 0; i-- {
		if u[i] == '.' {
			extStart = i
			break
		}
	}
	sz := end
	if extStart >= 0 {
		ns := 0
		for ns < extStart && skipChar(u[ns]) {
			ns++
		}
		if ns != extStart {
			sz = extStart
			extStart++
		} else {
			extStart = -1
		}
	}
	for i := range sn {
		sn[i] = ' '
	}
	isShort := true
	bi := caseInfo{true, true, true}
	base := make([]byte, 0, 8)
	i := 0
	for ; i < sz; i++ {
		c, ok := toShortChar(u[i], &bi)
		if !ok {
			continue
		}
		if len(base) >= 8 {
			isShort = false
			break
		}
		base = append(base, c)
	}
	if len(base) == 0 {
		return sn, 0, false, syscall.EINVAL
	}
	ei := caseInfo{true, true, true}
	ext := make([]byte, 0, 3)
	if extStart >= 0 {
		for j := extStart; j < end; j++ {
			c, ok := toShortChar(u[j], &ei)
			if !ok {
				continue
			}
			if len(ext) >= 3 {
				isShort = false
				break
			}
			ext = append(ext, c)
		}
	}
	copy(sn[:], base)
	copy(sn[8:], ext)
	if isShort && bi.valid && ei.valid {
		if (bi.upper || bi.lower) && (ei.upper || ei.lower) {
			if !bi.upper && bi.lower {
				nt |= CaseLowerBase
			}
			if !ei.upper && ei.lower {
				nt |= CaseLowerExt
			}
			return sn, nt, false, nil
		}
		if !taken(sn) {
			return sn, 0, true, nil
		}
	}
	baselen := len(base)
	if baselen > 6 {
		baselen = 6
		sn[7] = ' '
	}
	sn[baselen] = '~'
	for n := 1; n < 10; n++ {
		sn[baselen+1] = byte('0' + n)
		if !taken(sn) {
			return sn, 0, true, nil
		}
	}
	// As Linux after ~9: two characters, four hex digits, "~N"; the
	// digits come from a hash of the name rather than the clock.
	h := fnv.New32a()
	h.Write([]byte(name))
	v := h.Sum32()
	tail := byte('1' + (v>>16)&7)
	if baselen > 2 {
		baselen = 2
		for k := 2; k < 8; k++ {
			sn[k] = ' '
		}
	}
	sn[baselen+4] = '~'
	sn[baselen+5] = tail
	for try := 0; try < 0x10000; try++ {
		copy(sn[baselen:], fmt.Sprintf("%04X", v&0xFFFF))
		if !taken(sn) {
			return sn, 0, true, nil
		}
		v -= 11
	}
	return sn, 0, false, syscall.ENOSPC
}

// EncodeName returns the UTF-16 units of a long name.
func EncodeName(name string) []uint16 { return utf16.Encode([]rune(name)) }
