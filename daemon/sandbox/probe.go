package sandbox

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// probeMissing is a path that does not exist: a call refused by the
// filter fails with EPERM before the kernel looks the path up, and with
// ENOENT without the filter, so nothing is changed either way.
const probeMissing = "/nonexistent-guestfsd-probe"

// Probe tries, from inside the daemon, what the sandbox must refuse, and
// returns one line per attempt, "WHAT: RESULT", RESULT being "ok" or the
// errno's name (EACCES, EPERM, ...). The first line, "landlock: ...",
// says what Apply found. Every attempt is harmless without the sandbox
// too. For tests (the daemon's debug("sandbox")).
func Probe() string {
	var b strings.Builder
	applyMu.Lock()
	if applied == nil {
		b.WriteString("landlock: not applied\n")
	} else {
		fmt.Fprintf(&b, "landlock: %v\n", *applied)
	}
	applyMu.Unlock()
	line := func(what string, err error) {
		fmt.Fprintf(&b, "%s: %s\n", what, errnoName(err))
	}
	openProbe := func(p string) error {
		fd, err := unix.Open(p, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err == nil {
			unix.Close(fd)
		}
		return err
	}
	line("open /etc/passwd", openProbe("/etc/passwd"))
	line("open /proc/self/status", openProbe("/proc/self/status"))
	tmp := fmt.Sprintf("/tmp/guestfsd-probe-%d", os.Getpid())
	fd, err := unix.Open(tmp, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_CLOEXEC, 0o600)
	if err == nil {
		unix.Close(fd)
		unix.Unlink(tmp)
	}
	line("create /tmp/guestfsd-probe-PID", err)
	line("chmod "+probeMissing, unix.Fchmodat(unix.AT_FDCWD, probeMissing, 0o644, 0))
	line("truncate "+probeMissing, unix.Truncate(probeMissing, 0))
	sock := func(family, typ int) error {
		fd, err := unix.Socket(family, typ|unix.SOCK_CLOEXEC, 0)
		if err == nil {
			unix.Close(fd)
		}
		return err
	}
	line("socket AF_INET", sock(unix.AF_INET, unix.SOCK_STREAM))
	line("socket AF_INET6", sock(unix.AF_INET6, unix.SOCK_STREAM))
	line("socket AF_UNIX", sock(unix.AF_UNIX, unix.SOCK_STREAM))
	line("socket AF_NETLINK", sock(unix.AF_NETLINK, unix.SOCK_RAW))
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err == nil {
		unix.Close(fds[0])
		unix.Close(fds[1])
	}
	line("socketpair AF_UNIX", err)
	var params [120]byte // struct io_uring_params
	r, _, e := unix.Syscall(unix.SYS_IO_URING_SETUP, 1, uintptr(unsafe.Pointer(&params[0])), 0)
	if e == 0 {
		unix.Close(int(r))
	}
	line("io_uring_setup", errnoOrNil(e))
	// An unknown command and request: EINVAL or EIO without the filter.
	_, _, e = unix.Syscall(unix.SYS_BPF, 0x7fffffff, 0, 0)
	line("bpf", errnoOrNil(e))
	_, _, e = unix.Syscall6(unix.SYS_PTRACE, 0x7fffffff, 0, 0, 0, 0, 0)
	line("ptrace", errnoOrNil(e))
	line("kill 1 0", unix.Kill(1, 0))
	line("kill self 0", unix.Kill(os.Getpid(), 0))
	// EINVAL without the filter: a multithreaded process cannot.
	line("unshare CLONE_NEWUSER", unix.Unshare(unix.CLONE_NEWUSER))
	// EINVAL without the filter (no struct clone_args).
	_, _, e = unix.Syscall(unix.SYS_CLONE3, 0, 0, 0)
	line("clone3", errnoOrNil(e))
	return b.String()
}

func errnoOrNil(e syscall.Errno) error {
	if e == 0 {
		return nil
	}
	return e
}

func errnoName(err error) string {
	if err == nil {
		return "ok"
	}
	var e syscall.Errno
	if errors.As(err, &e) {
		if n := unix.ErrnoName(e); n != "" {
			return n
		}
	}
	return err.Error()
}
