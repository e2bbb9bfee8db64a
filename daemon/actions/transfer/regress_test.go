package transfer_test

import (
	"archive/tar"
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"goguestfs/daemon/daemontest"
	"goguestfs/daemon/server"
)

// rvArchive writes an archive of the given headers (a regular member's
// body is its Linkname) and returns its path.
func rvArchive(t *testing.T, hs ...tar.Header) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "rv.tar")
	f, err := os.Create(p)
	require.NoError(t, err)
	defer f.Close()
	tw := tar.NewWriter(f)
	for _, h := range hs {
		var body []byte
		if h.Typeflag == tar.TypeReg {
			body, h.Linkname = []byte(h.Linkname), ""
			h.Size = int64(len(body))
		}
		if h.ModTime.IsZero() {
			h.ModTime = time.Unix(1000000000, 0)
		}
		require.NoError(t, tw.WriteHeader(&h))
		_, err := tw.Write(body)
		require.NoError(t, err)
	}
	require.NoError(t, tw.Close())
	return p
}

// Regression (found in review; now fixed): tar_in records a directory member's path and sets its mode and
// times at the end (finishDirs, tar_in.go:473 and 476) with Chmod/Utimens,
// which follow a final symbolic link. A later member replacing the (empty)
// directory by a symbolic link to a file outside the target directory
// makes tar_in chmod that file: expected /etc/shadow to keep mode 0600
// (GNU tar checks the inode before its delayed set-stat), actual 0777.
func TestReviewTarInDirReplacedBySymlinkEscapes(t *testing.T) {
	img := fsImage(t, 64<<20, "mkfs.ext4", "-q", "-F")
	d := mounted(t, img)
	require.NoError(t, d.Call("mkdir", nil, "/etc"))
	require.NoError(t, d.Call("write", nil, "/etc/shadow", []byte("secret\n")))
	require.NoError(t, d.Call("chmod", nil, 0o600, "/etc/shadow"))
	require.NoError(t, d.Call("mkdir", nil, "/t"))
	arch := rvArchive(t,
		tar.Header{Typeflag: tar.TypeDir, Name: "d/", Mode: 0o777},
		tar.Header{Typeflag: tar.TypeSymlink, Name: "d", Linkname: "/etc/shadow", Mode: 0o777})
	// Refusing the archive is fine too; changing /etc/shadow is not.
	_ = d.Call("tar_in_opts", nil, open(t, arch), "/t")
	var st server.Statns
	require.NoError(t, d.Call("lstatns", &st, "/etc/shadow"))
	assert.EqualValues(t, 0o100600, st.StMode, "a file outside the tar_in directory was chmodded")
	assert.NotEqualValues(t, 1000000000, st.StMtimeSec, "a file outside the tar_in directory got the member's time")
	check(t, d, img, "e2fsck", "-fn")
}

// Regression (found in review; now fixed): checksum_device reads the device without flushing the mounted
// filesystems first (checksum.go:27, unlike download's openSource,
// updown.go:265), so writes still in the ext driver's cache are not in
// the sum: expected checksum_device to equal the sha256 of download of
// the same device, actual a different (stale) sum.
func TestReviewChecksumDeviceSeesMountedWrites(t *testing.T) {
	img := fsImage(t, 32<<20, "mkfs.ext4", "-q", "-F")
	d := mounted(t, img)
	require.NoError(t, d.Call("write", nil, "/x", bytes.Repeat([]byte("not yet on the device "), 1000)))
	var sum string
	require.NoError(t, d.Call("checksum_device", &sum, "sha256", "/dev/sda"))
	out := filepath.Join(t.TempDir(), "dev")
	require.NoError(t, d.Call("download", nil, "/dev/sda", create(t, out)))
	assert.Equal(t, sha256File(t, out), sum, "checksum_device and download of one device disagree")
	check(t, d, img, "e2fsck", "-fn")
}

// Regression (found in review; now fixed): copy_device_to_device (and copy_device_to_file) read a source
// device whose filesystem is mounted without flushing it first
// (copy.go:216 cpOpenSource), so the copy misses writes still cached in
// the driver: expected the copy on /dev/sdb to hold /x, actual debugfs
// cannot find it (or the copy is inconsistent).
func TestReviewCopyDeviceSeesMountedWrites(t *testing.T) {
	img := fsImage(t, 32<<20, "mkfs.ext4", "-q", "-F")
	img2 := daemontest.Image(t, 32<<20)
	d := daemontest.Start(t, img, img2)
	require.NoError(t, d.Call("mount", nil, "/dev/sda", "/"))
	require.NoError(t, d.Call("write", nil, "/x", []byte("written before the copy")))
	require.NoError(t, d.Call("copy_device_to_device", nil, "/dev/sda", "/dev/sdb"))
	require.NoError(t, d.Call("umount_all", nil))
	b, err := exec.Command("debugfs", "-R", "cat /x", img2).Output()
	require.NoError(t, err)
	assert.Equal(t, "written before the copy", string(b))
}

