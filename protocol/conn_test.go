package protocol

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

func newPair(t testing.TB) (*Conn, *Conn) {
	t.Helper()
	a, b, err := Pair()
	require.NoError(t, err)
	t.Cleanup(func() { a.Close(); b.Close() })
	return a, b
}

// rawPair returns a Conn and the raw descriptor of its peer, to send
// arbitrary bytes and control messages.
func rawPair(t *testing.T) (*Conn, int) {
	t.Helper()
	f0, f1, err := SocketPair()
	require.NoError(t, err)
	c, err := FileConn(f0)
	require.NoError(t, err)
	f0.Close()
	t.Cleanup(func() { c.Close(); f1.Close() })
	return c, int(f1.Fd())
}

// openFDs counts this process's open descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	require.NoError(t, err)
	return len(ents)
}

func TestConnRoundTripAllTypes(t *testing.T) {
	lib, daemon := newPair(t)
	msgs := allMessages(t)
	go func() {
		for _, m := range msgs {
			if err := daemon.Send(m); err != nil {
				t.Errorf("send %s: %v", m.Type(), err)
				return
			}
		}
	}()
	for _, want := range msgs {
		got, err := lib.Recv()
		require.NoError(t, err)
		assert.Equal(t, want, got)
	}
	// And in the other direction, with a large pwrite-sized message.
	big := &Call{Serial: 99, Proc: "pwrite_device", Args: mustMarshal(t, []any{"/dev/sda", bytes.Repeat([]byte("abcdefg"), 4<<20/7), int64(512)})}
	errc := make(chan error, 1)
	go func() { errc <- lib.Send(big) }()
	got, err := daemon.Recv()
	require.NoError(t, err)
	require.NoError(t, <-errc)
	assert.Equal(t, big, got)
}

func TestConnHello(t *testing.T) {
	lib, daemon := newPair(t)
	require.NoError(t, daemon.Send(NewHello()))
	h, err := lib.RecvHello()
	require.NoError(t, err)
	assert.Equal(t, NewHello(), h)

	require.NoError(t, daemon.Send(&Hello{Magic: Magic, Version: 2}))
	_, err = lib.RecvHello()
	require.ErrorIs(t, err, ErrVersion)
	assert.Contains(t, err.Error(), "peer speaks protocol version 2, this side speaks version 1")

	require.NoError(t, daemon.Send(&Log{Line: "early"}))
	_, err = lib.RecvHello()
	require.ErrorIs(t, err, ErrMalformed)
	assert.Contains(t, err.Error(), "expected hello as first message, got log")

	require.NoError(t, daemon.Close())
	_, err = lib.RecvHello()
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
	assert.Contains(t, err.Error(), "peer closed the connection before sending its hello")
}

func TestConnFDPassing(t *testing.T) {
	before := openFDs(t)
	lib, daemon := newPair(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "disk.img")
	require.NoError(t, os.WriteFile(path, make([]byte, 4096), 0o600))
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	require.NoError(t, err)
	ro, err := os.Open(path)
	require.NoError(t, err)

	call := &Call{Serial: 1, Proc: "internal_add_drives", Args: mustMarshal(t, []string{"/dev/sda", "/dev/sdb"})}
	require.NoError(t, lib.SendFDs([]int{int(f.Fd()), int(ro.Fd())}, call))
	require.NoError(t, f.Close())
	require.NoError(t, ro.Close())

	m, files, err := daemon.RecvFDs()
	require.NoError(t, err)
	assert.Equal(t, call, m)
	require.Len(t, files, 2)

	// Write through the received descriptor, read back by path.
	_, err = files[0].WriteAt([]byte("written by the daemon"), 512)
	require.NoError(t, err)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "written by the daemon", string(data[512:533]))

	// The read-only descriptor stays read-only.
	_, err = files[1].WriteAt([]byte("x"), 0)
	assert.ErrorIs(t, err, syscall.EBADF)
	buf := make([]byte, 21)
	_, err = files[1].ReadAt(buf, 512)
	require.NoError(t, err)
	assert.Equal(t, "written by the daemon", string(buf))

	// Received descriptors are close-on-exec.
	for _, rf := range files {
		flags, err := unix.FcntlInt(rf.Fd(), unix.F_GETFD, 0)
		require.NoError(t, err)
		assert.NotZero(t, flags&unix.FD_CLOEXEC)
		require.NoError(t, rf.Close())
	}

	// A message without descriptors gives no files.
	require.NoError(t, lib.Send(&Cancel{Serial: 1}))
	m, files, err = daemon.RecvFDs()
	require.NoError(t, err)
	assert.Equal(t, &Cancel{Serial: 1}, m)
	assert.Empty(t, files)

	lib.Close()
	daemon.Close()
	assert.Equal(t, before, openFDs(t), "descriptor leak")
}

