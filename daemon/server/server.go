// Package server is the daemon's side of the protocol: it answers the
// library's calls by running the matching method of an Actions
// implementation (the dispatch table is generated from the API table), one
// call at a time, with progress, cancel and log support, and ends cleanly
// when the library asks it to or disappears.
package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"goguestfs/daemon/devices"
	"goguestfs/daemon/errno"
	"goguestfs/protocol"
)

// Flusher is an optional capability of a group: Flush writes the group's
// state (open filesystems) to the devices. The server flushes every group
// that has it, then the drives, before sync returns and before it exits.
type Flusher interface {
	Flush() error
}

// AddDriveArgs are the arguments of the launch-internal call
// internal_add_drive (the library has the same struct).
type AddDriveArgs struct {
	Index    int  `cbor:"1,keyasint"`
	Readonly bool `cbor:"2,keyasint"`
}

// Config tunes a Server.
type Config struct {
	// ProgressDelay is the time before the first PROGRESS message of a
	// call (default 2 s); ProgressInterval the time between two (default
	// 1/3 s).
	ProgressDelay, ProgressInterval time.Duration
	// Verbose sends log lines to the library (APPLIANCE events).
	Verbose bool
	// PollFD is a descriptor of the connection's socket that Serve may
	// poll (never read) to spin for up to Spin before blocking for the
	// next message; -1 or a zero Spin disables spinning.
	PollFD int
	Spin   time.Duration
}

// proc is one entry of the generated dispatch table.
type proc struct {
	nr       int
	group    string
	progress bool
	run      func(c *Call, g *Groups, raw []byte) (any, error)
}

// Server serves one connection.
type Server struct {
	conn   *protocol.Conn
	groups *Groups
	devs   *devices.Set
	cfg    Config

	prelude func()

	mu      sync.Mutex
	running *Call // the call in progress, nil when idle
	done    chan struct{}
}

// Prelude sets a function that Serve runs right after the hello, to send
// the first log lines and warnings.
func (s *Server) Prelude(fn func()) { s.prelude = fn }

// New returns a server for conn that runs the actions of groups over the
// drives of devs (internal_add_drive adds them there).
func New(conn *protocol.Conn, groups *Groups, devs *devices.Set, cfg Config) *Server {
	if cfg.ProgressDelay <= 0 {
		cfg.ProgressDelay = 2 * time.Second
	}
	if cfg.ProgressInterval <= 0 {
		cfg.ProgressInterval = time.Second / 3
	}
	return &Server{conn: conn, groups: groups, devs: devs, cfg: cfg}
}

// ErrShutdown is what Serve returns after a Shutdown from the library.
var ErrShutdown = errors.New("shutdown requested")

// Logf sends a log line to the library when verbose.
func (s *Server) Logf(format string, args ...any) {
	if s.cfg.Verbose {
		s.conn.Send(&protocol.Log{Line: fmt.Sprintf(format, args...)})
	}
}

// Warnf sends a WARNING line to the library (a WARNING event there).
func (s *Server) Warnf(format string, args ...any) {
	s.conn.Send(&protocol.Log{Line: "WARNING: " + fmt.Sprintf(format, args...)})
}

// Serve sends the hello and answers messages until the library sends
// Shutdown (ErrShutdown), the connection ends (io.EOF: the caller is gone)
// or a protocol error. Before it returns, the running call (if any) has
// finished and the backend has been flushed; a flush failure is returned
// when nothing else went wrong.
func (s *Server) Serve() error {
	if err := s.conn.Send(protocol.NewHello()); err != nil {
		return err
	}
	if s.prelude != nil {
		s.prelude()
	}
	err := s.loop()
	if err == ErrShutdown {
		// The shutdown call has waited and flushed already.
		return err
	}
	s.wait()
	if ferr := s.Flush(); err == nil {
		err = ferr
	}
	return err
}

// wait waits for the running call to end.
func (s *Server) wait() {
	s.mu.Lock()
	done := s.done
	s.mu.Unlock()
	if done != nil {
		<-done
	}
}

