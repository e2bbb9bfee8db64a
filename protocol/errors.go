package protocol

import (
	"errors"
	"fmt"
)

// Sentinel errors; every error this package returns for a bad frame, a bad
// message or a bad peer matches one of them with errors.Is, and its text says
// what failed.
var (
	// ErrTooLarge: a frame or encoded message exceeds MaxMessage.
	ErrTooLarge = errors.New("message too large")
	// ErrMalformed: a frame or payload that is not a valid message
	// (truncated, trailing data, bad CBOR, unknown type or field).
	ErrMalformed = errors.New("malformed message")
	// ErrVersion: the peer's Hello has another magic or protocol version.
	ErrVersion = errors.New("protocol version mismatch")
	// ErrTooManyFDs: more than MaxFDs file descriptors in one message.
	ErrTooManyFDs = errors.New("too many file descriptors")
)

// protoError is an error of one of the sentinel kinds with a precise text
// and an optional underlying cause.
type protoError struct {
	kind  error
	msg   string
	cause error
}

func (e *protoError) Error() string {
	if e.cause != nil {
		return "protocol: " + e.msg + ": " + e.cause.Error()
	}
	return "protocol: " + e.msg
}

// Is reports whether target is the sentinel kind of e.
func (e *protoError) Is(target error) bool { return target == e.kind }

// Unwrap returns the underlying cause, if any.
func (e *protoError) Unwrap() error { return e.cause }

func newError(kind error, cause error, msg string) error {
	return &protoError{kind: kind, msg: msg, cause: cause}
}

// SizeError is the error of a message too large to send: its encoded
// payload exceeds MaxMessage. It matches ErrTooLarge. Nothing was written,
// so the connection is still in step and usable.
type SizeError struct {
	Type Type // the message's type
	Size int  // the encoded payload, in bytes
}

// Error says what was too large and by how much.
func (e *SizeError) Error() string {
	return fmt.Sprintf("protocol: encoded %s message is %d bytes, maximum is %d", e.Type, e.Size, MaxMessage)
}

// Is reports whether target is ErrTooLarge.
func (e *SizeError) Is(target error) bool { return target == ErrTooLarge }
