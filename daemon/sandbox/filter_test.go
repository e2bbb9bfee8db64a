package sandbox

import (
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// run interprets prog (the subset buildFilter emits) over a struct
// seccomp_data for system call nr with args, from architecture arch.
func run(t *testing.T, prog []unix.SockFilter, arch uint32, nr uintptr, args ...uint64) uint32 {
	t.Helper()
	var data [64]byte
	binary.LittleEndian.PutUint32(data[offNr:], uint32(nr))
	binary.LittleEndian.PutUint32(data[offArch:], arch)
	for i, a := range args {
		binary.LittleEndian.PutUint64(data[16+8*i:], a)
	}
	var acc uint32
	for pc := 0; pc < len(prog); pc++ {
		in := prog[pc]
		switch in.Code {
		case unix.BPF_LD | unix.BPF_W | unix.BPF_ABS:
			acc = binary.LittleEndian.Uint32(data[in.K:])
		case unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K:
			pc += int(map[bool]uint8{true: in.Jt, false: in.Jf}[acc == in.K])
		case unix.BPF_JMP | unix.BPF_JGE | unix.BPF_K:
			pc += int(map[bool]uint8{true: in.Jt, false: in.Jf}[acc >= in.K])
		case unix.BPF_JMP | unix.BPF_JSET | unix.BPF_K:
			pc += int(map[bool]uint8{true: in.Jt, false: in.Jf}[acc&in.K != 0])
		case unix.BPF_RET | unix.BPF_K:
			return in.K
		default:
			t.Fatalf("instruction %d: unexpected code %#x", pc, in.Code)
		}
	}
	t.Fatal("fell off the end of the program")
	return 0
}

func TestFilterProgram(t *testing.T) {
	const pid = 4242
	for _, s := range []filterSpec{
		{pid: pid},
		{pid: pid, network: true},
		{pid: pid, unixSockets: true},
		{pid: pid, selfPID: pid, noTruncate: true},
	} {
		prog, err := buildFilter(s)
		require.NoError(t, err, "%+v", s)
		call := func(nr uintptr, args ...uint64) uint32 { return run(t, prog, auditArch, nr, args...) }

		assert.Equal(t, retKill, run(t, prog, unix.AUDIT_ARCH_I386, unix.SYS_READ), "other architecture")
		assert.Equal(t, retKill, run(t, prog, unix.AUDIT_ARCH_ARM, unix.SYS_READ), "other architecture")
		if x32Bit != 0 {
			assert.Equal(t, retKill, call(x32Bit|unix.SYS_READ), "x32")
		}
		for _, nr := range []uintptr{unix.SYS_READ, unix.SYS_WRITE, unix.SYS_FUTEX, unix.SYS_MMAP, unix.SYS_SENDMSG,
			unix.SYS_RECVMSG, unix.SYS_EPOLL_PWAIT, unix.SYS_PPOLL, unix.SYS_SECCOMP, unix.SYS_PRCTL, unix.SYS_FTRUNCATE} {
			assert.Equal(t, retAllow, call(nr), "syscall %d", nr)
		}
		for _, nr := range refused {
			assert.Equal(t, retEPERM, call(nr), "syscall %d", nr)
		}
		// The calls issue 8 names, literally, so that dropping one from
		// the filter's list fails here.
		for _, nr := range []uintptr{unix.SYS_IO_URING_SETUP, unix.SYS_IO_URING_ENTER, unix.SYS_IO_URING_REGISTER,
			unix.SYS_BPF, unix.SYS_PTRACE, unix.SYS_PROCESS_VM_READV, unix.SYS_PROCESS_VM_WRITEV,
			unix.SYS_INIT_MODULE, unix.SYS_FINIT_MODULE, unix.SYS_DELETE_MODULE, unix.SYS_KEXEC_LOAD, unix.SYS_KEXEC_FILE_LOAD,
			unix.SYS_MOUNT, unix.SYS_UMOUNT2, unix.SYS_PIVOT_ROOT, unix.SYS_UNSHARE, unix.SYS_SETNS,
			unix.SYS_KEYCTL, unix.SYS_ADD_KEY, unix.SYS_PERF_EVENT_OPEN, unix.SYS_REBOOT, unix.SYS_SWAPON} {
			assert.Equal(t, retEPERM, call(nr), "syscall %d", nr)
		}
		assert.Equal(t, retENOSYS, call(unix.SYS_CLONE3))
		// Threads (the Go runtime's flags) and fork/vfork are allowed.
		thread := uint64(unix.CLONE_VM | unix.CLONE_FS | unix.CLONE_FILES | unix.CLONE_SIGHAND | unix.CLONE_SYSVSEM | unix.CLONE_THREAD)
		assert.Equal(t, retAllow, call(unix.SYS_CLONE, thread))
		assert.Equal(t, retAllow, call(unix.SYS_CLONE, unix.CLONE_VFORK|unix.CLONE_VM|unix.CLONE_PIDFD|uint64(unix.SIGCHLD)))
		for _, f := range []uint64{unix.CLONE_NEWNS, unix.CLONE_NEWUSER, unix.CLONE_NEWNET, unix.CLONE_NEWPID, unix.CLONE_NEWIPC, unix.CLONE_NEWUTS, unix.CLONE_NEWCGROUP} {
			assert.Equal(t, retEPERM, call(unix.SYS_CLONE, uint64(unix.SIGCHLD)|f), "clone flag %#x", f)
		}

		inet := retEAFNOSUPPORT
		if s.network {
			inet = retAllow
		}
		assert.Equal(t, inet, call(unix.SYS_SOCKET, unix.AF_INET, unix.SOCK_STREAM))
		assert.Equal(t, inet, call(unix.SYS_SOCKET, unix.AF_INET6, unix.SOCK_DGRAM))
		unixSock := retEPERM
		if s.unixSockets {
			unixSock = retAllow
		}
		assert.Equal(t, unixSock, call(unix.SYS_SOCKET, unix.AF_UNIX, unix.SOCK_STREAM))
		for _, f := range []uint64{unix.AF_NETLINK, unix.AF_PACKET, unix.AF_VSOCK, unix.AF_ALG, unix.AF_BLUETOOTH} {
			assert.Equal(t, retEPERM, call(unix.SYS_SOCKET, f, unix.SOCK_RAW), "family %d", f)
		}
		assert.Equal(t, retAllow, call(unix.SYS_SOCKETPAIR, unix.AF_UNIX, unix.SOCK_STREAM))
		assert.Equal(t, retEPERM, call(unix.SYS_SOCKETPAIR, unix.AF_INET, unix.SOCK_STREAM))

		assert.Equal(t, retAllow, call(unix.SYS_PRLIMIT64, 0, unix.RLIMIT_NOFILE))
		assert.Equal(t, retAllow, call(unix.SYS_PRLIMIT64, pid, unix.RLIMIT_DATA))
		assert.Equal(t, retEPERM, call(unix.SYS_PRLIMIT64, 1, unix.RLIMIT_DATA))

		// Signals: Landlock scopes them; only without its scope does the
		// filter keep them to the process itself.
		other := retAllow
		if s.selfPID != 0 {
			other = retEPERM
		}
		assert.Equal(t, retAllow, call(unix.SYS_TGKILL, pid, pid+1, uint64(unix.SIGURG)), "the runtime preempts its threads")
		assert.Equal(t, retAllow, call(unix.SYS_KILL, pid, 0))
		assert.Equal(t, other, call(unix.SYS_KILL, 1, 0))
		assert.Equal(t, other, call(unix.SYS_KILL, uint64(0xffffffff), 9), "kill(-1)")
		assert.Equal(t, other, call(unix.SYS_TGKILL, 1, 1, 9))
		assert.Equal(t, other, call(unix.SYS_TKILL, 1, 9))
		assert.Equal(t, other, call(unix.SYS_PIDFD_SEND_SIGNAL, 5, 9))

		trunc := retAllow
		if s.noTruncate {
			trunc = retEPERM
		}
		assert.Equal(t, retAllow, call(unix.SYS_OPENAT, uint64(0xffffff9c), 0, unix.O_RDONLY))
		assert.Equal(t, trunc, call(unix.SYS_OPENAT, uint64(0xffffff9c), 0, unix.O_WRONLY|unix.O_TRUNC))
	}
}
