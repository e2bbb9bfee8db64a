package parttable

import (
	"os"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPartToDev(t *testing.T) {
	good := []struct {
		part, dev string
		n         int
	}{
		{"/dev/sda1", "/dev/sda", 1},
		{"/dev/sdb12", "/dev/sdb", 12},
		{"/dev/vdz5", "/dev/vdz", 5},
		{"/dev/md0p1", "/dev/md0", 1},
		{"/dev/nvme0n1p3", "/dev/nvme0n1", 3},
		{"/dev/mapper/vg-lv2", "/dev/mapper/vg-lv", 2},
	}
	for _, g := range good {
		dev, err := PartToDev(g.part)
		require.NoError(t, err, g.part)
		require.Equal(t, g.dev, dev)
		n, err := PartToPartnum(g.part)
		require.NoError(t, err, g.part)
		require.Equal(t, g.n, n)
	}
	for _, bad := range []string{"", "/dev/sda", "/dev/", "/dev/1", "sda1", "/dev/sda0", "/dev/sda01",
		"/dev//sda1", "/dev/../sda1", "/dev/sd a1", "/dev/sda1/", "/dev/sda99999999999999999999", "/dev/sda-1",
		"/dev/sdé1", "/dev/mapper/1"} {
		_, err := PartToDev(bad)
		requireErrno(t, err, syscall.EINVAL, "part_to_dev: ")
		_, err = PartToPartnum(bad)
		requireErrno(t, err, syscall.EINVAL, "part_to_partnum: ")
		require.Contains(t, err.Error(), "is not a partition name")
	}
}

func TestPartNameInErrors(t *testing.T) {
	d := New("/dev/nvme0n1", &memDisk{make([]byte, 4*MiB)})
	require.NoError(t, d.PartInit("gpt"))
	require.Equal(t, "part_del: /dev/nvme0n1p3: no such partition", d.PartDel(3).Error())
}

func TestSectorSize4096(t *testing.T) {
	d := New("/dev/sdc", &disk4k{memDisk{make([]byte, 64*MiB)}})
	require.NoError(t, d.PartDisk("gpt"))
	list, err := d.PartList()
	require.NoError(t, err)
	last := 64*MiB/4096 - 2 - 4 // backup header and 4 sectors of entries
	require.Equal(t, []Partition{{PartNum: 1, PartStart: 2048 * 4096, PartEnd: uint64(last+1)*4096 - 1,
		PartSize: uint64(last+1-2048) * 4096}}, list)
	require.NoError(t, d.PartDisk("msdos"))
	require.NoError(t, d.PartDel(1))
	require.NoError(t, d.PartAdd("e", 100, -1))
	require.NoError(t, d.PartAdd("l", 200, 300))
	require.NoError(t, d.PartAdd("l", 400, 500))
	list, err = d.PartList()
	require.NoError(t, err)
	require.Len(t, list, 3)
	require.Equal(t, uint64(400*4096), list[2].PartStart)
	requireErrno(t, New("/dev/sdd", &diskOdd{memDisk{make([]byte, MiB)}}).PartInit("gpt"), syscall.EINVAL, "sector size 520")
}

type disk4k struct{ memDisk }

func (d *disk4k) SectorSize() int64 { return 4096 }

type diskOdd struct{ memDisk }

func (d *diskOdd) SectorSize() int64 { return 520 }

func TestReadOnlyFileKeepsErrno(t *testing.T) {
	im := newImage(t, 64*MiB)
	require.NoError(t, im.dev.PartDisk("gpt"))
	ro, err := os.Open(im.path)
	require.NoError(t, err)
	defer ro.Close()
	d := New("/dev/sdb", NewFileDisk(ro))
	list, err := d.PartList()
	require.NoError(t, err)
	require.Len(t, list, 1)
	// Writing to a descriptor opened read-only fails with EBADF, kept as is.
	requireErrno(t, d.PartDel(1), syscall.EBADF, "part_del: /dev/sdb1: write of sector")
	im.check(t)
}
