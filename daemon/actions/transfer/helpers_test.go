package transfer_test

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"goguestfs/daemon/daemontest"
	"goguestfs/protocol"
)

// fsImage makes an image of size bytes with a filesystem made on the host
// by tool.
func fsImage(t *testing.T, size int64, tool string, args ...string) string {
	t.Helper()
	img := daemontest.Image(t, size)
	out, err := exec.Command(tool, append(args, img)...).CombinedOutput()
	require.NoError(t, err, "%s", out)
	return img
}

// mounted starts a daemon with img's filesystem mounted at /.
func mounted(t *testing.T, img string) *daemontest.Daemon {
	t.Helper()
	d := daemontest.Start(t, img)
	require.NoError(t, d.Call("mount", nil, "/dev/sda", "/"))
	return d
}

// errnoOf returns the errno of an action's error.
func errnoOf(t *testing.T, err error) syscall.Errno {
	t.Helper()
	var pe *protocol.Error
	require.ErrorAs(t, err, &pe)
	return syscall.Errno(pe.Errno)
}

// check unmounts everything and runs the real checker on img.
func check(t *testing.T, d *daemontest.Daemon, img string, tool string, args ...string) {
	t.Helper()
	require.NoError(t, d.Call("umount_all", nil))
	out, err := exec.Command(tool, append(args, img)...).CombinedOutput()
	assert.NoError(t, err, "%s: %s", tool, out)
}

// hostFile writes a host file of size bytes holding random data in the
// ranges data ([start, end) pairs), holes elsewhere.
func hostFile(t *testing.T, size int64, data ...[2]int64) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "host")
	f, err := os.Create(p)
	require.NoError(t, err)
	defer f.Close()
	require.NoError(t, f.Truncate(size))
	for _, r := range data {
		b := make([]byte, r[1]-r[0])
		rand.Read(b)
		_, err := f.WriteAt(b, r[0])
		require.NoError(t, err)
	}
	return p
}

func sha256File(t *testing.T, p string) string {
	t.Helper()
	f, err := os.Open(p)
	require.NoError(t, err)
	defer f.Close()
	h := sha256.New()
	_, err = io.Copy(h, f)
	require.NoError(t, err)
	return hex.EncodeToString(h.Sum(nil))
}

// allocated is the bytes a host file has on disk.
func allocated(t *testing.T, p string) int64 {
	t.Helper()
	var st syscall.Stat_t
	require.NoError(t, syscall.Stat(p, &st))
	return st.Blocks * 512
}

func open(t *testing.T, p string) *os.File {
	t.Helper()
	f, err := os.Open(p)
	require.NoError(t, err)
	t.Cleanup(func() { f.Close() })
	return f
}

func create(t *testing.T, p string) *os.File {
	t.Helper()
	f, err := os.Create(p)
	require.NoError(t, err)
	t.Cleanup(func() { f.Close() })
	return f
}
