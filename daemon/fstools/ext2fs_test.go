package fstools

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"goguestfs/daemon/blockdev"
)

// TestTune2fsL compares Tune2fsL with the real tune2fs -l on the same
// filesystems, of several layouts (1 KiB blocks, meta_bg, bigalloc,
// no checksums).
func TestTune2fsL(t *testing.T) {
	for _, o := range []ExtOptions{
		{FSType: ptr("ext4"), Label: ptr("root"), LastMountedDir: ptr("/")},
		{FSType: ptr("ext2"), BlockSize: ptr[int64](1024)},
		{FSType: ptr("ext4"), Features: ptr("meta_bg,^resize_inode"), BlockSize: ptr[int64](1024)},
		{FSType: ptr("ext4"), Features: ptr("bigalloc"), ForceCreate: ptr(true)},
		{FSType: ptr("ext3"), Features: ptr("^metadata_csum,^64bit")},
	} {
		t.Run(fmt.Sprint(*o.FSType, " ", o.Features), func(t *testing.T) {
			d := openDrive(t, testImage(t, diskSize, false), false)
			part := testPart(d)
			require.NoError(t, MakeExt(part, o))
			got, err := Tune2fsL(part)
			require.NoError(t, err)
			out, st := host(t, "tune2fs", "-l", saveDev(t, part))
			require.Equal(t, 0, st, out)
			want := parseTune2fsL(out)
			assert.Equal(t, want, got)
			assert.NotContains(t, got, "tune2fs 1.47.0 (5-Feb-2023)", "the version line is not a field")
			if o.Label != nil {
				assert.Equal(t, "root", got["Filesystem volume name"])
				assert.Equal(t, "/", got["Last mounted on"])
			} else {
				assert.Equal(t, "", got["Filesystem volume name"], "<none> is empty")
				assert.Equal(t, "", got["Last mounted on"], "<not available> is empty")
			}
			assert.Equal(t, "0xEF53", got["Filesystem magic number"])
		})
	}
}

func TestParseTune2fsL(t *testing.T) {
	m := parseTune2fsL("tune2fs 1.47.0 (5-Feb-2023)\nFilesystem volume name:   <none>\nCheck interval:           0 (<none>)\n" +
		"Mount options:            (none)\nNo colon here\n\nLifetime writes:          154 kB\nA:b:c\n")
	assert.Equal(t, map[string]string{
		"Filesystem volume name": "",
		"Check interval":         "0 (<none>)",
		"Mount options":          "",
		"No colon here":          "",
		"Lifetime writes":        "154 kB",
		"A":                      "b:c",
	}, m)
}

func TestTune2fsLRefuses(t *testing.T) {
	d := openDrive(t, testImage(t, diskSize, true), false)
	part := testPart(d)
	_, err := Tune2fsL(part)
	assert.ErrorIs(t, err, syscall.EINVAL)
	assert.EqualError(t, err, "/dev/sda1: Bad magic number in super-block")

	require.NoError(t, MakeExt(part, ExtOptions{JournalDev: ptr(true)}))
	_, err = Tune2fsL(part)
	assert.ErrorIs(t, err, syscall.EINVAL)
	assert.EqualError(t, err, "/dev/sda1: Cannot modify a journal device.")
	out, st := host(t, "tune2fs", "-l", saveDev(t, part))
	assert.Equal(t, 1, st)
	assert.Contains(t, out, "Cannot modify a journal device.")

	// A superblock whose checksum does not match: tune2fs refuses too.
	require.NoError(t, MakeExt(part, ExtOptions{FSType: ptr("ext4")}))
	_, err = part.WriteAt([]byte("x"), 1024+0x78) // s_volume_name
	require.NoError(t, err)
	_, err = Tune2fsL(part)
	assert.ErrorIs(t, err, syscall.EIO)
	assert.ErrorContains(t, err, "/dev/sda1: Superblock checksum does not match superblock")
	_, st = host(t, "tune2fs", "-l", saveDev(t, part))
	assert.Equal(t, 1, st)
}

// freeBlocks returns the free block ranges [a, b] that dumpe2fs lists for
// the filesystem in the file p.
func freeBlocks(t *testing.T, p string) [][2]int64 {
	t.Helper()
	out, st := host(t, "dumpe2fs", p)
	require.Equal(t, 0, st, out)
	var r [][2]int64
	re := regexp.MustCompile(`^  Free blocks: (.*)$`)
	for _, line := range strings.Split(out, "\n") {
		m := re.FindStringSubmatch(line)
		if m == nil || m[1] == "" {
			continue
		}
		for _, f := range strings.Split(m[1], ", ") {
			a, b, ok := strings.Cut(f, "-")
			if !ok {
				b = a
			}
			x, err := strconv.ParseInt(a, 10, 64)
			require.NoError(t, err)
			y, err := strconv.ParseInt(b, 10, 64)
			require.NoError(t, err)
			r = append(r, [2]int64{x, y})
		}
	}
	return r
}

