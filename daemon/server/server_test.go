package server_test

import (
	"encoding/binary"
	"io"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"goguestfs/daemon/actions"
	"goguestfs/daemon/daemontest"
	"goguestfs/daemon/devices"
	"goguestfs/daemon/server"
	"goguestfs/protocol"
)

// start serves one end of a pair and returns the other end, already past
// the hello, and Serve's result.
func start(t *testing.T) (*protocol.Conn, <-chan error) {
	t.Helper()
	lib, d, err := protocol.Pair()
	require.NoError(t, err)
	t.Cleanup(func() { lib.Close(); d.Close() })
	devs := devices.NewSet()
	srv := server.New(d, actions.All(devs), devs, server.Config{ProgressDelay: 10 * time.Millisecond, ProgressInterval: 10 * time.Millisecond, PollFD: -1})
	done := make(chan error, 1)
	go func() { done <- srv.Serve() }()
	_, err = lib.RecvHello()
	require.NoError(t, err)
	return lib, done
}

func call(t *testing.T, c *protocol.Conn, serial uint32, proc string, args any) protocol.Message {
	t.Helper()
	raw, err := protocol.Marshal(args)
	require.NoError(t, err)
	require.NoError(t, c.Send(&protocol.Call{Serial: serial, Proc: proc, Args: raw, Progress: true}))
	for {
		m, err := c.Recv()
		require.NoError(t, err)
		if _, ok := m.(*protocol.Progress); !ok {
			return m
		}
	}
}

type debugArgs struct {
	Subcmd    string   `cbor:"1,keyasint"`
	Extraargs []string `cbor:"2,keyasint"`
}

func TestUnknownProcAndBadArgs(t *testing.T) {
	c, _ := start(t)
	m := call(t, c, 1, "no_such_action", nil)
	require.IsType(t, &protocol.Error{}, m)
	assert.Equal(t, int32(syscall.ENOSYS), m.(*protocol.Error).Errno)

	m = call(t, c, 2, "debug", map[string]int{"x": 1})
	require.IsType(t, &protocol.Error{}, m)
	m = call(t, c, 3, "debug", &debugArgs{"echo", []string{"hi"}})
	require.IsType(t, &protocol.Reply{}, m)
	var s string
	require.NoError(t, protocol.Unmarshal(m.(*protocol.Reply).Result, &s))
	assert.Equal(t, "hi", s)
}

func TestCancelAndBusy(t *testing.T) {
	c, _ := start(t)
	raw, _ := protocol.Marshal(&debugArgs{"progress", []string{"600"}})
	require.NoError(t, c.Send(&protocol.Call{Serial: 7, Proc: "debug", Args: raw, Progress: true}))
	// Wait for the first progress message, so the call is running.
	m, err := c.Recv()
	require.NoError(t, err)
	require.IsType(t, &protocol.Progress{}, m)
	raw2, _ := protocol.Marshal(&debugArgs{"echo", nil})
	require.NoError(t, c.Send(&protocol.Call{Serial: 8, Proc: "debug", Args: raw2}))
	require.NoError(t, c.Send(&protocol.Cancel{Serial: 7}))
	var busy, cancelled bool
	var last *protocol.Progress
	for !(busy && cancelled) {
		m, err := c.Recv()
		require.NoError(t, err)
		switch m := m.(type) {
		case *protocol.Progress:
			last = m
		case *protocol.Error:
			switch m.Serial {
			case 8:
				assert.Equal(t, int32(syscall.EBUSY), m.Errno)
				busy = true
			case 7:
				assert.Equal(t, int32(syscall.EINTR), m.Errno)
				cancelled = true
			}
		}
	}
	require.NotNil(t, last)
	assert.Equal(t, last.Total, last.Position, "a final progress message precedes the end")
}

func TestShutdownAndEOF(t *testing.T) {
	c, done := start(t)
	require.NoError(t, c.Send(&protocol.Shutdown{Serial: 1}))
	m, err := c.Recv()
	require.NoError(t, err)
	require.IsType(t, &protocol.Reply{}, m)
	assert.ErrorIs(t, <-done, server.ErrShutdown)

	c, done = start(t)
	c.Close()
	assert.ErrorIs(t, <-done, io.EOF)
}

func TestMalformedEndsServe(t *testing.T) {
	for name, frame := range map[string][]byte{
		"garbage":   {0, 0, 0, 3, 0xff, 0xff, 0xff},
		"oversized": binary.BigEndian.AppendUint32(nil, protocol.MaxMessage+1),
		"truncated": {0, 0, 0, 9, 1},
	} {
		t.Run(name, func(t *testing.T) {
			f0, f1, err := protocol.SocketPair()
			require.NoError(t, err)
			defer f0.Close()
			d, err := protocol.FileConn(f1)
			require.NoError(t, err)
			f1.Close()
			devs := devices.NewSet()
			srv := server.New(d, actions.All(devs), devs, server.Config{PollFD: -1})
			done := make(chan error, 1)
			go func() { done <- srv.Serve() }()
			_, err = protocol.ReadMessage(f0)
			require.NoError(t, err)
			_, err = f0.Write(frame)
			require.NoError(t, err)
			if name == "truncated" {
				f0.Close()
			}
			select {
			case err := <-done:
				assert.Error(t, err)
			case <-time.After(10 * time.Second):
				t.Fatal("Serve did not end")
			}
			d.Close()
		})
	}
}

// bigDebug is a debug group whose results do not fit in one message.
type bigDebug struct{}

func (bigDebug) Debug(c *server.Call, subcmd string, extraargs []string) (string, error) {
	return strings.Repeat("x", protocol.MaxMessage+1), nil
}

// TestResultTooLarge: a result that cannot be sent becomes an error reply,
// so the caller is never left waiting, and the server goes on.
func TestResultTooLarge(t *testing.T) {
	d := daemontest.StartWith(t, func(devs *devices.Set) *server.Groups {
		g := actions.All(devs)
		g.Debug = bigDebug{}
		return g
	})
	var s string
	err := d.Call("debug", &s, "echo", []string{})
	assert.ErrorIs(t, err, syscall.EIO)
	assert.Contains(t, err.Error(), "debug: the result does not fit in one message")
	var devs []string
	require.NoError(t, d.Call("list_devices", &devs))
}
