package transfer_test

import (
	"bytes"
	"encoding/binary"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"goguestfs/daemon/daemontest"
	"goguestfs/daemon/fs/vfat/layout"
)

func zfRandom(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	r.Read(b)
	for i := range b {
		if b[i] == 0 {
			b[i] = 1
		}
	}
	return b
}

// zfUpload uploads data to the guest file p through a host file.
func zfUpload(t *testing.T, d *daemontest.Daemon, p string, data []byte) {
	t.Helper()
	src := filepath.Join(t.TempDir(), "up")
	require.NoError(t, os.WriteFile(src, data, 0o600))
	f, err := os.Open(src)
	require.NoError(t, err)
	defer f.Close()
	require.NoError(t, d.Call("upload", nil, f, p))
}

func zfRead(t *testing.T, d *daemontest.Daemon, p string) []byte {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "down")
	f, err := os.Create(dst)
	require.NoError(t, err)
	require.NoError(t, d.Call("download", nil, p, f))
	require.NoError(t, f.Close())
	b, err := os.ReadFile(dst)
	require.NoError(t, err)
	return b
}

func zfAllZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// zfExtFree checks that every free block of the ext image (dumpe2fs's
// free block ranges) reads as zeros.
func zfExtFree(t *testing.T, img string) {
	t.Helper()
	out, err := exec.Command("dumpe2fs", img).Output()
	require.NoError(t, err)
	raw, err := os.ReadFile(img)
	require.NoError(t, err)
	bs := int64(0)
	n := 0
	for _, l := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(l, "Block size:"); ok {
			bs, err = strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			require.NoError(t, err)
		}
		v, ok := strings.CutPrefix(l, "  Free blocks: ")
		if !ok || strings.TrimSpace(v) == "" {
			continue
		}
		for _, r := range strings.Split(v, ", ") {
			a, b, found := strings.Cut(strings.TrimSpace(r), "-")
			if !found {
				b = a
			}
			x, err := strconv.ParseInt(a, 10, 64)
			require.NoError(t, err)
			y, err := strconv.ParseInt(b, 10, 64)
			require.NoError(t, err)
			require.True(t, zfAllZero(raw[x*bs:(y+1)*bs]), "free blocks %d-%d read as zeros", x, y)
			n++
		}
	}
	require.NotZero(t, n, "dumpe2fs lists free blocks")
}

// zfFATFree checks that every free cluster of the FAT image (its first
// FAT read here) reads as zeros.
func zfFATFree(t *testing.T, img string) {
	t.Helper()
	raw, err := os.ReadFile(img)
	require.NoError(t, err)
	bs, err := layout.ParseBoot(raw[:512])
	require.NoError(t, err)
	g, err := bs.Geometry()
	require.NoError(t, err)
	fat := raw[g.FATStart:]
	entry := func(c uint32) uint32 {
		switch g.FATType {
		case layout.FAT12:
			v := uint32(binary.LittleEndian.Uint16(fat[c*3/2:]))
			if c&1 != 0 {
				return v >> 4
			}
			return v & 0xFFF
		case layout.FAT16:
			return uint32(binary.LittleEndian.Uint16(fat[2*c:]))
		}
		return binary.LittleEndian.Uint32(fat[4*c:]) & 0x0FFFFFFF
	}
	free := 0
	for c := uint32(2); c <= g.ClusterCount+1; c++ {
		if entry(c) != 0 {
			continue
		}
		free++
		off := g.ClusterOffset(c)
		require.True(t, zfAllZero(raw[off:off+g.ClusterSize]), "free cluster %d reads as zeros", c)
	}
	require.NotZero(t, free)
}

func zfGone(t *testing.T, img string, victim []byte) {
	t.Helper()
	raw, err := os.ReadFile(img)
	require.NoError(t, err)
	for off := 0; off+64 <= len(victim); off += 512 << 10 {
		require.False(t, bytes.Contains(raw, victim[off:off+64]), "the removed file's bytes at %d are gone from %s", off, img)
	}
}

func zfFsck(t *testing.T, img, tool string, args ...string) {
	t.Helper()
	out, err := exec.Command(tool, append(args, img)...).CombinedOutput()
	require.NoError(t, err, "%s: %s", tool, out)
}

