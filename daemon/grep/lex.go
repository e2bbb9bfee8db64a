package grep

import "strings"

// reTok is a token of a POSIX regular expression, as GNU's dfa.c lexes
// them.
type reTok int

const (
	tEnd reTok = iota
	tSet
	tBegLine
	tEndLine
	tBegWord
	tEndWord
	tLimWord
	tNotLimWord
	tStar
	tPlus
	tQmark
	tRepmn
	tOr
	tLparen
	tRparen
)

// reDupMax is RE_DUP_MAX, the largest count of an interval.
const reDupMax = 0x7fff

// reLexer splits a pattern into tokens with GNU grep's context rules for
// basic (ere false) and extended expressions: dfa.c's, which decide how
// grep matches, and the errors that glibc's regcomp, which grep also runs
// on every pattern, adds.
type reLexer struct {
	s         string
	i         int
	ere, fold bool
	parens    int
	last      reTok // the previous token, for the context of ^
	laststart bool  // at the start of an expression: * is literal in a BRE
	prevAtom  bool  // after an atom or closure, where regcomp checks an interval
	// skipped is set when regcomp has just skipped an ERE operator at the
	// start of an expression: a ")" next is a character to it, and the
	// group it was to close unmatched.
	skipped bool
	// the value of the last token
	set      byteSet
	min, max int
}

// reError is a syntax error of a pattern.
type reError string

// Error returns the message.
func (e reError) Error() string { return string(e) }

// lex returns the next token.
func (l *reLexer) lex() (reTok, error) {
	start := l.ere && !l.prevAtom
	brace := l.i < len(l.s) && l.s[l.i] == '{'
	t, err := l.lex1()
	if err != nil {
		return t, err
	}
	if t == tRparen && l.skipped {
		return tEnd, reError(`unmatched ( or \(`)
	}
	l.last, l.skipped = t, false
	switch {
	case start && brace && t == tRepmn:
		// regcomp skips the "{" and reads the interval as characters.
		l.prevAtom = true
	case start && (brace || t == tStar || t == tPlus || t == tQmark):
		l.skipped = true
	case t == tSet || t == tRparen:
		l.prevAtom = true
	case t == tStar || t == tPlus || t == tQmark || t == tRepmn || t == tEnd:
	default:
		l.prevAtom = false
	}
	return t, nil
}

// lex1 is lex without the bookkeeping of the previous token.
func (l *reLexer) lex1() (reTok, error) {
	if l.i >= len(l.s) {
		return tEnd, nil
	}
	c := l.s[l.i]
	l.i++
	backslash := false
	if c == '\\' {
		if l.i >= len(l.s) {
			return tEnd, reError("trailing backslash")
		}
		backslash = true
		c = l.s[l.i]
		l.i++
	}
	normal := func() (reTok, error) {
		l.laststart = false
		l.set = byteSet{}
		l.set.addFold(c, l.fold)
		return tSet, nil
	}
	// bk reports whether an operator is written with a backslash in this
	// dialect and so is one here: ( ) { } | in a BRE, none in an ERE.
	bk := !l.ere
	switch c {
	case '^':
		if backslash {
			return normal()
		}
		if l.ere || l.last == tEnd || l.last == tLparen || l.last == tOr {
			return tBegLine, nil
		}
		return normal()
	case '$':
		if backslash {
			return normal()
		}
		if l.ere || l.i == len(l.s) || l.beforeBRE(')') || l.beforeBRE('|') {
			return tEndLine, nil
		}
		return normal()
	case '1', '2', '3', '4', '5', '6', '7', '8', '9':
		if backslash {
			return tEnd, reError("back-references are not supported")
		}
		return normal()
	case '`', '\'', '<', '>', 'b', 'B':
		if !backslash {
			return normal()
		}
		return map[byte]reTok{'`': tBegLine, '\'': tEndLine, '<': tBegWord, '>': tEndWord, 'b': tLimWord, 'B': tNotLimWord}[c], nil
	case '?', '+':
		if backslash != bk || (l.laststart && !l.ere) {
			return normal()
		}
		if c == '?' {
			return tQmark, nil
		}
		return tPlus, nil
	case '*':
		if backslash || (l.laststart && !l.ere) {
			return normal()
		}
		return tStar, nil
	case '{':
		if backslash != bk {
			return normal()
		}
		return l.interval(normal)
	case '|':
		if backslash != bk {
			return normal()
		}
		l.laststart = true
		return tOr, nil
	case '(':
		if backslash != bk {
			return normal()
		}
		l.parens++
		l.laststart = true
		return tLparen, nil
	case ')':
		if backslash != bk || (l.parens == 0 && l.ere) {
			return normal()
		}
		l.parens--
		l.laststart = false
		return tRparen, nil
	case '.':
		if backslash {
			return normal()
		}
		l.laststart = false
		l.set = byteSet{}
		l.set.invert()
		return tSet, nil
	case 's', 'S', 'w', 'W':
		if !backslash {
			return normal()
		}
		l.laststart = false
		if c == 's' || c == 'S' {
			l.set = posixClasses["space"]
		} else {
			l.set = posixClasses["alnum"]
			l.set.add('_')
		}
		if c == 'S' || c == 'W' {
			l.set.invert()
		}
		return tSet, nil
	case '[':
		if backslash {
			return normal()
		}
		l.laststart = false
		return tSet, l.bracket()
	}
	return normal()
}

