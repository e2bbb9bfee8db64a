package parttable

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// checkParse runs the read actions on d and, when the table parses, checks
// what part_list returns against the disk size.
func checkParse(t *testing.T, d *Device) bool {
	list, err := d.PartList()
	if err != nil {
		var e *Error
		if !errors.As(err, &e) || e.Errno == 0 {
			t.Fatalf("bad error %T %v", err, err)
		}
		return false
	}
	pt, err := d.PartGetParttype()
	if err != nil || (pt != "gpt" && pt != "msdos") {
		t.Fatalf("part_get_parttype after a good part_list: %q %v", pt, err)
	}
	size := uint64(d.Disk.Size())
	for _, p := range list {
		if p.PartNum < 1 || p.PartSize == 0 || p.PartEnd != p.PartStart+p.PartSize-1 || p.PartEnd >= size {
			t.Fatalf("bad partition %+v on a disk of %d bytes", p, size)
		}
	}
	return true
}

// FuzzParse feeds arbitrary disks to the table parsers, then checks that
// every write the package accepts leaves a table it can parse again.
func FuzzParse(f *testing.F) {
	f.Add([]byte{})
	sig := make([]byte, 512)
	sig[510], sig[511] = 0x55, 0xaa
	f.Add(sig)
	for _, s := range seedImages(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d := New("/dev/sda", fuzzDisk(data))
		if !checkParse(t, d) {
			requireNoPanic(t, d)
			return
		}
		list, _ := d.PartList()
		muts := []func() error{
			func() error { return d.PartAdd("p", 40, -1) },
			func() error { return d.PartAdd("l", 12, 14) },
			func() error { return d.PartSetName(1, "fuzz") },
			func() error { return d.PartSetBootable(1, true) },
			func() error { return d.PartSetMbrId(5, 0x82) },
			func() error { return d.PartExpandGpt() },
		}
		if len(list) > 0 {
			n := int(list[len(list)/2].PartNum)
			muts = append(muts, func() error { return d.PartDel(n) })
		}
		for i, m := range muts {
			if err := m(); err == nil && !checkParse(t, d) {
				t.Fatalf("mutation %d succeeded but left an unparseable table", i)
			}
		}
	})
}

// fuzzDiskSize is the size of the disks the fuzzer builds. Fuzz inputs are
// the start of such a disk (the rest is zero), so they stay small and the
// mutator works on the bytes that matter; inputs longer than the disk make
// the disk larger.
const fuzzDiskSize = 64 << 10

func fuzzDisk(data []byte) *memDisk {
	if len(data) > 4<<20 {
		data = data[:4<<20]
	}
	b := make([]byte, max(fuzzDiskSize, len(data)))
	copy(b, data)
	return &memDisk{b}
}

// seedImages builds small MBR and GPT disks with this package and returns
// their meaningful start, without trailing zeros.
func seedImages(tb testing.TB) [][]byte {
	mbr := New("/dev/sda", fuzzDisk(nil))
	require.NoError(tb, mbr.PartInit("msdos"))
	require.NoError(tb, mbr.PartAdd("p", 1, 2))
	require.NoError(tb, mbr.PartAdd("e", 3, -1))
	require.NoError(tb, mbr.PartAdd("l", 4, 5))
	require.NoError(tb, mbr.PartAdd("l", 7, 8))
	require.NoError(tb, mbr.PartAdd("l", 10, 12))
	require.NoError(tb, mbr.PartSetBootable(5, true))
	gpt := New("/dev/sda", fuzzDisk(nil))
	require.NoError(tb, gpt.PartInit("gpt"))
	require.NoError(tb, gpt.PartAdd("p", 34, 40))
	require.NoError(tb, gpt.PartAdd("p", 41, -1))
	require.NoError(tb, gpt.PartSetName(1, "seed"))
	// The GPT seed keeps the protective MBR, the primary header and the
	// sector holding the used entries; the rest of the array is zero anyway.
	return [][]byte{
		bytes.TrimRight(mbr.Disk.(*memDisk).b, "\x00"),
		bytes.TrimRight(gpt.Disk.(*memDisk).b[:3*512], "\x00"),
	}
}

// TestWriteFuzzSeeds regenerates testdata/fuzz/FuzzParse when
// PARTTABLE_WRITE_SEEDS=1.
func TestWriteFuzzSeeds(t *testing.T) {
	if os.Getenv("PARTTABLE_WRITE_SEEDS") != "1" {
		t.Skip("set PARTTABLE_WRITE_SEEDS=1 to regenerate the seed corpus")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzParse")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	for i, s := range seedImages(t) {
		name := []string{"mbr-logicals", "gpt-named"}[i]
		body := "go test fuzz v1\n[]byte(" + strconv.Quote(string(s)) + ")\n"
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644))
	}
}

// TestFuzzSeedsParse makes sure the seeds reach the parsers' success paths.
func TestFuzzSeedsParse(t *testing.T) {
	for i, s := range seedImages(t) {
		d := New("/dev/sda", fuzzDisk(s))
		require.True(t, checkParse(t, d), "seed %d", i)
		pt, err := d.PartGetParttype()
		require.NoError(t, err)
		require.Equal(t, []string{"msdos", "gpt"}[i], pt)
		list, err := d.PartList()
		require.NoError(t, err)
		require.Len(t, list, []int{5, 2}[i])
	}
}
