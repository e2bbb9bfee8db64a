// Command bridge is the C library libgoguestfs.so: it is built with
// -buildmode=c-shared and exports the guestfs_* C API declared in the
// generated guestfs.h. The public C functions are generated C (capi.c,
// actions.c) that refuse calls in a fork child before entering Go and then
// call the private cgo exports defined here and in actions_gen.go.
package main

/*
#cgo CFLAGS: -D_GNU_SOURCE -Wall -O2
#include "handle.h"
*/
import "C"

import (
	"fmt"
	"runtime/cgo"
	"runtime/debug"
	"sync"
	"syscall"
	"unsafe"

	"goguestfs/core"

	"golang.org/x/sys/unix"
)

func main() {}

// cHandle is the Go state behind one guestfs_h.
type cHandle struct {
	h *core.Handle
	g *C.guestfs_h

	mu       sync.Mutex
	keys     map[string]*C.char // C copies of private-data keys
	consts   map[string]*C.char // interned RConstString results
	errs     map[int]*C.char    // last error string per thread id
	legacy   map[C.int]int      // legacy callback slot -> event handle
	released bool
}

// handleOf returns the Go state of g. g must be a live handle.
func handleOf(g *C.guestfs_h) *cHandle {
	return cgo.Handle(g.ref).Value().(*cHandle)
}

// cCanceller is the core.Canceller kept in the C struct, so that
// guestfs_user_cancel never enters Go.
type cCanceller struct{ g *C.guestfs_h }

func (c cCanceller) Cancel()         { C.goguestfs_user_cancel(c.g) }
func (c cCanceller) Cancelled() bool { return C.goguestfs_cancelled(c.g) != 0 }
func (c cCanceller) Reset()          { C.goguestfs_cancel_reset(c.g) }
func (c cCanceller) FD() int         { return int(c.g.cancel_fd) }

// release frees the C side when the core finally closes the handle.
func (b *cHandle) release() {
	b.mu.Lock()
	for _, m := range []map[string]*C.char{b.keys, b.consts} {
		for _, s := range m {
			C.free(unsafe.Pointer(s))
		}
	}
	for _, s := range b.errs {
		C.free(unsafe.Pointer(s))
	}
	b.keys, b.consts, b.errs = nil, nil, nil
	b.released = true
	b.mu.Unlock()
	cgo.Handle(b.g.ref).Delete()
	C.goguestfs_free_handle(b.g)
}

// intern returns a C copy of s owned by the handle (for RConstString
// results), valid until the handle is closed. NULL after the handle was
// closed inside the call that produced s.
func (b *cHandle) intern(s string) *C.char {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.released {
		return nil
	}
	if c, ok := b.consts[s]; ok {
		return c
	}
	c := C.CString(s)
	b.consts[s] = c
	return c
}

// nullArg reports a NULL pointer passed for a required argument.
func (b *cHandle) nullArg(op, arg string) {
	b.h.ReportError(op, syscall.EINVAL, arg+": parameter cannot be NULL")
}

// panicked reports a panic in an export as an EIO error naming the action.
func (b *cHandle) panicked(op string, p any) {
	b.h.ReportError(op, syscall.EIO, fmt.Sprintf("internal error: %v\n%s", p, debug.Stack()))
}

//export goguestfs_create
func goguestfs_create(flags C.uint) *C.guestfs_h {
	const known = C.GUESTFS_CREATE_NO_ENVIRONMENT | C.GUESTFS_CREATE_NO_CLOSE_ON_EXIT
	if flags&^known != 0 {
		C.goguestfs_set_errno(C.EINVAL)
		return nil
	}
	closeOnExit := C.int(1)
	if flags&C.GUESTFS_CREATE_NO_CLOSE_ON_EXIT != 0 {
		closeOnExit = 0
	}
	g, err := C.goguestfs_alloc_handle(closeOnExit)
	if g == nil {
		C.goguestfs_set_errno(C.int(err.(syscall.Errno)))
		return nil
	}
	b := &cHandle{g: g, keys: map[string]*C.char{}, consts: map[string]*C.char{},
		errs: map[int]*C.char{}, legacy: map[C.int]int{}}
	g.ref = C.uintptr_t(cgo.NewHandle(b))
	h, err := core.New(core.Options{
		NoEnvironment: flags&C.GUESTFS_CREATE_NO_ENVIRONMENT != 0,
		Canceller:     cCanceller{g},
		Environ:       func() []string { return goStrings(C.goguestfs_environ()) },
	})
	if err != nil {
		cgo.Handle(g.ref).Delete()
		C.goguestfs_free_handle(g)
		errno := syscall.EINVAL
		if e, ok := err.(*core.Error); ok && e.Errno != 0 {
			errno = e.Errno
		}
		C.goguestfs_set_errno(C.int(errno))
		return nil
	}
	b.h = h
	h.OnRelease(b.release)
	return g
}