// TestZeroFreeSpace zeroes an ext4 root and a vfat filesystem mounted
// beneath it, each by a directory it holds.
func TestZeroFreeSpace(t *testing.T) {
	ext := fsImage(t, 128<<20, "mkfs.ext4", "-q", "-F")
	fat := fsImage(t, 96<<20, "mkfs.fat", "-F", "32")
	d := daemontest.Start(t, ext, fat)
	require.NoError(t, d.Call("mount", nil, "/dev/sda", "/"))
	require.NoError(t, d.Call("mkdir", nil, "/boot"))
	require.NoError(t, d.Call("mount", nil, "/dev/sdb", "/boot"))
	r := rand.New(rand.NewSource(11))
	keep := map[string][]byte{}
	for _, dir := range []string{"/data", "/boot/data"} {
		require.NoError(t, d.Call("mkdir", nil, dir))
		for _, name := range []string{"a", "b", "c"} {
			p := dir + "/" + name
			keep[p] = zfRandom(r, 1+r.Intn(3<<20))
			zfUpload(t, d, p, keep[p])
		}
	}
	victims := map[string][]byte{"/victim": zfRandom(r, 40<<20), "/boot/victim": zfRandom(r, 40<<20)}
	for p, v := range victims {
		zfUpload(t, d, p, v)
	}
	require.NoError(t, d.Call("sync", nil))
	for p := range victims {
		require.NoError(t, d.Call("rm", nil, p))
	}
	extBefore, fatBefore := allocated(t, ext), allocated(t, fat)

	require.NoError(t, d.Call("zero_free_space", nil, "/boot/data"))
	assert.Greater(t, allocated(t, ext), extBefore-10<<20, "the ext4 root is not touched by zeroing /boot")
	require.NoError(t, d.Call("zero_free_space", nil, "/data"))
	for p, want := range keep {
		require.True(t, bytes.Equal(want, zfRead(t, d, p)), "%s reads back", p)
	}
	require.NoError(t, d.Call("umount_all", nil))

	extAfter, fatAfter := allocated(t, ext), allocated(t, fat)
	assert.Less(t, extAfter, extBefore-30<<20, "ext4 holes punched: %d bytes allocated before, %d after", extBefore, extAfter)
	assert.Less(t, fatAfter, fatBefore-30<<20, "vfat holes punched: %d bytes allocated before, %d after", fatBefore, fatAfter)
	zfFsck(t, ext, "e2fsck", "-fn")
	zfFsck(t, fat, "fsck.fat", "-n")
	zfExtFree(t, ext)
	zfFATFree(t, fat)
	zfGone(t, ext, victims["/victim"])
	zfGone(t, fat, victims["/boot/victim"])
}

// zfBadBlocks writes a bad blocks list (1 KiB blocks) for mke2fs -l or
// mkfs.fat -l and returns its path.
func zfBadBlocks(t *testing.T, blocks []int64) string {
	t.Helper()
	var b strings.Builder
	for _, n := range blocks {
		b.WriteString(strconv.FormatInt(n, 10) + "\n")
	}
	p := filepath.Join(t.TempDir(), "bad")
	require.NoError(t, os.WriteFile(p, []byte(b.String()), 0o600))
	return p
}

// zfExtBadArgs are mkfs.ext4's arguments for 256 MiB of 1 KiB blocks
// with 400 bad blocks in every group, past its metadata.
func zfExtBadArgs(t *testing.T) []string {
	var bad []int64
	for g := int64(0); g < 32; g++ {
		for o := int64(1024); o < 1824; o += 2 {
			bad = append(bad, 1+8192*g+o)
		}
	}
	return []string{"-q", "-F", "-b", "1024", "-O", "^flex_bg,^resize_inode", "-l", zfBadBlocks(t, bad)}
}

