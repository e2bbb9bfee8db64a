package parttable

import (
	"fmt"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// addLogicals adds n logical partitions of 2048 sectors, 4096 sectors
// apart, from sector start.
func addLogicals(t *testing.T, d *Device, start int64, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		s := start + int64(i)*4096
		require.NoError(t, d.PartAdd("l", s, s+2047), "logical partition %d", i+5)
	}
}

// TestMBRLogicalLimit: part_add stops at partition 60, the last one
// sfdisk and fdisk read, so every table it writes reads back the same
// through them and through our reader (which follows up to 256 EBRs).
func TestMBRLogicalLimit(t *testing.T) {
	im := newImage(t, 512*MiB)
	d := im.dev
	require.NoError(t, d.PartInit("msdos"))
	require.NoError(t, d.PartAdd("p", 2048, 4095))
	require.NoError(t, d.PartAdd("e", 8192, -1))
	addLogicals(t, d, 10240, maxPartNum-4)
	list := im.check(t)
	require.Len(t, list, 2+maxPartNum-4)
	require.Equal(t, int32(maxPartNum), list[len(list)-1].PartNum)

	next := 10240 + int64(maxPartNum-4)*4096
	err := d.PartAdd("l", next, next+2047)
	requireErrno(t, err, syscall.ENOSPC, "/dev/sda: the extended partition already holds 56 logical partitions (5 to 60)")
	// Refused before anything was written: the table is as it was.
	require.Equal(t, list, im.check(t))

	// A freed slot can be used again.
	require.NoError(t, d.PartDel(30))
	require.NoError(t, d.PartAdd("l", next, next+2047))
	list = im.check(t)
	require.Len(t, list, 2+maxPartNum-4)
	a, _ := sectors(list[len(list)-1])
	require.Equal(t, next, a)
}

// writeLogicals writes a chain of n logical partitions directly, as
// another tool might (part_add stops at 56).
func writeLogicals(t *testing.T, d *Device, n int) {
	t.Helper()
	require.NoError(t, d.PartInit("msdos"))
	require.NoError(t, d.PartAdd("e", 2048, -1))
	tb, err := d.load()
	require.NoError(t, err)
	m := tb.mbr
	for i := 0; i < n; i++ {
		s := 4096 + int64(i)*4096
		m.logicals = append(m.logicals, logical{ebr: -1, mbrEntry: mbrEntry{ptype: typeLinux, start: s, size: 2048}})
	}
	require.NoError(t, m.layoutLogicals())
	require.NoError(t, m.write(tb.g))
}

// TestMBRLongChainFromElsewhere: a chain longer than part_add makes, up to
// the reader's limit, is read; part_add refuses to lengthen it, and other
// changes keep it readable. One EBR more than the reader's limit is refused
// by the reader, with EIO.
func TestMBRLongChainFromElsewhere(t *testing.T) {
	im := newImage(t, 2*GiB)
	d := im.dev
	writeLogicals(t, d, maxLogicals)
	list, err := d.PartList()
	require.NoError(t, err)
	require.Len(t, list, 1+maxLogicals)
	end := 4096 + int64(maxLogicals)*4096
	requireErrno(t, d.PartAdd("l", end, end+2047), syscall.ENOSPC, fmt.Sprintf("already holds %d logical partitions", maxLogicals))
	require.NoError(t, d.PartDel(5))
	require.NoError(t, d.PartSetMbrId(100, 0x0c))
	list, err = d.PartList()
	require.NoError(t, err)
	require.Len(t, list, maxLogicals)

	im2 := newImage(t, 2*GiB)
	writeLogicals(t, im2.dev, maxLogicals+1)
	_, err = im2.dev.PartList()
	requireErrno(t, err, syscall.EIO, fmt.Sprintf("EBR chain longer than %d entries", maxLogicals))
}

// TestPartSetMbrIdRefusesGPTProtective: type 0xee would make the disk read
// as GPT (by Linux, sfdisk and us) and hide its MBR partitions.
func TestPartSetMbrIdRefusesGPTProtective(t *testing.T) {
	im := newImage(t, 64*MiB)
	d := im.dev
	require.NoError(t, d.PartInit("mbr"))
	require.NoError(t, d.PartAdd("p", 2048, 4095))
	require.NoError(t, d.PartAdd("e", 8192, -1))
	require.NoError(t, d.PartAdd("l", 10240, 20479))
	before := im.check(t)
	for _, n := range []int{1, 5} {
		err := d.PartSetMbrId(n, 0xee)
		requireErrno(t, err, syscall.EINVAL, fmt.Sprintf("/dev/sda%d: type 0xee is the GPT protective type", n))
	}
	requireErrno(t, d.PartSetMbrId(2, 0xee), syscall.EINVAL, "extended")
	pt, err := d.PartGetParttype()
	require.NoError(t, err)
	require.Equal(t, "msdos", pt)
	require.Equal(t, before, im.check(t))
	id, err := d.PartGetMbrId(1)
	require.NoError(t, err)
	require.Equal(t, 0x83, id)
	// Other types are still accepted, 0xef (EFI system) among them.
	require.NoError(t, d.PartSetMbrId(1, 0xef))
	require.NoError(t, d.PartSetMbrId(5, 0xed))
	im.check(t)
}
