package parttable

import (
	"fmt"
	"syscall"
)

// Error is the error returned by every operation of this package. It names
// the object (device or partition), not the action (the daemon's server
// adds that), and carries an errno, so that errors.Is(err, syscall.EINVAL)
// and friends work.
type Error struct {
	Obj   string        // device or partition, e.g. "/dev/sda9"
	Msg   string        // human-readable reason
	Errno syscall.Errno // errno class of the failure
}

// Error formats the error as "object: message".
func (e *Error) Error() string {
	if e.Obj == "" {
		return e.Msg
	}
	return e.Obj + ": " + e.Msg
}

// Unwrap returns the errno, so errors.Is and errors.As see it.
func (e *Error) Unwrap() error { return e.Errno }

// tableError is an internal error raised while parsing or laying out a table,
// before the object is known. The operation wraps it into an *Error.
type tableError struct {
	errno syscall.Errno
	msg   string
}

func (e *tableError) Error() string { return e.msg }

func corrupt(format string, a ...any) error {
	return &tableError{syscall.EIO, fmt.Sprintf(format, a...)}
}

func invalid(format string, a ...any) error {
	return &tableError{syscall.EINVAL, fmt.Sprintf(format, a...)}
}

func noSpace(format string, a ...any) error {
	return &tableError{syscall.ENOSPC, fmt.Sprintf(format, a...)}
}

// wrap turns any error into an *Error on object obj.
func wrap(obj string, err error) error {
	if err == nil {
		return nil
	}
	switch e := err.(type) {
	case *Error:
		return e
	case *tableError:
		return &Error{Obj: obj, Msg: e.msg, Errno: e.errno}
	}
	return &Error{Obj: obj, Msg: err.Error(), Errno: syscall.EIO}
}