// TestZeroFreeSpaceProgress zeroes 256 MiB filesystems whose free space
// is cut into thousands of small runs by bad blocks all over the data
// area, so that zeroing takes long enough for progress messages; the
// bad blocks, used in the bitmap and the FAT, are left alone.
func TestZeroFreeSpaceProgress(t *testing.T) {
	var fatBad []int64
	for b := int64(16 << 10); b < 256<<10; b += 20 {
		fatBad = append(fatBad, b) // past the FATs
	}
	for _, c := range []struct {
		name  string
		tool  string
		args  []string
		check []string
	}{
		{"ext4", "mkfs.ext4", zfExtBadArgs(t), []string{"e2fsck", "-fn"}},
		{"vfat", "mkfs.fat", []string{"-F", "32", "-s", "1", "-l", zfBadBlocks(t, fatBad)}, []string{"fsck.fat", "-n"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			img := fsImage(t, 256<<20, c.tool, c.args...)
			d := daemontest.Start(t, img)
			require.NoError(t, d.Call("mount", nil, "/dev/sda", "/"))
			// mkfs.fat -l leaves a wrong free count: the first write
			// makes the driver write its own.
			zfUpload(t, d, "/victim", zfRandom(rand.New(rand.NewSource(1)), 4<<20))
			require.NoError(t, d.Call("rm", nil, "/victim"))
			progress, err := d.CallOpts("zero_free_space", nil, nil, "/")
			require.NoError(t, err)
			require.NotEmpty(t, progress, "progress messages")
			var last uint64
			for _, p := range progress {
				assert.GreaterOrEqual(t, p.Position, last)
				assert.LessOrEqual(t, p.Position, p.Total)
				last = p.Position
			}
			assert.Equal(t, progress[len(progress)-1].Total, last, "the last message is at the total")
			require.NoError(t, d.Call("umount_all", nil))
			zfFsck(t, img, c.check[0], c.check[1:]...)
			if c.name == "ext4" {
				zfExtFree(t, img)
			} else {
				zfFATFree(t, img)
			}
		})
	}
}

func TestZeroFreeSpaceErrors(t *testing.T) {
	ext := fsImage(t, 32<<20, "mkfs.ext4", "-q", "-F")
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "f"), []byte("squash"), 0o644))
	sq := filepath.Join(t.TempDir(), "sq.img")
	out, err := exec.Command("mksquashfs", dir, sq, "-quiet", "-noappend").CombinedOutput()
	require.NoError(t, err, "mksquashfs: %s", out)
	d := daemontest.Start(t, ext, sq)
	require.NoError(t, d.Call("mount_ro", nil, "/dev/sda", "/"))
	require.NoError(t, d.Call("mount_ro", nil, "/dev/sdb", "/lost+found"))
	sum := func() string {
		out, err := exec.Command("sha256sum", ext).Output()
		require.NoError(t, err)
		return string(out)
	}
	before := sum()
	err = d.Call("zero_free_space", nil, "/")
	assert.Equal(t, syscall.EROFS, errnoOf(t, err), "%v", err)
	err = d.Call("zero_free_space", nil, "/lost+found")
	assert.Equal(t, syscall.ENOTSUP, errnoOf(t, err), "%v", err)
	assert.Contains(t, err.Error(), "squashfs")
	err = d.Call("zero_free_space", nil, "/lost+found/f")
	assert.Equal(t, syscall.ENOTDIR, errnoOf(t, err), "%v", err)
	err = d.Call("zero_free_space", nil, "/nope")
	assert.Equal(t, syscall.ENOENT, errnoOf(t, err), "%v", err)
	err = d.Call("zero_free_space", nil, "nope")
	assert.Equal(t, syscall.EINVAL, errnoOf(t, err), "%v", err)
	require.NoError(t, d.Call("umount_all", nil))
	assert.Equal(t, before, sum(), "nothing written to the read-only mount's image")
	err = d.Call("zero_free_space", nil, "/")
	assert.Error(t, err, "nothing mounted")
}

func TestZeroFreeSpaceCancel(t *testing.T) {
	img := fsImage(t, 256<<20, "mkfs.ext4", zfExtBadArgs(t)...)
	d := daemontest.Start(t, img)
	require.NoError(t, d.Call("mount", nil, "/dev/sda", "/"))
	require.NoError(t, d.Call("write", nil, "/keep", []byte("kept")))
	// The cancel goes with the first progress message; the call may have
	// ended by the time it arrives.
	err := d.CallCancelled("zero_free_space", "/")
	t.Logf("cancel: %v", err)
	if err != nil {
		assert.Equal(t, syscall.EINTR, errnoOf(t, err), "%v", err)
	}
	var got []byte
	require.NoError(t, d.Call("read_file", &got, "/keep"))
	assert.Equal(t, []byte("kept"), got)
	require.NoError(t, d.Call("umount_all", nil))
	zfFsck(t, img, "e2fsck", "-fn")
}
