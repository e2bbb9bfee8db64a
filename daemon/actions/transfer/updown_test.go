package transfer_test

import (
	"bytes"
	"crypto/rand"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"goguestfs/daemon/daemontest"
	"goguestfs/daemon/server"
)

// TestRoundTrip uploads files of 1 byte, 1 MiB + 1 and 300 MiB (sparse),
// checks them with the checksum action and downloads them again: the
// same bytes, and holes stay holes both ways.
func TestRoundTrip(t *testing.T) {
	img := fsImage(t, 512<<20, "mkfs.ext4", "-q", "-F")
	d := mounted(t, img)
	cases := []struct {
		name string
		size int64
		data [][2]int64
	}{
		{"one", 1, [][2]int64{{0, 1}}},
		{"mib1", 1<<20 + 1, [][2]int64{{0, 1<<20 + 1}}},
		{"sparse", 300 << 20, [][2]int64{{0, 4096}, {100 << 20, 100<<20 + 3<<20 + 17}, {300<<20 - 5, 300 << 20}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			src := hostFile(t, tc.size, tc.data...)
			want := sha256File(t, src)
			p := "/" + tc.name
			require.NoError(t, d.Call("upload", nil, open(t, src), p))
			var sum string
			require.NoError(t, d.Call("checksum", &sum, "sha256", p))
			assert.Equal(t, want, sum)
			var st server.Statns
			require.NoError(t, d.Call("statns", &st, p))
			assert.Equal(t, tc.size, st.StSize)
			var data int64
			for _, r := range tc.data {
				data += r[1] - r[0]
			}
			assert.LessOrEqual(t, st.StBlocks*512, data+64<<10, "holes of the host file stay holes in the guest")

			out := filepath.Join(t.TempDir(), "out")
			require.NoError(t, d.Call("download", nil, p, create(t, out)))
			assert.Equal(t, want, sha256File(t, out))
			assert.LessOrEqual(t, allocated(t, out), data+64<<10, "holes of the guest file stay holes on the host")
		})
	}
	check(t, d, img, "e2fsck", "-fn")
}

// TestOffsets checks upload_offset and download_offset: writes in place
// without truncating, a hole before an offset past the end, reads of a
// range cut at the end.
func TestOffsets(t *testing.T) {
	img := fsImage(t, 64<<20, "mkfs.ext4", "-q", "-F")
	d := mounted(t, img)
	base := bytes.Repeat([]byte("0123456789"), 1000)
	require.NoError(t, d.Call("write", nil, "/f", base))
	patch := filepath.Join(t.TempDir(), "patch")
	require.NoError(t, os.WriteFile(patch, []byte("PATCH"), 0o644))
	require.NoError(t, d.Call("upload_offset", nil, open(t, patch), "/f", int64(5)))
	want := append([]byte(nil), base...)
	copy(want[5:], "PATCH")
	var got []byte
	require.NoError(t, d.Call("read_file", &got, "/f"))
	assert.Equal(t, want, got)

	require.NoError(t, d.Call("upload_offset", nil, open(t, patch), "/new", int64(1<<20)))
	require.NoError(t, d.Call("read_file", &got, "/new"))
	assert.Equal(t, append(make([]byte, 1<<20), "PATCH"...), got)

	// A hole of the source over existing data writes zeros there.
	holey := hostFile(t, 8192, [2]int64{4096, 8192})
	require.NoError(t, d.Call("upload_offset", nil, open(t, holey), "/f", int64(0)))
	require.NoError(t, d.Call("read_file", &got, "/f"))
	assert.Equal(t, make([]byte, 4096), got[:4096])
	assert.Equal(t, base[8192:], got[8192:])

	out := filepath.Join(t.TempDir(), "out")
	require.NoError(t, d.Call("download_offset", nil, "/new", create(t, out), int64(1<<20+1), int64(3)))
	b, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.Equal(t, "ATC", string(b))
	require.NoError(t, d.Call("download_offset", nil, "/new", create(t, out), int64(1<<20+3), int64(100)))
	b, _ = os.ReadFile(out)
	assert.Equal(t, "CH", string(b), "cut at the end of the file")
	require.NoError(t, d.Call("download_offset", nil, "/new", create(t, out), int64(5<<20), int64(100)))
	b, _ = os.ReadFile(out)
	assert.Empty(t, b, "past the end: nothing")

	assert.Equal(t, syscall.EINVAL, errnoOf(t, d.Call("download_offset", nil, "/new", create(t, out), int64(-1), int64(1))))
	assert.Equal(t, syscall.EINVAL, errnoOf(t, d.Call("download_offset", nil, "/new", create(t, out), int64(0), int64(-1))))
	assert.Equal(t, syscall.EINVAL, errnoOf(t, d.Call("upload_offset", nil, open(t, patch), "/f", int64(-1))))
	check(t, d, img, "e2fsck", "-fn")
}