// TestZerofree: after Zerofree, every block dumpe2fs calls free reads as
// zero and every other byte of the partition is what it was (zerofree's
// result); the zeroed blocks of a file-backed drive are holes again.
func TestZerofree(t *testing.T) {
	for _, o := range []ExtOptions{
		{FSType: ptr("ext4")},
		{FSType: ptr("ext2"), BlockSize: ptr[int64](1024)},
		{FSType: ptr("ext4"), Features: ptr("bigalloc"), ForceCreate: ptr(true)},
	} {
		t.Run(fmt.Sprint(*o.FSType, " ", o.BlockSize, " ", o.Features), func(t *testing.T) {
			img := testImage(t, diskSize, false)
			d := openDrive(t, img, false)
			part := testPart(d)
			require.NoError(t, MakeExt(part, o))
			// Files written and removed leave their data in free blocks;
			// a file kept must survive.
			junk := filepath.Join(t.TempDir(), "junk")
			require.NoError(t, os.WriteFile(junk, garbage(6<<20, 2), 0o644))
			region := saveDev(t, part)
			debugfs(t, region, "write "+junk+" junk", "write /etc/services keep", "write "+junk+" junk2", "rm junk", "rm junk2")
			requireClean(t, region)
			writeBackTo(t, region, part)
			before := readDev(t, part)
			var st unix.Stat_t
			require.NoError(t, unix.Stat(img, &st))
			allocBefore := st.Blocks * 512

			require.NoError(t, Zerofree(part))

			after := readDev(t, part)
			sb := superblock(t, region)
			bs, err := strconv.ParseInt(sb["Block size"], 10, 64)
			require.NoError(t, err)
			// With bigalloc dumpe2fs gives the first block of the last
			// free cluster of a run.
			cluster := bs
			if c, ok := sb["Cluster size"]; ok {
				cluster, err = strconv.ParseInt(c, 10, 64)
				require.NoError(t, err)
			}
			want := append([]byte(nil), before...)
			for _, r := range freeBlocks(t, region) {
				clear(want[r[0]*bs : r[1]*bs+cluster])
			}
			require.Equal(t, len(want), len(after))
			assert.True(t, string(want) == string(after), "the result is not the filesystem with its free blocks zeroed")
			assert.NotEqual(t, before, after, "nothing was zeroed")
			region = saveDev(t, part)
			requireClean(t, region)
			out, st2 := host(t, "debugfs", "-R", "cat keep", region)
			require.Equal(t, 0, st2)
			services, err := os.ReadFile("/etc/services")
			require.NoError(t, err)
			assert.Contains(t, out, string(services))
			require.NoError(t, unix.Stat(img, &st))
			assert.Less(t, st.Blocks*512, allocBefore-10<<20, "the free blocks were not punched")
		})
	}
}

// TestZerofreeRefuses: a filesystem whose bitmaps may be stale, or larger
// than its device, is refused with EINVAL and not changed.
func TestZerofreeRefuses(t *testing.T) {
	d := openDrive(t, testImage(t, diskSize, true), false)
	part := testPart(d)
	err := Zerofree(part)
	assert.ErrorIs(t, err, syscall.EINVAL)
	assert.EqualError(t, err, "/dev/sda1: Bad magic number in super-block")

	for _, tc := range []struct{ request, why string }{
		{"feature needs_recovery", "its journal needs recovery"},
		{"ssv state 0", "it was not cleanly unmounted"},
		{"ssv state 3", "it has errors"},
	} {
		require.NoError(t, MakeExt(part, ExtOptions{FSType: ptr("ext4")}))
		corrupt(t, part, tc.request)
		before := readDev(t, d)
		err := Zerofree(part)
		assert.ErrorIs(t, err, syscall.EINVAL)
		assert.EqualError(t, err, "/dev/sda1: the filesystem's free blocks are not known ("+tc.why+"): run e2fsck first")
		assert.Equal(t, before, readDev(t, d))
	}

	require.NoError(t, MakeExt(part, ExtOptions{FSType: ptr("ext4")}))
	short := &blockdev.Part{Name: "/dev/sda1", Drive: d, Start: partStart, Length: partLen / 2}
	err = Zerofree(short)
	assert.ErrorIs(t, err, syscall.EINVAL)
	assert.ErrorContains(t, err, "is larger than the device")
}
