// Package fstest holds what the tests of the filesystem drivers under
// daemon/fs share: devices over a file or a byte slice, a check that the
// tools a test runs are installed, a walk of everything a driver shows,
// and the comparison tree testdata/mktree.sh builds.
//
// It is an ordinary package so that the drivers' tests in different
// packages can import it, but only _test.go files may: it depends on
// package testing and testify, which no driver or daemon binary should
// link.
package fstest

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"goguestfs/daemon/errno"
)

// FileDev is a device over a plain file.
type FileDev struct {
	*os.File
	size int64
}

func (d *FileDev) Size() int64       { return d.size }
func (d *FileDev) SectorSize() int64 { return 512 }

// OpenDev opens the file p with os.OpenFile's flag as a device, closed
// when the test ends.
func OpenDev(t testing.TB, p string, flag int) *FileDev {
	t.Helper()
	f, err := os.OpenFile(p, flag, 0)
	require.NoError(t, err)
	t.Cleanup(func() { f.Close() })
	st, err := f.Stat()
	require.NoError(t, err)
	return &FileDev{File: f, size: st.Size()}
}

// ROMem is a read-only device in memory: a read past the end is short
// with io.EOF, a write fails.
type ROMem struct{ B []byte }

func (d *ROMem) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 || off > int64(len(d.B)) {
		return 0, fmt.Errorf("read out of range")
	}
	n := copy(p, d.B[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (d *ROMem) WriteAt(p []byte, off int64) (int, error) {
	return 0, fmt.Errorf("ROMem: write at %d in a read-only test", off)
}
func (d *ROMem) Size() int64       { return int64(len(d.B)) }
func (d *ROMem) SectorSize() int64 { return 512 }

// Need fails the test when a tool that scripts/packages.txt installs is
// missing: CI has it. debian names the Debian packages that hold the
// tools, for the message.
func Need(t testing.TB, debian string, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not installed: run sh scripts/install-deps.sh (Debian %s)", tool, debian)
		}
	}
}

// Errno is errno.Of(err), and 0 for no error.
func Errno(err error) syscall.Errno {
	if err == nil {
		return 0
	}
	return errno.Of(err)
}
