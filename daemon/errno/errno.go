// Package errno is the error rule of the daemon's actions: a handler (and
// every package under it) returns an error carrying a syscall.Errno and a
// message naming the object, never the action; the server adds the action
// name once when it replies.
package errno

import (
	"errors"
	"fmt"
	"syscall"
	"unicode/utf8"
)

// Error is an action's failure: a message naming the object and the errno
// the caller sees.
type Error struct {
	Msg   string
	Errno syscall.Errno
}

// Error returns the message.
func (e *Error) Error() string { return e.Msg }

// Unwrap returns the errno, so that errors.Is(err, syscall.ENOENT) works.
func (e *Error) Unwrap() error { return e.Errno }

// New returns an *Error with the formatted message and errno.
func New(errno syscall.Errno, format string, args ...any) error {
	return &Error{Msg: fmt.Sprintf(format, args...), Errno: errno}
}

// Wrap returns err with its message prefixed by obj ("obj: message") and
// its errno kept (EIO when it has none). It returns nil for a nil err.
func Wrap(obj string, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Msg: obj + ": " + err.Error(), Errno: Of(err)}
}

// Of returns the errno in err's chain, or EIO when there is none.
func Of(err error) syscall.Errno {
	var e syscall.Errno
	if errors.As(err, &e) {
		return e
	}
	return syscall.EIO
}

// MaxQuoted is the length above which Cut shortens a caller's string.
const MaxQuoted = 128

// Cut returns s, or its first MaxQuoted bytes and a note of its length when
// it is longer, so that a hostile argument (a 1 MiB device name) is not
// echoed whole into an error message.
func Cut(s string) string { return CutTo(s, MaxQuoted) }

// CutTo returns s, or its first n bytes (fewer, to end on a whole UTF-8
// character) and a note of its length when it is longer than n.
func CutTo(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return fmt.Sprintf("%s... (%d bytes)", s[:n], len(s))
}
