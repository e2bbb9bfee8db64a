package sandbox

import (
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Offsets in struct seccomp_data (both architectures are little-endian:
// the low 32 bits of an argument come first).
const (
	offNr   = 0
	offArch = 4
)

func offArgLow(i int) uint32 { return uint32(16 + 8*i) }

const (
	retAllow        uint32 = unix.SECCOMP_RET_ALLOW
	retKill         uint32 = unix.SECCOMP_RET_KILL_PROCESS
	retEPERM        uint32 = unix.SECCOMP_RET_ERRNO | uint32(unix.EPERM)
	retENOSYS       uint32 = unix.SECCOMP_RET_ERRNO | uint32(unix.ENOSYS)
	retEAFNOSUPPORT uint32 = unix.SECCOMP_RET_ERRNO | uint32(unix.EAFNOSUPPORT)
)

// cloneNewMask is every CLONE_NEW* flag clone(2) can take (CLONE_NEWTIME
// only exists for clone3 and unshare; in clone's flags it is part of the
// exit signal).
const cloneNewMask = unix.CLONE_NEWNS | unix.CLONE_NEWCGROUP | unix.CLONE_NEWUTS |
	unix.CLONE_NEWIPC | unix.CLONE_NEWUSER | unix.CLONE_NEWPID | unix.CLONE_NEWNET

// refused are the system calls the filter makes fail with EPERM: the
// daemon, the Go runtime, libc and the tools the daemon runs never make
// them, and an exploit would. Besides the kernel attack surface (io_uring
// also bypasses seccomp for the operations it submits, bpf, perf,
// userfaultfd), they are what Landlock and dropped capabilities leave
// open to a process that is still uid 0 on the host: changing the mode,
// owner, times or xattrs of a host file it owns (Landlock does not cover
// chmod, chown, utime, setxattr or truncate by path), another process of
// the same uid's memory, descriptors or System V IPC and message queues,
// and the kernel log.
var refused = append([]uintptr{
	unix.SYS_IO_URING_SETUP, unix.SYS_IO_URING_ENTER, unix.SYS_IO_URING_REGISTER,
	unix.SYS_BPF, unix.SYS_PERF_EVENT_OPEN, unix.SYS_USERFAULTFD,
	unix.SYS_PTRACE, unix.SYS_PROCESS_VM_READV, unix.SYS_PROCESS_VM_WRITEV,
	unix.SYS_PIDFD_GETFD, unix.SYS_PROCESS_MADVISE, unix.SYS_KCMP,
	unix.SYS_INIT_MODULE, unix.SYS_FINIT_MODULE, unix.SYS_DELETE_MODULE,
	unix.SYS_KEXEC_LOAD, unix.SYS_KEXEC_FILE_LOAD, unix.SYS_REBOOT,
	unix.SYS_SWAPON, unix.SYS_SWAPOFF, unix.SYS_SYSLOG,
	unix.SYS_MOUNT, unix.SYS_UMOUNT2, unix.SYS_PIVOT_ROOT, unix.SYS_MOVE_MOUNT,
	unix.SYS_OPEN_TREE, unix.SYS_OPEN_TREE_ATTR, unix.SYS_FSOPEN, unix.SYS_FSMOUNT,
	unix.SYS_FSCONFIG, unix.SYS_FSPICK, unix.SYS_MOUNT_SETATTR,
	unix.SYS_UNSHARE, unix.SYS_SETNS,
	unix.SYS_KEYCTL, unix.SYS_ADD_KEY, unix.SYS_REQUEST_KEY,
	unix.SYS_OPEN_BY_HANDLE_AT,
	unix.SYS_FCHMOD, unix.SYS_FCHMODAT, unix.SYS_FCHMODAT2,
	unix.SYS_FCHOWN, unix.SYS_FCHOWNAT, unix.SYS_UTIMENSAT,
	unix.SYS_SETXATTR, unix.SYS_LSETXATTR, unix.SYS_FSETXATTR, unix.SYS_SETXATTRAT,
	unix.SYS_REMOVEXATTR, unix.SYS_LREMOVEXATTR, unix.SYS_FREMOVEXATTR, unix.SYS_REMOVEXATTRAT,
	unix.SYS_TRUNCATE,
	unix.SYS_SHMGET, unix.SYS_SHMAT, unix.SYS_SHMCTL, unix.SYS_SHMDT,
	unix.SYS_MSGGET, unix.SYS_MSGSND, unix.SYS_MSGRCV, unix.SYS_MSGCTL,
	unix.SYS_SEMGET, unix.SYS_SEMOP, unix.SYS_SEMCTL, unix.SYS_SEMTIMEDOP,
	unix.SYS_MQ_OPEN, unix.SYS_MQ_UNLINK, unix.SYS_MQ_TIMEDSEND,
	unix.SYS_MQ_TIMEDRECEIVE, unix.SYS_MQ_NOTIFY, unix.SYS_MQ_GETSETATTR,
}, archRefused...)

// openCall is a system call that opens a path, and the index of its flags
// argument.
type openCall struct {
	nr       uintptr
	flagsArg int
}

// filterSpec is what varies in the filter.
type filterSpec struct {
	// network allows AF_INET and AF_INET6 sockets; without it they fail
	// with EAFNOSUPPORT.
	network bool
	// unixSockets allows socket(AF_UNIX): only where Landlock confines
	// what such a socket can reach (abstract sockets by scope, pathname
	// sockets by LANDLOCK_ACCESS_FS_RESOLVE_UNIX). socketpair(AF_UNIX) is
	// always allowed.
	unixSockets bool
	// selfPID, when not 0, limits kill, tgkill, rt_sigqueueinfo and
	// rt_tgsigqueueinfo to this process and refuses tkill and
	// pidfd_send_signal: for kernels whose Landlock has no signal scope.
	selfPID int
	// pid is the daemon's pid: prlimit64 may only name it (or 0).
	pid int
	// noTruncate refuses opening with O_TRUNC (and creat, and openat2,
	// whose flags a filter cannot read): for kernels whose Landlock
	// cannot refuse truncation (ABI < 3) of the files it lets the daemon
	// read.
	noTruncate bool
}

// buildFilter returns the filter's program for this architecture.
func buildFilter(s filterSpec) ([]unix.SockFilter, error) {
	a := newAsm()
	a.ld(offArch)
	a.jeq(auditArch, "", "kill")
	a.ld(offNr)
	if x32Bit != 0 {
		a.jge(x32Bit, "kill", "")
	}
	for _, nr := range refused {
		a.jeq(uint32(nr), "eperm", "")
	}
	// glibc's pthread_create tries clone3 first and falls back to clone
	// on ENOSYS; the Go runtime uses clone (clone3 only for cgroup
	// descriptors or time namespaces, which the daemon never asks for).
	a.jeq(uint32(unix.SYS_CLONE3), "enosys", "")
	a.jeq(uint32(unix.SYS_CLONE), "clone", "")
	a.jeq(uint32(unix.SYS_SOCKET), "socket", "")
	a.jeq(uint32(unix.SYS_SOCKETPAIR), "socketpair", "")
	a.jeq(uint32(unix.SYS_PRLIMIT64), "prlimit", "")
	if s.noTruncate {
		a.jeq(uint32(unix.SYS_OPENAT2), "enosys", "")
		for _, nr := range archCreat {
			a.jeq(uint32(nr), "eperm", "")
		}
		for _, o := range openFlagsArg {
			a.jeq(uint32(o.nr), fmt.Sprintf("open%d", o.nr), "")
		}
	}
	if s.selfPID != 0 {
		a.jeq(uint32(unix.SYS_TKILL), "eperm", "")
		a.jeq(uint32(unix.SYS_PIDFD_SEND_SIGNAL), "eperm", "")
		for _, nr := range []uintptr{unix.SYS_KILL, unix.SYS_TGKILL, unix.SYS_RT_SIGQUEUEINFO, unix.SYS_RT_TGSIGQUEUEINFO} {
			a.jeq(uint32(nr), "self", "")
		}
	}
	a.ret(retAllow)

	a.label("clone")
	a.ld(offArgLow(0))
	a.jset(cloneNewMask, "eperm", "allow")

	a.label("socket")
	a.ld(offArgLow(0))
	unixAction, inetAction := "eperm", "eafnosupport"
	if s.unixSockets {
		unixAction = "allow"
	}
	if s.network {
		inetAction = "allow"
	}
	a.jeq(unix.AF_UNIX, unixAction, "")
	a.jeq(unix.AF_INET, inetAction, "")
	a.jeq(unix.AF_INET6, inetAction, "eperm")

	a.label("socketpair")
	a.ld(offArgLow(0))
	a.jeq(unix.AF_UNIX, "allow", "eperm")

	a.label("prlimit")
	a.ld(offArgLow(0))
	a.jeq(0, "allow", "")
	a.jeq(uint32(s.pid), "allow", "eperm")

	if s.noTruncate {
		for _, o := range openFlagsArg {
			a.label(fmt.Sprintf("open%d", o.nr))
			a.ld(offArgLow(o.flagsArg))
			a.jset(unix.O_TRUNC, "eperm", "allow")
		}
	}

	if s.selfPID != 0 {
		a.label("self")
		a.ld(offArgLow(0))
		a.jeq(uint32(s.selfPID), "allow", "eperm")
	}

	a.label("allow")
	a.ret(retAllow)
	a.label("eperm")
	a.ret(retEPERM)
	a.label("enosys")
	a.ret(retENOSYS)
	a.label("eafnosupport")
	a.ret(retEAFNOSUPPORT)
	a.label("kill")
	a.ret(retKill)
	return a.link()
}

// seccompAvailable tells whether the kernel has seccomp filters with
// every action the filter returns.
func seccompAvailable() error {
	for _, action := range []uint32{retAllow, retKill, unix.SECCOMP_RET_ERRNO} {
		act := action
		if _, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_GET_ACTION_AVAIL, 0, uintptr(unsafe.Pointer(&act))); errno != 0 {
			return fmt.Errorf("seccomp(SECCOMP_GET_ACTION_AVAIL, %#x): %w", action, errno)
		}
	}
	return nil
}

// installFilter installs the filter on every thread of the process
// (SECCOMP_FILTER_FLAG_TSYNC, which also gives the other threads the
// caller's no_new_privs). The calling thread must have no_new_privs.
func installFilter(s filterSpec) error {
	if auditArch == 0 {
		return fmt.Errorf("no seccomp filter for this architecture")
	}
	prog, err := buildFilter(s)
	if err != nil {
		return err
	}
	fprog := unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}
	r, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, unix.SECCOMP_FILTER_FLAG_TSYNC, uintptr(unsafe.Pointer(&fprog)))
	if errno != 0 {
		return fmt.Errorf("seccomp: %w", errno)
	}
	if r != 0 {
		return fmt.Errorf("seccomp: thread %d could not take the filter", r)
	}
	return nil
}