func (s *Server) loop() error {
	for {
		s.spin()
		m, files, err := s.conn.RecvFDs()
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, os.ErrClosed) || errors.Is(err, net.ErrClosed) {
				return io.EOF
			}
			return err
		}
		switch m := m.(type) {
		case *protocol.Call:
			if m.Proc == "internal_add_drive" {
				s.addDrive(m, files)
				continue
			}
			if m.Proc == "internal_ready" {
				closeFiles(files)
				s.reply(m.Serial, m.Proc, nil, nil)
				continue
			}
			s.start(m, files)
		case *protocol.Cancel:
			closeFiles(files)
			s.mu.Lock()
			if c := s.running; c != nil && c.Serial == m.Serial {
				c.cancel()
			}
			s.mu.Unlock()
		case *protocol.Shutdown:
			closeFiles(files)
			s.wait()
			s.reply(m.Serial, "shutdown", nil, s.Flush())
			return ErrShutdown
		default:
			closeFiles(files)
			return fmt.Errorf("protocol: unexpected %s message from the library", m.Type())
		}
	}
}

func closeFiles(files []*os.File) {
	for _, f := range files {
		f.Close()
	}
}

// addDrive handles internal_add_drive.
func (s *Server) addDrive(m *protocol.Call, files []*os.File) {
	var args AddDriveArgs
	err := protocol.Unmarshal(m.Args, &args)
	want := 1
	if args.Readonly {
		want = 2
	}
	if err != nil {
		err = errBadArgs(err)
	} else if len(files) != want {
		err = errno.New(syscall.EINVAL, "%d descriptors, want %d", len(files), want)
	}
	if err != nil {
		closeFiles(files)
		s.reply(m.Serial, m.Proc, nil, err)
		return
	}
	var overlay *os.File
	if args.Readonly {
		overlay = files[1]
	}
	s.reply(m.Serial, m.Proc, nil, s.devs.Add(args.Index, files[0], overlay))
}

// Flush writes every group that is a Flusher, then the drives, to stable
// storage.
func (s *Server) Flush() error {
	var errs []error
	for _, g := range s.groups.all() {
		if f, ok := g.(Flusher); ok {
			errs = append(errs, f.Flush())
		}
	}
	errs = append(errs, s.devs.Flush())
	return errors.Join(errs...)
}

// maxErrorMessage bounds the message of an error reply.
const maxErrorMessage = 4096

// reply sends the result or error of call serial to action proc. The
// error's message gets the action name, once, here: handlers name only
// the object.
func (s *Server) reply(serial uint32, proc string, result any, err error) {
	if err != nil {
		msg := errno.CutTo(err.Error(), maxErrorMessage)
		s.conn.Send(&protocol.Error{Serial: serial, Op: proc, Message: msg, Errno: int32(errno.Of(err))})
		return
	}
	raw, merr := protocol.Marshal(result)
	if merr != nil {
		s.reply(serial, proc, nil, errno.New(syscall.EIO, "cannot encode the result: %v", merr))
		return
	}
	if err := s.conn.Send(&protocol.Reply{Serial: serial, Result: raw}); errors.Is(err, protocol.ErrTooLarge) {
		// Nothing was sent: the caller must still get an answer.
		s.reply(serial, proc, nil, errno.New(syscall.EIO, "the result does not fit in one message: %v", err))
	}
}

