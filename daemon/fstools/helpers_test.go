package fstools

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"goguestfs/daemon/blockdev"
)

// ptr returns a pointer to v, for the options.
func ptr[T any](v T) *T { return &v }

// garbage returns n random bytes from seed.
func garbage(n int64, seed uint64) []byte {
	b := make([]byte, n)
	r := rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8)})
	r.Read(b)
	return b
}

// testImage creates an image file of size bytes, filled with random
// garbage when fill is set (else sparse and zero), and returns its path.
func testImage(t testing.TB, size int64, fill bool) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "disk.img")
	if fill {
		require.NoError(t, os.WriteFile(p, garbage(size, 1), 0o644))
	} else {
		require.NoError(t, os.WriteFile(p, nil, 0o644))
		require.NoError(t, os.Truncate(p, size))
	}
	return p
}

// openDrive opens the image at p as the writable drive /dev/sda, or as a
// read-only one with an overlay when overlay is set.
func openDrive(t testing.TB, p string, overlay bool) *blockdev.Drive {
	t.Helper()
	flag := os.O_RDWR
	if overlay {
		flag = os.O_RDONLY
	}
	f, err := os.OpenFile(p, flag, 0)
	require.NoError(t, err)
	var ov *os.File
	if overlay {
		ov, err = os.CreateTemp(t.TempDir(), "overlay")
		require.NoError(t, err)
	}
	d, err := blockdev.Open("/dev/sda", f, ov)
	require.NoError(t, err)
	t.Cleanup(func() { d.Close() })
	return d
}

// Geometry of the test partition: neither end is 4 KiB-aligned on the
// drive, so zeroing has unaligned edges.
const (
	partStart = 1<<20 + 3*512
	partLen   = 48<<20 + 5*512
	diskSize  = 64 << 20
)

// testPart returns the partition /dev/sda1 of d at partStart.
func testPart(d *blockdev.Drive) *blockdev.Part {
	return &blockdev.Part{Name: "/dev/sda1", Drive: d, Start: partStart, Length: partLen}
}

// readDev returns all of dev's bytes.
func readDev(t testing.TB, dev blockdev.Dev) []byte {
	t.Helper()
	b := make([]byte, dev.Size())
	_, err := dev.ReadAt(b, 0)
	require.NoError(t, err)
	return b
}

// saveDev writes all of dev's bytes to a new file and returns its path:
// what the host's tools check.
func saveDev(t testing.TB, dev blockdev.Dev) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "region.img")
	require.NoError(t, os.WriteFile(p, readDev(t, dev), 0o644))
	return p
}

// host runs a host tool and returns its output and exit status.
func host(t testing.TB, name string, args ...string) (string, int) {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return string(out), exit.ExitCode()
	}
	require.NoError(t, err, "%s: %s", name, out)
	return string(out), 0
}

// requireClean checks the ext filesystem in the file p with e2fsck -fn.
func requireClean(t testing.TB, p string) {
	t.Helper()
	out, st := host(t, "e2fsck", "-fn", p)
	require.Equal(t, 0, st, "e2fsck -fn: %s", out)
}

// superblock returns dumpe2fs -h's fields for the file p.
func superblock(t testing.TB, p string) map[string]string {
	t.Helper()
	out, err := exec.Command("dumpe2fs", "-h", p).Output()
	require.NoError(t, err)
	m := map[string]string{}
	for _, line := range strings.Split(string(out), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok {
			m[k] = strings.TrimSpace(v)
		}
	}
	return m
}

// features returns the filesystem's feature names.
func features(sb map[string]string) []string { return strings.Fields(sb["Filesystem features"]) }

// debugfs runs debugfs -w with the requests on the file p.
func debugfs(t testing.TB, p string, requests ...string) string {
	t.Helper()
	cmd := exec.Command("debugfs", "-w", "-f", "-", p)
	cmd.Stdin = strings.NewReader(strings.Join(requests, "\n") + "\n")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "debugfs: %s", out)
	return string(out)
}

// writeBackTo copies the file p over dev (after the host's tools changed
// it).
func writeBackTo(t testing.TB, p string, dev blockdev.Dev) {
	t.Helper()
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	require.Equal(t, dev.Size(), int64(len(b)))
	_, err = dev.WriteAt(b, 0)
	require.NoError(t, err)
}

// sameOutside checks that the drive's bytes outside the partition are
// what they were.
func sameOutside(t testing.TB, before, after []byte) {
	t.Helper()
	require.True(t, bytes.Equal(before[:partStart], after[:partStart]), "bytes before the partition changed")
	require.True(t, bytes.Equal(before[partStart+partLen:], after[partStart+partLen:]), "bytes after the partition changed")
}
