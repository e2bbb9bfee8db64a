package core

import (
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// State is the life-cycle state of a handle, numbered as libguestfs's
// get_state reports it.
type State int

// The handle states.
const (
	StateConfig    State = 0
	StateLaunching State = 1
	StateReady     State = 2
)

// Options are the creation options of a handle.
type Options struct {
	// NoEnvironment skips parse_environment at creation.
	NoEnvironment bool
	// Canceller replaces the built-in cancel flag; the C library passes one
	// backed by C memory so that guestfs_user_cancel never enters Go.
	Canceller Canceller
	// Environ returns the process environment for parse_environment. The C
	// library passes one that reads the C environment, which a C program
	// may change after the Go runtime copied it. Default: os.Environ.
	Environ func() []string
}

// Handle is one library handle. Create it with New and release it with
// Close; a closed handle fails every call with ErrClosed.
type Handle struct {
	lock threadLock

	// Everything below is guarded by lock.
	state        State
	closed       bool
	closePending bool
	cfg          config
	events       eventTable
	priv         privateArea
	threads      map[int]*threadState
	baseHandler  ErrorHandler
	testOut      *os.File
	cancel       Canceller
	environ      func() []string
	onRelease    []func()
	drives       []*drive
	daemon       *daemonProc // nil unless launched
	shutDown     bool        // the daemon was stopped; only close is left

	// These are used without the lock, by a Close on another thread and
	// by guards (see Close).
	live          atomic.Pointer[daemonProc] // h.daemon until it is reaped
	closeReq      atomic.Bool                // Close (or InterruptForClose) was called
	closeDeadline atomic.Int64               // Unix ns: the daemon is killed then, if close has not ended (0: none)
	// closing is set when the real close begins (doClose), with the lock
	// held and also under lock.mu, so that interruptForClose, which reads
	// it under lock.mu, never cancels close's own shutdown.
	closing atomic.Bool
	// closeGuard stops the guard started by InterruptForClose; doClose
	// calls it. Guarded by lock.mu.
	closeGuard func()
}

// New creates a handle in the config state. Unless opts.NoEnvironment is set
// it applies parse_environment; a bad variable makes New fail.
func New(opts Options) (*Handle, error) {
	h := &Handle{
		threads:     map[int]*threadState{},
		baseHandler: StderrErrorHandler{},
		cfg:         defaultConfig(),
		cancel:      opts.Canceller,
		environ:     opts.Environ,
	}
	if h.environ == nil {
		h.environ = os.Environ
	}
	if h.cancel == nil {
		c, err := newEventfdCanceller()
		if err != nil {
			return nil, err
		}
		h.cancel = c
		h.OnRelease(c.close)
	}
	if !opts.NoEnvironment {
		if err := h.ParseEnvironment(); err != nil {
			h.Close()
			return nil, err
		}
	}
	return h, nil
}

// OnRelease registers fn to run once when the handle is finally closed,
// after the CLOSE callbacks. The C library frees its handle struct there.
func (h *Handle) OnRelease(fn func()) {
	h.withLock(func(int) { h.onRelease = append(h.onRelease, fn) })
}

// withLock runs fn holding the handle lock, with the calling goroutine locked
// to its OS thread; fn receives the thread id. A close requested from inside
// a callback runs when the outermost holder leaves.
func (h *Handle) withLock(fn func(tid int)) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	tid := unix.Gettid()
	h.lock.acquire(tid)
	defer h.leave()
	fn(tid)
}

// leave releases one level of the lock, first running a deferred close when
// this is the outermost level.
func (h *Handle) leave() {
	if h.lock.depth == 1 && h.closePending && !h.closing.Load() {
		h.doClose()
	}
	h.lock.release()
}

// call runs the body of action name with the handle lock held: it emits
// ENTER and the trace lines, refuses daemon actions from inside callbacks,
// turns panics into EIO errors, and records a failure as the thread's last
// error. The generated action methods are its only callers.
func (h *Handle) call(name string, daemon bool, trace func(*tracer), body func() error, result func(*tracer), errRepr string) (err error) {
	h.withLock(func(tid int) {
		err = h.runAction(tid, name, daemon, trace, body, result, errRepr)
		if err != nil {
			e := asError(name, err)
			if !h.closed {
				h.recordError(tid, e)
			}
			err = e
		}
	})
	return err
}

// runAction is call's body, with panics recovered.
func (h *Handle) runAction(tid int, name string, daemon bool, trace func(*tracer), body func() error, result func(*tracer), errRepr string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = errorf(syscall.EIO, "internal error: %v\n%s", r, debug.Stack())
		}
	}()
	if h.closed {
		return ErrClosed
	}
	outermost := h.lock.depth == 1
	if daemon && !outermost {
		return errorf(syscall.EBUSY, "handle is busy: a daemon action cannot run inside a callback of another call on the same handle")
	}
	if outermost {
		h.cancel.Reset()
		// After the reset: a Close on another thread sets closeReq before
		// it cancels, so a call that starts meanwhile either fails here
		// or keeps the cancel.
		if h.closeReq.Load() && !h.closing.Load() && !h.closed {
			return &Error{Msg: "the handle is being closed by another thread", Errno: syscall.EINVAL, Err: ErrClosed}
		}
	}
	h.dispatch(EventEnter, []byte(name), nil)
	tracing := h.cfg.trace
	if tracing {
		t := h.newTracer(name)
		if trace != nil {
			trace(t)
		}
		h.emitTrace(t)
	}
	err = body()
	if tracing {
		t := h.newTracer(name)
		t.b.WriteString(" =")
		if err != nil {
			t.b.WriteString(" " + errRepr + " (error)")
		} else if result != nil {
			result(t)
		}
		h.emitTrace(t)
	}
	return err
}