//export goguestfs_close
func goguestfs_close(g *C.guestfs_h) {
	handleOf(g).h.Close()
}

// goguestfs_interrupt_for_close is guestfs_binding_interrupt_for_close
// (bridge/handle.c), after its fork check.
//
//export goguestfs_interrupt_for_close
func goguestfs_interrupt_for_close(g *C.guestfs_h) {
	handleOf(g).h.InterruptForClose()
}

//export goguestfs_report_error
func goguestfs_report_error(g *C.guestfs_h, op *C.char, errnum C.int, msg *C.char) {
	handleOf(g).h.ReportError(C.GoString(op), syscall.Errno(errnum), C.GoString(msg))
}

//export goguestfs_last_error
func goguestfs_last_error(g *C.guestfs_h) *C.char {
	b := handleOf(g)
	msg, _, ok := b.h.LastError()
	if !ok {
		return nil
	}
	tid := unix.Gettid()
	b.mu.Lock()
	defer b.mu.Unlock()
	if old := b.errs[tid]; old != nil {
		if C.GoString(old) == msg {
			return old
		}
		C.free(unsafe.Pointer(old))
	}
	c := C.CString(msg)
	b.errs[tid] = c
	return c
}

//export goguestfs_last_errno
func goguestfs_last_errno(g *C.guestfs_h) C.int {
	_, errno, _ := handleOf(g).h.LastError()
	return C.int(errno)
}

// cErrorHandler is an error handler given from C.
type cErrorHandler struct {
	cb     C.guestfs_error_handler_cb
	opaque C.uintptr_t
	g      *C.guestfs_h
}

// HandleError calls the C handler with the message.
func (e cErrorHandler) HandleError(_ *core.Handle, msg string) {
	cmsg := C.CString(msg)
	C.goguestfs_call_error(e.cb, e.g, e.opaque, cmsg)
	C.free(unsafe.Pointer(cmsg))
}

// errorHandler converts a C handler to a core one (nil for NULL).
func errorHandler(g *C.guestfs_h, cb C.guestfs_error_handler_cb, opaque C.uintptr_t) core.ErrorHandler {
	if cb == nil {
		return nil
	}
	return cErrorHandler{cb: cb, opaque: opaque, g: g}
}

//export goguestfs_set_error_handler
func goguestfs_set_error_handler(g *C.guestfs_h, cb C.guestfs_error_handler_cb, opaque C.uintptr_t) {
	handleOf(g).h.SetErrorHandler(errorHandler(g, cb, opaque))
}

//export goguestfs_push_error_handler
func goguestfs_push_error_handler(g *C.guestfs_h, cb C.guestfs_error_handler_cb, opaque C.uintptr_t) {
	handleOf(g).h.PushErrorHandler(errorHandler(g, cb, opaque))
}

//export goguestfs_pop_error_handler
func goguestfs_pop_error_handler(g *C.guestfs_h) {
	handleOf(g).h.PopErrorHandler()
}

//export goguestfs_get_error_handler
func goguestfs_get_error_handler(g *C.guestfs_h, opaqueRtn *C.uintptr_t) C.guestfs_error_handler_cb {
	var cb C.guestfs_error_handler_cb
	var opaque C.uintptr_t
	switch eh := handleOf(g).h.GetErrorHandler().(type) {
	case cErrorHandler:
		cb, opaque = eh.cb, eh.opaque
	case core.StderrErrorHandler:
		cb = C.guestfs_error_handler_cb(C.goguestfs_default_error_cb)
	}
	if opaqueRtn != nil {
		*opaqueRtn = opaque
	}
	return cb
}

// withNUL returns a pointer to a NUL-terminated copy of buf, for callbacks.
func withNUL(buf []byte) *C.char {
	z := make([]byte, len(buf)+1)
	copy(z, buf)
	return (*C.char)(unsafe.Pointer(&z[0]))
}

// cArray returns a pointer to the first element of a, or NULL.
func cArray(a []uint64) *C.uint64_t {
	if len(a) == 0 {
		return nil
	}
	return (*C.uint64_t)(unsafe.Pointer(&a[0]))
}

//export goguestfs_set_event_callback
func goguestfs_set_event_callback(g *C.guestfs_h, cb C.guestfs_event_callback, mask C.uint64_t, flags C.int, opaque C.uintptr_t) C.int {
	b := handleOf(g)
	if cb == nil {
		b.h.ReportError("set_event_callback", syscall.EINVAL, "callback: parameter cannot be NULL")
		return -1
	}
	eh, err := b.h.SetEventCallback(func(ev core.Event, eh int, buf []byte, array []uint64) {
		C.goguestfs_call_event(cb, g, opaque, C.uint64_t(ev), C.int(eh), 0,
			withNUL(buf), C.size_t(len(buf)), cArray(array), C.size_t(len(array)))
	}, core.Event(mask), int(flags))
	if err != nil {
		return -1
	}
	return C.int(eh)
}

