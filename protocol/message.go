package protocol

import (
	"fmt"
	"syscall"

	"github.com/fxamacker/cbor/v2"
)

// Magic identifies this protocol in a Hello.
const Magic = "goguestfs"

// Version is the protocol version this package speaks. Both ends must speak
// the same version; bump it on any incompatible change to the messages.
const Version uint32 = 1

// Type is the message type number, the first item of every payload.
type Type uint8

// Message types. The numbers are part of the wire format; they must stay
// below 24 so that each encodes as a single CBOR byte.
const (
	TypeHello    Type = 1
	TypeCall     Type = 2
	TypeReply    Type = 3
	TypeError    Type = 4
	TypeProgress Type = 5
	TypeLog      Type = 6
	TypeCancel   Type = 7
	TypeShutdown Type = 8
)

var typeNames = [...]string{
	TypeHello:    "hello",
	TypeCall:     "call",
	TypeReply:    "reply",
	TypeError:    "error",
	TypeProgress: "progress",
	TypeLog:      "log",
	TypeCancel:   "cancel",
	TypeShutdown: "shutdown",
}

// String returns the lower-case name of the type ("call"), or "type(N)" for
// an unknown number.
func (t Type) String() string {
	if int(t) < len(typeNames) && typeNames[t] != "" {
		return typeNames[t]
	}
	return fmt.Sprintf("type(%d)", uint8(t))
}

// Message is one of *Hello, *Call, *Reply, *Error, *Progress, *Log, *Cancel
// or *Shutdown. The set is closed: other packages cannot add types.
type Message interface {
	// Type returns the message's type number.
	Type() Type
	isMessage()
}

// Hello is the first message of a connection, sent by the daemon. Its two
// fields are frozen for all versions of the protocol.
type Hello struct {
	Magic   string `cbor:"1,keyasint"`
	Version uint32 `cbor:"2,keyasint"`
}

// Call asks the daemon to run the action named Proc with Args (a CBOR data
// item made by Marshal, nil for none). Serial is chosen by the caller and is
// echoed in every message about this call. With Progress set the daemon may
// send Progress messages for it.
type Call struct {
	Serial   uint32          `cbor:"1,keyasint"`
	Proc     string          `cbor:"2,keyasint"`
	Args     cbor.RawMessage `cbor:"3,keyasint"`
	Progress bool            `cbor:"4,keyasint"`
}

// Reply is the successful end of call Serial; Result is a CBOR data item
// made by Marshal (nil for actions that return nothing).
type Reply struct {
	Serial uint32          `cbor:"1,keyasint"`
	Result cbor.RawMessage `cbor:"2,keyasint"`
}

// Error is the failed end of call Serial. Op is the action's name, added
// once by the daemon's server; Message names the object and says what went
// wrong, without the action. Errno is a Linux errno number, 0 when
// unknown. *Error is also a Go error that unwraps to syscall.Errno, so
// errors.Is(err, syscall.ENOENT) works on it.
type Error struct {
	Serial  uint32 `cbor:"1,keyasint"`
	Message string `cbor:"2,keyasint"`
	Errno   int32  `cbor:"3,keyasint"`
	Op      string `cbor:"4,keyasint,omitempty"`
}

// Progress reports that call Serial (running action Proc) has done Position
// units of work out of Total.
type Progress struct {
	Serial   uint32 `cbor:"1,keyasint"`
	Proc     string `cbor:"2,keyasint"`
	Position uint64 `cbor:"3,keyasint"`
	Total    uint64 `cbor:"4,keyasint"`
}

// Log is one line of daemon log output (delivered as an APPLIANCE event),
// without its trailing newline.
type Log struct {
	Line string `cbor:"1,keyasint"`
}

// Cancel asks the daemon to stop call Serial; the call then ends with an
// Error whose Errno is EINTR (or with its normal end if it finished first).
type Cancel struct {
	Serial uint32 `cbor:"1,keyasint"`
}

// Shutdown asks the daemon to flush everything and exit. The daemon answers
// with a Reply or Error carrying Serial before it closes its end.
type Shutdown struct {
	Serial uint32 `cbor:"1,keyasint"`
}

// Type returns TypeHello.
func (*Hello) Type() Type { return TypeHello }

// Type returns TypeCall.
func (*Call) Type() Type { return TypeCall }

// Type returns TypeReply.
func (*Reply) Type() Type { return TypeReply }

// Type returns TypeError.
func (*Error) Type() Type { return TypeError }

// Type returns TypeProgress.
func (*Progress) Type() Type { return TypeProgress }

// Type returns TypeLog.
func (*Log) Type() Type { return TypeLog }

// Type returns TypeCancel.
func (*Cancel) Type() Type { return TypeCancel }

// Type returns TypeShutdown.
func (*Shutdown) Type() Type { return TypeShutdown }

func (*Hello) isMessage()    {}
func (*Call) isMessage()     {}
func (*Reply) isMessage()    {}
func (*Error) isMessage()    {}
func (*Progress) isMessage() {}
func (*Log) isMessage()      {}
func (*Cancel) isMessage()   {}
func (*Shutdown) isMessage() {}

// newMessage returns a new zero message of type t, or nil if t is unknown.
func newMessage(t Type) Message {
	switch t {
	case TypeHello:
		return new(Hello)
	case TypeCall:
		return new(Call)
	case TypeReply:
		return new(Reply)
	case TypeError:
		return new(Error)
	case TypeProgress:
		return new(Progress)
	case TypeLog:
		return new(Log)
	case TypeCancel:
		return new(Cancel)
	case TypeShutdown:
		return new(Shutdown)
	}
	return nil
}

// NewHello returns the Hello this package sends: Magic and Version.
func NewHello() *Hello { return &Hello{Magic: Magic, Version: Version} }

// CheckHello returns nil if m is a Hello with this package's Magic and
// Version; otherwise an error matching ErrVersion (wrong magic or version) or
// ErrMalformed (not a Hello at all) that says what the peer sent.
func CheckHello(m Message) error {
	h, ok := m.(*Hello)
	if !ok || h == nil {
		return newError(ErrMalformed, nil, "expected hello as first message, got "+typeName(m))
	}
	if h.Magic != Magic {
		return newError(ErrVersion, nil, fmt.Sprintf("peer is not a goguestfs daemon: hello magic %q, want %q", h.Magic, Magic))
	}
	if h.Version != Version {
		return newError(ErrVersion, nil, fmt.Sprintf("peer speaks protocol version %d, this side speaks version %d (library and guestfsd come from different builds)", h.Version, Version))
	}
	return nil
}

func typeName(m Message) string {
	if m == nil {
		return "nothing"
	}
	return m.Type().String()
}

// Error returns "op: message", or the message alone when Op is empty.
func (e *Error) Error() string {
	if e.Op == "" {
		return e.Message
	}
	return e.Op + ": " + e.Message
}

// Unwrap returns syscall.Errno(e.Errno), or nil when Errno is 0.
func (e *Error) Unwrap() error {
	if e.Errno == 0 {
		return nil
	}
	return syscall.Errno(e.Errno)
}
