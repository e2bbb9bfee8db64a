package sandbox

import (
	"fmt"
	"strings"

	"github.com/landlock-lsm/go-landlock/landlock"
	ll "github.com/landlock-lsm/go-landlock/landlock/syscall"
)

// landlockABI returns the Landlock ABI version the kernel offers, as
// go-landlock counts it: 0 without Landlock, and 5 for a kernel with ABI 6
// or later whose signal scoping lacks the fix for threads (erratum 2),
// since go-landlock then leaves the scopes out.
func landlockABI() int {
	v, err := ll.LandlockGetABIVersion()
	if err != nil || v < 0 {
		return 0
	}
	if v >= 6 {
		if errata, err := ll.LandlockGetErrata(); err != nil || errata&0x2 == 0 {
			v = 5
		}
	}
	return v
}

// landlockResult is what the Landlock domain covers.
type landlockResult struct {
	abi          int
	signalScope  bool // signals to processes outside the domain refused
	abstractUnix bool // abstract Unix sockets outside the domain unreachable
	resolveUnix  bool // pathname Unix sockets unreachable (no rule grants it)
	truncate     bool // truncating files handled
}

// applyLandlock restricts every thread: every filesystem right the kernel
// knows is handled and granted only as read and execute on exec's paths;
// TCP (and, from ABI 10, UDP) bind and connect are handled, with no port
// granted, unless network; both IPC scopes are used. go-landlock enforces
// it on every thread with psx below ABI 8 and with
// LANDLOCK_RESTRICT_SELF_TSYNC from ABI 8.
func applyLandlock(network bool, exec []string) (landlockResult, []string, error) {
	r := landlockResult{abi: landlockABI()}
	if r.abi == 0 {
		return r, []string{"the daemon is not sandboxed from the host filesystem: this kernel has no Landlock"}, nil
	}
	cfg := landlock.V11
	if network {
		cfg.HandledAccessNet = 0
	}
	var rules []landlock.Rule
	if len(exec) > 0 {
		rules = append(rules, landlock.PathAccess(ll.AccessFSReadFile|ll.AccessFSExecute, exec...).IgnoreIfMissing())
	}
	if err := cfg.BestEffort().Restrict(rules...); err != nil {
		return r, nil, fmt.Errorf("landlock: %w", err)
	}
	r.signalScope = r.abi >= 6
	r.abstractUnix = r.abi >= 6
	r.resolveUnix = r.abi >= 9
	r.truncate = r.abi >= 3
	var w []string
	if !r.signalScope {
		w = append(w, fmt.Sprintf("this kernel's Landlock (ABI %d) has no signal scope: the seccomp filter refuses signals to any other process instead, so the daemon cannot signal the tools it runs", r.abi))
	}
	return r, w, nil
}

// String describes the domain for Probe.
func (r landlockResult) String() string {
	if r.abi == 0 {
		return "none"
	}
	var scopes []string
	if r.abstractUnix {
		scopes = append(scopes, "abstract_unix_socket")
	}
	if r.signalScope {
		scopes = append(scopes, "signal")
	}
	if len(scopes) == 0 {
		scopes = append(scopes, "none")
	}
	return fmt.Sprintf("ABI %d, scopes %s", r.abi, strings.Join(scopes, ","))
}