// beforeBRE reports whether the BRE operator op (written \op) or the
// character op follows, with a character after it: what dfa.c checks
// before making $ an anchor.
func (l *reLexer) beforeBRE(op byte) bool {
	if l.ere || len(l.s)-l.i < 2 {
		return false
	}
	k := l.i
	if l.s[k] == '\\' {
		k++
	}
	return l.s[k] == op
}

// interval lexes an interval after its "{" (or "\{"): a repetition, or
// where dfa.c takes the "{" literally, that.
func (l *reLexer) interval(normal func() (reTok, error)) (reTok, error) {
	if l.ere && l.prevAtom {
		if err := regcompInterval(l.s[l.i:]); err != nil {
			return tEnd, err
		}
	}
	p := l.i
	minRep, maxRep := -1, -1
	for ; p < len(l.s) && isDigit(l.s[p]); p++ {
		minRep = min(reDupMax+1, max(minRep, 0)*10+int(l.s[p]-'0'))
	}
	if p < len(l.s) {
		if l.s[p] != ',' {
			maxRep = minRep
		} else {
			if minRep < 0 {
				minRep = 0
			}
			for p++; p < len(l.s) && isDigit(l.s[p]); p++ {
				maxRep = min(reDupMax+1, max(maxRep, 0)*10+int(l.s[p]-'0'))
			}
		}
	}
	valid := true
	if !l.ere {
		if p < len(l.s) && l.s[p] == '\\' {
			p++
		} else {
			valid = false
		}
	}
	if valid && p < len(l.s) && l.s[p] == '}' {
		p++
	} else {
		valid = false
	}
	valid = valid && minRep >= 0 && (maxRep < 0 || minRep <= maxRep)
	if !valid && l.ere {
		return normal()
	}
	if l.laststart && !l.ere {
		return normal()
	}
	if !valid {
		return tEnd, reError(`invalid content of \{\}`)
	}
	if maxRep > reDupMax || (!l.ere && maxRep < 0 && minRep > reDupMax) {
		return tEnd, reError("regular expression too big")
	}
	l.i = p
	l.laststart = false
	l.min, l.max = minRep, maxRep
	return tRepmn, nil
}

// isDigit reports whether b is an ASCII digit.
func isDigit(b byte) bool { return '0' <= b && b <= '9' }

// regcompInterval reports the errors glibc's regcomp gives for an ERE
// interval whose text (after the "{") it reads as one: an empty one, one
// with more than two numbers, counts out of order or too large. Where
// regcomp takes the "{" literally it is nil.
func regcompInterval(s string) error {
	const missing, bad = -1, -2
	i := 0
	// fetch reads a number up to "," or "}", returning what ended it
	// (0 at the end of the pattern, where regcomp gives up: bad).
	fetch := func() (int, byte) {
		num := missing
		for {
			if i >= len(s) {
				return bad, 0
			}
			c := s[i]
			i++
			if c == '}' || c == ',' {
				return num, c
			}
			if c == '\\' && i < len(s) {
				i++
				num = bad
				continue
			}
			switch {
			case !isDigit(c) || num == bad:
				num = bad
			case num == missing:
				num = int(c - '0')
			default:
				num = min(reDupMax+1, num*10+int(c-'0'))
			}
		}
	}
	start, term := fetch()
	if start == missing {
		if term != ',' {
			return reError(`invalid content of \{\}`)
		}
		start = 0
	}
	end := bad
	if start != bad {
		switch term {
		case '}':
			end = start
		case ',':
			end, term = fetch()
		}
	}
	if start == bad || end == bad {
		return nil
	}
	if (end != missing && start > end) || term != '}' {
		return reError(`invalid content of \{\}`)
	}
	if top := end; top == missing && start > reDupMax || top > reDupMax {
		return reError("regular expression too big")
	}
	return nil
}