// Close closes the handle: it stops the daemon if one runs (SUBPROCESS_QUIT),
// emits CLOSE, drops the private data (never freeing anything in it) and
// runs the release hooks. Called from inside a callback it only marks the
// handle; the close happens when the outermost call on it returns. Closing
// twice does nothing.
//
// Close ends within a bound, whatever the daemon does: a call in flight on
// another thread is cancelled, and the daemon is killed if it stays silent
// and idle for unresponsiveTimeout while close waits for it, or at the
// latest shutdownTimeout after Close was called; close then emits a
// WARNING event saying so. Calls that start once Close was called fail.
func (h *Handle) Close() {
	stop := h.interruptForClose(false)
	defer stop()
	h.withLock(func(int) {
		if h.closing.Load() || h.closed {
			return
		}
		if h.lock.depth > 1 {
			h.closePending = true
			return
		}
		h.doClose()
	})
}

// InterruptForClose is what Close does before it waits for the handle,
// for a language binding whose close must first let its own calls on other
// threads return (and read their results and errors): calls that start
// from now on fail, a call in flight on another thread is cancelled, and
// the daemon is watched as Close watches it (killed if it stays silent and
// idle for unresponsiveTimeout while the library waits for it, or at the
// close deadline) until the handle is closed. The binding calls Close
// afterwards. From inside a call on this thread it only marks the handle.
func (h *Handle) InterruptForClose() {
	h.interruptForClose(true)
}

// interruptForClose is the part of Close that runs before it takes the
// lock. If another thread holds the lock (a call in flight, perhaps waiting
// for a stopped daemon, perhaps launch before its daemon exists), that call
// is cancelled, and a guard kills the daemon if it stays unresponsive or
// close has not got the lock by the close deadline. stop ends the guard;
// with keep, the guard is left to doClose to stop, and stop does nothing.
//
// Nothing is cancelled when the handle is already closing: then the owner
// is close itself (another thread's), in its shutdown round trip, which
// has guards of its own; a cancel there would be sent for the shutdown.
func (h *Handle) interruptForClose(keep bool) (stop func()) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	tid := unix.Gettid()
	h.closeReq.Store(true) // before the owner is read: see runAction
	// Under lock.mu the owner cannot change, and doClose cannot set
	// closing (and then reset the cancel flag for its shutdown) between
	// the check and the cancel.
	h.lock.mu.Lock()
	defer h.lock.mu.Unlock()
	owner := h.lock.owner
	if owner == tid || h.closing.Load() {
		// From inside a call or callback on this thread: the close is
		// deferred to the end of the outermost call, which goes on.
		// Or closing already: see above.
		return func() {}
	}
	h.closeDeadline.CompareAndSwap(0, time.Now().Add(shutdownTimeout).UnixNano())
	if owner == 0 {
		// No call in flight; one that starts now fails (closeReq).
		return func() {}
	}
	h.cancel.Cancel()
	// The daemon is looked up at every sample: launch may not have
	// started it yet (h.live is nil until then).
	stop = startGuard(h.live.Load, time.Unix(0, h.closeDeadline.Load()), "close (a call was in flight on another thread)", true)
	if keep {
		if h.closeGuard != nil {
			h.closeGuard()
		}
		h.closeGuard = stop
		return func() {}
	}
	return stop
}

// doClose performs the close. The caller holds the lock at depth 1.
func (h *Handle) doClose() {
	h.lock.mu.Lock()
	h.closing.Store(true)
	h.lock.mu.Unlock()
	if h.cfg.verbose {
		h.dispatch(EventLibrary, []byte(fmt.Sprintf("closing guestfs handle (state %d)", h.state)), nil)
	}
	// The daemon flushes every drive before it answers the shutdown, so
	// autosync needs no call of its own (there are no mounts yet). Close
	// cannot return an error: a daemon the library had to kill, or a
	// final flush that failed, is a WARNING event (a daemon that died
	// earlier was reported to the call that found it).
	d := h.daemon
	var deadBefore *Error
	if d != nil {
		deadBefore = d.dead
	}
	if err := h.stopDaemon(); err != nil {
		if d.killedAtClose.Load() || deadBefore == nil {
			h.dispatch(EventWarning, []byte("close: "+err.Error()), nil)
		} else if h.cfg.verbose {
			h.dispatch(EventLibrary, []byte("close: "+err.Error()), nil)
		}
	}
	h.closeDrives()
	h.dispatch(EventClose, nil, nil)
	if h.testOut != nil {
		h.testOut.Close()
		h.testOut = nil
	}
	h.priv = privateArea{}
	h.events = eventTable{}
	h.closed = true
	h.lock.mu.Lock()
	stopGuard := h.closeGuard
	h.closeGuard = nil
	h.lock.mu.Unlock()
	if stopGuard != nil {
		stopGuard()
	}
	for _, fn := range h.onRelease {
		fn()
	}
	h.onRelease = nil
}

// IsClosed reports whether the handle has been closed.
func (h *Handle) IsClosed() (closed bool) {
	h.withLock(func(int) { closed = h.closed })
	return
}

// UserCancel asks the running transfer on this handle to stop; the call then
// fails with EINTR. Safe from any goroutine.
func (h *Handle) UserCancel() {
	h.cancel.Cancel()
}
