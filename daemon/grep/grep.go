// Package grep matches lines as GNU grep does in the C locale: basic and
// extended POSIX regular expressions with GNU's extensions and context
// rules (dfa.c's, with the syntax errors glibc's regcomp adds), or fixed
// strings, optionally ignoring case. Patterns run as Go regexps over
// runes 0-255, one per byte, or where Go cannot express them (\< and \>)
// on a small NFA. Back-references are refused.
package grep

import (
	"io"
	"regexp"
	"strings"
	"syscall"

	"goguestfs/daemon/errno"
)

// Options are grep's flags for a pattern.
type Options struct {
	Extended    bool // -E: extended expressions (else basic)
	Fixed       bool // -F: fixed strings; not with Extended
	Insensitive bool // -i: ASCII letters match either case
}

// Valid refuses (EINVAL) options grep cannot take together: Extended
// and Fixed. Compile checks it; callers may check it earlier.
func (o Options) Valid() error {
	if o.Extended && o.Fixed {
		return errno.New(syscall.EINVAL, "the extended and fixed flags cannot be used together")
	}
	return nil
}

// Matcher matches lines against a compiled pattern. It keeps scratch
// state between matches: it is not safe for concurrent use.
type Matcher struct {
	re  *regexp.Regexp
	nfa *wordNFA
}

// byteRunes reads a line as runes 0-255, one per byte.
type byteRunes struct {
	b []byte
	i int
}

// ReadRune returns the next byte as a rune.
func (r *byteRunes) ReadRune() (rune, int, error) {
	if r.i >= len(r.b) {
		return 0, 0, io.EOF
	}
	r.i++
	return rune(r.b[r.i-1]), 1, nil
}

// Match reports whether line (without its "\n") matches, as grep would
// print it. Any bytes may occur in line, NULs included; deciding that a
// file is binary is the caller's business.
func (m *Matcher) Match(line []byte) bool {
	if m.nfa != nil {
		return m.nfa.match(line)
	}
	for _, b := range line {
		if b >= 0x80 {
			return m.re.MatchReader(&byteRunes{b: line})
		}
	}
	return m.re.Match(line)
}

// Compile compiles grep's pattern: lines ("\n"-separated), any of which
// may match; each a basic or extended POSIX regular expression as GNU
// grep reads them, or a fixed string. A pattern grep refuses (exit 2), one
// with a back-reference and invalid options are EINVAL errors.
func Compile(pattern string, o Options) (*Matcher, error) {
	if err := o.Valid(); err != nil {
		return nil, err
	}
	all := &reNode{kind: rAlt}
	for _, pat := range strings.Split(pattern, "\n") {
		n := &reNode{kind: rConcat}
		if o.Fixed {
			for i := 0; i < len(pat); i++ {
				c := &reNode{kind: rSet}
				c.set.addFold(pat[i], o.Insensitive)
				n.subs = append(n.subs, c)
			}
		} else {
			p := &reParser{lexer: reLexer{s: pat, ere: o.Extended, fold: o.Insensitive, laststart: true}}
			var err error
			if n, err = p.parse(); err != nil {
				return nil, errno.New(syscall.EINVAL, "%s: %v", errno.Cut(pat), err)
			}
		}
		all.subs = append(all.subs, n)
	}
	if all.hasWordEdge() {
		m, err := compileNFA(all)
		if err != nil {
			return nil, errno.New(syscall.EINVAL, "%s: %v", errno.Cut(pattern), err)
		}
		return &Matcher{nfa: m}, nil
	}
	src, _ := all.goSyntax()
	re, err := regexp.Compile(src)
	if err != nil {
		return nil, errno.New(syscall.EINVAL, "%s: %v", errno.Cut(pattern), err)
	}
	return &Matcher{re: re}, nil
}
