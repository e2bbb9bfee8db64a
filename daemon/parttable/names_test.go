package parttable

import (
	"os"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPartNameInErrors(t *testing.T) {
	d := New("/dev/nvme0n1", &memDisk{make([]byte, 4*MiB)})
	require.NoError(t, d.PartInit("gpt"))
	require.Equal(t, "/dev/nvme0n1p3: no such partition", d.PartDel(3).Error())
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
	requireErrno(t, d.PartDel(1), syscall.EBADF, "/dev/sdb1: write of sector")
	im.check(t)
}
