package core

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// Error is the error every action returns: the action's name, a message
// naming the object, and the errno of the failed operation (0 when unknown).
// errors.Is(err, syscall.ENOENT) works through Unwrap, as does
// errors.Is(err, ErrClosed).
type Error struct {
	Op    string
	Msg   string
	Errno syscall.Errno
	// Err is the underlying error, when there is one.
	Err error
}

// Error returns "op: msg", the text guestfs_last_error reports.
func (e *Error) Error() string {
	if e.Op == "" {
		return e.Msg
	}
	return e.Op + ": " + e.Msg
}

// Unwrap returns the errno (when known) and the underlying error.
func (e *Error) Unwrap() []error {
	var errs []error
	if e.Errno != 0 {
		errs = append(errs, e.Errno)
	}
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	return errs
}

// errorf makes an *Error without an action name; the call wrapper adds it.
func errorf(errno syscall.Errno, format string, args ...any) *Error {
	return &Error{Msg: fmt.Sprintf(format, args...), Errno: errno}
}

// asError turns any error into an *Error for action op, keeping an errno
// found anywhere in its chain.
func asError(op string, err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		if e.Op == "" {
			c := *e
			c.Op = op
			return &c
		}
		return e
	}
	var errno syscall.Errno
	errors.As(err, &errno)
	return &Error{Op: op, Msg: err.Error(), Errno: errno, Err: err}
}

// ErrClosed is returned by every call on a closed handle.
var ErrClosed = errors.New("handle is closed")

// ErrorHandler receives the message of each error on the thread where it
// happened. The C library and the bindings install their own; nil means
// errors are only recorded, never printed.
type ErrorHandler interface {
	HandleError(h *Handle, msg string)
}

// StderrErrorHandler is the default handler: it prints
// "libguestfs: error: MSG" to stderr, as libguestfs does.
type StderrErrorHandler struct{}

// HandleError prints msg to stderr.
func (StderrErrorHandler) HandleError(_ *Handle, msg string) {
	fmt.Fprintf(os.Stderr, "libguestfs: error: %s\n", msg)
}

// threadState is the per-OS-thread error state of a handle, as libguestfs
// keeps it since 1.38: the last error and the error handler stack.
type threadState struct {
	msg     string
	errno   syscall.Errno
	failed  bool
	handler ErrorHandler
	stack   []ErrorHandler
}

// thread returns the state of thread tid, creating it with the handle's base
// handler. The caller holds the handle lock.
func (h *Handle) thread(tid int) *threadState {
	ts := h.threads[tid]
	if ts == nil {
		ts = &threadState{handler: h.baseHandler}
		h.threads[tid] = ts
	}
	return ts
}

// recordError stores err as the last error of thread tid and calls that
// thread's error handler. The caller holds the handle lock.
func (h *Handle) recordError(tid int, e *Error) {
	ts := h.thread(tid)
	ts.msg, ts.errno, ts.failed = e.Error(), e.Errno, true
	if ts.handler != nil {
		ts.handler.HandleError(h, ts.msg)
	}
}

// LastError returns the last error message and errno recorded on the calling
// OS thread, and whether there was one. The calling goroutine must be locked
// to its thread (cgo callbacks are); Go callers should use returned errors.
func (h *Handle) LastError() (msg string, errno syscall.Errno, ok bool) {
	h.withLock(func(tid int) {
		if ts := h.threads[tid]; ts != nil && ts.failed {
			msg, errno, ok = ts.msg, ts.errno, true
		}
	})
	return
}

// ReportError records an error for action op that was detected outside the
// core (for example a NULL argument at the C boundary) exactly as if the
// action had failed: last error, error handler and trace.
func (h *Handle) ReportError(op string, errno syscall.Errno, msg string) error {
	e := &Error{Op: op, Msg: msg, Errno: errno}
	h.withLock(func(tid int) { h.recordError(tid, e) })
	return e
}

// SetErrorHandler replaces the calling thread's error handler; threads that
// have not used the handle yet start with it too. nil disables the handler.
func (h *Handle) SetErrorHandler(eh ErrorHandler) {
	h.withLock(func(tid int) {
		h.thread(tid).handler = eh
		h.baseHandler = eh
	})
}

// GetErrorHandler returns the calling thread's error handler.
func (h *Handle) GetErrorHandler() (eh ErrorHandler) {
	h.withLock(func(tid int) { eh = h.thread(tid).handler })
	return
}

// PushErrorHandler saves the calling thread's handler and installs eh.
func (h *Handle) PushErrorHandler(eh ErrorHandler) {
	h.withLock(func(tid int) {
		ts := h.thread(tid)
		ts.stack = append(ts.stack, ts.handler)
		ts.handler = eh
	})
}

// PopErrorHandler restores the handler saved by the last push on the calling
// thread; with nothing pushed it restores the handle's base handler.
func (h *Handle) PopErrorHandler() {
	h.withLock(func(tid int) {
		ts := h.thread(tid)
		if n := len(ts.stack); n > 0 {
			ts.handler = ts.stack[n-1]
			ts.stack = ts.stack[:n-1]
		} else {
			ts.handler = h.baseHandler
		}
	})
}
