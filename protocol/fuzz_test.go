package protocol

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzDecode feeds arbitrary bytes to the frame and message decoder, both
// as one frame (Decode) and as a stream (ReadMessage). Every input must give
// either a message that re-encodes to a frame decoding to the same message,
// or an error of this package's kinds; never a panic or a hang. Seeds live
// in testdata/fuzz/FuzzDecode.
func FuzzDecode(f *testing.F) {
	for _, m := range allMessages(f) {
		b, err := Encode(m)
		require.NoError(f, err)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Decode(data)
		sm, serr := ReadMessage(bytes.NewReader(data))
		if serr != nil && serr != io.EOF {
			require.True(t, errors.Is(serr, ErrMalformed) || errors.Is(serr, ErrTooLarge), "ReadMessage: unexpected error kind: %v", serr)
		}
		if err != nil {
			require.Nil(t, m)
			require.True(t, errors.Is(err, ErrMalformed) || errors.Is(err, ErrTooLarge), "Decode: unexpected error kind: %v", err)
			return
		}
		// A single valid frame reads the same way from a stream.
		require.NoError(t, serr)
		require.Equal(t, m, sm)

		b, err := Encode(m)
		if errors.Is(err, ErrTooLarge) {
			return // missing fields filled in can grow a near-maximum frame
		}
		require.NoError(t, err)
		m2, err := Decode(b)
		require.NoError(t, err)
		require.Equal(t, m, m2)
		b2, err := Encode(m2)
		require.NoError(t, err)
		require.Equal(t, b, b2, "encoding is not deterministic")

		// Embedded data items must not crash the strict decoder either.
		var v any
		switch m := m.(type) {
		case *Call:
			_ = Unmarshal(m.Args, &v)
		case *Reply:
			_ = Unmarshal(m.Result, &v)
		}
	})
}
