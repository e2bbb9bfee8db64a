package devices

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"goguestfs/daemon/parttable"
)

// set returns a Set with one 8 MiB drive holding an MBR with partition 1.
func set(t *testing.T) *Set {
	t.Helper()
	p := filepath.Join(t.TempDir(), "disk.img")
	require.NoError(t, os.WriteFile(p, nil, 0o644))
	require.NoError(t, os.Truncate(p, 8<<20))
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	require.NoError(t, err)
	s := NewSet()
	require.NoError(t, s.Add(0, f, nil))
	t.Cleanup(func() { s.Drives()[0].Close() })
	d := s.Drives()[0]
	require.NoError(t, parttable.New(d.Name, d).PartInit("mbr"))
	require.NoError(t, parttable.New(d.Name, d).PartAdd("p", 64, 8191))
	return s
}

func TestResolve(t *testing.T) {
	s := set(t)
	d, err := s.Resolve("/dev/vda")
	require.NoError(t, err)
	assert.Equal(t, "/dev/sda", d.Name)
	assert.False(t, d.IsPartition())
	assert.NoError(t, d.Whole())
	assert.Equal(t, int64(8<<20), d.Size())

	p, err := s.Resolve("/dev/sda1")
	require.NoError(t, err)
	assert.True(t, p.IsPartition())
	assert.Equal(t, 1, p.Partnum)
	assert.Equal(t, int64((8191-64+1)*512), p.Size())
	assert.ErrorIs(t, p.Whole(), syscall.EINVAL)

	_, err = s.Resolve("/dev/sda2")
	assert.ErrorIs(t, err, syscall.ENOENT)
	assert.EqualError(t, err, "/dev/sda2: no such partition")
	_, err = s.Resolve("/dev/sdb")
	assert.EqualError(t, err, "/dev/sdb: no such device")
	_, err = s.Resolve("/dev/sda1p1")
	assert.ErrorIs(t, err, syscall.ENOENT)
	_, err = s.Resolve("sda")
	assert.ErrorIs(t, err, syscall.EINVAL)
}

func TestAddOutOfOrder(t *testing.T) {
	s := NewSet()
	f, err := os.Open(os.DevNull)
	require.NoError(t, err)
	assert.ErrorIs(t, s.Add(1, f, nil), syscall.EINVAL)
}

func TestReadOnlyGuard(t *testing.T) {
	s := set(t)
	disk, err := s.Resolve("/dev/sda")
	require.NoError(t, err)
	part, err := s.Resolve("/dev/sda1")
	require.NoError(t, err)

	part.SetReadOnly(true)
	assert.True(t, part.ReadOnly())
	assert.False(t, disk.ReadOnly(), "a partition's flag does not cover its disk")
	_, err = part.WriteAt([]byte("x"), 0)
	assert.ErrorIs(t, err, syscall.EROFS)
	_, err = disk.WriteAt([]byte("x"), 0)
	assert.NoError(t, err)
	part.SetReadOnly(false)

	disk.SetReadOnly(true)
	assert.True(t, part.ReadOnly(), "a disk's flag covers its partitions")
	_, err = part.WriteAt([]byte("x"), 0)
	assert.ErrorIs(t, err, syscall.EROFS)
	_, err = disk.WriteAt([]byte("x"), 0)
	assert.ErrorIs(t, err, syscall.EROFS)
	buf := make([]byte, 1)
	_, err = disk.ReadAt(buf, 0)
	assert.NoError(t, err, "reads are allowed")
	assert.NoError(t, s.Flush())
}
