package fs_test

import (
	iofs "io/fs"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"

	"goguestfs/daemon/fs"
)

func TestUnixMode(t *testing.T) {
	for _, c := range []struct {
		unix uint32
		mode iofs.FileMode
	}{
		{syscall.S_IFREG | 0o644, 0o644},
		{syscall.S_IFDIR | 0o755, iofs.ModeDir | 0o755},
		{syscall.S_IFDIR | 0o1777, iofs.ModeDir | iofs.ModeSticky | 0o777},
		{syscall.S_IFLNK | 0o777, iofs.ModeSymlink | 0o777},
		{syscall.S_IFCHR | 0o620, iofs.ModeDevice | iofs.ModeCharDevice | 0o620},
		{syscall.S_IFBLK | 0o660, iofs.ModeDevice | 0o660},
		{syscall.S_IFIFO | 0o600, iofs.ModeNamedPipe | 0o600},
		{syscall.S_IFSOCK | 0o755, iofs.ModeSocket | 0o755},
		{syscall.S_IFREG | 0o4755, iofs.ModeSetuid | 0o755},
		{syscall.S_IFREG | 0o2710, iofs.ModeSetgid | 0o710},
		{syscall.S_IFREG | 0o7000, iofs.ModeSetuid | iofs.ModeSetgid | iofs.ModeSticky},
	} {
		assert.Equal(t, c.mode, fs.ModeFromUnix(c.unix), "ModeFromUnix(%#o)", c.unix)
		assert.Equal(t, c.unix, fs.UnixMode(c.mode), "UnixMode(%v)", c.mode)
	}
	// permission bits alone: no type bits either way
	assert.Equal(t, iofs.ModeSetgid|0o750, fs.ModeFromUnix(0o2750))
	assert.Equal(t, uint32(0o2750), fs.UnixMode(iofs.ModeSetgid|0o750)&0o7777)
	// a type Linux does not know reads as no type; ModeIrregular (and any
	// other type Linux lacks) writes as S_IFREG
	assert.Equal(t, iofs.FileMode(0o644), fs.ModeFromUnix(0o160644))
	assert.Equal(t, uint32(syscall.S_IFREG|0o644), fs.UnixMode(iofs.ModeIrregular|0o644))
	// bits above 0o7777 of the permission part never leak into the type
	assert.Equal(t, iofs.ModeDir, fs.ModeFromUnix(syscall.S_IFDIR).Type())
}
