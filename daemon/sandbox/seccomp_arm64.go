package sandbox

import "golang.org/x/sys/unix"

// auditArch is the only architecture the filter lets through: a system
// call through another ABI (AArch32) kills the process.
const auditArch = unix.AUDIT_ARCH_AARCH64

// x32Bit is 0: arm64 has no x32-like ABI in its system call numbers.
const x32Bit = 0

// archRefused are the refused calls that only this architecture has:
// none (arm64 has no legacy calls such as amd64's uselib or iopl).
var archRefused []uintptr

// openFlagsArg gives, for each system call that opens a path, the index
// of its flags argument.
var openFlagsArg = []openCall{{unix.SYS_OPENAT, 2}}

// archCreat is creat, which arm64 does not have.
var archCreat []uintptr