func TestConnUnexpectedFDsAreClosed(t *testing.T) {
	before := openFDs(t)
	lib, daemon := newPair(t)
	f, err := os.Open(os.DevNull)
	require.NoError(t, err)
	require.NoError(t, lib.SendFDs([]int{int(f.Fd()), int(f.Fd())}, &Reply{Serial: 4}))
	f.Close()

	_, err = daemon.Recv()
	require.ErrorIs(t, err, ErrMalformed)
	assert.Contains(t, err.Error(), "2 unexpected file descriptors with reply message")

	// The stream is still in step.
	require.NoError(t, lib.Send(&Cancel{Serial: 5}))
	m, err := daemon.Recv()
	require.NoError(t, err)
	assert.Equal(t, &Cancel{Serial: 5}, m)

	lib.Close()
	daemon.Close()
	assert.Equal(t, before, openFDs(t), "descriptor leak")
}

func TestConnTooManyFDs(t *testing.T) {
	lib, _ := newPair(t)
	fds := make([]int, MaxFDs+1)
	err := lib.SendFDs(fds, &Call{Serial: 1, Proc: "x"})
	require.ErrorIs(t, err, ErrTooManyFDs)
	assert.Equal(t, "protocol: 254 file descriptors for one message, maximum is 253", err.Error())

	err = lib.SendFDs([]int{-1}, &Call{Serial: 1, Proc: "x"})
	assert.EqualError(t, err, "protocol: invalid file descriptor -1")

	// A closed descriptor is refused by the kernel; nothing is sent and the
	// connection stays usable.
	err = lib.SendFDs([]int{1 << 20}, &Call{Serial: 1, Proc: "x"})
	require.ErrorIs(t, err, syscall.EBADF)
	require.NoError(t, lib.Send(&Cancel{}))
}

// A hostile peer spreads more than MaxFDs descriptors over one frame.
func TestConnTooManyFDsReceived(t *testing.T) {
	c, peer := rawPair(t)
	null, err := os.Open(os.DevNull)
	require.NoError(t, err)
	defer null.Close()
	before := openFDs(t)
	fds := make([]int, 200)
	for i := range fds {
		fds[i] = int(null.Fd())
	}
	frame, err := Encode(&Call{Serial: 1, Proc: "abc"})
	require.NoError(t, err)
	require.NoError(t, unix.Sendmsg(peer, frame[:2], unix.UnixRights(fds...), nil, 0))
	require.NoError(t, unix.Sendmsg(peer, frame[2:], unix.UnixRights(fds...), nil, 0))

	_, _, err = c.RecvFDs()
	require.ErrorIs(t, err, ErrTooManyFDs)
	assert.Contains(t, err.Error(), "peer sent 400 file descriptors with one message, maximum is 253")
	// Sticky: the stream is out of step.
	_, err = c.Recv()
	assert.ErrorIs(t, err, ErrTooManyFDs)
	assert.Equal(t, before, openFDs(t), "descriptor leak")
}

func TestConnMalformedInput(t *testing.T) {
	t.Run("oversized", func(t *testing.T) {
		c, peer := rawPair(t)
		_, err := unix.Write(peer, []byte{0x00, 0x98, 0x96, 0x7f, 1, 2, 3})
		require.NoError(t, err)
		_, err = c.Recv()
		require.ErrorIs(t, err, ErrTooLarge)
		assert.Equal(t, "protocol: frame length 9999999 exceeds maximum 8388608", err.Error())
		_, err = c.Recv()
		assert.ErrorIs(t, err, ErrTooLarge, "error must be sticky")
	})
	t.Run("truncated", func(t *testing.T) {
		c, peer := rawPair(t)
		frame, err := Encode(&Log{Line: "cut short"})
		require.NoError(t, err)
		_, err = unix.Write(peer, frame[:7])
		require.NoError(t, err)
		require.NoError(t, unix.Shutdown(peer, unix.SHUT_WR))
		_, err = c.Recv()
		require.ErrorIs(t, err, ErrMalformed)
		assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
		assert.Contains(t, err.Error(), fmt.Sprintf("truncated frame: got 3 of %d payload bytes", len(frame)-4))
	})
	t.Run("garbage payload keeps the stream in step", func(t *testing.T) {
		c, peer := rawPair(t)
		good, err := Encode(&Cancel{Serial: 3})
		require.NoError(t, err)
		bad := frame([]byte{0x18, 42, 0xa0})
		_, err = unix.Write(peer, append(bad, good...))
		require.NoError(t, err)
		_, err = c.Recv()
		require.ErrorIs(t, err, ErrMalformed)
		assert.Contains(t, err.Error(), "unknown message type 42")
		m, err := c.Recv()
		require.NoError(t, err)
		assert.Equal(t, &Cancel{Serial: 3}, m)
	})
	t.Run("clean EOF", func(t *testing.T) {
		c, peer := rawPair(t)
		require.NoError(t, unix.Shutdown(peer, unix.SHUT_WR))
		_, err := c.Recv()
		assert.Equal(t, io.EOF, err)
		_, err = c.Recv()
		assert.Equal(t, io.EOF, err)
	})
}

