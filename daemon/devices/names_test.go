package devices

import (
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParse(t *testing.T) {
	for in, want := range map[string]Name{
		"/dev/sda":      {0, 0},
		"/dev/sda1":     {0, 1},
		"/dev/sdb12":    {1, 12},
		"/dev/vda3":     {0, 3},
		"/dev/hdc":      {2, 0},
		"/dev/xvdz9":    {25, 9},
		"/dev/sdaa":     {26, 0},
		"/dev/sdap1":    {41, 1},
		"/dev/sdzzz":    {MaxIndex, 0},
		"/dev/sda260":   {0, 260},
		"/dev/sda65536": {0, MaxPartnum},
	} {
		got, err := Parse(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, in := range []string{"/dev/sda0", "/dev/sda01", "/dev/sda1p1", "/dev/sda1a", "/dev/sd", "/dev/sd1",
		"/dev/foo", "/dev/", "/dev/sdaaaa", "/dev/sda65537", "/dev/sda99999999999999999999", "/dev/SDA", "/dev/nvme0n1p1",
		"/dev/sda/1", "/dev/sda 1"} {
		_, err := Parse(in)
		assert.ErrorIs(t, err, syscall.ENOENT, in)
		assert.Contains(t, err.Error(), in+": no such device")
	}
	for _, in := range []string{"", "sda", "dev/sda", "/sda"} {
		_, err := Parse(in)
		assert.ErrorIs(t, err, syscall.EINVAL, in)
	}
}

func TestParseCutsLongNames(t *testing.T) {
	long := "/dev/" + strings.Repeat("x", 1<<20)
	_, err := Parse(long)
	require.Error(t, err)
	assert.Less(t, len(err.Error()), 300)
	assert.Contains(t, err.Error(), "... (1048581 bytes)")
}

func TestDiskNameRoundTrip(t *testing.T) {
	for i := 0; i <= MaxIndex; i++ {
		n, err := Parse(DiskName(i))
		require.NoError(t, err)
		require.Equal(t, Name{Index: i}, n)
		require.Equal(t, DiskName(i), n.String())
	}
	assert.Equal(t, "/dev/sdb3", Name{1, 3}.String())
	assert.Equal(t, "/dev/sdb", Name{1, 3}.Disk())
}

func TestCanonical(t *testing.T) {
	for in, want := range map[string]string{"/dev/vda1": "/dev/sda1", "/dev/hdb": "/dev/sdb", "/dev/xvdc3": "/dev/sdc3",
		"/dev/sda": "/dev/sda", "/dev/mapper/x": "/dev/mapper/x", "/dev/sda0": "/dev/sda0", "foo": "foo"} {
		assert.Equal(t, want, Canonical(in), in)
	}
}
