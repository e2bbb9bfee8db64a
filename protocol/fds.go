package protocol

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// MaxFDs is the most file descriptors one message may carry: the kernel's
// own limit for one SCM_RIGHTS message (SCM_MAX_FD).
const MaxFDs = 253

// takeFDs appends the descriptors in the control data oob to c.fds and
// checks the per-message limit. Descriptors already taken stay in c.fds so
// that the caller closes them on error.
func (c *Conn) takeFDs(oob []byte, flags int) error {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return newError(ErrMalformed, err, "bad control message")
	}
	for i := range msgs {
		cm := &msgs[i]
		if cm.Header.Level != unix.SOL_SOCKET || cm.Header.Type != unix.SCM_RIGHTS {
			continue
		}
		fds, err := unix.ParseUnixRights(cm)
		if err != nil {
			return newError(ErrMalformed, err, "bad SCM_RIGHTS message")
		}
		c.fds = append(c.fds, fds...)
	}
	if flags&unix.MSG_CTRUNC != 0 {
		return newError(ErrTooManyFDs, nil, "control data truncated: the peer sent more file descriptors than one message may carry")
	}
	if len(c.fds) > MaxFDs {
		return newError(ErrTooManyFDs, nil, fmt.Sprintf("peer sent %d file descriptors with one message, maximum is %d", len(c.fds), MaxFDs))
	}
	return nil
}

// closeFDs closes every descriptor in fds.
func closeFDs(fds []int) {
	for _, fd := range fds {
		unix.Close(fd)
	}
}
