package fs_test

import (
	"bytes"
	"errors"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	dfs "goguestfs/daemon/fs"
)

// magicDriver recognises devices that start with its magic bytes.
type magicDriver struct {
	name, magic string
}

func (d magicDriver) Name() string { return d.name }

func (d magicDriver) Probe(dev dfs.Device) (bool, error) {
	buf := make([]byte, len(d.magic))
	if _, err := dev.ReadAt(buf, 0); err != nil {
		return false, err
	}
	return bytes.Equal(buf, []byte(d.magic)), nil
}

func (d magicDriver) Open(dev dfs.Device, o dfs.OpenOptions) (dfs.FS, error) {
	return nil, errors.New("not for this test")
}

// memDev is a device in memory.
type memDev []byte

func (m memDev) ReadAt(p []byte, off int64) (int, error) {
	if off >= int64(len(m)) {
		return 0, syscall.EIO
	}
	return copy(p, m[off:]), nil
}
func (m memDev) WriteAt(p []byte, off int64) (int, error) { return copy(m[off:], p), nil }
func (m memDev) Size() int64                              { return int64(len(m)) }
func (m memDev) SectorSize() int64                        { return 512 }

func TestRegistry(t *testing.T) {
	dfs.Register(magicDriver{"testa", "AAAA"})
	dfs.Register(magicDriver{"testb", "BBBB"})
	assert.Panics(t, func() { dfs.Register(magicDriver{"testa", "CCCC"}) })
	assert.Panics(t, func() { dfs.Register(nil) })

	d, ok := dfs.Lookup("testb")
	require.True(t, ok)
	assert.Equal(t, "testb", d.Name())
	_, ok = dfs.Lookup("nope")
	assert.False(t, ok)

	dev := memDev(make([]byte, 4096))
	copy(dev, "BBBB")
	d, err := dfs.Probe(dev)
	require.NoError(t, err)
	assert.Equal(t, "testb", d.Name())
	copy(dev, "ZZZZ")
	_, err = dfs.Probe(dev)
	assert.ErrorIs(t, err, syscall.EINVAL)
	_, err = dfs.Probe(memDev(nil))
	assert.ErrorIs(t, err, syscall.EIO, "a device that cannot be read is an error, not an unknown filesystem")

	var names []string
	for _, d := range dfs.Drivers() {
		names = append(names, d.Name())
	}
	assert.Equal(t, []string{"testa", "testb"}, names, "probed in registration order")
}
