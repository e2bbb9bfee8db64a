package core

import (
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// hostFile is a FileIn (out false) or FileOut (out true) argument of a
// daemon action: the name of a host file, which the library opens and
// passes to the daemon as a descriptor.
type hostFile struct {
	name string
	out  bool
}

// open opens the host file as libguestfs does: `-` is the caller's
// standard input (FileIn) or output (FileOut), /dev/stdin, /dev/stdout and
// /dev/stderr are descriptors 0, 1 and 2 and /dev/fd/N descriptor N (each
// duplicated, so that redirections work and the daemon gets its own
// reference); anything else is opened by name, a FileOut created or
// truncated with mode 0666 less the umask. The caller closes the
// descriptor. The error names the file.
func (f hostFile) open() (int, error) {
	fd := -1
	switch {
	case f.name == "-" && f.out, f.name == "/dev/stdout":
		fd = 1
	case f.name == "-", f.name == "/dev/stdin":
		fd = 0
	case f.name == "/dev/stderr":
		fd = 2
	case strings.HasPrefix(f.name, "/dev/fd/"):
		n, err := strconv.Atoi(strings.TrimPrefix(f.name, "/dev/fd/"))
		if err != nil || n < 0 {
			return -1, errorf(syscall.EINVAL, "%s: not a descriptor number", f.name)
		}
		fd = n
	}
	if fd >= 0 {
		dup, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 3)
		if err != nil {
			return -1, errorf(errnoOf(err), "%s: %v", f.name, err)
		}
		if err := checkAccess(dup, f); err != nil {
			unix.Close(dup)
			return -1, err
		}
		return dup, nil
	}
	flags := unix.O_RDONLY | unix.O_CLOEXEC | unix.O_NOCTTY
	if f.out {
		flags = unix.O_WRONLY | unix.O_CREAT | unix.O_TRUNC | unix.O_CLOEXEC | unix.O_NOCTTY
	}
	for {
		fd, err := unix.Open(f.name, flags, 0o666)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return -1, errorf(errnoOf(err), "%s: %v", f.name, err)
		}
		return fd, nil
	}
}

// checkAccess refuses a passed descriptor that cannot be read (FileIn) or
// written (FileOut), so that the error names it here rather than as a
// failed transfer in the daemon.
func checkAccess(fd int, f hostFile) error {
	fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	if err != nil {
		return errorf(errnoOf(err), "%s: %v", f.name, err)
	}
	acc := fl & unix.O_ACCMODE
	if f.out && acc == unix.O_RDONLY || !f.out && acc == unix.O_WRONLY {
		return errorf(syscall.EBADF, "%s: the descriptor is not open for %s", f.name, map[bool]string{true: "writing", false: "reading"}[f.out])
	}
	return nil
}

// daemonCallFiles is daemonCall for an action with host-file arguments:
// it opens them, passes their descriptors with the call, and closes them
// once the call has ended. A FileOut is left as the daemon wrote it when
// the call fails or is cancelled (a partial file), as libguestfs does.
// The caller holds the handle lock.
func (h *Handle) daemonCallFiles(name string, progress bool, args, result any, files []hostFile) error {
	if h.daemon == nil || h.state != StateReady {
		return h.daemonCall(name, progress, args, result) // its state error
	}
	var fds []int
	defer func() {
		for _, fd := range fds {
			unix.Close(fd)
		}
	}()
	for _, f := range files {
		fd, err := f.open()
		if err != nil {
			return err
		}
		fds = append(fds, fd)
	}
	return h.daemonCallFDs(name, progress, args, result, fds)
}
