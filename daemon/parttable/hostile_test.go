package parttable

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"os"
	"runtime"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// memDisk is a fixed-size in-memory Disk.
type memDisk struct{ b []byte }

func (m *memDisk) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("negative offset")
	}
	if off >= int64(len(m.b)) {
		return 0, io.EOF
	}
	n := copy(p, m.b[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (m *memDisk) WriteAt(p []byte, off int64) (int, error) {
	if off < 0 || off+int64(len(p)) > int64(len(m.b)) {
		return 0, errors.New("write beyond the end of the disk")
	}
	return copy(m.b[off:], p), nil
}

func (m *memDisk) Size() int64       { return int64(len(m.b)) }
func (m *memDisk) SectorSize() int64 { return 512 }

// action is one call of the package's API with fixed arguments.
type action struct {
	name string
	call func(*Device) error
}

// tableActions are every action that needs an existing table.
var tableActions = []action{
	{"part_get_parttype", func(d *Device) error { _, err := d.PartGetParttype(); return err }},
	{"part_list", func(d *Device) error { _, err := d.PartList(); return err }},
	{"part_get_name", func(d *Device) error { _, err := d.PartGetName(1); return err }},
	{"part_get_bootable", func(d *Device) error { _, err := d.PartGetBootable(1); return err }},
	{"part_get_gpt_type", func(d *Device) error { _, err := d.PartGetGptType(1); return err }},
	{"part_get_gpt_guid", func(d *Device) error { _, err := d.PartGetGptGuid(1); return err }},
	{"part_get_mbr_id", func(d *Device) error { _, err := d.PartGetMbrId(1); return err }},
	{"part_add", func(d *Device) error { return d.PartAdd("p", 2048, 4095) }},
	{"part_add", func(d *Device) error { return d.PartAdd("l", 2048, 4095) }},
	{"part_del", func(d *Device) error { return d.PartDel(1) }},
	{"part_del", func(d *Device) error { return d.PartDel(5) }},
	{"part_set_name", func(d *Device) error { return d.PartSetName(1, "x") }},
	{"part_set_bootable", func(d *Device) error { return d.PartSetBootable(1, true) }},
	{"part_set_gpt_type", func(d *Device) error { return d.PartSetGptType(1, LinuxFilesystemGUID) }},
	{"part_set_mbr_id", func(d *Device) error { return d.PartSetMbrId(1, 7) }},
	{"part_expand_gpt", func(d *Device) error { return d.PartExpandGpt() }},
}

// requireAllFail checks that every table action fails cleanly with errno.
func requireAllFail(t *testing.T, d *Device, errno syscall.Errno, msgPart string) {
	t.Helper()
	for _, a := range tableActions {
		err := a.call(d)
		require.Error(t, err, a.name)
		var e *Error
		require.True(t, errors.As(err, &e), "%s: %T %v", a.name, err, err)
		require.ErrorIs(t, err, errno, "%s: %v", a.name, err)
		require.Contains(t, err.Error(), msgPart, a.name)
	}
}

// requireNoPanic runs every action, tolerating errors; it must not panic.
func requireNoPanic(t *testing.T, d *Device) {
	t.Helper()
	for _, a := range tableActions {
		err := a.call(d)
		if err != nil {
			var e *Error
			require.True(t, errors.As(err, &e), "%s: %T %v", a.name, err, err)
			require.NotZero(t, e.Errno)
		}
	}
}

func TestHostileZeroLength(t *testing.T) {
	im := newImage(t, 0)
	requireAllFail(t, im.dev, syscall.EINVAL, "/dev/sda")
	requireErrno(t, im.dev.PartInit("gpt"), syscall.ENOSPC, "/dev/sda")
	requireErrno(t, im.dev.PartInit("msdos"), syscall.ENOSPC, "/dev/sda")
	requireErrno(t, im.dev.PartDisk("gpt"), syscall.ENOSPC, "/dev/sda")
	// A partial sector is no sector either.
	require.NoError(t, im.f.Truncate(300))
	requireAllFail(t, im.dev, syscall.EINVAL, "unrecognised disk label")
}

func TestHostileUnpartitioned(t *testing.T) {
	im := newImage(t, 64*MiB)
	_, err := im.dev.PartGetParttype()
	requireErrno(t, err, syscall.EINVAL, "/dev/sda: unrecognised disk label")
	requireAllFail(t, im.dev, syscall.EINVAL, "unrecognised disk label")
}

func TestHostileTruncatedGPT(t *testing.T) {
	im := newImage(t, 64*MiB)
	require.NoError(t, im.dev.PartInit("gpt"))
	require.NoError(t, im.dev.PartAdd("p", 2048, 40000))
	require.NoError(t, im.f.Truncate(32*MiB))
	requireAllFail(t, im.dev, syscall.EIO, "no valid GPT")
	for _, size := range []int64{512, 700, 1024, 17 * 512} {
		require.NoError(t, im.f.Truncate(size))
		requireAllFail(t, im.dev, syscall.EIO, "GPT")
	}
	// part_init repairs a disk of any sane size.
	require.NoError(t, im.f.Truncate(32*MiB))
	require.NoError(t, im.dev.PartInit("gpt"))
	im.check(t)
}

func TestHostileRandom(t *testing.T) {
	im := newImage(t, 1*MiB)
	buf := make([]byte, MiB)
	_, err := rand.Read(buf)
	require.NoError(t, err)
	// Make sure the random disk is taken for an MBR, so its random entries
	// are parsed rather than refused by the signature test.
	buf[510], buf[511] = 0x55, 0xaa
	for i := 0; i < 4; i++ {
		buf[446+16*i] = 0
	}
	_, err = im.f.WriteAt(buf, 0)
	require.NoError(t, err)
	requireNoPanic(t, im.dev)

	// Many small random disks, in memory, with and without a signature.
	for i := 0; i < 300; i++ {
		b := make([]byte, 512*(1+i%80))
		_, err := rand.Read(b)
		require.NoError(t, err)
		if i%2 == 0 {
			b[510], b[511] = 0x55, 0xaa
			for j := 0; j < 4; j++ {
				b[446+16*j] &= 0x80
			}
			if i%4 == 0 {
				b[446+4] = 0xee
			}
		}
		requireNoPanic(t, New("/dev/sdb", &memDisk{b}))
	}
}

// patchHeader rewrites the GPT header at lba with mutate applied and a
// correct CRC, so only the semantic checks can catch it.
func patchHeader(t *testing.T, f *os.File, lba int64, mutate func(h []byte)) {
	t.Helper()
	h := make([]byte, 512)
	_, err := f.ReadAt(h, lba*512)
	require.NoError(t, err)
	mutate(h)
	binary.LittleEndian.PutUint32(h[16:20], 0)
	binary.LittleEndian.PutUint32(h[16:20], crc32.ChecksumIEEE(h[:92]))
	_, err = f.WriteAt(h, lba*512)
	require.NoError(t, err)
}

func TestHostileGPTHeaders(t *testing.T) {
	le := binary.LittleEndian
	cases := map[string]func(h []byte){
		"entries LBA beyond the end": func(h []byte) { le.PutUint64(h[72:], 1<<40) },
		"entries LBA absurd":         func(h []byte) { le.PutUint64(h[72:], ^uint64(0)) },
		"entry count absurd":         func(h []byte) { le.PutUint32(h[80:], 0xffffffff) },
		"entry count zero":           func(h []byte) { le.PutUint32(h[80:], 0) },
		"entry size absurd":          func(h []byte) { le.PutUint32(h[84:], 0xffffffff) },
		"entry size odd":             func(h []byte) { le.PutUint32(h[84:], 129) },
		"entry size zero":            func(h []byte) { le.PutUint32(h[84:], 0) },
		"last usable beyond the end": func(h []byte) { le.PutUint64(h[48:], 1<<50) },
		"first after last usable":    func(h []byte) { le.PutUint64(h[40:], le.Uint64(h[48:])+1) },
		"alternate beyond the end":   func(h []byte) { le.PutUint64(h[32:], 1<<33) },
		"wrong my LBA":               func(h []byte) { le.PutUint64(h[24:], 7) },
		"header size absurd":         func(h []byte) { le.PutUint32(h[12:], 0xffffffff) },
		"usable area over tables":    func(h []byte) { le.PutUint64(h[40:], 2) },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			im := newImage(t, 1024*GiB) // sparse: large offsets must not be read blindly
			require.NoError(t, im.dev.PartInit("gpt"))
			require.NoError(t, im.dev.PartAdd("p", 2048, 1000000))
			last := 1024 * GiB / 512
			// Only the primary is bad: the backup is used, and a write repairs both.
			patchHeader(t, im.f, 1, mutate)
			list, err := im.dev.PartList()
			require.NoError(t, err)
			require.Len(t, list, 1)
			require.NoError(t, im.dev.PartAdd("p", 1000001, 2000000))
			im.check(t)
			// Both bad: clear errors, little memory.
			patchHeader(t, im.f, 1, mutate)
			patchHeader(t, im.f, last-1, mutate)
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			requireAllFail(t, im.dev, syscall.EIO, "GPT")
			runtime.ReadMemStats(&after)
			require.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(16<<20))
		})
	}
}

