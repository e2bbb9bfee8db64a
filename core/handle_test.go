package core

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// newHandle returns a handle that ignores the environment and records
// errors silently.
func newHandle(t *testing.T) *Handle {
	t.Helper()
	h, err := New(Options{NoEnvironment: true})
	require.NoError(t, err)
	h.SetErrorHandler(nil)
	t.Cleanup(h.Close)
	return h
}

func TestPrivateData(t *testing.T) {
	h := newHandle(t)
	h.SetPrivate("a", 1)
	h.SetPrivate("b", 2)
	h.SetPrivate("a", 3)
	assert.Equal(t, 3, h.GetPrivate("a"))
	assert.Equal(t, 2, h.GetPrivate("b"))
	assert.Nil(t, h.GetPrivate("c"))

	h.SetPrivate("a", nil)
	assert.Nil(t, h.GetPrivate("a"))
	keys := map[string]any{}
	for k, v, ok := h.FirstPrivate(); ok; k, v, ok = h.NextPrivate() {
		keys[k] = v
	}
	assert.Equal(t, map[string]any{"b": 2}, keys)

	// Many removals leave holes that iteration skips and insertion squeezes.
	for i := 0; i < 1000; i++ {
		h.SetPrivate(fmt.Sprint("k", i), i)
	}
	for i := 0; i < 1000; i++ {
		if i%7 != 0 {
			h.SetPrivate(fmt.Sprint("k", i), nil)
		}
	}
	h.SetPrivate("new", true)
	n := 0
	for k, v, ok := h.FirstPrivate(); ok; k, v, ok = h.NextPrivate() {
		assert.Equal(t, v, h.GetPrivate(k))
		n++
	}
	assert.Equal(t, 1+143+1, n) // b, k0 k7 ... k994, new
}

func TestPrivateDataFromCloseCallback(t *testing.T) {
	h, err := New(Options{NoEnvironment: true})
	require.NoError(t, err)
	h.SetPrivate("_mine_1", "x")
	h.SetPrivate("_mine_2", "y")
	h.SetPrivate("other", "z")
	var seen []string
	_, err = h.SetEventCallback(func(ev Event, _ int, _ []byte, _ []uint64) {
	again:
		for k, _, ok := h.FirstPrivate(); ok; k, _, ok = h.NextPrivate() {
			if strings.HasPrefix(k, "_mine_") {
				seen = append(seen, k)
				h.SetPrivate(k, nil)
				goto again
			}
		}
		assert.Equal(t, "z", h.GetPrivate("other"))
	}, EventClose, 0)
	require.NoError(t, err)
	h.Close()
	assert.ElementsMatch(t, []string{"_mine_1", "_mine_2"}, seen)
	assert.True(t, h.IsClosed())
	h.Close() // twice: nothing happens
}

func TestEventOrderAndDeletion(t *testing.T) {
	h := newHandle(t)
	var log []string
	var ehB, ehLate int
	ehA, err := h.SetEventCallback(func(ev Event, eh int, buf []byte, _ []uint64) {
		log = append(log, "a:"+string(buf))
		if len(log) == 1 {
			h.DeleteEventCallback(ehB)
			ehLate, _ = h.SetEventCallback(func(Event, int, []byte, []uint64) { log = append(log, "late") }, EventEnter, 0)
		}
	}, EventEnter, 0)
	require.NoError(t, err)
	ehB, _ = h.SetEventCallback(func(Event, int, []byte, []uint64) { log = append(log, "b") }, EventEnter, 0)
	ehC, _ := h.SetEventCallback(func(Event, int, []byte, []uint64) { log = append(log, "c") }, EventEnter|EventClose, 0)
	assert.True(t, ehA < ehB && ehB < ehC)

	_, err = h.GetVerbose()
	require.NoError(t, err)
	assert.Equal(t, []string{"a:get_verbose", "c"}, log)
	log = nil
	_, err = h.GetTrace()
	require.NoError(t, err)
	assert.Equal(t, []string{"a:get_trace", "c", "late"}, log)
	assert.Greater(t, ehLate, ehC)

	// Handles are never reused.
	h.DeleteEventCallback(ehLate)
	eh, _ := h.SetEventCallback(func(Event, int, []byte, []uint64) {}, EventWarning, 0)
	assert.Greater(t, eh, ehLate)

	_, err = h.SetEventCallback(func(Event, int, []byte, []uint64) {}, 0x400, 0)
	assert.ErrorIs(t, err, syscall.EINVAL)
}

