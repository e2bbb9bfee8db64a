package protocol

import (
	"bytes"
	"errors"
	"io"
	"math/rand"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDecodeFrameErrors(t *testing.T) {
	good, err := Encode(&Cancel{Serial: 1})
	require.NoError(t, err)

	_, err = Decode([]byte{0x00, 0x98, 0x96, 0x7f})
	require.ErrorIs(t, err, ErrTooLarge)
	assert.Equal(t, "protocol: frame length 9999999 exceeds maximum 8388608", err.Error())

	_, err = Decode([]byte{0xff, 0xff, 0xff, 0xff, 1, 2, 3})
	require.ErrorIs(t, err, ErrTooLarge)

	_, err = Decode([]byte{0, 0, 0, 0})
	require.ErrorIs(t, err, ErrMalformed)
	assert.Equal(t, "protocol: empty frame", err.Error())

	_, err = Decode(good[:2])
	require.ErrorIs(t, err, ErrMalformed)
	assert.Equal(t, "protocol: truncated frame: got 2 of 4 length bytes", err.Error())

	_, err = Decode(good[:len(good)-1])
	require.ErrorIs(t, err, ErrMalformed)
	assert.Contains(t, err.Error(), "truncated frame: got 3 of 4 payload bytes")

	_, err = Decode(append(good, 0xde, 0xad))
	require.ErrorIs(t, err, ErrMalformed)
	assert.Equal(t, "protocol: 2 bytes of trailing data after a 4-byte frame", err.Error())

	_, err = Decode(nil)
	require.ErrorIs(t, err, ErrMalformed)
}

func TestReadMessageStream(t *testing.T) {
	var stream bytes.Buffer
	msgs := allMessages(t)
	for _, m := range msgs {
		require.NoError(t, WriteMessage(&stream, m))
	}
	for _, want := range msgs {
		got, err := ReadMessage(&stream)
		require.NoError(t, err)
		assert.Equal(t, want, got)
	}
	_, err := ReadMessage(&stream)
	assert.Equal(t, io.EOF, err, "clean end of stream must be io.EOF itself")
}

func TestReadMessageTruncated(t *testing.T) {
	good, err := Encode(&Log{Line: "hello"})
	require.NoError(t, err)
	for cut := 1; cut < len(good); cut++ {
		_, err := ReadMessage(bytes.NewReader(good[:cut]))
		require.ErrorIs(t, err, ErrMalformed, "cut at %d", cut)
		assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
		assert.Contains(t, err.Error(), "truncated frame")
	}
	// One byte at a time still works.
	m, err := ReadMessage(&oneByteReader{r: bytes.NewReader(good)})
	require.NoError(t, err)
	assert.Equal(t, &Log{Line: "hello"}, m)
}

func TestReadMessageOversizedNoAllocation(t *testing.T) {
	// The reader must refuse before reading (or allocating) the payload.
	r := &countingReader{r: bytes.NewReader([]byte{0x7f, 0xff, 0xff, 0xff, 1, 2, 3})}
	_, err := ReadMessage(r)
	require.ErrorIs(t, err, ErrTooLarge)
	assert.Equal(t, "protocol: frame length 2147483647 exceeds maximum 8388608", err.Error())
	assert.Equal(t, 4, r.n, "read past the length prefix of an oversized frame")

	allocs := testing.AllocsPerRun(20, func() {
		_, _ = ReadMessage(bytes.NewReader([]byte{0x00, 0x80, 0x00, 0x01}))
	})
	assert.Less(t, allocs, 10.0)
}

func TestReadMessageErrors(t *testing.T) {
	boom := errors.New("boom")
	_, err := ReadMessage(&errReader{err: boom})
	require.ErrorIs(t, err, boom)
	assert.Contains(t, err.Error(), "protocol: reading frame (got 0 of 4 length bytes): boom")

	_, err = ReadMessage(&errReader{})
	assert.ErrorIs(t, err, io.ErrNoProgress)
}

func TestWriteMessageError(t *testing.T) {
	err := WriteMessage(&errWriter{}, &Cancel{Serial: 1})
	assert.ErrorContains(t, err, "protocol: writing cancel message: disk full")
	assert.ErrorIs(t, WriteMessage(io.Discard, &Call{Args: mustMarshal(t, make([]byte, MaxMessage))}), ErrTooLarge)
}

func TestRandomGarbage(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 20000; i++ {
		b := make([]byte, rng.Intn(64))
		rng.Read(b)
		if i%2 == 0 && len(b) >= 4 {
			// Make the length plausible so the payload decoder is reached.
			b[0], b[1], b[2], b[3] = 0, 0, 0, byte(len(b)-4)
		}
		if i%4 == 0 && len(b) >= 6 {
			b[4] = byte(1 + rng.Intn(8)) // a valid type
			b[5] = 0xa0 | byte(rng.Intn(4))
		}
		m, err := Decode(b)
		if err != nil {
			assert.Nil(t, m)
			assert.True(t, errors.Is(err, ErrMalformed) || errors.Is(err, ErrTooLarge), "unexpected error kind: %v", err)
			continue
		}
		// Whatever decodes must re-encode and decode to the same thing.
		again, err := Encode(m)
		require.NoError(t, err)
		m2, err := Decode(again)
		require.NoError(t, err)
		assert.Equal(t, m, m2)
	}
}

type oneByteReader struct{ r io.Reader }

func (o *oneByteReader) Read(p []byte) (int, error) {
	if len(p) > 1 {
		p = p[:1]
	}
	return o.r.Read(p)
}

type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

// errReader returns err, or (0, nil) forever when err is nil.
type errReader struct{ err error }

func (e *errReader) Read([]byte) (int, error) { return 0, e.err }

type errWriter struct{}

func (errWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }
