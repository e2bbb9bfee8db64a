package protocol

import (
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Conn is one end of a protocol connection over a unix stream socket.
//
// One goroutine may Send/SendFDs while another Recv/RecvFDs: writes are
// serialized by one mutex and reads by another, so concurrent senders never
// interleave their frames. Close may be called from any goroutine and makes
// blocked Send and Recv calls return.
//
// An I/O or framing error that leaves the stream out of step (a frame
// partly read or written) is sticky: every later Recv (or Send) returns it.
// A frame that was read completely but does not decode is reported and the
// next Recv reads the next frame; what to do about it is the caller's
// decision (the daemon exits).
type Conn struct {
	uc  *net.UnixConn
	raw syscall.RawConn

	wmu     sync.Mutex
	fe      *frameEncoder
	werr    error
	ws      writeState
	writeFn func(fd uintptr) bool // c.doWrite, bound once

	rmu    sync.Mutex
	fr     frameReader
	oob    []byte
	fds    []int // descriptors received in the frame being read
	rerr   error
	rs     readState
	readFn func(fd uintptr) bool     // c.doRead, bound once
	recvFn func([]byte) (int, error) // c.recvmsg, bound once
}

// writeState is the state of one write, kept in the Conn (under wmu) so
// that the raw write callback needs no allocation.
type writeState struct {
	p, oob []byte
	off    int
	err    error
}

// readState is the state of one recvmsg, kept in the Conn (under rmu).
type readState struct {
	p               []byte
	n, oobn, rflags int
	err             error
}

// NewConn wraps uc, which must be a SOCK_STREAM unix socket. The Conn owns
// uc from then on: Close closes it.
func NewConn(uc *net.UnixConn) (*Conn, error) {
	raw, err := uc.SyscallConn()
	if err != nil {
		return nil, fmt.Errorf("protocol: cannot use socket: %w", err)
	}
	var typ int
	var serr error
	if err := raw.Control(func(fd uintptr) {
		typ, serr = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_TYPE)
	}); err != nil {
		return nil, fmt.Errorf("protocol: cannot use socket: %w", err)
	}
	if serr != nil {
		return nil, fmt.Errorf("protocol: cannot read socket type: %w", os.NewSyscallError("getsockopt", serr))
	}
	if typ != unix.SOCK_STREAM {
		return nil, fmt.Errorf("protocol: socket type is %d, want SOCK_STREAM (%d)", typ, unix.SOCK_STREAM)
	}
	c := &Conn{
		uc:  uc,
		raw: raw,
		oob: make([]byte, unix.CmsgSpace(MaxFDs*4)),
		fe:  newFrameEncoder(),
	}
	c.writeFn = c.doWrite
	c.readFn = c.doRead
	c.recvFn = c.recvmsg
	return c, nil
}

// FileConn returns a Conn on a duplicate of the unix stream socket f (for
// example the daemon's inherited end of the socketpair). f stays owned by
// the caller, who should close it.
func FileConn(f *os.File) (*Conn, error) {
	nc, err := net.FileConn(f)
	if err != nil {
		return nil, fmt.Errorf("protocol: cannot use %s as a connection: %w", f.Name(), err)
	}
	uc, ok := nc.(*net.UnixConn)
	if !ok {
		nc.Close()
		return nil, fmt.Errorf("protocol: %s is a %s socket, want a unix socket", f.Name(), nc.LocalAddr().Network())
	}
	c, err := NewConn(uc)
	if err != nil {
		uc.Close()
		return nil, err
	}
	return c, nil
}

// SocketPair returns the two ends of a new unix stream socketpair as files,
// both close-on-exec (pass one to the daemon through exec.Cmd.ExtraFiles,
// which clears the flag in the child). The caller owns and closes both.
func SocketPair() (*os.File, *os.File, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("protocol: %w", os.NewSyscallError("socketpair", err))
	}
	return os.NewFile(uintptr(fds[0]), "socketpair-0"), os.NewFile(uintptr(fds[1]), "socketpair-1"), nil
}

// Pair returns two connected Conns, for tests and in-process use.
func Pair() (*Conn, *Conn, error) {
	f0, f1, err := SocketPair()
	if err != nil {
		return nil, nil, err
	}
	defer f0.Close()
	defer f1.Close()
	c0, err := FileConn(f0)
	if err != nil {
		return nil, nil, err
	}
	c1, err := FileConn(f1)
	if err != nil {
		c0.Close()
		return nil, nil, err
	}
	return c0, c1, nil
}

// Close closes the socket. Blocked and later Send and Recv calls fail with
// an error matching net.ErrClosed. Closing twice returns an error.
func (c *Conn) Close() error { return c.uc.Close() }

// SetReadDeadline sets the time after which a blocked Recv fails with an
// error matching os.ErrDeadlineExceeded; the zero time means none. A
// deadline that expires before any byte of a frame was read leaves the
// connection usable.
func (c *Conn) SetReadDeadline(t time.Time) error { return c.uc.SetReadDeadline(t) }

// SetWriteDeadline sets the time after which a blocked Send fails with an
// error matching os.ErrDeadlineExceeded; the zero time means none.
func (c *Conn) SetWriteDeadline(t time.Time) error { return c.uc.SetWriteDeadline(t) }

// Send encodes m and writes its frame. It fails with a *SizeError (matching
// ErrTooLarge), without writing anything, if the payload would exceed
// MaxMessage; the connection stays usable.
func (c *Conn) Send(m Message) error { return c.SendFDs(nil, m) }

