package protocol

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/fxamacker/cbor/v2"
)

// Decoding limits, applied to every message and to Unmarshal.
const (
	// MaxDepth is the deepest nesting of arrays and maps accepted.
	MaxDepth = 32
	// MaxElements is the most elements in one array, or pairs in one map,
	// accepted. A frame of MaxMessage bytes cannot hold more anyway.
	MaxElements = 1 << 20
)

var (
	encMode   cbor.EncMode
	decMode   cbor.DecMode // strict: everything, including Args/Result
	helloMode cbor.DecMode // strict, but ignores unknown fields (Hello only)
)

func init() {
	eo := cbor.CanonicalEncOptions()
	eo.IndefLength = cbor.IndefLengthForbidden
	eo.TagsMd = cbor.TagsForbidden
	var err error
	if encMode, err = eo.EncMode(); err != nil {
		panic("protocol: bad CBOR encoding options: " + err.Error())
	}
	do := cbor.DecOptions{
		DupMapKey:         cbor.DupMapKeyEnforcedAPF,
		MaxNestedLevels:   MaxDepth,
		MaxArrayElements:  MaxElements,
		MaxMapPairs:       MaxElements,
		IndefLength:       cbor.IndefLengthForbidden,
		TagsMd:            cbor.TagsForbidden,
		ExtraReturnErrors: cbor.ExtraDecErrorUnknownField,
		FieldNameMatching: cbor.FieldNameMatchingCaseSensitive,
		UTF8:              cbor.UTF8DecodeInvalid,
	}
	if decMode, err = do.DecMode(); err != nil {
		panic("protocol: bad CBOR decoding options: " + err.Error())
	}
	do.ExtraReturnErrors = cbor.ExtraDecErrorNone
	if helloMode, err = do.DecMode(); err != nil {
		panic("protocol: bad CBOR decoding options: " + err.Error())
	}
}

// Marshal encodes v as one canonical CBOR data item, for Call.Args and
// Reply.Result. Structs are encoded as maps keyed by field name unless their
// tags say otherwise (use `cbor:"n,keyasint"` for compact keys).
func Marshal(v any) (cbor.RawMessage, error) {
	b, err := encMode.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("protocol: cannot encode %T: %w", v, err)
	}
	return b, nil
}

// Unmarshal decodes the single CBOR data item data into v (a non-nil
// pointer) with the strict decoding rules of the package; unknown struct
// fields, duplicate keys and trailing bytes are errors matching
// ErrMalformed. Empty data is taken as CBOR null and leaves v unchanged, so
// a nil Args or Result decodes to the zero value.
func Unmarshal(data []byte, v any) error {
	if len(data) == 0 {
		return nil
	}
	if err := decMode.Unmarshal(data, v); err != nil {
		return newError(ErrMalformed, err, fmt.Sprintf("cannot decode %T", v))
	}
	return nil
}

// frameHeader is the size of the length prefix of a frame.
const frameHeader = 4

// frameEncoder encodes frames into a buffer it reuses.
type frameEncoder struct {
	buf bytes.Buffer
	enc *cbor.Encoder // writes to buf
}

func newFrameEncoder() *frameEncoder {
	fe := new(frameEncoder)
	fe.enc = encMode.NewEncoder(&fe.buf)
	return fe
}

// encode returns the complete frame (length prefix and payload) of m. The
// result is valid until the next call.
func (fe *frameEncoder) encode(m Message) ([]byte, error) {
	if m == nil || isNilMessage(m) {
		return nil, fmt.Errorf("protocol: cannot encode a nil message")
	}
	fe.trim()
	fe.buf.Reset()
	fe.buf.Write([]byte{0, 0, 0, 0})
	// The type is a CBOR unsigned integer below 24: a single byte.
	fe.buf.WriteByte(byte(m.Type()))
	if err := fe.enc.Encode(m); err != nil {
		return nil, fmt.Errorf("protocol: cannot encode %s message: %w", m.Type(), err)
	}
	out := fe.buf.Bytes()
	n := len(out) - frameHeader
	if n > MaxMessage {
		return nil, &SizeError{Type: m.Type(), Size: n}
	}
	binary.BigEndian.PutUint32(out, uint32(n))
	return out, nil
}