// TestHostDescriptors streams through pipes (no size, no holes) and
// through a descriptor used from its current offset, which is left after
// the transfer.
func TestHostDescriptors(t *testing.T) {
	img := fsImage(t, 64<<20, "mkfs.ext4", "-q", "-F")
	d := mounted(t, img)
	payload := make([]byte, 3<<20+7)
	rand.Read(payload)
	copy(payload[1<<20:], make([]byte, 1<<20)) // a run of zeros inside

	r, w, err := os.Pipe()
	require.NoError(t, err)
	go func() {
		w.Write(payload)
		w.Close()
	}()
	require.NoError(t, d.Call("upload", nil, r, "/piped"))
	r.Close()
	var got []byte
	require.NoError(t, d.Call("read_file", &got, "/piped"))
	assert.Equal(t, payload, got)

	r, w, err = os.Pipe()
	require.NoError(t, err)
	done := make(chan []byte)
	go func() {
		b, _ := io.ReadAll(r)
		done <- b
	}()
	require.NoError(t, d.Call("download", nil, "/piped", w))
	w.Close()
	assert.Equal(t, payload, <-done, "zeros reach a pipe as zeros")

	// From the descriptor's offset, and the offset is left after it.
	p := filepath.Join(t.TempDir(), "mixed")
	require.NoError(t, os.WriteFile(p, []byte("skipDATA"), 0o644))
	f := open(t, p)
	_, err = f.Seek(4, io.SeekStart)
	require.NoError(t, err)
	require.NoError(t, d.Call("upload", nil, f, "/tail"))
	require.NoError(t, d.Call("read_file", &got, "/tail"))
	assert.Equal(t, "DATA", string(got))
	pos, _ := f.Seek(0, io.SeekCurrent)
	assert.EqualValues(t, 8, pos)

	out := create(t, filepath.Join(t.TempDir(), "out"))
	out.WriteString("head:")
	require.NoError(t, d.Call("download", nil, "/tail", out))
	b, err := os.ReadFile(out.Name())
	require.NoError(t, err)
	assert.Equal(t, "head:DATA", string(b))
	check(t, d, img, "e2fsck", "-fn")
}

// TestDevices uploads to and downloads from devices, refused while a
// filesystem on them is mounted.
func TestDevices(t *testing.T) {
	img := daemontest.Image(t, 8<<20)
	img2 := fsImage(t, 32<<20, "mkfs.ext4", "-q", "-F")
	d := daemontest.Start(t, img, img2)
	src := hostFile(t, 3<<20, [2]int64{0, 1 << 20}, [2]int64{2 << 20, 3 << 20})
	// Data on the device where the source has a hole must become zeros.
	require.NoError(t, d.Call("pwrite_device", new(int), "/dev/sda", bytes.Repeat([]byte{0xff}, 4096), int64(1<<20+4096)))
	require.NoError(t, d.Call("upload", nil, open(t, src), "/dev/sda"))
	out := filepath.Join(t.TempDir(), "out")
	require.NoError(t, d.Call("download_offset", nil, "/dev/sda", create(t, out), int64(0), int64(3<<20)))
	assert.Equal(t, sha256File(t, src), sha256File(t, out))

	big := hostFile(t, 9<<20, [2]int64{0, 9 << 20})
	assert.Equal(t, syscall.ENOSPC, errnoOf(t, d.Call("upload", nil, open(t, big), "/dev/sda")))
	assert.Equal(t, syscall.ENOENT, errnoOf(t, d.Call("upload", nil, open(t, src), "/dev/sdz")))

	require.NoError(t, d.Call("mount", nil, "/dev/sdb", "/"))
	assert.Equal(t, syscall.EBUSY, errnoOf(t, d.Call("upload", nil, open(t, src), "/dev/sdb")))
	require.NoError(t, d.Call("write", nil, "/x", []byte("flushed before the device is read")))
	require.NoError(t, d.Call("download", nil, "/dev/sdb", create(t, out)))
	cmd := exec.Command("debugfs", "-R", "cat /x", out)
	b, err := cmd.Output()
	require.NoError(t, err)
	assert.Equal(t, "flushed before the device is read", string(b))
	check(t, d, img2, "e2fsck", "-fn")
}