// SendFDs is Send with the file descriptors fds attached to the frame
// (SCM_RIGHTS; the peer gets duplicates, fds stay open and owned by the
// caller, who must keep them open until SendFDs returns). At most MaxFDs.
func (c *Conn) SendFDs(fds []int, m Message) error {
	if len(fds) > MaxFDs {
		return newError(ErrTooManyFDs, nil, fmt.Sprintf("%d file descriptors for one message, maximum is %d", len(fds), MaxFDs))
	}
	for _, fd := range fds {
		if fd < 0 {
			return fmt.Errorf("protocol: invalid file descriptor %d", fd)
		}
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	defer c.fe.trim()
	if c.werr != nil {
		return c.werr
	}
	frame, err := c.fe.encode(m)
	if err != nil {
		return err
	}
	var oob []byte
	if len(fds) > 0 {
		oob = unix.UnixRights(fds...)
	}
	sent, err := c.write(frame, oob)
	if err != nil {
		err = fmt.Errorf("protocol: sending %s message (%d of %d bytes sent): %w", m.Type(), sent, len(frame), err)
		if sent > 0 {
			c.werr = err
		}
		return err
	}
	return nil
}

// write writes all of p, with oob attached to the first bytes, never raising
// SIGPIPE. It returns how many bytes were written. c.wmu must be held.
func (c *Conn) write(p, oob []byte) (int, error) {
	c.ws = writeState{p: p, oob: oob}
	err := c.raw.Write(c.writeFn)
	if err == nil {
		err = c.ws.err
	}
	off := c.ws.off
	c.ws = writeState{}
	return off, err
}

// doWrite is the raw write callback: it returns false to wait for the
// socket to become writable.
func (c *Conn) doWrite(fd uintptr) bool {
	ws := &c.ws
	for ws.off < len(ws.p) {
		n, err := unix.SendmsgN(int(fd), ws.p[ws.off:], ws.oob, nil, unix.MSG_NOSIGNAL)
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN:
			return false
		case err != nil:
			ws.err = os.NewSyscallError("sendmsg", err)
			return true
		case n <= 0:
			ws.err = io.ErrShortWrite
			return true
		}
		ws.off += n
		ws.oob = nil
	}
	return true
}

// Recv reads and decodes the next message. A message that arrives with file
// descriptors is an error here (the descriptors are closed): use RecvFDs
// where descriptors are expected. At a clean end of stream it returns
// io.EOF.
func (c *Conn) Recv() (Message, error) {
	m, fds, err := c.recv()
	if err != nil {
		return nil, err
	}
	if len(fds) > 0 {
		closeFDs(fds)
		return nil, newError(ErrMalformed, nil, fmt.Sprintf("%d unexpected file descriptors with %s message", len(fds), m.Type()))
	}
	return m, nil
}

// RecvFDs is Recv that also returns the file descriptors that came with the
// message (close-on-exec, possibly none). The caller owns the files and must
// close them. On error no descriptor is left open.
func (c *Conn) RecvFDs() (Message, []*os.File, error) {
	m, fds, err := c.recv()
	if err != nil {
		return nil, nil, err
	}
	var files []*os.File
	for i, fd := range fds {
		files = append(files, os.NewFile(uintptr(fd), fmt.Sprintf("%s-fd-%d", m.Type(), i)))
	}
	return m, files, nil
}

// RecvHello receives the first message of a connection and checks it with
// CheckHello.
func (c *Conn) RecvHello() (*Hello, error) {
	m, err := c.Recv()
	if err == io.EOF {
		return nil, fmt.Errorf("protocol: peer closed the connection before sending its hello: %w", io.ErrUnexpectedEOF)
	}
	if err != nil {
		return nil, err
	}
	if err := CheckHello(m); err != nil {
		return nil, err
	}
	return m.(*Hello), nil
}

// recv reads one frame and decodes it; it returns the descriptors received
// with it, and closes them itself on error.
func (c *Conn) recv() (Message, []int, error) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	if c.rerr != nil {
		return nil, nil, c.rerr
	}
	c.fds = c.fds[:0]
	p, consumed, err := c.fr.read(c.recvFn)
	fds := append([]int(nil), c.fds...)
	c.fds = c.fds[:0]
	if err != nil {
		closeFDs(fds)
		if consumed || err == io.EOF {
			c.rerr = err
		}
		return nil, nil, err
	}
	m, err := decodePayload(p)
	if err != nil {
		closeFDs(fds)
		return nil, nil, err
	}
	return m, fds, nil
}

// recvmsg reads into p with io.Reader semantics, collecting any descriptors
// that arrive into c.fds. c.rmu must be held.
func (c *Conn) recvmsg(p []byte) (int, error) {
	c.rs = readState{p: p}
	err := c.raw.Read(c.readFn)
	rs := c.rs
	c.rs = readState{}
	if err != nil {
		return 0, err
	}
	if rs.err != nil {
		return 0, os.NewSyscallError("recvmsg", rs.err)
	}
	if rs.oobn > 0 || rs.rflags&unix.MSG_CTRUNC != 0 {
		if err := c.takeFDs(c.oob[:rs.oobn], rs.rflags); err != nil {
			return rs.n, err
		}
	}
	if rs.n == 0 {
		return 0, io.EOF
	}
	return rs.n, nil
}

// doRead is the raw read callback: it returns false to wait for the socket
// to become readable.
func (c *Conn) doRead(fd uintptr) bool {
	rs := &c.rs
	for {
		rs.n, rs.oobn, rs.rflags, _, rs.err = unix.Recvmsg(int(fd), rs.p, c.oob, unix.MSG_CMSG_CLOEXEC)
		if rs.err != unix.EINTR {
			return rs.err != unix.EAGAIN
		}
	}
}
