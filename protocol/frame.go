package protocol

import (
	"errors"
	"fmt"
	"io"
)

// MaxMessage is the largest payload a frame may carry: 8 MiB, room for a
// 4 MiB pread/pwrite buffer plus its envelope. Larger frames are refused by
// both the sender and the receiver with ErrTooLarge.
const MaxMessage = 8 << 20

// reuseLimit is the largest read buffer a Conn keeps between messages;
// bigger payloads get a buffer of their own that is dropped afterwards.
const reuseLimit = 64 << 10

// ReadMessage reads one frame from r and decodes it. At a clean end of
// stream (no byte of a new frame read) it returns io.EOF itself; a stream
// that ends inside a frame is ErrMalformed wrapping io.ErrUnexpectedEOF. It
// reads exactly one frame and nothing past it.
func ReadMessage(r io.Reader) (Message, error) {
	var fr frameReader
	p, _, err := fr.read(r.Read)
	if err != nil {
		return nil, err
	}
	return decodePayload(p)
}

// WriteMessage encodes m and writes its frame to w in one Write call.
func WriteMessage(w io.Writer, m Message) error {
	b, err := Encode(m)
	if err != nil {
		return err
	}
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("protocol: writing %s message: %w", m.Type(), err)
	}
	return nil
}

// frameReader reads frames, reusing a small buffer between them.
type frameReader struct {
	hdr [frameHeader]byte
	buf []byte
}

// read reads one frame with readFn (io.Reader semantics) and returns its
// payload, which is valid until the next call. consumed reports whether any
// byte of the frame was read, i.e. whether the stream is now out of step if
// err is not nil.
func (fr *frameReader) read(readFn func([]byte) (int, error)) (payload []byte, consumed bool, err error) {
	n, err := readFull(readFn, fr.hdr[:])
	if err != nil {
		if n == 0 && err == io.EOF {
			return nil, false, io.EOF
		}
		return nil, n > 0, readError(err, fmt.Sprintf("got %d of %d length bytes", n, frameHeader))
	}
	size, err := checkLength(fr.hdr[:])
	if err != nil {
		return nil, true, err
	}
	var p []byte
	if size <= reuseLimit {
		if cap(fr.buf) < size {
			fr.buf = make([]byte, size)
		}
		p = fr.buf[:size]
	} else {
		p = make([]byte, size)
	}
	if n, err = readFull(readFn, p); err != nil {
		return nil, true, readError(err, fmt.Sprintf("got %d of %d payload bytes", n, size))
	}
	return p, true, nil
}

// readError turns an error from inside a frame into a descriptive error.
func readError(err error, what string) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return newError(ErrMalformed, io.ErrUnexpectedEOF, "truncated frame: "+what)
	}
	var pe *protoError
	if errors.As(err, &pe) {
		return err
	}
	return fmt.Errorf("protocol: reading frame (%s): %w", what, err)
}

// readFull fills p with readFn, like io.ReadFull, but returns io.EOF as is
// whatever the count, and gives up on a reader that makes no progress.
func readFull(readFn func([]byte) (int, error), p []byte) (int, error) {
	n, idle := 0, 0
	for n < len(p) {
		m, err := readFn(p[n:])
		n += m
		if err != nil {
			if n == len(p) && err == io.EOF {
				return n, nil
			}
			return n, err
		}
		if m == 0 {
			if idle++; idle >= 100 {
				return n, io.ErrNoProgress
			}
		} else {
			idle = 0
		}
	}
	return n, nil
}