//export goguestfs_delete_event_callback
func goguestfs_delete_event_callback(g *C.guestfs_h, eh C.int) {
	handleOf(g).h.DeleteEventCallback(int(eh))
}

// legacyEvents maps each legacy slot to the events it receives.
var legacyEvents = map[C.int]core.Event{
	C.GOGUESTFS_LEGACY_LOG_MESSAGE:     core.EventAppliance,
	C.GOGUESTFS_LEGACY_SUBPROCESS_QUIT: core.EventSubprocessQuit,
	C.GOGUESTFS_LEGACY_LAUNCH_DONE:     core.EventLaunchDone,
	C.GOGUESTFS_LEGACY_CLOSE:           core.EventClose,
	C.GOGUESTFS_LEGACY_PROGRESS:        core.EventProgress,
}

//export goguestfs_set_legacy_callback
func goguestfs_set_legacy_callback(g *C.guestfs_h, kind C.int, cb C.uintptr_t, opaque C.uintptr_t) {
	b := handleOf(g)
	b.mu.Lock()
	old, had := b.legacy[kind]
	delete(b.legacy, kind)
	b.mu.Unlock()
	if had {
		b.h.DeleteEventCallback(old)
	}
	if cb == 0 {
		return
	}
	eh, err := b.h.SetEventCallback(func(ev core.Event, _ int, buf []byte, array []uint64) {
		C.goguestfs_call_legacy(kind, cb, g, opaque,
			withNUL(buf), C.size_t(len(buf)), cArray(array), C.size_t(len(array)))
	}, legacyEvents[kind], 0)
	if err == nil {
		b.mu.Lock()
		b.legacy[kind] = eh
		b.mu.Unlock()
	}
}

//export goguestfs_set_private
func goguestfs_set_private(g *C.guestfs_h, key *C.char, data C.uintptr_t) {
	b := handleOf(g)
	if key == nil {
		b.nullArg("set_private", "key")
		return
	}
	k := C.GoString(key) // before freeing: key may be our own copy
	b.mu.Lock()
	if old, ok := b.keys[k]; ok {
		delete(b.keys, k)
		C.free(unsafe.Pointer(old))
	}
	b.mu.Unlock()
	if data == 0 {
		b.h.SetPrivate(k, nil)
	} else {
		b.h.SetPrivate(k, data)
	}
}

//export goguestfs_get_private
func goguestfs_get_private(g *C.guestfs_h, key *C.char) C.uintptr_t {
	if key == nil {
		return 0
	}
	v, _ := handleOf(g).h.GetPrivate(C.GoString(key)).(C.uintptr_t)
	return v
}

// privateEntry returns an iteration result to C: the data, and the key
// through keyRtn as a library-owned copy.
func (b *cHandle) privateEntry(key string, val any, ok bool, keyRtn **C.char) C.uintptr_t {
	v, isPtr := val.(C.uintptr_t)
	if !ok || !isPtr {
		return 0
	}
	if keyRtn != nil {
		b.mu.Lock()
		c, have := b.keys[key]
		if !have {
			c = C.CString(key)
			b.keys[key] = c
		}
		b.mu.Unlock()
		*keyRtn = c
	}
	return v
}

//export goguestfs_first_private
func goguestfs_first_private(g *C.guestfs_h, keyRtn **C.char) C.uintptr_t {
	b := handleOf(g)
	k, v, ok := b.h.FirstPrivate()
	return b.privateEntry(k, v, ok, keyRtn)
}

//export goguestfs_next_private
func goguestfs_next_private(g *C.guestfs_h, keyRtn **C.char) C.uintptr_t {
	b := handleOf(g)
	k, v, ok := b.h.NextPrivate()
	return b.privateEntry(k, v, ok, keyRtn)
}

// goStrings copies a NULL-terminated C string array.
func goStrings(v **C.char) []string {
	var out []string
	for i := C.size_t(0); ; i++ {
		s := C.goguestfs_string_at(v, i)
		if s == nil {
			return out
		}
		out = append(out, C.GoString(s))
	}
}

// cStrings returns a malloc'd NULL-terminated array of malloc'd strings.
func cStrings(l []string) **C.char {
	arr := (**C.char)(C.calloc(C.size_t(len(l)+1), C.size_t(unsafe.Sizeof((*C.char)(nil)))))
	s := unsafe.Slice(arr, len(l)+1)
	for i, x := range l {
		s[i] = C.CString(x)
	}
	return arr
}

// cBytes returns a malloc'd copy of buf (never NULL, even when empty).
func cBytes(buf []byte) *C.char {
	p := C.malloc(C.size_t(len(buf) + 1))
	copy(unsafe.Slice((*byte)(p), len(buf)+1), buf)
	return (*C.char)(p)
}
