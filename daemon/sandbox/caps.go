package sandbox

import (
	"errors"
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
	"kernel.org/pub/linux/libs/security/libcap/psx"
)

// Securebits (linux/securebits.h): uid 0 gains no capability at execve,
// ambient capabilities cannot be raised again, and keep-caps stays off,
// each locked.
const (
	secbitNoroot                  = 1 << 0
	secbitNorootLocked            = 1 << 1
	secbitKeepCapsLocked          = 1 << 5
	secbitNoCapAmbientRaise       = 1 << 6
	secbitNoCapAmbientRaiseLocked = 1 << 7

	securebits = secbitNoroot | secbitNorootLocked | secbitKeepCapsLocked |
		secbitNoCapAmbientRaise | secbitNoCapAmbientRaiseLocked
)

// allThreadsPrctl runs prctl on every thread of the process, including
// the threads C code started: psx signals each one (with cgo; without,
// it is syscall.AllThreadsSyscall6).
func allThreadsPrctl(option int, arg2, arg3 uintptr) error {
	_, _, e := psx.Syscall6(unix.SYS_PRCTL, uintptr(option), arg2, arg3, 0, 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

// capabilities returns the calling thread's capability sets.
func capabilities() ([2]unix.CapUserData, error) {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	err := unix.Capget(&hdr, &data[0])
	return data, err
}

func hasEffective(data [2]unix.CapUserData, c int) bool {
	return data[c/32].Effective&(1<<(c%32)) != 0
}

// boundingSet returns the capabilities left in the calling thread's
// bounding set.
func boundingSet() (left []int) {
	for c := 0; c < 64; c++ {
		in, err := unix.PrctlRetInt(unix.PR_CAPBSET_READ, uintptr(c), 0, 0, 0)
		if err != nil { // EINVAL: past the kernel's last capability
			break
		}
		if in == 1 {
			left = append(left, c)
		}
	}
	return left
}

// dropCapabilities sets no_new_privs and empties every capability set
// (bounding, ambient, inheritable, permitted, effective) of every thread.
// The bounding set can only be emptied with CAP_SETPCAP in the process's
// user namespace (root, or a user namespace of its own): without it, it is
// left as it is, with a warning; no_new_privs keeps any execve from
// gaining a capability through it.
func dropCapabilities() (warnings []string, err error) {
	if err := allThreadsPrctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0); err != nil {
		return nil, fmt.Errorf("prctl(PR_SET_NO_NEW_PRIVS): %w", err)
	}
	caps, err := capabilities()
	if err != nil {
		return nil, fmt.Errorf("capget: %w", err)
	}
	setpcap := hasEffective(caps, unix.CAP_SETPCAP)
	if setpcap {
		// Best effort: the bits may already be locked to other values.
		allThreadsPrctl(unix.PR_SET_SECUREBITS, securebits, 0)
	}
	// The bounding set first: dropping from it needs CAP_SETPCAP, which
	// the capset below removes.
	var dropErr error
	for _, c := range boundingSet() {
		if err := allThreadsPrctl(unix.PR_CAPBSET_DROP, uintptr(c), 0); err != nil {
			dropErr = err
			break
		}
	}
	if left := boundingSet(); len(left) > 0 {
		if setpcap || !errors.Is(dropErr, unix.EPERM) {
			return nil, fmt.Errorf("prctl(PR_CAPBSET_DROP): %d capabilities left in the bounding set: %v", len(left), dropErr)
		}
		warnings = append(warnings, "the daemon keeps its capability bounding set: it was started without CAP_SETPCAP (neither as root nor in a user namespace of its own); it has no capability and no_new_privs keeps it from gaining one")
	}
	if err := allThreadsPrctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0); err != nil && err != unix.EINVAL {
		return nil, fmt.Errorf("prctl(PR_CAP_AMBIENT_CLEAR_ALL): %w", err)
	}
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var empty [2]unix.CapUserData
	if _, _, e := psx.Syscall3(unix.SYS_CAPSET, uintptr(unsafe.Pointer(&hdr)), uintptr(unsafe.Pointer(&empty[0])), 0); e != 0 {
		return nil, fmt.Errorf("capset: %w", e)
	}
	if caps, err = capabilities(); err != nil {
		return nil, fmt.Errorf("capget: %w", err)
	}
	if caps != empty {
		return nil, fmt.Errorf("capabilities left after capset: %+v", caps)
	}
	return warnings, nil
}
