// Package daemontest runs a daemon server in the test process over a
// socketpair, with image files as its drives, so that each action group's
// tests call its actions exactly as the library does: arguments on the
// wire, devices resolved by the dispatcher, errors with the action's name
// and errno.
package daemontest

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"goguestfs/daemon/actions"
	"goguestfs/daemon/devices"
	"goguestfs/daemon/server"
	"goguestfs/protocol"
)

// Daemon is a server running in the test process. Its methods fail the
// test on protocol errors; action errors are returned.
type Daemon struct {
	t      testing.TB
	conn   *protocol.Conn
	serial uint32
	done   chan error
}

// Image creates a sparse image file of size bytes in the test's temporary
// directory and returns its path.
func Image(t testing.TB, size int64) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "disk.img")
	f, err := os.Create(p)
	require.NoError(t, err)
	require.NoError(t, f.Truncate(size))
	require.NoError(t, f.Close())
	return p
}

// Start serves every group (actions.All) with images as the drives, read-write,
// in order (/dev/sda first). The server stops when the test ends.
func Start(t testing.TB, images ...string) *Daemon {
	t.Helper()
	return StartWith(t, actions.All, images...)
}

// StartWith is Start with the groups that groups returns (a test may leave
// some nil to see ENOTSUP), and progress messages after 10 ms.
func StartWith(t testing.TB, groups func(*devices.Set) *server.Groups, images ...string) *Daemon {
	t.Helper()
	lib, d, err := protocol.Pair()
	require.NoError(t, err)
	devs := devices.NewSet()
	srv := server.New(d, groups(devs), devs, server.Config{
		ProgressDelay: 10 * time.Millisecond, ProgressInterval: 10 * time.Millisecond, PollFD: -1})
	dm := &Daemon{t: t, conn: lib, done: make(chan error, 1)}
	go func() { dm.done <- srv.Serve() }()
	t.Cleanup(func() {
		lib.Close()
		<-dm.done
		d.Close()
	})
	_, err = lib.RecvHello()
	require.NoError(t, err)
	for i, img := range images {
		f, err := os.OpenFile(img, os.O_RDWR, 0)
		require.NoError(t, err)
		require.NoError(t, dm.send(&protocol.Call{Proc: "internal_add_drive", Args: mustMarshal(t, &server.AddDriveArgs{Index: i})}, int(f.Fd())))
		f.Close()
		_, err = dm.wait(nil)
		require.NoError(t, err, "internal_add_drive %s", img)
	}
	return dm
}

func mustMarshal(t testing.TB, v any) []byte {
	raw, err := protocol.Marshal(v)
	require.NoError(t, err)
	return raw
}

// send sends call m with a fresh serial and descriptors fds.
func (d *Daemon) send(m *protocol.Call, fds ...int) error {
	d.serial++
	m.Serial = d.serial
	return d.conn.SendFDs(fds, m)
}

// wait reads messages until the end of the current call, decoding a reply
// into result (when not nil); progress messages are returned in order.
func (d *Daemon) wait(result any) ([]*protocol.Progress, error) {
	return d.waitCancel(result, false)
}

// waitCancel is wait that, with cancel set, sends Cancel for the call when
// its first progress message arrives.
func (d *Daemon) waitCancel(result any, cancel bool) ([]*protocol.Progress, error) {
	var progress []*protocol.Progress
	for {
		m, err := d.conn.Recv()
		require.NoError(d.t, err)
		switch m := m.(type) {
		case *protocol.Progress:
			if cancel && len(progress) == 0 {
				require.NoError(d.t, d.conn.Send(&protocol.Cancel{Serial: d.serial}))
			}
			progress = append(progress, m)
		case *protocol.Log:
		case *protocol.Reply:
			require.Equal(d.t, d.serial, m.Serial)
			if result != nil {
				require.NoError(d.t, protocol.Unmarshal(m.Result, result))
			}
			return progress, nil
		case *protocol.Error:
			require.Equal(d.t, d.serial, m.Serial)
			return progress, m
		default:
			d.t.Fatalf("unexpected %s message", m.Type())
		}
	}
}

// Call runs action proc with its required arguments in order, decoding
// the result into result (a pointer, or nil). The error is the daemon's
// *protocol.Error ("action: object: message", errno in Errno).
func (d *Daemon) Call(proc string, result any, args ...any) error {
	_, err := d.CallOpts(proc, nil, result, args...)
	return err
}

// CallCancelled runs action proc as Call does and cancels it as soon as
// its first progress message arrives, as user_cancel during a transfer
// does; it returns the call's error (EINTR when the cancel came in time).
func (d *Daemon) CallCancelled(proc string, args ...any) error {
	d.t.Helper()
	_, err := d.callProgress(proc, nil, nil, true, args)
	return err
}

// CallOpts is Call with optional arguments (by their position in the
// action's table entry) and progress: it returns the progress messages.
// An *os.File argument is a FileIn or FileOut: its descriptor goes with
// the call, as the library passes it, and its name on the wire.
func (d *Daemon) CallOpts(proc string, opts map[int]any, result any, args ...any) ([]*protocol.Progress, error) {
	d.t.Helper()
	return d.callProgress(proc, opts, result, false, args)
}

func (d *Daemon) callProgress(proc string, opts map[int]any, result any, cancel bool, args []any) ([]*protocol.Progress, error) {
	wire := map[int]any{}
	var fds []int
	for i, a := range args {
		if f, ok := a.(*os.File); ok {
			fds = append(fds, int(f.Fd()))
			a = f.Name()
		}
		wire[i+1] = a
	}
	for i, o := range opts {
		wire[100+i] = o
	}
	require.NoError(d.t, d.send(&protocol.Call{Proc: proc, Args: mustMarshal(d.t, wire), Progress: true}, fds...))
	return d.waitCancel(result, cancel)
}
