package sandbox

import "golang.org/x/sys/unix"

// auditArch is the only architecture the filter lets through: a system
// call through another ABI (int 0x80, i386) kills the process.
const auditArch = unix.AUDIT_ARCH_X86_64

// x32Bit marks the x32 ABI's system call numbers, refused the same way.
const x32Bit = 0x40000000

// archRefused are the refused calls that only this architecture has
// (arm64 has only their *at forms).
var archRefused = []uintptr{
	unix.SYS_CHMOD, unix.SYS_CHOWN, unix.SYS_LCHOWN,
	unix.SYS_UTIME, unix.SYS_UTIMES, unix.SYS_FUTIMESAT, unix.SYS_USELIB,
}

// openFlagsArg gives, for each system call that opens a path, the index
// of its flags argument.
var openFlagsArg = []openCall{{unix.SYS_OPEN, 1}, {unix.SYS_OPENAT, 2}}

// archCreat is creat, which always truncates.
var archCreat = []uintptr{unix.SYS_CREAT}
