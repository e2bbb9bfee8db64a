package magic

import (
	"bytes"
	"fmt"
	"strings"
)

// textChar classifies the bytes as file(1) does: in plain ASCII text
// (1), in ISO-8859 text (2), in non-ISO extended ASCII (3), or never in
// text (0).
func textChar(b byte) int {
	switch {
	case b >= 7 && b <= 13, b == 0x1b, b >= 0x20 && b <= 0x7e, b == 0x85:
		return 1
	case b >= 0xa0:
		return 2
	case b >= 0x80 && b <= 0x9f:
		return 3
	}
	return 0
}

// looksUTF8 is file(1)'s UTF-8 test: -1 for invalid UTF-8, 0 for odd
// control characters, 1 for 7-bit text, 2 for UTF-8 text; it returns the
// code points (a sequence cut by the end of the buffer is dropped).
func looksUTF8(b []byte) (int, []rune) {
	var out []rune
	gotone, ctrl := false, false
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c&0x80 == 0 {
			if textChar(c) != 1 {
				ctrl = true
			}
			out = append(out, rune(c))
			continue
		}
		if c&0x40 == 0 || c < 0xc2 || c > 0xf4 {
			return -1, nil
		}
		lo, hi := byte(0x80), byte(0xbf)
		switch c {
		case 0xe0:
			lo = 0xa0
		case 0xed:
			hi = 0x9f
		case 0xf0:
			lo = 0x90
		case 0xf4:
			hi = 0x8f
		}
		var r rune
		following := 0
		switch {
		case c&0x20 == 0:
			r, following = rune(c&0x1f), 1
		case c&0x10 == 0:
			r, following = rune(c&0x0f), 2
		default:
			r, following = rune(c&0x07), 3
		}
		for k := 0; k < following; k++ {
			i++
			if i >= len(b) {
				return utf8Result(ctrl, gotone), out
			}
			if (k == 0 && (b[i] < lo || b[i] > hi)) || b[i]&0xc0 != 0x80 {
				return -1, nil
			}
			r = r<<6 | rune(b[i]&0x3f)
		}
		out = append(out, r)
		gotone = true
	}
	return utf8Result(ctrl, gotone), out
}

// utf8Result is looksUTF8's verdict on valid UTF-8: 0 with control
// characters, 2 with a multibyte character, else 1.
func utf8Result(ctrl, gotone bool) int {
	switch {
	case ctrl:
		return 0
	case gotone:
		return 2
	}
	return 1
}

// encoding is file(1)'s text encoding of b and its characters, or "" when
// b is not text.
func encoding(b []byte) (string, []rune) {
	bytesAs := func(class int) []rune {
		out := make([]rune, len(b))
		for i, c := range b {
			if t := textChar(c); t == 0 || t > class {
				return nil
			}
			out[i] = rune(c)
		}
		return out
	}
	if r := bytesAs(1); r != nil {
		if len(b) > 4 && b[0] == '+' && b[1] == '/' && b[2] == 'v' && strings.IndexByte("89+/", b[3]) >= 0 {
			return "Unicode text, UTF-7", []rune{}
		}
		return "ASCII", r
	}
	if len(b) > 3 && b[0] == 0xef && b[1] == 0xbb && b[2] == 0xbf {
		if k, r := looksUTF8(b[3:]); k > 0 {
			return "Unicode text, UTF-8 (with BOM)", r
		}
	}
	if k, r := looksUTF8(b); k > 1 {
		return "Unicode text, UTF-8", r
	}
	if r := bytesAs(2); r != nil {
		return "ISO-8859", r
	}
	if r := bytesAs(3); r != nil {
		return "Non-ISO extended-ASCII", r
	}
	return "", nil
}

// trimmedLen is file(1)'s length of its buffer without trailing NULs
// (leaving at least one byte), reading back from flen as far as needed.
func (m *magicFile) trimmedLen() (int64, error) {
	end := m.flen
	buf := make([]byte, readChunk)
	for end > 1 {
		if m.cancelled != nil {
			if err := m.cancelled(); err != nil {
				return 0, err
			}
		}
		k := min(int64(len(buf)), end)
		chunk := buf[:k]
		if end <= int64(len(m.head)) {
			chunk = m.head[end-k : end]
		} else if _, err := m.readAt(chunk, end-k); err != nil {
			return 0, err
		}
		for i := k - 1; i >= 0; i-- {
			if chunk[i] != 0 {
				return end - k + i + 1, nil
			}
			if end-k+i == 1 {
				return 1, nil
			}
		}
		end -= k
	}
	return end, nil
}

