// Package sandbox confines the daemon before it parses anything: the
// drivers parse hostile images, some with C code, so the daemon must be
// able to touch nothing but the descriptors it holds.
//
// Apply, called once at start, leaves every thread of the process
// (including threads that C code started: it works in a cgo build) with:
//
//   - no_new_privs, and no capability: the bounding, ambient, inheritable,
//     permitted and effective sets are emptied, and the securebits keep uid
//     0 from regaining any at execve;
//   - a Landlock domain that handles every filesystem right the kernel's
//     ABI knows and grants none on the host except read and execute on
//     Options.Exec, handles TCP and UDP bind and connect with no port
//     granted unless Options.Network, and scopes abstract Unix sockets and
//     signals to the domain;
//   - a seccomp filter (see refused and buildFilter) that refuses socket
//     families but AF_INET/AF_INET6 with Options.Network (AF_UNIX only
//     where Landlock confines it), io_uring, bpf, ptrace, module, kexec,
//     mount and namespace calls, and what a process still uid 0 could do to
//     host files and processes of its uid that Landlock does not cover.
//
// Descriptors already held (the socket, the drives) are not affected.
// psx (with cgo) applies the per-thread state, prctl and capset, on every
// thread; syscall.AllThreadsSyscall refuses to run in a cgo program.
// go-landlock enforces Landlock through psx too (below ABI 8) and, in a
// cgo build, leaves /proc/PID/task listable, since psx lists it.
//
// Where the kernel has less: the bounding set can only be emptied with
// CAP_SETPCAP (root, or a user namespace of the daemon's own), else it
// stays, with a warning. Without Landlock's signal scope (ABI < 6) the
// filter keeps kill, tgkill and rt_(tg)sigqueueinfo to the process itself
// and refuses tkill and pidfd_send_signal, with a warning; below ABI 3 (no
// truncate right) it refuses opening with O_TRUNC; below ABI 9 it refuses
// socket(AF_UNIX), since Landlock cannot stop a connect to a pathname
// socket (socketpair(AF_UNIX) is always allowed). Without Landlock at all,
// a warning says the host filesystem is open.
package sandbox

import (
	"errors"
	"fmt"
	"os"
	"sync"
)

// Options says what the sandbox lets through.
type Options struct {
	// Network allows AF_INET and AF_INET6 sockets and TCP/UDP bind and
	// connect (set_network(true)). Without it socket(AF_INET{,6}) fails
	// with EAFNOSUPPORT.
	Network bool
	// Exec are host files (or directories, for what is beneath them) the
	// daemon may open for reading and execute: the tools it runs and what
	// they load (dynamic loader, libraries, /etc/ld.so.cache). Missing
	// paths are ignored. May be empty. A tool gets no other host path
	// either: its standard descriptors must be given (os/exec opens
	// /dev/null for nil ones) and what it writes goes to descriptors the
	// daemon holds.
	Exec []string
}

var (
	applyMu sync.Mutex
	applied *landlockResult
)

// Apply confines the process, every thread of it; it may be called once.
// It returns a warning for each part the kernel lacks, and an error only
// when a part that must work failed, after which the process must not go
// on to parse anything.
func Apply(o Options) (warnings []string, err error) {
	applyMu.Lock()
	defer applyMu.Unlock()
	if applied != nil {
		return nil, errors.New("sandbox: already applied")
	}
	// Capabilities first: dropping the bounding set needs CAP_SETPCAP.
	// Everything done through psx (which lists /proc/PID/task, a
	// directory go-landlock keeps readable for it) comes before the
	// seccomp filter, which refuses tkill where Landlock has no signal
	// scope.
	w, err := dropCapabilities()
	if err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	warnings = append(warnings, w...)
	ll, w, err := applyLandlock(o.Network, o.Exec)
	if err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	warnings = append(warnings, w...)
	pid := os.Getpid()
	spec := filterSpec{
		network:     o.Network,
		unixSockets: ll.abstractUnix && ll.resolveUnix,
		pid:         pid,
		noTruncate:  ll.abi > 0 && !ll.truncate,
	}
	if !ll.signalScope {
		spec.selfPID = pid
	}
	if err := seccompAvailable(); err != nil {
		warnings = append(warnings, fmt.Sprintf("the daemon has no seccomp filter: this kernel has none (%v), so every system call is open to it", err))
	} else if err := installFilter(spec); err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	applied = &ll
	return warnings, nil
}
