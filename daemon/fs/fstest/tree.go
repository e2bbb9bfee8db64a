package fstest

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"
)

// testdata is this package's testdata folder: beside this file, or,
// when the build trims paths, a sibling driver's ../fstest/testdata.
func testdata() string {
	if _, f, _, ok := runtime.Caller(0); ok && filepath.IsAbs(f) {
		return filepath.Join(filepath.Dir(f), "testdata")
	}
	return filepath.Join("..", "fstest", "testdata")
}

// MakeTree builds testdata/mktree.sh's comparison tree in a new temporary
// folder, with mktree.sh's -x extras (extended attributes, a 2 MB file)
// when xattrs. It needs root, and skips the test without it; why says
// what the tree needs root for.
func MakeTree(t *testing.T, xattrs bool, why string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("the comparison tree needs root (" + why + ")")
	}
	if xattrs {
		Need(t, "attr", "setfattr")
	}
	d := filepath.Join(t.TempDir(), "tree")
	args := []string{filepath.Join(testdata(), "mktree.sh")}
	if xattrs {
		args = append(args, "-x")
	}
	out, err := exec.Command("sh", append(args, d)...).CombinedOutput()
	require.NoError(t, err, "%s", out)
	return d
}
