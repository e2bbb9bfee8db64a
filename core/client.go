package core

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
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

	// The fields below are also used by guards (startGuard), outside the
	// handle lock.

	// waiting is set while the library is blocked on the daemon (sending
	// to it, or polling for its answer), not while it runs callbacks or
	// library code: only then can the daemon be unresponsive.
	waiting atomic.Bool
	// wakes counts the blocking polls that returned (the daemon spoke).
	wakes atomic.Uint64
	// killReason says why the library killed the daemon, once it did;
	// killedAtClose that it did so for close or shutdown (which report
	// it), not for a cancelled call (whose error reports it).
	killReason    atomic.Pointer[string]
	killedAtClose atomic.Bool
}

// kill kills the daemon for reason, unless it was killed already.
func (d *daemonProc) kill(reason string, atClose bool) {
	if d.killReason.CompareAndSwap(nil, &reason) {
		d.killedAtClose.Store(atClose)
		d.proc.Kill()
	}
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
	return h.daemonCallFDs(name, progress, args, result, nil)
}

// daemonCallFDs is daemonCall with the descriptors fds passed along with
// the call (they stay open and owned by the caller).
func (h *Handle) daemonCallFDs(name string, progress bool, args, result any, fds []int) error {
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
	return h.roundTrip(name, &protocol.Call{Proc: name, Args: raw, Progress: progress}, fds, result)
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
	d.waiting.Store(true)
	err := d.conn.SendFDs(fds, msg)
	d.waiting.Store(false)
	if err != nil {
		var se *protocol.SizeError
		if errors.As(err, &se) {
			// Refused before a byte was written: the stream is in step.
			return errTooLarge("the call and its arguments", se.Size)
		}
		return h.daemonLost(fmt.Errorf("sending %s: %w", name, err))
	}
	d.serial = serial
	// A shutdown cannot be cancelled (the daemon reads nothing more once
	// it has it): its round trip does not watch the cancel flag, so that
	// no Cancel is ever sent for the shutdown itself.
	cancellable := true
	cancelSent := false
	// A guard kills a daemon that stops answering while the library
	// waits for it at close or shutdown, or after a cancel (see
	// unresponsiveTimeout). Plain calls wait as long as their action needs.
	this := func() *daemonProc { return d }
	if _, ok := msg.(*protocol.Shutdown); ok {
		cancellable = false
		// The guard starts only now that Shutdown is sent: it is a few
		// bytes, and the daemon had read everything before it, so the
		// send does not block.
		stop := startGuard(this, h.shutdownDeadline(), "shutdown", true)
		defer stop()
	}
	pfd := []unix.PollFd{{Fd: int32(d.sockFD), Events: unix.POLLIN}, {Fd: int32(h.cancel.FD()), Events: unix.POLLIN}}
	spins := spinPolls
	for {
		n := 2
		if cancelSent || !cancellable {
			n = 1 // the cancel descriptor is not polled
		}
		timeout := -1
		if spins > 0 {
			spins--
			timeout = 0
		} else {
			d.waiting.Store(true)
		}
		k, err := unix.Poll(pfd[:n], timeout)
		if timeout != 0 {
			d.waiting.Store(false)
			d.wakes.Add(1)
		}
		if err != nil || k == 0 {
			if err == nil || err == unix.EINTR {
				continue
			}
			return h.daemonLost(fmt.Errorf("poll: %w", err))
		}
		if n == 2 && pfd[1].Revents != 0 && h.cancel.Cancelled() {
			cancelSent = true
			var deadline time.Time
			if cd := h.closeDeadline.Load(); cd != 0 {
				deadline = time.Unix(0, cd)
			}
			stop := startGuard(this, deadline, "the cancel of "+name, h.closeReq.Load())
			defer stop()
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
	why := fmt.Sprintf("(%v)", cause)
	if r := d.killReason.Load(); r != nil {
		why = "by the library: " + *r
	}
	msg := fmt.Sprintf("the daemon (guestfsd, pid %d) %s %s; the handle can only be closed now. Writes since the last sync may be lost: check the images (for ext filesystems run e2fsck)", d.proc.Pid, status, why)
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
	h.live.CompareAndSwap(d, nil)
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

// unresponsiveTimeout is how long a daemon the library waits for at close
// or shutdown, or after cancelling a call, may stay silent and idle before
// the library kills it (SIGKILL). Idle means no message, no CPU time and no
// thread running or in disk wait, in the daemon and its child processes: a
// stopped (SIGSTOP) or deadlocked daemon is idle, one that computes or
// flushes is not. Documented in README.md (5 s). A variable only so that
// tests can change it; a guard reads it once, when it starts.
var unresponsiveTimeout = 5 * time.Second

// guardInterval is how often a guard samples the daemon's activity.
const guardInterval = 250 * time.Millisecond

// shutdownDeadline is when a daemon asked to shut down is killed whatever
// it does: shutdownTimeout from now, or earlier if close was called on
// another thread while a call was in flight (closeDeadline).
func (h *Handle) shutdownDeadline() time.Time {
	deadline := time.Now().Add(shutdownTimeout)
	if cd := h.closeDeadline.Load(); cd != 0 && time.Unix(0, cd).Before(deadline) {
		deadline = time.Unix(0, cd)
	}
	return deadline
}

// startGuard watches the daemon that daemon returns from a goroutine of
// its own until stop is called: while the library is blocked on the
// daemon (d.waiting), it kills the daemon once it has been unresponsive
// for unresponsiveTimeout or, if deadline is not zero, when deadline has
// passed. daemon is called at every sample, so a guard can be started
// before launch has started the daemon (it returns nil until then, and
// after the daemon was reaped). The blocked call then sees the connection
// close and fails with the daemon-lost error, which says why; waitingFor
// names what the library waited for, for that message, and atClose
// whether close or shutdown is what waits. While the library runs
// callbacks or its own code the daemon is not to blame, and is left
// alone. The goroutine only reads /proc and sends a signal: it calls no
// user code and takes no lock.
func startGuard(daemon func() *daemonProc, deadline time.Time, waitingFor string, atClose bool) (stop func()) {
	done := make(chan struct{})
	var once sync.Once
	timeout := unresponsiveTimeout
	go func() {
		defer func() {
			// A guard must never take the caller down; without it the
			// wait is only unbounded, as it would be without guards.
			_ = recover()
		}()
		t := time.NewTicker(guardInterval)
		defer t.Stop()
		start := time.Now()
		var d *daemonProc // the daemon watched since quiet
		var quiet time.Time
		var last, wakes uint64
		watch := func(now time.Time) {
			d = daemon()
			quiet = now // since when the daemon was last seen active
			if d != nil {
				last, _ = daemonActivity(d.proc.Pid)
				wakes = d.wakes.Load()
			}
		}
		watch(start)
		for {
			select {
			case <-done:
				return
			case now := <-t.C:
				if cur := daemon(); cur != d {
					watch(now) // started, or reaped: a new watch
					continue
				}
				if d == nil {
					continue
				}
				waiting := d.waiting.Load()
				if waiting && !deadline.IsZero() && !now.Before(deadline) {
					d.kill(fmt.Sprintf("it had not finished %s %v after it began", waitingFor, now.Sub(start).Round(time.Second)), atClose)
					return
				}
				ticks, busy := daemonActivity(d.proc.Pid)
				w := d.wakes.Load()
				if !waiting || busy || ticks != last || w != wakes {
					quiet, last, wakes = now, ticks, w
					continue
				}
				if now.Sub(quiet) >= timeout {
					d.kill(fmt.Sprintf("waiting for %s, it sent nothing and did no work for %v (stopped or hung)", waitingFor, timeout), atClose)
					return
				}
			}
		}
	}()
	return func() { once.Do(func() { close(done) }) }
}

// daemonActivity samples how busy process pid and its children are: the
// CPU time they used (clock ticks, including reaped children) and whether
// any of their threads is running or in uninterruptible (disk) wait. When
// /proc cannot be read the process counts as busy, so that a guard then
// kills only at its deadline.
func daemonActivity(pid int) (ticks uint64, busy bool) {
	procs := []int{pid}
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*", pid))
	for _, task := range tasks {
		if b, err := os.ReadFile(task + "/children"); err == nil {
			for _, f := range strings.Fields(string(b)) {
				if c, err := strconv.Atoi(f); err == nil {
					procs = append(procs, c)
				}
			}
		}
	}
	for i, p := range procs {
		st, t, ok := readStat(fmt.Sprintf("/proc/%d/stat", p))
		if !ok {
			if i == 0 {
				return 0, true
			}
			continue
		}
		ticks += t
		if st == 'R' || st == 'D' {
			busy = true
		}
		threads, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/stat", p))
		for _, th := range threads {
			if st, _, ok := readStat(th); ok && (st == 'R' || st == 'D') {
				busy = true
			}
		}
	}
	return ticks, busy
}

// readStat reads the state and the CPU time (utime + stime + cutime +
// cstime, in clock ticks) from a /proc/PID/stat or task stat file.
func readStat(path string) (state byte, ticks uint64, ok bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, 0, false
	}
	// "pid (comm) S ppid ...": comm may hold anything, up to the last ')'.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0, 0, false
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (state); utime..cstime are fields 14..17.
	if len(f) < 15 || len(f[0]) != 1 {
		return 0, 0, false
	}
	for _, v := range f[11:15] {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return 0, 0, false
		}
		ticks += n
	}
	return f[0][0], ticks, true
}