func TestConnConcurrentSenders(t *testing.T) {
	lib, daemon := newPair(t)
	const senders, each = 8, 40
	payload := func(s, i int) []byte {
		// Some messages are large, so that writes are split by the kernel.
		n := 10 + i
		if (s*each+i)%7 == 6 {
			n = 150000
		}
		return bytes.Repeat([]byte{byte(s), byte(i)}, n)
	}
	var wg sync.WaitGroup
	for s := 0; s < senders; s++ {
		wg.Add(1)
		go func(s int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				m := &Call{Serial: uint32(s*each + i), Proc: fmt.Sprintf("p%d", s), Args: mustMarshal(t, payload(s, i))}
				if err := lib.Send(m); err != nil {
					t.Errorf("sender %d: %v", s, err)
					return
				}
			}
		}(s)
	}
	// Meanwhile the other direction is busy too.
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < 100; i++ {
			if err := daemon.Send(&Progress{Serial: uint32(i), Proc: "x", Position: uint64(i), Total: 100}); err != nil {
				t.Errorf("progress: %v", err)
				return
			}
		}
	}()
	recvDone := make(chan struct{})
	go func() {
		defer close(recvDone)
		for i := 0; i < 100; i++ {
			m, err := lib.Recv()
			if !assert.NoError(t, err) {
				return
			}
			assert.Equal(t, uint64(i), m.(*Progress).Position)
		}
	}()
	seen := map[uint32]bool{}
	next := make([]int, senders)
	for n := 0; n < senders*each; n++ {
		m, err := daemon.Recv()
		require.NoError(t, err)
		call := m.(*Call)
		s, i := int(call.Serial)/each, int(call.Serial)%each
		require.False(t, seen[call.Serial], "serial %d twice", call.Serial)
		seen[call.Serial] = true
		assert.Equal(t, fmt.Sprintf("p%d", s), call.Proc)
		assert.Equal(t, next[s], i, "sender %d out of order", s)
		next[s]++
		var got []byte
		require.NoError(t, Unmarshal(call.Args, &got))
		require.True(t, bytes.Equal(payload(s, i), got), "payload of serial %d corrupted", call.Serial)
	}
	wg.Wait()
	<-recvDone
}

func TestConnCloseUnblocksRecv(t *testing.T) {
	lib, _ := newPair(t)
	errc := make(chan error, 1)
	go func() {
		_, err := lib.Recv()
		errc <- err
	}()
	time.Sleep(20 * time.Millisecond)
	require.NoError(t, lib.Close())
	select {
	case err := <-errc:
		assert.ErrorIs(t, err, net.ErrClosed)
	case <-time.After(5 * time.Second):
		t.Fatal("Recv still blocked after Close")
	}
	assert.ErrorIs(t, lib.Send(&Cancel{}), net.ErrClosed)
}

func TestConnReadDeadline(t *testing.T) {
	lib, daemon := newPair(t)
	require.NoError(t, lib.SetReadDeadline(time.Now().Add(20*time.Millisecond)))
	_, err := lib.Recv()
	require.ErrorIs(t, err, os.ErrDeadlineExceeded)
	// Nothing of a frame was read, so the connection is still usable.
	require.NoError(t, lib.SetReadDeadline(time.Time{}))
	require.NoError(t, daemon.Send(&Log{Line: "late"}))
	m, err := lib.Recv()
	require.NoError(t, err)
	assert.Equal(t, &Log{Line: "late"}, m)
}

