package protocol

import (
	"io/fs"
	"strings"
	"syscall"
	"testing"

	"github.com/fxamacker/cbor/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func mustMarshal(t testing.TB, v any) cbor.RawMessage {
	t.Helper()
	b, err := Marshal(v)
	require.NoError(t, err)
	return b
}

// allMessages returns one message of every type, with non-zero fields.
func allMessages(t testing.TB) []Message {
	return []Message{
		NewHello(),
		&Call{Serial: 7, Proc: "part_add", Args: mustMarshal(t, []any{"/dev/sda", "p", int64(2048), int64(-1)}), Progress: true},
		&Call{Serial: 8, Proc: "sync"},
		&Reply{Serial: 7, Result: mustMarshal(t, map[string]string{"a": "b"})},
		&Reply{Serial: 8},
		&Error{Serial: 9, Message: "mkdir: /x: File exists", Errno: int32(syscall.EEXIST)},
		&Progress{Serial: 10, Proc: "zero_device", Position: 1 << 40, Total: 1<<40 + 1},
		&Log{Line: "guestfsd: opened /dev/sda \xff\xfe (not UTF-8)"},
		&Cancel{Serial: 10},
		&Shutdown{Serial: 11},
	}
}

func TestEncodeDecodeAllTypes(t *testing.T) {
	seen := map[Type]bool{}
	for _, m := range allMessages(t) {
		b, err := Encode(m)
		require.NoError(t, err, "%s", m.Type())
		got, err := Decode(b)
		require.NoError(t, err, "%s", m.Type())
		assert.Equal(t, m, got)
		again, err := Encode(got)
		require.NoError(t, err)
		assert.Equal(t, b, again, "encoding of %s is not deterministic", m.Type())
		seen[m.Type()] = true
	}
	for ty := TypeHello; ty <= TypeShutdown; ty++ {
		assert.True(t, seen[ty], "type %s not covered", ty)
	}
}

// TestWireFormat freezes the bytes of one message: changing them needs a
// new Version.
func TestWireFormat(t *testing.T) {
	b, err := Encode(&Call{Serial: 1, Proc: "ls", Args: mustMarshal(t, []string{"/"})})
	require.NoError(t, err)
	want := []byte{
		0, 0, 0, 14, // length
		0x02,       // type: call
		0xa4,       // map of 4 pairs
		0x01, 0x01, // 1: serial 1
		0x02, 0x62, 'l', 's', // 2: proc "ls"
		0x03, 0x81, 0x61, '/', // 3: args ["/"]
		0x04, 0xf4, // 4: progress false
	}
	assert.Equal(t, want, b)

	h, err := Encode(NewHello())
	require.NoError(t, err)
	assert.Equal(t, []byte{0, 0, 0, 15, 0x01, 0xa2, 0x01, 0x69, 'g', 'o', 'g', 'u', 'e', 's', 't', 'f', 's', 0x02, 0x01}, h)
}

func TestTypeString(t *testing.T) {
	assert.Equal(t, "call", TypeCall.String())
	assert.Equal(t, "shutdown", TypeShutdown.String())
	assert.Equal(t, "type(0)", Type(0).String())
	assert.Equal(t, "type(200)", Type(200).String())
}

func TestEncodeNil(t *testing.T) {
	_, err := Encode(nil)
	assert.ErrorContains(t, err, "nil message")
	var c *Call
	_, err = Encode(c)
	assert.ErrorContains(t, err, "nil message")
}

func TestEncodeTooLarge(t *testing.T) {
	big := make([]byte, MaxMessage)
	_, err := Encode(&Call{Serial: 1, Proc: "pwrite_device", Args: mustMarshal(t, big)})
	require.ErrorIs(t, err, ErrTooLarge)
	assert.Contains(t, err.Error(), "encoded call message is 8388635 bytes, maximum is 8388608")

	// A 4 MiB buffer plus its envelope fits.
	buf := make([]byte, 4<<20)
	_, err = Encode(&Call{Serial: 1, Proc: "pwrite_device", Args: mustMarshal(t, []any{"/dev/sda", buf, int64(0)})})
	require.NoError(t, err)
}

