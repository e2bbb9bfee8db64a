package core

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"syscall"
)

// Event is a bitmask of event classes (EventClose, EventProgress, ...).
type Event uint64

// EventCallback receives an event. It runs on the thread that is inside a
// call on the handle, during that call. buf carries log text (the action
// name for ENTER); array carries numbers ([proc_nr, serial, position,
// total] for PROGRESS). Neither may be kept after the callback returns.
type EventCallback func(ev Event, eventHandle int, buf []byte, array []uint64)

// eventEntry is one registration.
type eventEntry struct {
	handle  int
	mask    Event
	cb      EventCallback
	deleted bool
}

// eventTable holds the registrations in registration order.
type eventTable struct {
	entries []*eventEntry
	next    int // next event handle; handles are never reused
	active  int // nesting depth of dispatches in progress
}

// String returns the event names in alphabetical order, comma-separated,
// as guestfs_event_to_string does.
func (e Event) String() string {
	var names []string
	for bit, name := range eventNames {
		if e&bit != 0 {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return strings.Join(names, ",")
}

// SetEventCallback registers cb for the events in mask and returns its
// event handle. flags must be 0. A callback registered during a dispatch
// first runs in the next one.
func (h *Handle) SetEventCallback(cb EventCallback, mask Event, flags int) (eh int, err error) {
	h.withLock(func(tid int) {
		switch {
		case h.closed:
			err = asError("set_event_callback", ErrClosed)
		case cb == nil:
			err = &Error{Op: "set_event_callback", Msg: "callback is NULL", Errno: syscall.EINVAL}
		case mask&^EventAll != 0 || mask == 0:
			err = &Error{Op: "set_event_callback", Msg: fmt.Sprintf("event bitmask 0x%x: not a set of known events", uint64(mask)), Errno: syscall.EINVAL}
		case flags != 0:
			err = &Error{Op: "set_event_callback", Msg: fmt.Sprintf("flags %d: must be 0", flags), Errno: syscall.EINVAL}
		}
		if err != nil {
			h.recordError(tid, err.(*Error))
			eh = -1
			return
		}
		eh = h.events.next
		h.events.next++
		h.events.entries = append(h.events.entries, &eventEntry{handle: eh, mask: mask, cb: cb})
	})
	return eh, err
}

// DeleteEventCallback removes a registration. It takes effect at once: the
// callback is not called again, not even later in a dispatch in progress.
// Unknown handles are ignored.
func (h *Handle) DeleteEventCallback(eh int) {
	h.withLock(func(int) {
		for _, e := range h.events.entries {
			if e.handle == eh {
				e.deleted = true
			}
		}
		h.events.compact()
	})
}

// compact drops deleted entries when no dispatch is iterating them.
func (t *eventTable) compact() {
	if t.active > 0 {
		return
	}
	live := t.entries[:0]
	for _, e := range t.entries {
		if !e.deleted {
			live = append(live, e)
		}
	}
	for i := len(live); i < len(t.entries); i++ {
		t.entries[i] = nil
	}
	t.entries = live
}

// dispatch calls every live callback registered for ev, in registration
// order, and reports whether any was called. For message events nobody took,
// it prints the message to stderr as libguestfs does. The caller holds the
// lock.
func (h *Handle) dispatch(ev Event, buf []byte, array []uint64) bool {
	t := &h.events
	t.active++
	n := len(t.entries)
	called := false
	for i := 0; i < n && i < len(t.entries); i++ {
		e := t.entries[i]
		if e.deleted || e.mask&ev == 0 {
			continue
		}
		called = true
		e.cb(ev, e.handle, buf, array)
	}
	t.active--
	t.compact()
	if !called {
		h.printUnhandled(ev, buf)
	}
	return called
}

// printUnhandled prints a message event that no callback received.
func (h *Handle) printUnhandled(ev Event, buf []byte) {
	switch ev {
	case EventTrace:
		fmt.Fprintf(os.Stderr, "libguestfs: trace: %s\n", buf)
	case EventWarning:
		fmt.Fprintf(os.Stderr, "libguestfs: warning: %s\n", buf)
	case EventLibrary:
		fmt.Fprintf(os.Stderr, "libguestfs: %s\n", buf)
	case EventAppliance:
		os.Stderr.Write(buf)
	}
}

// Emit sends an event to the callbacks from inside a call on the handle (the
// daemon client uses it for PROGRESS and APPLIANCE). The caller must be on
// the thread that holds the lock, inside a call.
func (h *Handle) Emit(ev Event, buf []byte, array []uint64) {
	h.withLock(func(int) { h.dispatch(ev, buf, array) })
}
