package fstest

import (
	"os"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"goguestfs/daemon/fs"
)

// ReadOnly checks what a read-only driver's read-write mount x does: it
// is no fs.Writer, every write flag of OpenFile is EROFS on the regular
// file and on a new one, and a handle of the file refuses WriteAt and
// Truncate with EROFS. Then it runs more (the driver's own refusals, if
// not nil), and checks that Sync and Close succeed and a Stat after Close
// is EBADF.
func ReadOnly(t *testing.T, x fs.FS, file string, more func()) {
	t.Helper()
	_, isWriter := x.(fs.Writer)
	assert.False(t, isWriter, "no fs.Writer: the daemon answers EROFS/ENOTSUP itself")
	for _, fl := range []int{os.O_WRONLY, os.O_RDWR, os.O_RDONLY | os.O_TRUNC, os.O_RDONLY | os.O_CREATE, os.O_WRONLY | os.O_APPEND} {
		_, err := x.OpenFile(file, fl, 0o644)
		assert.Equal(t, syscall.EROFS, Errno(err), "flags %#x", fl)
	}
	_, err := x.OpenFile("/new", os.O_CREATE|os.O_WRONLY, 0o644)
	assert.EqualError(t, err, "/new: read-only file system")
	h, err := x.OpenFile(file, os.O_RDONLY, 0)
	require.NoError(t, err)
	_, err = h.WriteAt([]byte("x"), 0)
	assert.Equal(t, syscall.EROFS, Errno(err))
	assert.Equal(t, syscall.EROFS, Errno(h.Truncate(0)))
	if more != nil {
		more()
	}
	assert.NoError(t, x.Sync())
	assert.NoError(t, x.Close())
	_, err = x.Stat("/")
	assert.Equal(t, syscall.EBADF, Errno(err))
}
