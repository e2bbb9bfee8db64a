package core

import (
	"bytes"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"goguestfs/protocol"
)

// A call whose encoded message exceeds the protocol's frame limit fails
// with EINVAL before anything is sent, naming the action; the handle, its
// daemon and the connection stay usable.
func TestCallTooLargeForProtocol(t *testing.T) {
	h := newDaemonHandle(t)
	require.NoError(t, h.AddDriveScratch(16<<20, nil))
	require.NoError(t, h.Launch())

	// A 9 MiB string argument: refused before it is framed.
	_, err := h.BlockdevGetsize64("/dev/" + strings.Repeat("x", 9<<20))
	require.ErrorIs(t, err, syscall.EINVAL)
	assert.True(t, strings.HasPrefix(err.Error(), "blockdev_getsize64: the call cannot be sent: its arguments alone take "), err.Error())
	assert.Contains(t, err.Error(), "more than the 8388608 bytes (8 MiB) a message to the daemon may carry")
	assert.Less(t, len(err.Error()), 512, "the argument is not echoed")
	msg, errno, ok := h.LastError()
	assert.True(t, ok)
	assert.Equal(t, syscall.EINVAL, errno)
	assert.Equal(t, err.Error(), msg)
	devs, err := h.ListDevices()
	require.NoError(t, err)
	assert.Equal(t, []string{"/dev/sda"}, devs)

	// 8 MiB of content: the arguments fit, the call with its envelope
	// does not.
	_, err = h.PwriteDevice("/dev/sda", make([]byte, protocol.MaxMessage), 0)
	require.ErrorIs(t, err, syscall.EINVAL)
	assert.True(t, strings.HasPrefix(err.Error(), "pwrite_device: the call cannot be sent: "), err.Error())
	assert.Contains(t, err.Error(), "more than the 8388608 bytes")

	// Just under the limit: sent, and refused by the daemon's own limit.
	_, err = h.PwriteDevice("/dev/sda", make([]byte, protocol.MaxMessage-200), 0)
	require.ErrorIs(t, err, syscall.EINVAL)
	assert.Contains(t, err.Error(), "at most 4194304 per call")

	// The handle still works, data both ways.
	buf := bytes.Repeat([]byte("goguestfs"), (4<<20)/9)
	n, err := h.PwriteDevice("/dev/sda", buf, 4096)
	require.NoError(t, err)
	assert.Equal(t, len(buf), n)
	got, err := h.PreadDevice("/dev/sda", len(buf), 4096)
	require.NoError(t, err)
	assert.Equal(t, buf, got)
	require.NoError(t, h.Shutdown())
}
