package core

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// The internal test actions, with libguestfs's names and results, let the
// bindings be tested without a daemon. Output goes to the file set by
// internal_test_set_output, else straight to file descriptor 1.

func (h *Handle) testOutput() io.Writer {
	if h.testOut != nil {
		return h.testOut
	}
	return os.Stdout
}

func (h *Handle) internalTestSetOutput(filename string) error {
	f, err := os.OpenFile(filename, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o666)
	if err != nil {
		pe := err.(*os.PathError)
		return errorf(pe.Err.(syscall.Errno), "cannot open output file %s: %v", filename, pe.Err)
	}
	if err := h.internalTestCloseOutput(); err != nil {
		f.Close()
		return err
	}
	h.testOut = f
	return nil
}

func (h *Handle) internalTestCloseOutput() error {
	if h.testOut == nil {
		return nil
	}
	err := h.testOut.Close()
	h.testOut = nil
	if err != nil {
		return errorf(syscall.EIO, "close: %v", err)
	}
	return nil
}

// testPrinter renders arguments in the canonical form of libguestfs's
// bindtests and writes them in one piece.
type testPrinter struct{ b strings.Builder }

func (p *testPrinter) str(s string) { p.b.WriteString(s + "\n") }
func (p *testPrinter) optStr(s *string) {
	if s == nil {
		p.str("null")
	} else {
		p.str(*s)
	}
}
func (p *testPrinter) list(l []string) {
	p.b.WriteString("[")
	for i, s := range l {
		if i > 0 {
			p.b.WriteString(", ")
		}
		p.b.WriteString("\"" + s + "\"")
	}
	p.b.WriteString("]\n")
}
func (p *testPrinter) boolean(v bool)  { p.str(strconv.FormatBool(v)) }
func (p *testPrinter) integer(v int64) { p.str(strconv.FormatInt(v, 10)) }
func (p *testPrinter) buffer(v []byte) {
	for _, c := range v {
		fmt.Fprintf(&p.b, "<%02x>", c)
	}
	p.b.WriteString("\n")
}

// opt prints an optional argument as "name: value" or "name: unset".
func (p *testPrinter) opt(name string, set bool, print func()) {
	p.b.WriteString(name + ": ")
	if set {
		print()
	} else {
		p.str("unset")
	}
}

func (h *Handle) flushTest(p *testPrinter) error {
	if _, err := io.WriteString(h.testOutput(), p.b.String()); err != nil {
		return errorf(syscall.EIO, "write: %v", err)
	}
	return nil
}

func (h *Handle) internalTest(str string, optstr *string, strlist []string, b bool, integer int, integer64 int64, filein, fileout string, bufferin []byte, o *InternalTestOpts) error {
	var p testPrinter
	p.str(str)
	p.optStr(optstr)
	p.list(strlist)
	p.boolean(b)
	p.integer(int64(integer))
	p.integer(integer64)
	p.str(filein)
	p.str(fileout)
	p.buffer(bufferin)
	p.opt("obool", o.Obool != nil, func() { p.boolean(*o.Obool) })
	p.opt("oint", o.Oint != nil, func() { p.integer(int64(*o.Oint)) })
	p.opt("oint64", o.Oint64 != nil, func() { p.integer(*o.Oint64) })
	p.opt("ostring", o.Ostring != nil, func() { p.str(*o.Ostring) })
	p.opt("ostringlist", o.Ostringlist != nil, func() { p.list(*o.Ostringlist) })
	return h.flushTest(&p)
}

func (h *Handle) internalTestOnlyOptargs(o *InternalTestOnlyOptargsOpts) error {
	var p testPrinter
	p.opt("test", o.Test != nil, func() { p.integer(int64(*o.Test)) })
	return h.flushTest(&p)
}

func (h *Handle) internalTest63Optargs(o *InternalTest63OptargsOpts) error {
	var p testPrinter
	for i, v := range o.values() {
		p.opt(fmt.Sprintf("opt%d", i+1), v != nil, func() { p.integer(int64(*v)) })
	}
	return h.flushTest(&p)
}

// values returns opt1 ... opt63 in order.
func (o *InternalTest63OptargsOpts) values() []*int {
	return []*int{o.Opt1, o.Opt2, o.Opt3, o.Opt4, o.Opt5, o.Opt6, o.Opt7, o.Opt8, o.Opt9, o.Opt10,
		o.Opt11, o.Opt12, o.Opt13, o.Opt14, o.Opt15, o.Opt16, o.Opt17, o.Opt18, o.Opt19, o.Opt20,
		o.Opt21, o.Opt22, o.Opt23, o.Opt24, o.Opt25, o.Opt26, o.Opt27, o.Opt28, o.Opt29, o.Opt30,
		o.Opt31, o.Opt32, o.Opt33, o.Opt34, o.Opt35, o.Opt36, o.Opt37, o.Opt38, o.Opt39, o.Opt40,
		o.Opt41, o.Opt42, o.Opt43, o.Opt44, o.Opt45, o.Opt46, o.Opt47, o.Opt48, o.Opt49, o.Opt50,
		o.Opt51, o.Opt52, o.Opt53, o.Opt54, o.Opt55, o.Opt56, o.Opt57, o.Opt58, o.Opt59, o.Opt60,
		o.Opt61, o.Opt62, o.Opt63}
}