// scriptNames are file(1)'s interpreter tests for text files: the path
// after "#!" (and optional blanks), a full word unless prefix, and the
// description; binary marks those with a "(binary data)" variant.
var scriptNames = []struct {
	path, name     string
	prefix, binary bool
}{
	{"/bin/sh", "POSIX shell script", false, true},
	{"/bin/bash", "Bourne-Again shell script", false, true},
	{"/usr/bin/bash", "Bourne-Again shell script", false, true},
	{"/usr/local/bash", "Bourne-Again shell script", false, true},
	{"/usr/local/bin/bash", "Bourne-Again shell script", false, true},
	{"/usr/bin/env bash", "Bourne-Again shell script", false, false},
	{"/bin/csh", "C shell script", false, false},
	{"/bin/ksh", "Korn shell script", false, true},
	{"/bin/tcsh", "Tenex C shell script", false, false},
	{"/usr/bin/tcsh", "Tenex C shell script", false, false},
	{"/bin/zsh", "Paul Falstad's zsh script", false, false},
	{"/usr/bin/zsh", "Paul Falstad's zsh script", false, false},
	{"/usr/bin/env zsh", "Paul Falstad's zsh script", false, false},
	{"/bin/awk", "awk script", false, false},
	{"/usr/bin/awk", "awk script", false, false},
	{"/bin/gawk", "GNU awk script", false, false},
	{"/usr/bin/gawk", "GNU awk script", false, false},
	{"/usr/bin/python", "Python script", true, false},
	{"/usr/local/bin/python", "Python script", true, false},
	{"/usr/bin/env python", "Python script", true, false},
	{"/usr/bin/ruby", "Ruby script", true, false},
	{"/usr/local/bin/ruby", "Ruby script", true, false},
	{"/usr/bin/env ruby", "Ruby script", true, false},
}

// script describes a file starting with "#!" by its interpreter, as
// file(1)'s tests of text (text) or binary files do: "POSIX shell script",
// "a /usr/bin/foo script"...; "" when it does not start with "#!".
func script(h []byte, text bool) string {
	if !bytes.HasPrefix(h, []byte("#!")) {
		return ""
	}
	line := h[2:]
	if i := bytes.IndexAny(line, "\r\n"); i >= 0 {
		line = line[:i]
	}
	rest := strings.TrimLeft(string(line), " \t")
	suffix := " executable (binary data)"
	if text {
		suffix = " text executable"
	}
	for _, s := range scriptNames {
		if !strings.HasPrefix(rest, s.path) {
			continue
		}
		if after := rest[len(s.path):]; !s.prefix && after != "" && strings.IndexByte(" \t\f\v", after[0]) < 0 {
			continue
		}
		if text || s.binary {
			return s.name + suffix
		}
	}
	interp := strings.TrimSpace(rest)
	if strings.HasPrefix(rest, "/usr/bin/env") && len(rest) > len("/usr/bin/env") && rest[len("/usr/bin/env")] == ' ' {
		interp = strings.TrimSpace(rest[len("/usr/bin/env"):])
	}
	if len(interp) > 127 {
		interp = interp[:127]
	}
	return "a " + interp + " script" + suffix
}

// text describes a file as file(1)'s text tests do, or "" when it is not
// text (then a "#!" file is a script's binary data).
func (m *magicFile) text() (string, error) {
	tl, err := m.trimmedLen()
	if err != nil {
		return "", err
	}
	win := tl
	if win&1 == 1 && m.flen&1 == 0 {
		win++ // file(1) keeps an even length for UTF-16
	}
	code, chars := encoding(m.head[:min(win, int64(len(m.head)))])
	if code == "" || tl <= 1 {
		return script(m.head, false), nil
	}
	var sb strings.Builder
	executable := false
	if d := script(m.head, true); d != "" {
		sb.WriteString(strings.TrimSuffix(d, " text executable") + ", ")
		executable = true
	} else if x := xmlVersion(m.head); x != "" {
		sb.WriteString("XML " + x + " document, ")
	}
	sb.WriteString(code + " text")
	if executable {
		sb.WriteString(" executable")
	}
	var crlf, lf, cr, nel, longest int
	escapes, backspace, seenCR := false, false, false
	lastEnd := -1
	for i, c := range chars {
		if c == '\n' {
			if seenCR {
				crlf++
			} else {
				lf++
			}
			lastEnd = i
		} else if seenCR {
			cr++
		}
		seenCR = c == '\r'
		if seenCR {
			lastEnd = i
		}
		if c == 0x85 {
			nel++
			lastEnd = i
		}
		if i > lastEnd+magicMaxLineLen {
			longest = max(longest, i-lastEnd)
		}
		escapes = escapes || c == 0x1b
		backspace = backspace || c == '\b'
	}
	if seenCR && tl < magicBytesMax {
		cr++
	}
	if longest > 0 {
		sb.WriteString(fmt.Sprintf(", with very long lines (%d)", longest))
	}
	if crlf+cr+nel+lf == 0 {
		sb.WriteString(", with no line terminators")
	} else if crlf+cr+nel > 0 {
		var ends []string
		for _, e := range []struct {
			n    int
			name string
		}{{crlf, "CRLF"}, {cr, "CR"}, {lf, "LF"}, {nel, "NEL"}} {
			if e.n > 0 {
				ends = append(ends, e.name)
			}
		}
		sb.WriteString(", with " + strings.Join(ends, ", ") + " line terminators")
	}
	if escapes {
		sb.WriteString(", with escape sequences")
	}
	if backspace {
		sb.WriteString(", with overstriking")
	}
	return sb.String(), nil
}

// xmlVersion is the version of an XML declaration starting the file (as
// file(1)'s "XML 1.0 document" test reads it), or "".
func xmlVersion(h []byte) string {
	for _, q := range []string{`<?xml version="`, `<?xml version "`} {
		if bytes.HasPrefix(h, []byte(q)) {
			v := h[len(q):min(len(h), len(q)+3)]
			if i := bytes.IndexByte(v, 0); i >= 0 {
				v = v[:i]
			}
			return string(v)
		}
	}
	return ""
}
