package main

import (
	"fmt"
	"runtime"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// auditArch is the AUDIT_ARCH value of this build's architecture.
var auditArch = map[string]uint32{
	"amd64": 0xc000003e, // AUDIT_ARCH_X86_64
	"arm64": 0xc00000b7, // AUDIT_ARCH_AARCH64
}

// denyInetSockets installs, on every thread, a seccomp filter that makes
// socket(AF_INET, ...) and socket(AF_INET6, ...) fail with EAFNOSUPPORT,
// and refuses system calls of any other architecture or ABI (x32), which
// this program never makes.
func denyInetSockets() error {
	arch, ok := auditArch[runtime.GOARCH]
	if !ok {
		return fmt.Errorf("no seccomp filter for %s", runtime.GOARCH)
	}
	const (
		offNr   = 0
		offArch = 4
		offArg0 = 16 // low 32 bits of args[0] (little-endian)
		deny    = unix.SECCOMP_RET_ERRNO | uint32(unix.EAFNOSUPPORT)
		refuse  = unix.SECCOMP_RET_ERRNO | uint32(unix.ENOSYS)
		allow   = unix.SECCOMP_RET_ALLOW
	)
	ld := func(off uint32) unix.SockFilter {
		return unix.SockFilter{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: off}
	}
	jeq := func(k uint32, jt, jf uint8) unix.SockFilter {
		return unix.SockFilter{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, K: k, Jt: jt, Jf: jf}
	}
	jge := func(k uint32, jt, jf uint8) unix.SockFilter {
		return unix.SockFilter{Code: unix.BPF_JMP | unix.BPF_JGE | unix.BPF_K, K: k, Jt: jt, Jf: jf}
	}
	ret := func(k uint32) unix.SockFilter { return unix.SockFilter{Code: unix.BPF_RET | unix.BPF_K, K: k} }
	prog := []unix.SockFilter{
		/* 0 */ ld(offArch),
		/* 1 */ jeq(arch, 1, 0),
		/* 2 */ ret(refuse),
		/* 3 */ ld(offNr),
		/* 4 */ jge(0x40000000, 0, 1), // x32 ABI
		/* 5 */ ret(refuse),
		/* 6 */ jeq(uint32(unix.SYS_SOCKET), 0, 3), // not socket: allow
		/* 7 */ ld(offArg0),
		/* 8 */ jeq(unix.AF_INET, 2, 0), // deny
		/* 9 */ jeq(unix.AF_INET6, 1, 0),
		/* 10 */ ret(allow),
		/* 11 */ ret(deny),
	}
	fprog := unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}
	_, _, errno := syscall.AllThreadsSyscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, 0, uintptr(unsafe.Pointer(&fprog)))
	if errno != 0 {
		return fmt.Errorf("seccomp: %w", errno)
	}
	return nil
}
