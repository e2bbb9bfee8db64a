package grep

import (
	"strconv"
	"strings"
)

// reKind is the kind of a node of a parsed pattern.
type reKind int

const (
	rEmpty  reKind = iota // matches the empty string
	rSet                  // one byte of set
	rAssert               // an anchor: the token that made it
	rConcat               // subs one after another
	rAlt                  // any of subs
	rRepeat               // subs[0] from min to max times (max < 0: no bound)
)

// reNode is a node of a parsed pattern.
type reNode struct {
	kind     reKind
	set      byteSet
	anchor   reTok
	subs     []*reNode
	min, max int
}

// hasWordEdge reports whether n holds a \< or \>.
func (n *reNode) hasWordEdge() bool {
	if n.kind == rAssert && (n.anchor == tBegWord || n.anchor == tEndWord) {
		return true
	}
	for _, s := range n.subs {
		if s.hasWordEdge() {
			return true
		}
	}
	return false
}

// goSyntax returns n in Go regexp syntax over runes 0-255, and the product
// of the repetition counts nested in it (Go refuses more than 1000).
// Counts that Go's limit refuses become a concatenation of copies.
func (n *reNode) goSyntax() (string, int) {
	switch n.kind {
	case rSet:
		return n.set.goClass(), 1
	case rAssert:
		return map[reTok]string{tBegLine: "^", tEndLine: "$", tLimWord: `\b`, tNotLimWord: `\B`}[n.anchor], 1
	case rConcat, rAlt:
		var parts []string
		weight := 1
		for _, s := range n.subs {
			src, w := s.goSyntax()
			parts = append(parts, src)
			weight = max(weight, w)
		}
		if n.kind == rConcat {
			return strings.Join(parts, ""), weight
		}
		return "(?:" + strings.Join(parts, "|") + ")", weight
	case rRepeat:
		sub, w := n.subs[0].goSyntax()
		if sub == "" {
			return "", 1
		}
		group := "(?:" + sub + ")"
		switch {
		case n.min == 0 && n.max < 0:
			return group + "*", w
		case n.min == 1 && n.max < 0:
			return group + "+", w
		case n.min == 0 && n.max == 1:
			return group + "?", w
		}
		count := n.max
		if n.max < 0 {
			count = n.min
		}
		if w*count <= 1000 {
			switch {
			case n.max < 0:
				group += "{" + strconv.Itoa(n.min) + ",}"
			case n.min == n.max:
				group += "{" + strconv.Itoa(n.min) + "}"
			default:
				group += "{" + strconv.Itoa(n.min) + "," + strconv.Itoa(n.max) + "}"
			}
			return group, w * max(count, 1)
		}
		step := max(1000/w, 1)
		var sb strings.Builder
		chunks := func(total int, optional bool) {
			for total > 0 {
				k := min(step, total)
				if optional {
					sb.WriteString(group + "{0," + strconv.Itoa(k) + "}")
				} else {
					sb.WriteString(group + "{" + strconv.Itoa(k) + "}")
				}
				total -= k
			}
		}
		chunks(n.min, false)
		if n.max < 0 {
			sb.WriteString(group + "*")
		} else {
			chunks(n.max-n.min, true)
		}
		return sb.String(), w * step
	}
	return "", 1
}

// reParser parses a pattern with dfa.c's grammar:
//
//	regexp:  branch ("|" branch)*
//	branch:  closure+
//	closure: atom ("*" | "+" | "?" | interval)*
//	atom:    character | set | anchor | "(" regexp ")" | empty
type reParser struct {
	lexer reLexer
	tok   reTok
}

// parse returns the whole pattern.
func (p *reParser) parse() (*reNode, error) {
	if err := p.next(); err != nil {
		return nil, err
	}
	n, err := p.regexp()
	if err != nil {
		return nil, err
	}
	if p.tok != tEnd {
		return nil, reError("unbalanced )")
	}
	return n, nil
}

// next reads the next token.
func (p *reParser) next() (err error) {
	p.tok, err = p.lexer.lex()
	return err
}

// regexp parses branches separated by "|".
func (p *reParser) regexp() (*reNode, error) {
	n := &reNode{kind: rAlt}
	for {
		b, err := p.branch()
		if err != nil {
			return nil, err
		}
		n.subs = append(n.subs, b)
		if p.tok != tOr {
			break
		}
		if err := p.next(); err != nil {
			return nil, err
		}
	}
	if len(n.subs) == 1 {
		return n.subs[0], nil
	}
	return n, nil
}

// branch parses closures up to a "|", ")" or the end.
func (p *reParser) branch() (*reNode, error) {
	n := &reNode{kind: rConcat}
	for {
		c, err := p.closure()
		if err != nil {
			return nil, err
		}
		n.subs = append(n.subs, c)
		if p.tok == tRparen || p.tok == tOr || p.tok == tEnd {
			return n, nil
		}
	}
}

// closure parses an atom and the repetitions applied to it.
func (p *reParser) closure() (*reNode, error) {
	n, err := p.atom()
	if err != nil {
		return nil, err
	}
	for {
		lo, hi := 0, -1
		switch p.tok {
		case tStar:
		case tPlus:
			lo = 1
		case tQmark:
			hi = 1
		case tRepmn:
			lo, hi = p.lexer.min, p.lexer.max
			if lo == 0 && hi == 0 {
				// dfa.c drops the atom and reads another closure.
				if err := p.next(); err != nil {
					return nil, err
				}
				if n, err = p.closure(); err != nil {
					return nil, err
				}
				continue
			}
		default:
			return n, nil
		}
		if n.kind != rEmpty {
			n = &reNode{kind: rRepeat, subs: []*reNode{n}, min: lo, max: hi}
		}
		if err := p.next(); err != nil {
			return nil, err
		}
	}
}

// atom parses a character, set, anchor or group; at anything else it is
// the empty expression, as in dfa.c.
func (p *reParser) atom() (*reNode, error) {
	var n *reNode
	switch p.tok {
	case tSet:
		n = &reNode{kind: rSet, set: p.lexer.set}
	case tBegLine, tEndLine, tBegWord, tEndWord, tLimWord, tNotLimWord:
		n = &reNode{kind: rAssert, anchor: p.tok}
	case tLparen:
		if err := p.next(); err != nil {
			return nil, err
		}
		r, err := p.regexp()
		if err != nil {
			return nil, err
		}
		if p.tok != tRparen {
			return nil, reError("unbalanced (")
		}
		n = r
	default:
		return &reNode{kind: rEmpty}, nil // the token is not consumed
	}
	return n, p.next()
}