// errTest is the failure of every ...err probe.
func errTest() error { return errorf(0, "error") }

func parseTestInt(val string, bits int) (int64, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(val), 10, bits)
	if err != nil {
		return 0, errorf(syscall.EINVAL, "%q: expecting an int%d argument", val, bits)
	}
	return n, nil
}

func (h *Handle) internalTestRint(val string) (int, error) {
	n, err := parseTestInt(val, 32)
	return int(n), err
}
func (h *Handle) internalTestRinterr() (int, error) { return -1, errTest() }
func (h *Handle) internalTestRint64(val string) (int64, error) {
	return parseTestInt(val, 64)
}
func (h *Handle) internalTestRint64err() (int64, error) { return -1, errTest() }
func (h *Handle) internalTestRbool(val string) (bool, error) {
	return val == "true", nil
}
func (h *Handle) internalTestRboolerr() (bool, error) { return false, errTest() }
func (h *Handle) internalTestRconststring(string) (string, error) {
	return "static string", nil
}
func (h *Handle) internalTestRconststringerr() (string, error) { return "", errTest() }
func (h *Handle) internalTestRconstoptstring(string) (*string, error) {
	s := "static string"
	return &s, nil
}

// internalTestRconstoptstringerr returns no string and no error, as in
// libguestfs: an absent optional string is not a failure.
func (h *Handle) internalTestRconstoptstringerr() (*string, error) { return nil, nil }
func (h *Handle) internalTestRstring(val string) (string, error)   { return val, nil }
func (h *Handle) internalTestRstringerr() (string, error)          { return "", errTest() }

// testCount parses the element count of the list probes.
func testCount(val string) (int, error) {
	n, err := parseTestInt(val, 32)
	if err == nil && (n < 0 || n > 1<<20) {
		return 0, errorf(syscall.EINVAL, "%q: count out of range", val)
	}
	return int(n), err
}

func (h *Handle) internalTestRstringlist(val string) ([]string, error) {
	n, err := testCount(val)
	if err != nil {
		return nil, err
	}
	l := make([]string, n)
	for i := range l {
		l[i] = strconv.Itoa(i)
	}
	return l, nil
}
func (h *Handle) internalTestRstringlisterr() ([]string, error) { return nil, errTest() }

// testPV fills an lvm_pv as libguestfs's bindtests do.
func testPV(i int) LvmPv {
	u := uint64(i)
	return LvmPv{
		PvName: fmt.Sprintf("pv%d", i), PvUUID: "12345678901234567890123456789012", PvFmt: "unknown",
		PvSize: u, DevSize: u, PvFree: u, PvUsed: u, PvAttr: fmt.Sprintf("attr%d", i),
		PvPeCount: int64(i), PvPeAllocCount: int64(i), PvTags: fmt.Sprintf("tag%d", i),
		PeStart: u, PvMdaCount: int64(i), PvMdaFree: u,
	}
}

func (h *Handle) internalTestRstruct(string) (*LvmPv, error) {
	pv := testPV(0)
	return &pv, nil
}
func (h *Handle) internalTestRstructerr() (*LvmPv, error) { return nil, errTest() }
func (h *Handle) internalTestRstructlist(val string) ([]LvmPv, error) {
	n, err := testCount(val)
	if err != nil {
		return nil, err
	}
	l := make([]LvmPv, n)
	for i := range l {
		l[i] = testPV(i)
	}
	return l, nil
}
func (h *Handle) internalTestRstructlisterr() ([]LvmPv, error) { return nil, errTest() }
func (h *Handle) internalTestRhashtable(val string) ([][2]string, error) {
	n, err := testCount(val)
	if err != nil {
		return nil, err
	}
	l := make([][2]string, n)
	for i := range l {
		l[i] = [2]string{strconv.Itoa(i), strconv.Itoa(i)}
	}
	return l, nil
}
func (h *Handle) internalTestRhashtableerr() ([][2]string, error) { return nil, errTest() }
func (h *Handle) internalTestRbufferout(val string) ([]byte, error) {
	return []byte(val), nil
}
func (h *Handle) internalTestRbufferouterr() ([]byte, error) { return nil, errTest() }

func (h *Handle) version() (*Version, error) {
	return &Version{Major: VersionMajor, Minor: VersionMinor, Release: VersionRelease, Extra: VersionExtra}, nil
}

// The library version reported by the version action.
const (
	VersionMajor   = 1
	VersionMinor   = 0
	VersionRelease = 0
	VersionExtra   = ""
)
