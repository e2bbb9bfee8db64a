package parttable

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

const (
	MiB = int64(1) << 20
	GiB = int64(1) << 30
)

// image is a sparse disk image file opened as a Device named /dev/sda.
type image struct {
	path string
	f    *os.File
	dev  *Device
}

func newImage(t *testing.T, size int64) *image {
	t.Helper()
	path := filepath.Join(t.TempDir(), "disk.img")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	require.NoError(t, err)
	require.NoError(t, f.Truncate(size))
	t.Cleanup(func() { f.Close() })
	return &image{path: path, f: f, dev: New("/dev/sda", NewFileDisk(f))}
}

func requireTools(t *testing.T) {
	t.Helper()
	for _, tool := range []string{"sfdisk", "sgdisk"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not found: run scripts/install-deps.sh (packages fdisk, gdisk)", tool)
		}
	}
}

// run runs a checker and returns its combined output and exit code.
func run(t *testing.T, name string, args ...string) (string, int) {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return string(out), ee.ExitCode()
	}
	require.NoError(t, err, "%s %v", name, args)
	return string(out), 0
}

type sfdiskJSON struct {
	PartitionTable struct {
		Label      string `json:"label"`
		SectorSize int64  `json:"sectorsize"`
		Partitions []struct {
			Node  string `json:"node"`
			Start int64  `json:"start"`
			Size  int64  `json:"size"`
			Type  string `json:"type"`
		} `json:"partitions"`
	} `json:"partitiontable"`
}

// check runs every checker on the image and compares sfdisk --json with
// part_list. It returns the partition list.
func (im *image) check(t *testing.T) []Partition {
	t.Helper()
	requireTools(t)
	require.NoError(t, im.f.Sync())
	out, code := run(t, "sfdisk", "--verify", im.path)
	require.Equal(t, 0, code, "sfdisk --verify:\n%s", out)
	require.Contains(t, out, "No errors detected", "sfdisk --verify:\n%s", out)
	// sfdisk --verify exits 0 with "No errors detected" even when it found
	// a corrupt backup GPT (it prints a note first), so notes are checked.
	for _, bad := range []string{"warning", "corrupt", "invalid", "error:", "mismatch"} {
		require.NotContains(t, strings.ToLower(out), bad, "sfdisk --verify:\n%s", out)
	}

	pt, err := im.dev.PartGetParttype()
	require.NoError(t, err)
	if pt == "gpt" {
		out, code := run(t, "sgdisk", "-v", im.path)
		require.Equal(t, 0, code, "sgdisk -v:\n%s", out)
		require.Contains(t, out, "No problems found", "sgdisk -v:\n%s", out)
		// sgdisk -v regenerates a bad backup header in memory and still
		// says "No problems found", so its warnings are checked too. Its
		// alignment cautions are advice and allowed.
		for _, bad := range []string{"Warning", "ERROR", "orrupt", "invalid", "Problem", "mismatch"} {
			require.NotContains(t, out, bad, "sgdisk -v:\n%s", out)
		}
	}

	js, code := run(t, "sfdisk", "--json", im.path)
	require.Equal(t, 0, code, "sfdisk --json:\n%s", js)
	var j sfdiskJSON
	require.NoError(t, json.Unmarshal([]byte(js), &j), js)
	want := map[string]string{"gpt": "gpt", "msdos": "dos"}[pt]
	require.Equal(t, want, j.PartitionTable.Label)
	ss := j.PartitionTable.SectorSize
	fromSfdisk := map[int32][2]uint64{}
	for _, p := range j.PartitionTable.Partitions {
		i := len(p.Node)
		for i > 0 && p.Node[i-1] >= '0' && p.Node[i-1] <= '9' {
			i--
		}
		n, err := strconv.Atoi(p.Node[i:])
		require.NoError(t, err, p.Node)
		fromSfdisk[int32(n)] = [2]uint64{uint64(p.Start * ss), uint64(p.Size * ss)}
	}
	list, err := im.dev.PartList()
	require.NoError(t, err)
	fromUs := map[int32][2]uint64{}
	for _, p := range list {
		require.Equal(t, p.PartStart+p.PartSize-1, p.PartEnd, "partition %d", p.PartNum)
		fromUs[p.PartNum] = [2]uint64{p.PartStart, p.PartSize}
	}
	require.Equal(t, fromSfdisk, fromUs, "sfdisk --json vs part_list")
	return list
}

// sgdiskInfo returns the "sgdisk -i n" output.
func (im *image) sgdiskInfo(t *testing.T, n int) string {
	t.Helper()
	out, code := run(t, "sgdisk", "-i", strconv.Itoa(n), im.path)
	require.Equal(t, 0, code, out)
	return out
}

// requireErrno checks that err is an *Error with the errno and message part.
func requireErrno(t *testing.T, err error, errno syscall.Errno, msgPart string) {
	t.Helper()
	require.Error(t, err)
	var e *Error
	require.True(t, errors.As(err, &e), "not an *Error: %T %v", err, err)
	require.ErrorIs(t, err, errno, "%v", err)
	require.Contains(t, err.Error(), msgPart)
}

// sectorRange is a partition's first and last sector (512-byte sectors).
func sectors(p Partition) (int64, int64) {
	return int64(p.PartStart / 512), int64(p.PartEnd / 512)
}

// sfdiskScript feeds a script to sfdisk to partition path.
func sfdiskScript(path, script string) (string, error) {
	cmd := exec.Command("sfdisk", "-q", path)
	cmd.Stdin = strings.NewReader(script)
	out, err := cmd.CombinedOutput()
	return string(out), err
}