func TestErrorMessage(t *testing.T) {
	e := &Error{Serial: 1, Message: "open: /x: No such file", Errno: int32(syscall.ENOENT)}
	var err error = e
	assert.Equal(t, "open: /x: No such file", err.Error())
	assert.ErrorIs(t, err, syscall.ENOENT)
	assert.ErrorIs(t, err, fs.ErrNotExist)
	assert.NotErrorIs(t, err, syscall.EEXIST)
	assert.NoError(t, (&Error{Message: "x"}).Unwrap())

	// The action name is Op, given once, by the daemon's server.
	e = &Error{Serial: 2, Op: "mkdir", Message: "/d: File exists", Errno: int32(syscall.EEXIST)}
	assert.Equal(t, "mkdir: /d: File exists", e.Error())
	raw, err := Encode(e)
	require.NoError(t, err)
	back, err := Decode(raw)
	require.NoError(t, err)
	assert.Equal(t, e, back)
}

func TestCheckHello(t *testing.T) {
	require.NoError(t, CheckHello(NewHello()))

	err := CheckHello(&Hello{Magic: Magic, Version: Version + 1})
	require.ErrorIs(t, err, ErrVersion)
	assert.Equal(t, "protocol: peer speaks protocol version 2, this side speaks version 1 (library and guestfsd come from different builds)", err.Error())

	err = CheckHello(&Hello{Magic: "SSH-2.0", Version: Version})
	require.ErrorIs(t, err, ErrVersion)
	assert.Contains(t, err.Error(), `hello magic "SSH-2.0", want "goguestfs"`)

	err = CheckHello(&Reply{Serial: 1})
	require.ErrorIs(t, err, ErrMalformed)
	assert.Contains(t, err.Error(), "expected hello as first message, got reply")
	assert.ErrorIs(t, CheckHello(nil), ErrMalformed)
}

// A Hello from a future version with extra fields still decodes, so that the
// version check can say what went wrong.
func TestHelloFromFutureVersion(t *testing.T) {
	body := mustMarshal(t, map[int]any{1: Magic, 2: 7, 3: "new field"})
	m, err := Decode(frame(append([]byte{byte(TypeHello)}, body...)))
	require.NoError(t, err)
	assert.Equal(t, &Hello{Magic: Magic, Version: 7}, m)
	assert.ErrorIs(t, CheckHello(m), ErrVersion)
}

// frame prefixes payload with its length.
func frame(payload []byte) []byte {
	n := len(payload)
	return append([]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}, payload...)
}

func TestDecodeBadPayloads(t *testing.T) {
	callBody := func(kv map[int]any) []byte {
		return append([]byte{byte(TypeCall)}, mustMarshal(t, kv)...)
	}
	cases := []struct {
		name    string
		payload []byte
		want    string
	}{
		{"unknown type", append([]byte{0x18, 42}, 0xa0), "unknown message type 42"},
		{"type zero", []byte{0x00, 0xa0}, "unknown message type 0"},
		{"huge type", []byte{0x19, 0x01, 0x2c, 0xa0}, "unknown message type 300"},
		{"negative type", []byte{0x20, 0xa0}, "bad message type"},
		{"type is text", []byte{0x61, 'x', 0xa0}, "bad message type"},
		{"no body", []byte{byte(TypeCall)}, "call message has no body"},
		{"body is array", []byte{byte(TypeCall), 0x80}, "call message body is CBOR major type 4, want a map"},
		{"body is null", []byte{byte(TypeReply), 0xf6}, "reply message body is CBOR major type 7, want a map"},
		{"trailing item", append(callBody(map[int]any{1: 1, 2: "x"}), 0x00), "bad call message"},
		{"unknown field", callBody(map[int]any{1: 1, 9: "x"}), "unknown field"},
		{"duplicate key", []byte{byte(TypeCancel), 0xa2, 0x01, 0x01, 0x01, 0x02}, "duplicate map key"},
		{"wrong field type", callBody(map[int]any{1: "one"}), "bad call message"},
		{"serial overflow", callBody(map[int]any{1: uint64(1) << 40}), "overflows"},
		{"indefinite map", []byte{byte(TypeCancel), 0xbf, 0x01, 0x01, 0xff}, "indefinite-length"},
		{"tagged args", []byte{byte(TypeCall), 0xa1, 0x03, 0xc1, 0x00}, "tag"},
		{"truncated body", []byte{byte(TypeCancel), 0xa1, 0x01}, "unexpected EOF"},
		{"huge array count", []byte{byte(TypeCall), 0xa1, 0x03, 0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, "bad call message"},
		{"array too long", callBody(map[int]any{3: make([]int, MaxElements+1)}), "exceeded max number of elements"},
		{"too deep", callBody(map[int]any{3: nested(MaxDepth + 1)}), "exceeded max nested level"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Decode(frame(tc.payload))
			require.Error(t, err)
			assert.Nil(t, m)
			assert.ErrorIs(t, err, ErrMalformed)
			assert.Contains(t, err.Error(), tc.want)
			assert.True(t, strings.HasPrefix(err.Error(), "protocol: "), err.Error())
		})
	}
}

