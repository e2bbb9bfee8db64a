package core

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"goguestfs/protocol"
)

// daemonProc is a running daemon: its process and the library's end of the
// connection. Guarded by the handle lock.
type daemonProc struct {
	proc   *os.Process
	conn   *protocol.Conn
	sockFD int // the library's end of the socketpair, kept to poll it (conn holds a dup)
	serial uint32
	// dead is set once the daemon died or the connection broke; every
	// later daemon call fails with it.
	dead *Error
	// files are the descriptors passed at launch (drives, overlays),
	// closed when the daemon is gone.
	files []*os.File
	// reaped is set once the process was waited for and everything closed.
	reaped bool
}

// errNotLaunched is the error of a daemon action before launch.
func errNotLaunched() *Error {
	return errorf(syscall.EINVAL, "call launch before using this function")
}

// daemonCall runs daemon action name with args and decodes its result into
// result (nil for actions without one). It runs on the calling thread:
// progress and log messages are dispatched as events while it waits, and a
// user_cancel sends Cancel to the daemon (the call then fails with EINTR).
// The caller holds the handle lock.
func (h *Handle) daemonCall(name string, progress bool, args, result any) error {
	d := h.daemon
	if d == nil || h.state != StateReady {
		if h.shutDown {
			return errorf(syscall.EINVAL, "the daemon was shut down: this handle can only be closed")
		}
		return errNotLaunched()
	}
	raw, err := protocol.Marshal(args)
	if err != nil {
		return errorf(syscall.EINVAL, "%v", err)
	}
	if len(raw) > protocol.MaxMessage {
		// Too large whatever the envelope: not even worth framing.
		return errTooLarge("its arguments alone", len(raw))
	}
	return h.roundTrip(name, &protocol.Call{Proc: name, Args: raw, Progress: progress}, nil, result)
}

// errTooLarge is the error of a call that cannot be sent because its
// encoded message (or part of it, what) is size bytes, more than a protocol
// message may carry. It is EINVAL, as the daemon's own size limits are
// (pwrite_device of more than 4 MiB), and nothing has been sent: the
// handle stays usable.
func errTooLarge(what string, size int) *Error {
	return errorf(syscall.EINVAL, "the call cannot be sent: %s take %d bytes encoded, more than the %d bytes (%d MiB) a message to the daemon may carry", what, size, protocol.MaxMessage, protocol.MaxMessage>>20)
}

// roundTrip sends msg (a *protocol.Call or *protocol.Shutdown, with fds
// attached, if any) and waits for its end.
func (h *Handle) roundTrip(name string, msg protocol.Message, fds []int, result any) error {
	d := h.daemon
	if d.dead != nil {
		return d.dead
	}
	serial := d.serial + 1
	switch m := msg.(type) {
	case *protocol.Call:
		m.Serial = serial
	case *protocol.Shutdown:
		m.Serial = serial
	}
	if err := d.conn.SendFDs(fds, msg); err != nil {
		var se *protocol.SizeError
		if errors.As(err, &se) {
			// Refused before a byte was written: the stream is in step.
			return errTooLarge("the call and its arguments", se.Size)
		}
		return h.daemonLost(fmt.Errorf("sending %s: %w", name, err))
	}
	d.serial = serial
	cancelSent := false
	pfd := []unix.PollFd{{Fd: int32(d.sockFD), Events: unix.POLLIN}, {Fd: int32(h.cancel.FD()), Events: unix.POLLIN}}
	spins := spinPolls
	for {
		n := 2
		if cancelSent {
			n = 1
		}
		timeout := -1
		if spins > 0 {
			spins--
			timeout = 0
		}
		if k, err := unix.Poll(pfd[:n], timeout); err != nil || k == 0 {
			if err == nil || err == unix.EINTR {
				continue
			}
			return h.daemonLost(fmt.Errorf("poll: %w", err))
		}
		if !cancelSent && pfd[1].Revents != 0 && h.cancel.Cancelled() {
			cancelSent = true
			if err := d.conn.Send(&protocol.Cancel{Serial: serial}); err != nil {
				return h.daemonLost(fmt.Errorf("sending cancel: %w", err))
			}
		}
		if pfd[0].Revents == 0 {
			continue
		}
		m, err := d.conn.Recv()
		if err != nil {
			return h.daemonLost(err)
		}
		switch m := m.(type) {
		case *protocol.Progress:
			if m.Serial == serial {
				h.dispatch(EventProgress, nil, []uint64{procNumbers[name], uint64(m.Serial), m.Position, m.Total})
			}
		case *protocol.Log:
			h.daemonLog(m.Line)
		case *protocol.Reply:
			if m.Serial != serial {
				return h.daemonLost(fmt.Errorf("reply for call %d while waiting for call %d", m.Serial, serial))
			}
			if result != nil {
				if err := protocol.Unmarshal(m.Result, result); err != nil {
					return h.daemonLost(fmt.Errorf("bad result of %s: %w", name, err))
				}
			}
			return nil
		case *protocol.Error:
			if m.Serial != serial {
				return h.daemonLost(fmt.Errorf("error for call %d while waiting for call %d", m.Serial, serial))
			}
			return &Error{Op: m.Op, Msg: m.Message, Errno: syscall.Errno(m.Errno)}
		default:
			return h.daemonLost(fmt.Errorf("unexpected %s message from the daemon", m.Type()))
		}
	}
}

