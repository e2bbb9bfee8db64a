package fstest

import (
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestROMem(t *testing.T) {
	d := &ROMem{B: []byte("abcdef")}
	b := make([]byte, 4)
	n, err := d.ReadAt(b, 4)
	assert.Equal(t, 2, n)
	assert.Equal(t, io.EOF, err)
	n, err = d.ReadAt(b, 1)
	assert.Equal(t, 4, n)
	assert.NoError(t, err)
	_, err = d.ReadAt(b, 7)
	assert.Error(t, err)
	_, err = d.WriteAt(b, 0)
	assert.Error(t, err)
	assert.Equal(t, int64(6), d.Size())
}

func TestOpenDev(t *testing.T) {
	p := filepath.Join(t.TempDir(), "img")
	require.NoError(t, os.WriteFile(p, make([]byte, 3000), 0o644))
	d := OpenDev(t, p, os.O_RDONLY)
	assert.Equal(t, int64(3000), d.Size())
	assert.Equal(t, int64(512), d.SectorSize())
}

func TestTestdata(t *testing.T) {
	_, err := os.Stat(filepath.Join(testdata(), "mktree.sh"))
	assert.NoError(t, err)
}