// trim drops the buffer if a big message made it grow beyond reuseLimit.
func (fe *frameEncoder) trim() {
	if fe.buf.Cap() > reuseLimit {
		fe.buf = bytes.Buffer{} // fe.enc keeps pointing at fe.buf
	}
}

// isNilMessage reports whether m is a nil pointer of one of the message
// types (or not a known message type at all).
func isNilMessage(m Message) bool {
	switch m := m.(type) {
	case *Hello:
		return m == nil
	case *Call:
		return m == nil
	case *Reply:
		return m == nil
	case *Error:
		return m == nil
	case *Progress:
		return m == nil
	case *Log:
		return m == nil
	case *Cancel:
		return m == nil
	case *Shutdown:
		return m == nil
	}
	return true
}

// Encode returns the complete frame of m: length prefix and payload. It
// fails with a *SizeError (matching ErrTooLarge) if the payload would
// exceed MaxMessage.
func Encode(m Message) ([]byte, error) {
	return newFrameEncoder().encode(m)
}

// Decode decodes exactly one complete frame (length prefix and payload).
// Anything other than a single valid frame (short, oversized, trailing
// bytes, bad payload) is an error matching ErrMalformed or ErrTooLarge.
func Decode(frame []byte) (Message, error) {
	if len(frame) < frameHeader {
		return nil, newError(ErrMalformed, nil, fmt.Sprintf("truncated frame: got %d of %d length bytes", len(frame), frameHeader))
	}
	n, err := checkLength(frame[:frameHeader])
	if err != nil {
		return nil, err
	}
	rest := frame[frameHeader:]
	if len(rest) < n {
		return nil, newError(ErrMalformed, nil, fmt.Sprintf("truncated frame: got %d of %d payload bytes", len(rest), n))
	}
	if len(rest) > n {
		return nil, newError(ErrMalformed, nil, fmt.Sprintf("%d bytes of trailing data after a %d-byte frame", len(rest)-n, n))
	}
	return decodePayload(rest)
}

// checkLength validates a length prefix and returns the payload length.
func checkLength(hdr []byte) (int, error) {
	n := binary.BigEndian.Uint32(hdr)
	if n > MaxMessage {
		return 0, newError(ErrTooLarge, nil, fmt.Sprintf("frame length %d exceeds maximum %d", n, MaxMessage))
	}
	if n == 0 {
		return 0, newError(ErrMalformed, nil, "empty frame")
	}
	return int(n), nil
}

// decodePayload decodes a payload (not empty): the type item, then the
// body map.
func decodePayload(p []byte) (Message, error) {
	var t uint64
	var body []byte
	if p[0] < 24 { // the canonical one-byte form of every known type
		t, body = uint64(p[0]), p[1:]
	} else {
		var err error
		if body, err = decMode.UnmarshalFirst(p, &t); err != nil {
			return nil, newError(ErrMalformed, err, "bad message type")
		}
	}
	if t > 255 || newMessage(Type(t)) == nil {
		return nil, newError(ErrMalformed, nil, fmt.Sprintf("unknown message type %d", t))
	}
	m := newMessage(Type(t))
	if len(body) == 0 {
		return nil, newError(ErrMalformed, nil, fmt.Sprintf("%s message has no body", m.Type()))
	}
	if major := body[0] >> 5; major != 5 {
		return nil, newError(ErrMalformed, nil, fmt.Sprintf("%s message body is CBOR major type %d, want a map", m.Type(), major))
	}
	dm := decMode
	if m.Type() == TypeHello {
		dm = helloMode
	}
	if err := dm.Unmarshal(body, m); err != nil {
		return nil, newError(ErrMalformed, err, fmt.Sprintf("bad %s message", m.Type()))
	}
	switch m := m.(type) {
	case *Call:
		m.Args = nullToNil(m.Args)
	case *Reply:
		m.Result = nullToNil(m.Result)
	}
	return m, nil
}

// nullToNil maps an embedded CBOR null to nil, the form it was sent from.
func nullToNil(r cbor.RawMessage) cbor.RawMessage {
	if len(r) == 1 && r[0] == 0xf6 {
		return nil
	}
	return r
}
