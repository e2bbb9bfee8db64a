package core

import (
	"encoding/binary"
	"hash/crc32"
	"math/rand"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// patchGPTHeader rewrites the GPT header at lba of img with fn and fixes
// its CRC, so that only its contents are hostile.
func patchGPTHeader(t *testing.T, img string, lba int64, fn func(hdr []byte)) {
	f, err := os.OpenFile(img, os.O_RDWR, 0)
	require.NoError(t, err)
	defer f.Close()
	hdr := make([]byte, 92)
	_, err = f.ReadAt(hdr, lba*512)
	require.NoError(t, err)
	require.Equal(t, "EFI PART", string(hdr[:8]))
	fn(hdr)
	binary.LittleEndian.PutUint32(hdr[16:], 0)
	binary.LittleEndian.PutUint32(hdr[16:], crc32.ChecksumIEEE(hdr))
	_, err = f.WriteAt(hdr, lba*512)
	require.NoError(t, err)
}

// hostileImages returns images a hostile guest could hand us.
func hostileImages(t *testing.T) map[string]string {
	dir := t.TempDir()
	imgs := map[string]string{}
	write := func(name string, b []byte) {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, b, 0o644))
		imgs[name] = p
	}
	write("zero-length", nil)
	write("truncated", make([]byte, 1000))
	rnd := make([]byte, 1<<20)
	rand.New(rand.NewSource(42)).Read(rnd)
	rnd[510], rnd[511] = 0x55, 0xaa // looks like an MBR
	write("random", rnd)

	mbr := make([]byte, 8<<20)
	mbr[510], mbr[511] = 0x55, 0xaa
	entry := func(i int, typ byte, start, size uint32) {
		e := mbr[446+16*i:]
		e[4] = typ
		binary.LittleEndian.PutUint32(e[8:], start)
		binary.LittleEndian.PutUint32(e[12:], size)
	}
	entry(0, 0x83, 2048, 10000)
	entry(1, 0x83, 4096, 10000)
	entry(2, 0x05, 100, 1<<31) // an extended partition far beyond the disk
	write("overlapping-mbr", mbr)

	// A real GPT whose headers then point outside the disk.
	gpt := filepath.Join(dir, "gpt-outside")
	require.NoError(t, os.WriteFile(gpt, make([]byte, 8<<20), 0o644))
	h := newDaemonHandle(t)
	require.NoError(t, h.AddDrive(gpt))
	require.NoError(t, h.Launch())
	require.NoError(t, h.PartDisk("/dev/sda", "gpt"))
	h.Close()
	last := int64(8<<20/512 - 1)
	for _, lba := range []int64{1, last} {
		patchGPTHeader(t, gpt, lba, func(hdr []byte) {
			binary.LittleEndian.PutUint64(hdr[72:], 1<<40) // entries LBA
			binary.LittleEndian.PutUint32(hdr[80:], 1<<20) // number of entries
		})
	}
	imgs["gpt-outside"] = gpt
	return imgs
}

// TestHostileImages runs the partition and device actions on hostile
// images: they may fail with a clear error, never crash or hang the daemon
// or the caller, and the handle stays usable.
func TestHostileImages(t *testing.T) {
	for name, img := range hostileImages(t) {
		t.Run(name, func(t *testing.T) {
			h := newDaemonHandle(t)
			require.NoError(t, h.AddDriveRO(img))
			require.NoError(t, h.Launch())
			check := func(what string, err error) {
				if err == nil {
					return
				}
				var e *Error
				require.ErrorAs(t, err, &e, what)
				assert.NotContains(t, e.Msg, "internal error", what)
				assert.Contains(t, []syscall.Errno{syscall.EINVAL, syscall.EIO, syscall.ENOENT, syscall.ENOSPC}, e.Errno, "%s: %v", what, err)
			}
			_, err := h.PartList("/dev/sda")
			check("part_list", err)
			_, err = h.PartGetParttype("/dev/sda")
			check("part_get_parttype", err)
			_, err = h.ListPartitions()
			check("list_partitions", err)
			check("part_add", h.PartAdd("/dev/sda", "p", 2048, 4095))
			check("part_del", h.PartDel("/dev/sda", 1))
			_, err = h.PartGetBootable("/dev/sda", 1)
			check("part_get_bootable", err)
			_, err = h.BlockdevGetsize64("/dev/sda1")
			check("blockdev_getsize64", err)
			_, err = h.PreadDevice("/dev/sda", 4096, 0)
			check("pread_device", err)
			check("part_expand_gpt", h.PartExpandGPT("/dev/sda"))
			r, err := h.Debug("echo", []string{"alive"})
			require.NoError(t, err)
			assert.Equal(t, "alive", r)
		})
	}
}
