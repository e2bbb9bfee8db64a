package vfat

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"goguestfs/daemon/fs"
	"goguestfs/daemon/fs/fstest"
)

// memDev is a device in memory.
type memDev struct{ b []byte }

func (d *memDev) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 || off+int64(len(p)) > int64(len(d.b)) {
		return 0, fmt.Errorf("read out of range")
	}
	return copy(p, d.b[off:]), nil
}

func (d *memDev) WriteAt(p []byte, off int64) (int, error) {
	if off < 0 || off+int64(len(p)) > int64(len(d.b)) {
		return 0, fmt.Errorf("write out of range")
	}
	return copy(d.b[off:], p), nil
}
func (d *memDev) Size() int64       { return int64(len(d.b)) }
func (d *memDev) SectorSize() int64 { return 512 }

func need(t testing.TB, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			if _, err := os.Stat("/usr/sbin/" + tool); err != nil {
				t.Skipf("%s not installed (Debian dosfstools, mtools)", tool)
			}
		}
	}
}

func tool(name string) string {
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	return "/usr/sbin/" + name
}

// newImage makes an empty image file of size bytes.
func newImage(t testing.TB, size int64) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "fat.img")
	require.NoError(t, os.WriteFile(p, nil, 0o644))
	require.NoError(t, os.Truncate(p, size))
	return p
}

// mkfsImage formats an image with mkfs.fat.
func mkfsImage(t testing.TB, size int64, args ...string) string {
	t.Helper()
	need(t, "mkfs.fat")
	p := newImage(t, size)
	out, err := exec.Command(tool("mkfs.fat"), append(args, p)...).CombinedOutput()
	require.NoError(t, err, "%s", out)
	return p
}

func openDev(t testing.TB, path string) *fstest.FileDev {
	t.Helper()
	return fstest.OpenDev(t, path, os.O_RDWR)
}

func mount(t testing.TB, path string, ro bool) *FS {
	t.Helper()
	x, err := Driver{}.Open(openDev(t, path), fs.OpenOptions{ReadOnly: ro})
	require.NoError(t, err)
	return x.(*FS)
}

var fsckClean = regexp.MustCompile(`^fsck\.fat [^\n]*\n[^\n]*: \d+ files, \d+/\d+ clusters\n$`)

// fsck runs fsck.fat -n and fails on any finding.
func fsck(t testing.TB, path string) {
	t.Helper()
	need(t, "fsck.fat")
	out, err := exec.Command(tool("fsck.fat"), "-n", path).CombinedOutput()
	require.NoError(t, err, "fsck.fat -n:\n%s", out)
	require.Regexp(t, fsckClean, string(out), "fsck.fat -n has findings")
}

func mtoolsEnv() []string { return append(os.Environ(), "MTOOLS_SKIP_CHECK=1", "MTOOLS_NO_VFAT=0") }

// mcat reads a file with mcopy.
func mcat(t testing.TB, img, path string) []byte {
	t.Helper()
	need(t, "mcopy")
	cmd := exec.Command("mcopy", "-n", "-i", img, "::"+path, "-")
	cmd.Env = mtoolsEnv()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "mcopy %s: %s", path, stderr.String())
	return out
}

// mlist lists every path with mdir -/ -b: directories end in "/".
func mlist(t testing.TB, img string) []string {
	t.Helper()
	need(t, "mdir")
	cmd := exec.Command("mdir", "-i", img, "-/", "-b", "::")
	cmd.Env = mtoolsEnv()
	out, err := cmd.CombinedOutput()
	if err != nil && strings.Contains(string(out), `File "::" not found`) {
		return nil // mdir -b of an empty root
	}
	require.NoError(t, err, "mdir: %s", out)
	var l []string
	for _, s := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if s = strings.TrimPrefix(strings.TrimSpace(s), "::"); s != "" {
			l = append(l, s)
		}
	}
	sort.Strings(l)
	return l
}

// mcmd runs an mtools command on an image.
func mcmd(t testing.TB, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = mtoolsEnv()
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s %v: %s", name, args, out)
}