func TestHostileGPTEntries(t *testing.T) {
	im := newImage(t, 64*MiB)
	require.NoError(t, im.dev.PartInit("gpt"))
	require.NoError(t, im.dev.PartAdd("p", 2048, 10000))
	require.NoError(t, im.dev.PartAdd("p", 10001, 20000))
	last := 64 * MiB / 512
	// Bad entry array CRC in both copies.
	for _, lba := range []int64{2, last - 33} {
		_, err := im.f.WriteAt([]byte{0xff}, lba*512+100)
		require.NoError(t, err)
	}
	requireAllFail(t, im.dev, syscall.EIO, "bad CRC")

	// Overlapping and out-of-range entries with correct CRCs.
	for name, mutate := range map[string]func(e []byte){
		"overlap":            func(e []byte) { binary.LittleEndian.PutUint64(e[128+32:], 5000) },
		"beyond usable":      func(e []byte) { binary.LittleEndian.PutUint64(e[128+40:], uint64(last)) },
		"end before start":   func(e []byte) { binary.LittleEndian.PutUint64(e[40:], 100) },
		"start before first": func(e []byte) { binary.LittleEndian.PutUint64(e[32:], 1) },
	} {
		t.Run(name, func(t *testing.T) {
			require.NoError(t, im.dev.PartInit("gpt"))
			require.NoError(t, im.dev.PartAdd("p", 2048, 10000))
			require.NoError(t, im.dev.PartAdd("p", 10001, 20000))
			for _, h := range []int64{1, last - 1} {
				ent := make([]byte, 128*128)
				entLBA := int64(2)
				if h != 1 {
					entLBA = last - 33
				}
				_, err := im.f.ReadAt(ent, entLBA*512)
				require.NoError(t, err)
				mutate(ent)
				_, err = im.f.WriteAt(ent, entLBA*512)
				require.NoError(t, err)
				patchHeader(t, im.f, h, func(hd []byte) {
					binary.LittleEndian.PutUint32(hd[88:], crc32.ChecksumIEEE(ent))
				})
			}
			want := "outside the usable area"
			if name == "overlap" {
				want = "partitions 1 and 2 overlap"
			}
			requireAllFail(t, im.dev, syscall.EIO, want)
		})
	}
}