// nested returns a value with depth levels of arrays.
func nested(depth int) any {
	var v any = 0
	for i := 0; i < depth; i++ {
		v = []any{v}
	}
	return v
}

func TestMarshalUnmarshal(t *testing.T) {
	type opts struct {
		Readonly bool   `cbor:"readonly"`
		Format   string `cbor:"format"`
		Size     int64  `cbor:"size"`
	}
	in := opts{Readonly: true, Format: "raw", Size: -1}
	b, err := Marshal(in)
	require.NoError(t, err)
	var out opts
	require.NoError(t, Unmarshal(b, &out))
	assert.Equal(t, in, out)

	// Unknown fields, duplicate keys and trailing data are refused.
	extra := mustMarshal(t, map[string]any{"readonly": true, "server": "x"})
	err = Unmarshal(extra, &out)
	require.ErrorIs(t, err, ErrMalformed)
	assert.Contains(t, err.Error(), "protocol: cannot decode *protocol.opts")
	assert.ErrorIs(t, Unmarshal(append(b, 0), &out), ErrMalformed)
	dup := []byte{0xa2, 0x64, 's', 'i', 'z', 'e', 0x01, 0x64, 's', 'i', 'z', 'e', 0x02}
	assert.ErrorIs(t, Unmarshal(dup, &out), ErrMalformed)

	// Case matters.
	assert.ErrorIs(t, Unmarshal(mustMarshal(t, map[string]any{"Readonly": true}), &out), ErrMalformed)

	// Empty data (nil Args) leaves the value alone.
	out = opts{Format: "keep"}
	require.NoError(t, Unmarshal(nil, &out))
	assert.Equal(t, "keep", out.Format)

	// Strings with invalid UTF-8 survive (file names are bytes).
	name := "caf\xe9.txt"
	var s string
	require.NoError(t, Unmarshal(mustMarshal(t, name), &s))
	assert.Equal(t, name, s)

	// Byte strings, lists, maps, nil lists.
	type result struct {
		Data  []byte            `cbor:"1,keyasint"`
		List  []string          `cbor:"2,keyasint"`
		Hash  map[string]string `cbor:"3,keyasint"`
		Empty []string          `cbor:"4,keyasint"`
		None  []string          `cbor:"5,keyasint"`
	}
	r := result{Data: []byte{0, 1, 2}, List: []string{"a", "b"}, Hash: map[string]string{"0": "0"}, Empty: []string{}}
	var r2 result
	require.NoError(t, Unmarshal(mustMarshal(t, r), &r2))
	assert.Equal(t, r, r2)
	assert.NotNil(t, r2.Empty)
	assert.Nil(t, r2.None)

	_, err = Marshal(make(chan int))
	assert.ErrorContains(t, err, "protocol: cannot encode chan int")
}