func TestEventToString(t *testing.T) {
	assert.Equal(t, "", Event(0).String())
	assert.Equal(t, "close,progress", (EventClose | EventProgress).String())
	assert.Equal(t, "appliance,close,enter,launch_done,library,libvirt_auth,progress,subprocess_quit,trace,warning", EventAll.String())
}

func TestDeferredClose(t *testing.T) {
	h, err := New(Options{NoEnvironment: true})
	require.NoError(t, err)
	var log []string
	_, err = h.SetEventCallback(func(_ Event, _ int, buf []byte, _ []uint64) {
		if string(buf) == "internal_test_rstring" {
			h.Close()
			log = append(log, "close requested")
			// The handle works until the outer call returns.
			_, err := h.GetVerbose()
			assert.NoError(t, err)
		}
	}, EventEnter, 0)
	require.NoError(t, err)
	_, err = h.SetEventCallback(func(Event, int, []byte, []uint64) { log = append(log, "CLOSE") }, EventClose, 0)
	require.NoError(t, err)
	released := false
	h.OnRelease(func() { released = true })

	s, err := h.InternalTestRstring("value")
	require.NoError(t, err)
	assert.Equal(t, "value", s)
	assert.Equal(t, []string{"close requested", "CLOSE"}, log)
	assert.True(t, released)
	_, err = h.GetVerbose()
	assert.ErrorIs(t, err, ErrClosed)
}

func TestCloseInsideCloseCallback(t *testing.T) {
	h, err := New(Options{NoEnvironment: true})
	require.NoError(t, err)
	calls := 0
	_, err = h.SetEventCallback(func(Event, int, []byte, []uint64) { calls++; h.Close() }, EventClose, 0)
	require.NoError(t, err)
	h.Close()
	assert.Equal(t, 1, calls)
}

// recorder is an ErrorHandler that keeps the messages.
type recorder struct{ msgs *[]string }

func (r recorder) HandleError(_ *Handle, msg string) { *r.msgs = append(*r.msgs, msg) }

func TestErrorHandlerStack(t *testing.T) {
	h := newHandle(t)
	var a, b []string
	h.SetErrorHandler(recorder{&a})
	_, err := h.InternalTestRinterr()
	require.Error(t, err)
	assert.Equal(t, "internal_test_rinterr: error", err.Error())
	assert.Equal(t, []string{"internal_test_rinterr: error"}, a)

	h.PushErrorHandler(recorder{&b})
	assert.Error(t, h.SetMemsize(1))
	h.PushErrorHandler(nil)
	assert.Error(t, h.SetSMP(0))
	h.PopErrorHandler()
	h.PopErrorHandler()
	assert.Error(t, h.SetIdentifier("a b"))
	assert.Len(t, a, 2)
	require.Len(t, b, 1)
	assert.Contains(t, b[0], "set_memsize: memsize: 1")

	msg, errno, ok := h.LastError()
	assert.True(t, ok)
	assert.Equal(t, syscall.EINVAL, errno)
	assert.Contains(t, msg, "set_identifier: identifier")

	var e *Error
	require.True(t, errors.As(h.SetTmpdir(ptr("/no/such/dir")), &e))
	assert.Equal(t, syscall.ENOENT, e.Errno)
	assert.Equal(t, "set_tmpdir", e.Op)
}

func ptr(s string) *string { return &s }

