package iso9660

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"goguestfs/daemon/fs"
	"goguestfs/daemon/fs/fstest"
)

// need fails the test when a tool that scripts/packages.txt installs is
// missing: CI has it.
func need(t testing.TB, tools ...string) {
	t.Helper()
	fstest.Need(t, "xorriso, genisoimage", tools...)
}

func mount(t testing.TB, p string, opts string) *FS {
	t.Helper()
	x, err := Driver{}.Open(fstest.OpenDev(t, p, os.O_RDONLY), fs.OpenOptions{ReadOnly: true, Options: opts})
	require.NoError(t, err)
	return x.(*FS)
}

var errnoOf = fstest.Errno