// start runs call m (with the host files that came with it, which it
// closes when the call ends) in a goroutine of its own, so that the loop
// can still read Cancel messages.
func (s *Server) start(m *protocol.Call, files []*os.File) {
	p, ok := procs[m.Proc]
	if !ok {
		closeFiles(files)
		s.reply(m.Serial, errno.Cut(m.Proc), nil, errno.New(syscall.ENOSYS, "unknown action (the library and guestfsd come from different builds)"))
		return
	}
	s.mu.Lock()
	if s.running != nil {
		s.mu.Unlock()
		closeFiles(files)
		s.reply(m.Serial, m.Proc, nil, errno.New(syscall.EBUSY, "another call is running"))
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &Call{Ctx: ctx, Serial: m.Serial, Proc: m.Proc, s: s, cancel: cancel,
		progress: m.Progress && p.progress, start: time.Now(), files: files}
	done := make(chan struct{})
	s.running, s.done = c, done
	s.mu.Unlock()
	body := func() {
		defer close(done)
		result, err := s.run(c, p, m.Args)
		if cerr := c.closeFiles(); err == nil {
			err = cerr
		}
		c.finishProgress()
		cancel()
		// Idle again before the reply goes out: the library may send its
		// next call as soon as it has the reply.
		s.mu.Lock()
		s.running, s.done = nil, nil
		s.mu.Unlock()
		s.reply(m.Serial, m.Proc, result, err)
	}
	if !p.progress {
		// Short actions run on the loop's goroutine: no hand-off, and no
		// Cancel can matter to them.
		body()
		return
	}
	go body()
}

// spin waits, busy, up to cfg.Spin for the library's next message, so that
// a quick sequence of calls does not pay the scheduler's wake-up latency
// on every one. It yields to the running call's goroutine meanwhile.
func (s *Server) spin() {
	if s.cfg.PollFD < 0 || s.cfg.Spin <= 0 {
		return
	}
	fds := []unix.PollFd{{Fd: int32(s.cfg.PollFD), Events: unix.POLLIN}}
	deadline := time.Now().Add(s.cfg.Spin)
	for time.Now().Before(deadline) {
		if n, _ := unix.Poll(fds, 0); n != 0 {
			return
		}
		runtime.Gosched()
	}
}

// run runs one action, turning a panic into an EIO error.
func (s *Server) run(c *Call, p proc, raw []byte) (result any, err error) {
	defer func() {
		if r := recover(); r != nil {
			result, err = nil, errno.New(syscall.EIO, "internal error in the daemon: %v", r)
		}
	}()
	return p.run(c, s.groups, raw)
}

// Call is the context of one running action.
type Call struct {
	// Ctx is cancelled when the library cancels the call.
	Ctx context.Context
	// Serial is the call's serial number; Proc the action's name.
	Serial uint32
	Proc   string

	s        *Server
	cancel   context.CancelFunc
	progress bool
	start    time.Time
	// files are the host files that came with the call (its FileIn and
	// FileOut arguments, in order), closed when it ends.
	files []*os.File

	mu                 sync.Mutex
	last               time.Time // when the last progress message went out
	sent               bool
	lastPos, lastTotal uint64
}

// ErrCancelled is the error of a cancelled action: it carries EINTR.
var ErrCancelled = errno.New(syscall.EINTR, "operation cancelled by the user")

// Cancelled returns ErrCancelled once the library cancelled the call, else
// nil. Long actions check it often.
func (c *Call) Cancelled() error {
	if c.Ctx.Err() != nil {
		return ErrCancelled
	}
	return nil
}

// Progress reports that the action has done position units out of total.
// Messages go out by the progress rule: none before the delay, then at
// most one per interval; the final position == total is sent when the
// action ends if any message was sent.
func (c *Call) Progress(position, total uint64) {
	if !c.progress {
		return
	}
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lastTotal = total
	if now.Sub(c.start) < c.s.cfg.ProgressDelay || (c.sent && now.Sub(c.last) < c.s.cfg.ProgressInterval) {
		return
	}
	c.sent, c.last, c.lastPos = true, now, position
	c.s.conn.Send(&protocol.Progress{Serial: c.Serial, Proc: c.Proc, Position: position, Total: total})
}

// finishProgress sends the final position == total message when any
// progress message was sent.
func (c *Call) finishProgress() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sent && c.lastPos != c.lastTotal {
		c.lastPos = c.lastTotal
		c.s.conn.Send(&protocol.Progress{Serial: c.Serial, Proc: c.Proc, Position: c.lastTotal, Total: c.lastTotal})
	}
}

// Logf sends a log line to the library when verbose.
func (c *Call) Logf(format string, args ...any) { c.s.Logf(format, args...) }

// Flush flushes every group and the drives, as sync does.
func (c *Call) Flush() error { return c.s.Flush() }

// wantFiles checks that the call came with n host files.
func (c *Call) wantFiles(n int) error {
	if len(c.files) != n {
		return errno.New(syscall.EINVAL, "the call came with %d host file descriptors, want %d", len(c.files), n)
	}
	return nil
}

// closeFiles closes the call's host files. A FileOut whose close fails
// (a write-back error of the host's filesystem) fails the call with it.
func (c *Call) closeFiles() error {
	var errs []error
	for _, f := range c.files {
		if err := f.Close(); err != nil {
			errs = append(errs, errno.New(syscall.EIO, "closing a host file: %v", err))
		}
	}
	c.files = nil
	return errors.Join(errs...)
}