func TestEnvironment(t *testing.T) {
	h := newHandle(t)
	dir := t.TempDir()
	require.NoError(t, h.ParseEnvironmentList([]string{
		"LIBGUESTFS_DEBUG=1", "LIBGUESTFS_TRACE=off", "LIBGUESTFS_MEMSIZE=777",
		"LIBGUESTFS_PATH=/p", "LIBGUESTFS_HV=/hv", "LIBGUESTFS_TMPDIR=" + dir,
		"LIBGUESTFS_CACHEDIR=" + dir, "LIBGUESTFS_BACKEND=direct", "LIBGUESTFS_APPEND=a",
		"LIBGUESTFS_MEMSIZE_NOT=1", "JUNK",
	}))
	v, _ := h.GetVerbose()
	assert.True(t, v)
	m, _ := h.GetMemsize()
	assert.Equal(t, 777, m)
	p, _ := h.GetPath()
	assert.Equal(t, "/p", p)
	hv, _ := h.GetHV()
	assert.Equal(t, "/hv", hv)
	td, _ := h.GetTmpdir()
	assert.Equal(t, dir, td)
	ap, _ := h.GetAppend()
	assert.Equal(t, "a", *ap)

	for _, bad := range []string{"LIBGUESTFS_MEMSIZE=12x", "LIBGUESTFS_MEMSIZE=5", "LIBGUESTFS_DEBUG=sometimes",
		"LIBGUESTFS_BACKEND=libvirt", "LIBGUESTFS_TMPDIR=" + filepath.Join(dir, "missing")} {
		err := h.ParseEnvironmentList([]string{bad})
		require.Error(t, err, bad)
		assert.ErrorIs(t, err, syscall.EINVAL, bad)
		assert.Contains(t, err.Error(), bad, bad)
	}

	// New applies the process environment unless NoEnvironment.
	t.Setenv("LIBGUESTFS_MEMSIZE", "640")
	h2, err := New(Options{})
	require.NoError(t, err)
	m, _ = h2.GetMemsize()
	assert.Equal(t, 640, m)
	h2.Close()
	t.Setenv("LIBGUESTFS_MEMSIZE", "x")
	h2, err = New(Options{Environ: func() []string { return []string{"LIBGUESTFS_MEMSIZE=900"} }})
	require.NoError(t, err)
	m, _ = h2.GetMemsize()
	assert.Equal(t, 900, m)
	h2.Close()
	_, err = New(Options{})
	assert.ErrorIs(t, err, syscall.EINVAL)
}

func TestConcurrentUse(t *testing.T) {
	h := newHandle(t)
	var enters int
	_, err := h.SetEventCallback(func(Event, int, []byte, []uint64) { enters++ }, EventEnter, 0)
	require.NoError(t, err)
	const workers, rounds = 8, 500
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			key := fmt.Sprint("w", w)
			for i := 0; i < rounds; i++ {
				val := fmt.Sprint(w, "-", i)
				s, err := h.InternalTestRstring(val)
				assert.NoError(t, err)
				assert.Equal(t, val, s)
				h.SetPrivate(key, i)
				assert.Equal(t, i, h.GetPrivate(key))
				assert.Error(t, h.SetMemsize(1))
				eh, err := h.SetEventCallback(func(Event, int, []byte, []uint64) {}, EventTrace, 0)
				assert.NoError(t, err)
				h.DeleteEventCallback(eh)
			}
		}(w)
	}
	wg.Wait()
	assert.Equal(t, workers*rounds*2, enters)
}

func TestInternalTestOutput(t *testing.T) {
	h := newHandle(t)
	out := filepath.Join(t.TempDir(), "out")
	require.NoError(t, h.InternalTestSetOutput(out))
	one := 1
	require.NoError(t, h.InternalTest("s", nil, []string{"x", "y"}, true, -3, 1<<40, "in", "out", []byte{0, 255},
		&InternalTestOpts{Oint: &one, Ostringlist: &[]string{}}))
	require.NoError(t, h.InternalTestCloseOutput())
	got, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.Equal(t, "s\nnull\n[\"x\", \"y\"]\ntrue\n-3\n1099511627776\nin\nout\n<00><ff>\n"+
		"obool: unset\noint: 1\noint64: unset\nostring: unset\nostringlist: []\n", string(got))
	assert.Error(t, h.InternalTestSetOutput(filepath.Join(out, "not-a-dir", "x")))
}

func TestPanicBecomesEIO(t *testing.T) {
	h := newHandle(t)
	err := h.call("boom", false, nil, func() error { panic("kaboom") }, nil, "-1")
	require.Error(t, err)
	assert.ErrorIs(t, err, syscall.EIO)
	assert.True(t, strings.HasPrefix(err.Error(), "boom: internal error: kaboom"))
	// The handle is still usable.
	_, err = h.GetVerbose()
	assert.NoError(t, err)
}

func TestDaemonActionFromCallbackIsBusy(t *testing.T) {
	h := newHandle(t)
	var inner error
	_, err := h.SetEventCallback(func(_ Event, _ int, buf []byte, _ []uint64) {
		if string(buf) == "get_verbose" {
			inner = h.call("pretend_daemon", true, nil, func() error { return nil }, nil, "-1")
		}
	}, EventEnter, 0)
	require.NoError(t, err)
	_, err = h.GetVerbose()
	require.NoError(t, err)
	assert.ErrorIs(t, inner, syscall.EBUSY)
}