// Regression (found in review; now fixed): download into a regular host file that already holds data at the
// descriptor's offset (a /dev/fd/N opened read-write without O_TRUNC)
// leaves the old bytes wherever the guest has zeros or holes:
// hostio.Writer.Skip (hostio.go:319) only advances the offset. Expected
// the host file to read as the guest file (all zeros), actual the old
// 0xff bytes stay: the downloaded copy is corrupt.
func TestReviewDownloadOverExistingHostData(t *testing.T) {
	img := fsImage(t, 32<<20, "mkfs.ext4", "-q", "-F")
	d := mounted(t, img)
	require.NoError(t, d.Call("fill", nil, 0, 2<<20, "/zeros"))
	p := filepath.Join(t.TempDir(), "existing")
	require.NoError(t, os.WriteFile(p, bytes.Repeat([]byte{0xff}, 2<<20), 0o644))
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	require.NoError(t, err)
	t.Cleanup(func() { f.Close() })
	require.NoError(t, d.Call("download", nil, "/zeros", f))
	got, err := os.ReadFile(p)
	require.NoError(t, err)
	require.Len(t, got, 2<<20)
	assert.True(t, bytes.Equal(got, make([]byte, 2<<20)), "old host bytes left where the guest file has zeros")
	check(t, d, img, "e2fsck", "-fn")
}

// Regression (found in review; now fixed): upload to a device of a host file longer than the device whose
// part past the device's end is a hole succeeds, silently dropping the
// tail: target.fill clamps holes to the device's size (updown.go:53)
// while data past the end gives ENOSPC. Expected ENOSPC (the file does not
// fit, as for a file of data, and as libguestfs's write(2) loop gets),
// actual success.
func TestReviewUploadSparseTailPastDeviceEnd(t *testing.T) {
	img := daemontest.Image(t, 8<<20)
	d := daemontest.Start(t, img)
	src := hostFile(t, 9<<20, [2]int64{0, 1 << 20})
	assert.Equal(t, syscall.ENOSPC, errnoOf(t, d.Call("upload", nil, open(t, src), "/dev/sda")))
}

// Regression (found in review; now fixed): copy_device_to_device's overlap check (copy.go:146) compares
// partition numbers, so a partition and its whole disk are "different"
// devices: copying /dev/sda1 forward onto an overlapping later range of
// /dev/sda runs and reads back what it already wrote. Expected EINVAL (the
// contract: overlapping ranges of one device with the destination after
// the source), actual success with a corrupt result.
func TestReviewCopyPartitionOntoItsDisk(t *testing.T) {
	img := daemontest.Image(t, 16<<20)
	d := daemontest.Start(t, img)
	require.NoError(t, d.Call("part_disk", nil, "/dev/sda", "mbr"))
	var start int64
	var parts []server.Partition
	require.NoError(t, d.Call("part_list", &parts, "/dev/sda"))
	require.Len(t, parts, 1)
	start = parts[0].PartStart
	data := make([]byte, 3<<20)
	rand.Read(data)
	src := filepath.Join(t.TempDir(), "src")
	require.NoError(t, os.WriteFile(src, data, 0o644))
	require.NoError(t, d.Call("upload", nil, open(t, src), "/dev/sda1"))
	// sda1 [0, 3 MiB) to sda at start + 1 MiB: the same bytes as
	// sda1's [1 MiB, 4 MiB), after the source.
	_, err := d.CallOpts("copy_device_to_device", map[int]any{1: int64(start + 1<<20), 2: int64(3 << 20)}, nil, "/dev/sda1", "/dev/sda")
	if err == nil {
		out := filepath.Join(t.TempDir(), "out")
		require.NoError(t, d.Call("download_offset", nil, "/dev/sda", create(t, out), start+1<<20, int64(3<<20)))
		got, rerr := os.ReadFile(out)
		require.NoError(t, rerr)
		h1, h2 := sha256.Sum256(data), sha256.Sum256(got)
		assert.Equal(t, hex.EncodeToString(h1[:]), hex.EncodeToString(h2[:]), "an overlapping copy was accepted and corrupted the data")
	}
	assert.Equal(t, syscall.EINVAL, errnoOf(t, err))
}
