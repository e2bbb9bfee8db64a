package core

import (
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// Canceller is the cancel flag of a handle. Cancel may be called from any
// thread (the C library's version is async-signal-safe C); the flag is
// cleared when an outermost call starts, so a cancel between calls is not
// remembered. FD becomes readable while the flag is set, so a transfer can
// wait on it together with its socket.
type Canceller interface {
	Cancel()
	Cancelled() bool
	Reset()
	FD() int
}

// eventfdCanceller is the Go implementation: an atomic flag and an eventfd.
type eventfdCanceller struct {
	flag atomic.Bool
	fd   int
}

func newEventfdCanceller() (*eventfdCanceller, error) {
	fd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		return nil, errorf(err.(unix.Errno), "eventfd: %v", err)
	}
	return &eventfdCanceller{fd: fd}, nil
}

func (c *eventfdCanceller) Cancel() {
	c.flag.Store(true)
	var one = [8]byte{1}
	unix.Write(c.fd, one[:])
}

func (c *eventfdCanceller) Cancelled() bool { return c.flag.Load() }

func (c *eventfdCanceller) Reset() {
	c.flag.Store(false)
	var buf [8]byte
	unix.Read(c.fd, buf[:])
}

func (c *eventfdCanceller) FD() int { return c.fd }

func (c *eventfdCanceller) close() { unix.Close(c.fd) }
