package fs

import (
	"io/fs"
	"syscall"
)

// UnixMode converts an io/fs FileMode to a Linux st_mode: the
// permission bits, set-user-ID, set-group-ID and sticky, and the file
// type (S_IFREG for a mode with no type bits, or one io/fs has and
// Linux does not, such as fs.ModeIrregular).
func UnixMode(m fs.FileMode) uint32 {
	r := uint32(m.Perm())
	if m&fs.ModeSetuid != 0 {
		r |= syscall.S_ISUID
	}
	if m&fs.ModeSetgid != 0 {
		r |= syscall.S_ISGID
	}
	if m&fs.ModeSticky != 0 {
		r |= syscall.S_ISVTX
	}
	switch {
	case m.IsDir():
		r |= syscall.S_IFDIR
	case m&fs.ModeSymlink != 0:
		r |= syscall.S_IFLNK
	case m&fs.ModeNamedPipe != 0:
		r |= syscall.S_IFIFO
	case m&fs.ModeSocket != 0:
		r |= syscall.S_IFSOCK
	case m&fs.ModeCharDevice != 0:
		r |= syscall.S_IFCHR
	case m&fs.ModeDevice != 0:
		r |= syscall.S_IFBLK
	default:
		r |= syscall.S_IFREG
	}
	return r
}

// ModeFromUnix converts a Linux st_mode to an io/fs FileMode, as package
// os does for Linux's stat: a type Linux does not know (or none) gives
// no type bits, a regular file's; a driver that wants fs.ModeIrregular
// for it adds that itself.
func ModeFromUnix(m uint32) fs.FileMode {
	r := fs.FileMode(m & 0o777)
	switch m & syscall.S_IFMT {
	case syscall.S_IFDIR:
		r |= fs.ModeDir
	case syscall.S_IFLNK:
		r |= fs.ModeSymlink
	case syscall.S_IFCHR:
		r |= fs.ModeDevice | fs.ModeCharDevice
	case syscall.S_IFBLK:
		r |= fs.ModeDevice
	case syscall.S_IFIFO:
		r |= fs.ModeNamedPipe
	case syscall.S_IFSOCK:
		r |= fs.ModeSocket
	}
	if m&syscall.S_ISUID != 0 {
		r |= fs.ModeSetuid
	}
	if m&syscall.S_ISGID != 0 {
		r |= fs.ModeSetgid
	}
	if m&syscall.S_ISVTX != 0 {
		r |= fs.ModeSticky
	}
	return r
}