func TestConnWriteDeadlineAndDeadPeer(t *testing.T) {
	lib, daemon := newPair(t)
	// The peer does not read: a big message blocks until the deadline, and a
	// partly written frame makes the write side unusable.
	big := &Call{Serial: 1, Proc: "pwrite_device", Args: mustMarshal(t, make([]byte, 6<<20))}
	require.NoError(t, lib.SetWriteDeadline(time.Now().Add(500*time.Millisecond)))
	err := lib.Send(big)
	require.ErrorIs(t, err, os.ErrDeadlineExceeded)
	assert.Regexp(t, `^protocol: sending call message \([1-9][0-9]* of 6291487 bytes sent\): `, err.Error())
	require.NoError(t, lib.SetWriteDeadline(time.Time{}))
	assert.ErrorIs(t, lib.Send(&Cancel{}), os.ErrDeadlineExceeded, "partial write must be sticky")

	// Writing to a peer that has gone fails with EPIPE, without SIGPIPE.
	require.NoError(t, daemon.Close())
	err = daemon.Send(&Cancel{})
	assert.ErrorIs(t, err, net.ErrClosed)
	_, other := newPair(t)
	c2, d2 := newPair(t)
	require.NoError(t, d2.Close())
	err = c2.Send(&Log{Line: "anyone there?"})
	assert.True(t, errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET), "got %v", err)
	_ = other
}

func TestFileConnRejectsNonStream(t *testing.T) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	require.NoError(t, err)
	f0, f1 := os.NewFile(uintptr(fds[0]), "dgram0"), os.NewFile(uintptr(fds[1]), "dgram1")
	defer f0.Close()
	defer f1.Close()
	_, err = FileConn(f0)
	assert.ErrorContains(t, err, "want SOCK_STREAM")

	tmp, err := os.CreateTemp(t.TempDir(), "notasocket")
	require.NoError(t, err)
	defer tmp.Close()
	_, err = FileConn(tmp)
	assert.ErrorContains(t, err, "protocol: cannot use")
}

func TestConnSendTooLargeWritesNothing(t *testing.T) {
	lib, daemon := newPair(t)
	err := lib.Send(&Call{Serial: 1, Proc: "pwrite_device", Args: mustMarshal(t, make([]byte, MaxMessage))})
	require.ErrorIs(t, err, ErrTooLarge)
	var se *SizeError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, TypeCall, se.Type)
	assert.Greater(t, se.Size, MaxMessage)
	assert.Equal(t, fmt.Sprintf("protocol: encoded call message is %d bytes, maximum is %d", se.Size, MaxMessage), err.Error())
	require.NoError(t, lib.Send(&Cancel{Serial: 2}))
	m, err := daemon.Recv()
	require.NoError(t, err)
	assert.Equal(t, &Cancel{Serial: 2}, m)
}

// A message of exactly MaxMessage bytes goes through; one byte more is
// refused by the sender, which tells the size.
func TestConnMaxMessageBoundary(t *testing.T) {
	lib, daemon := newPair(t)
	call := func(n int) *Call {
		return &Call{Serial: 7, Proc: "pwrite_device", Args: mustMarshal(t, make([]byte, n))}
	}
	frame, err := Encode(call(MaxMessage - 100))
	require.NoError(t, err)
	n := MaxMessage - 100 + MaxMessage - (len(frame) - 4) // the byte string's header has the same size
	frame, err = Encode(call(n))
	require.NoError(t, err)
	require.Equal(t, MaxMessage, len(frame)-4)
	done := make(chan error, 1)
	go func() { done <- lib.Send(call(n)) }()
	m, err := daemon.Recv()
	require.NoError(t, err)
	require.NoError(t, <-done)
	assert.Equal(t, call(n), m)

	err = lib.Send(call(n + 1))
	var se *SizeError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, MaxMessage+1, se.Size)
}

// Decoded messages must not share memory with the Conn's read buffer.
func TestConnMessagesDoNotAliasBuffers(t *testing.T) {
	lib, daemon := newPair(t)
	first := &Call{Serial: 1, Proc: "write", Args: mustMarshal(t, []any{"/a", []byte("first contents")})}
	second := &Call{Serial: 2, Proc: "xxxxx", Args: mustMarshal(t, []any{"/b", []byte("SECOND CONTENTS")})}
	require.NoError(t, lib.Send(first))
	require.NoError(t, lib.Send(second))
	m1, err := daemon.Recv()
	require.NoError(t, err)
	m2, err := daemon.Recv()
	require.NoError(t, err)
	assert.Equal(t, first, m1)
	assert.Equal(t, second, m2)
}
