package core

import (
	"fmt"
	"strconv"
	"strings"
)

// tracer builds one TRACE line: "name arg arg" for a call and
// "name = result" for its return, prefixed by the identifier when set.
type tracer struct{ b strings.Builder }

func (h *Handle) newTracer(name string) *tracer {
	t := &tracer{}
	if h.cfg.identifier != "" {
		t.b.WriteString(h.cfg.identifier + ": ")
	}
	t.b.WriteString(name)
	return t
}

// emitTrace sends the line as a TRACE event (printed when nobody takes it).
func (h *Handle) emitTrace(t *tracer) {
	h.dispatch(EventTrace, []byte(t.b.String()), nil)
}

func (t *tracer) str(s string) { t.b.WriteString(" \"" + s + "\"") }

func (t *tracer) optStr(s *string) {
	if s == nil {
		t.b.WriteString(" null")
	} else {
		t.str(*s)
	}
}

func (t *tracer) strList(l []string) {
	t.b.WriteString(" [")
	for i, s := range l {
		if i > 0 {
			t.b.WriteString(", ")
		}
		t.b.WriteString("\"" + s + "\"")
	}
	t.b.WriteString("]")
}

func (t *tracer) boolean(v bool)  { t.b.WriteString(" " + strconv.FormatBool(v)) }
func (t *tracer) integer(v int64) { t.b.WriteString(" " + strconv.FormatInt(v, 10)) }
func (t *tracer) buffer(v []byte) { fmt.Fprintf(&t.b, " <%d bytes>", len(v)) }
func (t *tracer) opaque(v string) { t.b.WriteString(" " + v) }

// opt writes one set optional argument as "name:value".
func (t *tracer) opt(name string, v any) {
	switch x := v.(type) {
	case []string:
		fmt.Fprintf(&t.b, " \"%s:%s\"", name, strings.Join(x, " "))
	default:
		fmt.Fprintf(&t.b, " \"%s:%v\"", name, x)
	}
}

func (t *tracer) hashtable(kv [][2]string) {
	t.b.WriteString(" [")
	for i, p := range kv {
		if i > 0 {
			t.b.WriteString(", ")
		}
		t.b.WriteString("\"" + p[0] + "\": \"" + p[1] + "\"")
	}
	t.b.WriteString("]")
}
