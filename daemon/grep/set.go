package grep

import (
	"strconv"
	"strings"
)

// byteSet is a set of bytes: a character class of the C locale.
type byteSet [4]uint64

// add adds b.
func (s *byteSet) add(b byte) { s[b>>6] |= 1 << (b & 63) }

// has reports whether b is in the set.
func (s *byteSet) has(b byte) bool { return s[b>>6]&(1<<(b&63)) != 0 }

// invert makes the set its complement.
func (s *byteSet) invert() { s[0], s[1], s[2], s[3] = ^s[0], ^s[1], ^s[2], ^s[3] }

// addSet adds the bytes of o.
func (s *byteSet) addSet(o byteSet) {
	s[0], s[1], s[2], s[3] = s[0]|o[0], s[1]|o[1], s[2]|o[2], s[3]|o[3]
}

// addFold adds b and, for a letter, its other case (grep -i in the C
// locale folds ASCII letters only).
func (s *byteSet) addFold(b byte, fold bool) {
	s.add(b)
	if fold {
		switch {
		case 'a' <= b && b <= 'z':
			s.add(b - 'a' + 'A')
		case 'A' <= b && b <= 'Z':
			s.add(b - 'A' + 'a')
		}
	}
}

// goRune is byte b as a Go regexp escape of the rune it is matched as.
func goRune(b int) string { return `\x{` + strconv.FormatInt(int64(b), 16) + `}` }

// goClass returns the set as a Go regexp over runes 0-255.
func (s *byteSet) goClass() string {
	var sb strings.Builder
	sb.WriteByte('[')
	count := 0
	for c := 0; c < 256; {
		if !s.has(byte(c)) {
			c++
			continue
		}
		hi := c
		for hi < 255 && s.has(byte(hi+1)) {
			hi++
		}
		sb.WriteString(goRune(c))
		if hi > c {
			sb.WriteByte('-')
			sb.WriteString(goRune(hi))
		}
		count++
		c = hi + 1
	}
	if count == 0 {
		return `[^\x{0}-\x{10ffff}]`
	}
	sb.WriteByte(']')
	return sb.String()
}

// posixClasses are the character classes of the C locale.
var posixClasses = func() map[string]byteSet {
	m := map[string]byteSet{}
	for c := 0; c < 256; c++ {
		b := byte(c)
		upper, lower, digit := 'A' <= b && b <= 'Z', 'a' <= b && b <= 'z', '0' <= b && b <= '9'
		is := map[string]bool{
			"upper":  upper,
			"lower":  lower,
			"alpha":  upper || lower,
			"digit":  digit,
			"alnum":  upper || lower || digit,
			"xdigit": digit || ('a' <= b && b <= 'f') || ('A' <= b && b <= 'F'),
			"space":  b == ' ' || ('\t' <= b && b <= '\r'),
			"blank":  b == ' ' || b == '\t',
			"print":  0x20 <= b && b <= 0x7e,
			"graph":  0x21 <= b && b <= 0x7e,
			"punct":  0x21 <= b && b <= 0x7e && !(upper || lower || digit),
			"cntrl":  b < 0x20 || b == 0x7f,
		}
		for name, ok := range is {
			s := m[name]
			if ok {
				s.add(b)
			}
			m[name] = s
		}
	}
	return m
}()

// Class is a character class of the C locale ([:alpha:], [:digit:]...):
// a set of bytes.
type Class struct{ set byteSet }

// Has reports whether b is in c.
func (c Class) Has(b byte) bool { return c.set.has(b) }

// Classes returns the character classes of the C locale by the names a
// bracket expression's [:name:] gives them ("alpha", "digit"...). The
// map is a new one: the caller may keep or change it.
func Classes() map[string]Class {
	m := make(map[string]Class, len(posixClasses))
	for name, s := range posixClasses {
		m[name] = Class{s}
	}
	return m
}