// spinPolls is how many times (about a microsecond each, some 100 µs in
// all) a call polls for the daemon's answer without blocking before it
// blocks: a process wake-up costs tens of microseconds on a virtual
// machine, several times a trivial action.
const spinPolls = 100

// warningPrefix marks a daemon log line that is a WARNING event.
const warningPrefix = "WARNING: "

// daemonLog delivers a daemon log line: a warning as a WARNING event, any
// other line as an APPLIANCE event (the daemon sends those only when
// verbose).
func (h *Handle) daemonLog(line string) {
	if w, ok := strings.CutPrefix(line, warningPrefix); ok {
		h.dispatch(EventWarning, []byte(w), nil)
		return
	}
	h.dispatch(EventAppliance, []byte(line+"\n"), nil)
}

// daemonLost records that the daemon is gone or the connection broke: the
// daemon is killed if still running and reaped, and every later call fails
// with the returned error.
func (h *Handle) daemonLost(cause error) *Error {
	d := h.daemon
	if d.dead != nil {
		return d.dead
	}
	status := h.reap(time.Second)
	msg := fmt.Sprintf("the daemon (guestfsd, pid %d) %s (%v); the handle can only be closed now. Writes since the last sync may be lost: check the images (for ext filesystems run e2fsck)", d.proc.Pid, status, cause)
	d.dead = &Error{Msg: msg, Errno: syscall.EIO, Err: cause}
	return d.dead
}

// reap waits up to grace for the daemon to exit, then kills it, and
// describes how it ended. The connection and descriptors are closed.
func (h *Handle) reap(grace time.Duration) string {
	d := h.daemon
	if d.reaped {
		return "was already reaped"
	}
	d.reaped = true
	d.conn.Close()
	unix.Close(d.sockFD)
	for _, f := range d.files {
		f.Close()
	}
	d.files = nil
	done := make(chan *os.ProcessState, 1)
	go func() {
		st, _ := d.proc.Wait()
		done <- st
	}()
	var st *os.ProcessState
	select {
	case st = <-done:
	case <-time.After(grace):
		d.proc.Kill()
		st = <-done
	}
	return describeExit(st)
}

// describeExit says how a process ended.
func describeExit(st *os.ProcessState) string {
	if st == nil {
		return "ended (its status was collected elsewhere)"
	}
	ws, ok := st.Sys().(syscall.WaitStatus)
	switch {
	case ok && ws.Signaled():
		return "was killed by signal " + fmt.Sprint(int(ws.Signal())) + " (" + ws.Signal().String() + ")"
	case st.ExitCode() == 0:
		return "exited"
	}
	return fmt.Sprintf("exited with status %d", st.ExitCode())
}

// isNamespaceError reports whether starting a process failed because
// namespaces are not allowed here.
func isNamespaceError(err error) bool {
	for _, e := range []error{syscall.EPERM, syscall.EINVAL, syscall.ENOSPC, syscall.EUSERS, syscall.EACCES} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}