// TestErrors checks the errnos of bad targets.
func TestErrors(t *testing.T) {
	img := fsImage(t, 64<<20, "mkfs.ext4", "-q", "-F")
	d := mounted(t, img)
	src := hostFile(t, 10, [2]int64{0, 10})
	require.NoError(t, d.Call("mkdir", nil, "/dir"))
	out := filepath.Join(t.TempDir(), "out")
	assert.Equal(t, syscall.ENOENT, errnoOf(t, d.Call("upload", nil, open(t, src), "/no/such")))
	assert.Equal(t, syscall.EISDIR, errnoOf(t, d.Call("upload", nil, open(t, src), "/dir")))
	assert.Equal(t, syscall.ENOENT, errnoOf(t, d.Call("download", nil, "/nonesuch", create(t, out))))
	assert.Equal(t, syscall.EISDIR, errnoOf(t, d.Call("download", nil, "/dir", create(t, out))))
	assert.Equal(t, syscall.EINVAL, errnoOf(t, d.Call("upload", nil, open(t, src), "relative")))
	// A FileOut opened for reading only cannot be written.
	require.NoError(t, os.WriteFile(out, nil, 0o644))
	require.NoError(t, d.Call("write", nil, "/f", []byte("data")))
	assert.Equal(t, syscall.EBADF, errnoOf(t, d.Call("download", nil, "/f", open(t, out))))
	require.NoError(t, d.Call("umount_all", nil))
	require.NoError(t, d.Call("mount_ro", nil, "/dev/sda", "/"))
	assert.Equal(t, syscall.EROFS, errnoOf(t, d.Call("upload", nil, open(t, src), "/g")))
	check(t, d, img, "e2fsck", "-fn")
}

// TestVfatLimit: a file of 4 GiB or more does not fit on FAT (EFBIG); the
// sparse source costs nothing to try.
func TestVfatLimit(t *testing.T) {
	img := fsImage(t, 64<<20, "mkfs.vfat")
	d := mounted(t, img)
	src := hostFile(t, 5<<30, [2]int64{0, 100})
	assert.Equal(t, syscall.EFBIG, errnoOf(t, d.Call("upload", nil, open(t, src), "/big")))
	small := hostFile(t, 100<<10, [2]int64{0, 100 << 10})
	require.NoError(t, d.Call("upload", nil, open(t, small), "/small"))
	var sum string
	require.NoError(t, d.Call("checksum", &sum, "sha256", "/small"))
	assert.Equal(t, sha256File(t, small), sum)
	check(t, d, img, "fsck.fat", "-n")
}

// TestProgressAndCancel: a long upload reports progress by the rule
// (positions rising to total, the last one total), and a cancel at its
// first progress message stops it with EINTR, leaving a consistent
// filesystem and a daemon that goes on working.
func TestProgressAndCancel(t *testing.T) {
	img := fsImage(t, 256<<20, "mkfs.ext4", "-q", "-F")
	d := mounted(t, img)
	src := hostFile(t, 64<<20, [2]int64{0, 64 << 20})
	progress, err := d.CallOpts("upload", nil, nil, open(t, src), "/f")
	require.NoError(t, err)
	require.NotEmpty(t, progress)
	var last uint64
	for _, p := range progress {
		assert.GreaterOrEqual(t, p.Position, last)
		assert.LessOrEqual(t, p.Position, p.Total)
		assert.EqualValues(t, 64<<20, p.Total)
		last = p.Position
	}
	assert.Equal(t, progress[len(progress)-1].Total, last)

	for _, call := range []func() error{
		func() error { return d.CallCancelled("upload", open(t, src), "/g") },
		func() error {
			return d.CallCancelled("download", "/f", create(t, filepath.Join(t.TempDir(), "out")))
		},
	} {
		assert.Equal(t, syscall.EINTR, errnoOf(t, call()))
		var sum string
		require.NoError(t, d.Call("checksum", &sum, "sha256", "/f"))
		assert.Equal(t, sha256File(t, src), sum)
	}
	check(t, d, img, "e2fsck", "-fn")
}
