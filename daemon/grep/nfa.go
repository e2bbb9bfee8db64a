package grep

// maxNFA bounds the instructions of a pattern's NFA (counted repetitions
// are copies, as dfa.c makes them).
const maxNFA = 1 << 20

// nfaInst is an instruction of a wordNFA: match a byte of set and go to
// out; try out and out1; check an anchor and go to out; or accept.
type nfaInst struct {
	op        byte // 's'et, 'f'ork, 'a'nchor, 'm'atch
	set       byteSet
	anchor    reTok
	out, out1 int
}

// wordNFA is a Thompson NFA of a pattern, searched for anywhere in a line.
type wordNFA struct {
	prog      []nfaInst
	start     int
	cur, next nfaList
	stack     []int
}

// nfaList is a set of instructions, in the order they were added.
type nfaList struct {
	dense  []int
	sparse []int
}

// has reports whether pc is in the list.
func (l *nfaList) has(pc int) bool {
	i := l.sparse[pc]
	return i < len(l.dense) && l.dense[i] == pc
}

// add adds pc.
func (l *nfaList) add(pc int) {
	l.sparse[pc] = len(l.dense)
	l.dense = append(l.dense, pc)
}

// compileNFA compiles n into a wordNFA.
func compileNFA(n *reNode) (*wordNFA, error) {
	m := &wordNFA{}
	m.prog = append(m.prog, nfaInst{op: 'm'})
	start, err := m.compile(n, 0)
	if err != nil {
		return nil, err
	}
	m.start = start
	for _, l := range []*nfaList{&m.cur, &m.next} {
		l.sparse = make([]int, len(m.prog))
	}
	return m, nil
}

// emit adds an instruction and returns its index.
func (m *wordNFA) emit(in nfaInst) (int, error) {
	if len(m.prog) >= maxNFA {
		return 0, reError("regular expression too big")
	}
	m.prog = append(m.prog, in)
	return len(m.prog) - 1, nil
}

// compile compiles n to go on to next, returning where it starts.
func (m *wordNFA) compile(n *reNode, next int) (int, error) {
	switch n.kind {
	case rSet:
		return m.emit(nfaInst{op: 's', set: n.set, out: next})
	case rAssert:
		return m.emit(nfaInst{op: 'a', anchor: n.anchor, out: next})
	case rConcat:
		var err error
		for i := len(n.subs) - 1; i >= 0 && err == nil; i-- {
			next, err = m.compile(n.subs[i], next)
		}
		return next, err
	case rAlt:
		pc, err := m.compile(n.subs[len(n.subs)-1], next)
		for i := len(n.subs) - 2; i >= 0 && err == nil; i-- {
			var alt int
			if alt, err = m.compile(n.subs[i], next); err == nil {
				pc, err = m.emit(nfaInst{op: 'f', out: alt, out1: pc})
			}
		}
		return pc, err
	case rRepeat:
		sub := n.subs[0]
		cur := next
		if n.max < 0 {
			loop, err := m.emit(nfaInst{op: 'f', out1: next})
			if err != nil {
				return 0, err
			}
			body, err := m.compile(sub, loop)
			if err != nil {
				return 0, err
			}
			m.prog[loop].out = body
			cur = loop
		}
		for k := 0; k < n.max-n.min; k++ {
			body, err := m.compile(sub, cur)
			if err != nil {
				return 0, err
			}
			if cur, err = m.emit(nfaInst{op: 'f', out: body, out1: next}); err != nil {
				return 0, err
			}
		}
		for k := 0; k < n.min; k++ {
			var err error
			if cur, err = m.compile(sub, cur); err != nil {
				return 0, err
			}
		}
		return cur, nil
	}
	return next, nil
}

// isWordByte reports whether b is a word character of the C locale.
func isWordByte(b byte) bool {
	return b == '_' || ('0' <= b && b <= '9') || ('a' <= b && b <= 'z') || ('A' <= b && b <= 'Z')
}

// holds reports whether the anchor a holds at pos of line, as dfa.c's
// contexts decide: the line's ends count as non-word characters.
func holds(a reTok, line []byte, pos int) bool {
	prev := pos > 0 && isWordByte(line[pos-1])
	next := pos < len(line) && isWordByte(line[pos])
	switch a {
	case tBegLine:
		return pos == 0
	case tEndLine:
		return pos == len(line)
	case tBegWord:
		return !prev && next
	case tEndWord:
		return prev && !next
	case tLimWord:
		return prev != next
	}
	return prev == next
}

// addAt adds pc and what it leads to without reading a byte, at pos of
// line, to l; it reports whether that reaches the match.
func (m *wordNFA) addAt(l *nfaList, pc int, line []byte, pos int) bool {
	matched := false
	m.stack = append(m.stack[:0], pc)
	for len(m.stack) > 0 {
		pc := m.stack[len(m.stack)-1]
		m.stack = m.stack[:len(m.stack)-1]
		if l.has(pc) {
			continue
		}
		l.add(pc)
		switch in := &m.prog[pc]; in.op {
		case 'm':
			matched = true
		case 'f':
			m.stack = append(m.stack, in.out1, in.out)
		case 'a':
			if holds(in.anchor, line, pos) {
				m.stack = append(m.stack, in.out)
			}
		}
	}
	return matched
}

// match reports whether the pattern matches somewhere in line.
func (m *wordNFA) match(line []byte) bool {
	m.cur.dense = m.cur.dense[:0]
	for pos := 0; ; pos++ {
		if m.addAt(&m.cur, m.start, line, pos) {
			return true
		}
		if pos == len(line) {
			return false
		}
		c := line[pos]
		m.next.dense = m.next.dense[:0]
		for _, pc := range m.cur.dense {
			if in := &m.prog[pc]; in.op == 's' && in.set.has(c) && m.addAt(&m.next, in.out, line, pos+1) {
				return true
			}
		}
		m.cur, m.next = m.next, m.cur
	}
}