// putRaw writes an MBR/EBR entry at sector lba, slot i, relative LBA rel.
func putRaw(t *testing.T, f *os.File, lba int64, i int, ptype byte, rel, size uint32) {
	t.Helper()
	e := make([]byte, 16)
	e[4] = ptype
	binary.LittleEndian.PutUint32(e[8:], rel)
	binary.LittleEndian.PutUint32(e[12:], size)
	_, err := f.WriteAt(e, lba*512+446+int64(16*i))
	require.NoError(t, err)
	_, err = f.WriteAt([]byte{0x55, 0xaa}, lba*512+510)
	require.NoError(t, err)
}

func TestHostileMBR(t *testing.T) {
	cases := map[string]struct {
		build func(f *os.File)
		msg   string
	}{
		"overlapping primaries": {func(f *os.File) {
			putRaw(t, f, 0, 0, 0x83, 2048, 10000)
			putRaw(t, f, 0, 1, 0x83, 5000, 10000)
		}, "partitions 1 and 2 overlap"},
		"beyond the end": {func(f *os.File) {
			putRaw(t, f, 0, 0, 0x83, 2048, 1<<31)
		}, "outside the disk"},
		"two extended": {func(f *os.File) {
			putRaw(t, f, 0, 0, 0x05, 2048, 10000)
			putRaw(t, f, 0, 1, 0x0f, 20000, 10000)
		}, "more than one extended"},
		"EBR loops on itself": {func(f *os.File) {
			putRaw(t, f, 0, 0, 0x05, 10000, 40000)
			putRaw(t, f, 10000, 0, 0x83, 100, 100)
			putRaw(t, f, 10000, 1, 0x05, 0, 1000)
		}, "loops back"},
		"EBR loop of two": {func(f *os.File) {
			putRaw(t, f, 0, 0, 0x05, 10000, 40000)
			putRaw(t, f, 10000, 0, 0x83, 100, 100)
			putRaw(t, f, 10000, 1, 0x05, 10000, 1000)
			putRaw(t, f, 20000, 0, 0x83, 100, 100)
			putRaw(t, f, 20000, 1, 0x05, 0, 1000)
		}, "loops back"},
		"EBR link outside the extended": {func(f *os.File) {
			putRaw(t, f, 0, 0, 0x05, 10000, 40000)
			putRaw(t, f, 10000, 0, 0x83, 100, 100)
			putRaw(t, f, 10000, 1, 0x05, 90000, 1000)
		}, "outside the extended"},
		"logical outside the extended": {func(f *os.File) {
			putRaw(t, f, 0, 0, 0x05, 10000, 40000)
			putRaw(t, f, 10000, 0, 0x83, 100, 100000)
		}, "outside its extended"},
		"logicals overlap": {func(f *os.File) {
			putRaw(t, f, 0, 0, 0x05, 10000, 40000)
			putRaw(t, f, 10000, 0, 0x83, 100, 5000)
			putRaw(t, f, 10000, 1, 0x05, 1000, 5000)
			putRaw(t, f, 11000, 0, 0x83, 100, 100)
		}, "overlap"},
		"EBR chain too long": {func(f *os.File) {
			putRaw(t, f, 0, 0, 0x05, 10000, 100000)
			for i := uint32(0); i < 300; i++ {
				putRaw(t, f, int64(10000+3*i), 0, 0x83, 1, 1)
				putRaw(t, f, int64(10000+3*i), 1, 0x05, 3*(i+1), 2)
			}
		}, "longer than"},
		"link to a sector without signature": {func(f *os.File) {
			putRaw(t, f, 0, 0, 0x05, 10000, 40000)
			putRaw(t, f, 10000, 0, 0x83, 100, 100)
			putRaw(t, f, 10000, 1, 0x05, 5000, 100)
		}, "no boot signature"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			im := newImage(t, 64*MiB)
			c.build(im.f)
			requireAllFail(t, im.dev, syscall.EIO, c.msg)
			// part_init recovers.
			require.NoError(t, im.dev.PartInit("msdos"))
			require.Empty(t, im.check(t))
		})
	}
}