// bracket lexes a bracket expression after its "[" into l.set, as dfa.c
// does in the C locale, with regcomp's errors: a range whose ends are
// out of order (compared in upper case under -i, as regcomp reads the
// pattern then), a "-" after a range or class that does not end the
// expression, an unknown class, a collating element longer than a
// character.
func (l *reLexer) bracket() error {
	unbalanced := reError("unbalanced [")
	badRange := reError("invalid range end")
	next := func() (byte, error) {
		if l.i >= len(l.s) {
			return 0, unbalanced
		}
		l.i++
		return l.s[l.i-1], nil
	}
	// element reads the name of a [:class:], [=c=] or [.c.] after its
	// "[" and kind.
	element := func(kind byte) (string, error) {
		start := l.i
		for {
			if l.i+1 >= len(l.s) {
				return "", unbalanced
			}
			if l.s[l.i] == kind && l.s[l.i+1] == ']' {
				name := l.s[start:l.i]
				l.i += 2
				return name, nil
			}
			l.i++
		}
	}
	opensElement := func() bool { return l.i < len(l.s) && strings.IndexByte(":.=", l.s[l.i]) >= 0 }
	upper := func(b byte) byte {
		if l.fold && 'a' <= b && b <= 'z' {
			return b - 'a' + 'A'
		}
		return b
	}
	var set byteSet
	c, err := next()
	if err != nil {
		return err
	}
	invert := c == '^'
	if invert {
		if c, err = next(); err != nil {
			return err
		}
	}
	colon := 0 // dfa.c's check for [:space:] written without its brackets
	if c == ':' {
		colon = 1
	}
	for first := true; first || c != ']'; first = false {
		colon &^= 2
		if c == '-' && !first && l.i < len(l.s) && l.s[l.i] != ']' {
			return badRange
		}
		if c == '[' && opensElement() {
			kind := l.s[l.i]
			l.i++
			name, err := element(kind)
			if err != nil {
				return err
			}
			colon |= 8
			switch {
			case kind == ':':
				class := name
				if l.fold && (class == "upper" || class == "lower") {
					class = "alpha"
				}
				s, ok := posixClasses[class]
				if !ok {
					return reError("invalid character class")
				}
				set.addSet(s)
			case len(name) != 1:
				return reError("invalid collation character")
			case kind == '=':
				set.addFold(name[0], l.fold)
			default:
				c = name[0] // a collating element: a character
			}
			if kind != '.' {
				// A class cannot start a range.
				if c, err = next(); err != nil {
					return err
				}
				if c == '-' && l.i < len(l.s) && l.s[l.i] != ']' {
					return badRange
				}
				continue
			}
		}
		c1, err := next()
		if err != nil {
			return err
		}
		if c1 == '-' {
			c2, err := next()
			if err != nil {
				return err
			}
			if c2 == ']' {
				l.i-- // [x-]: the - is a character, ] ends the expression
			} else {
				if c2 == '[' && opensElement() {
					kind := l.s[l.i]
					l.i++
					name, err := element(kind)
					if err != nil {
						return err
					}
					if kind != '.' || len(name) != 1 {
						return badRange
					}
					c2 = name[0]
				}
				colon |= 8
				if upper(c) > upper(c2) {
					return badRange
				}
				for ci := int(c); ci <= int(c2); ci++ {
					set.addFold(byte(ci), l.fold)
				}
				if c, err = next(); err != nil {
					return err
				}
				continue
			}
		}
		if c == ':' {
			colon |= 2
		} else {
			colon |= 4
		}
		set.addFold(c, l.fold)
		c = c1
	}
	if colon == 7 {
		return reError("character class syntax is [[:space:]], not [:space:]")
	}
	if invert {
		set.invert()
	}
	l.set = set
	return nil
}
