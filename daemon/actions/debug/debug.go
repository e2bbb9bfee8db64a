// Package debug implements the daemon's debug group: commands for tests.
package debug

import (
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"goguestfs/daemon/errno"
	"goguestfs/daemon/sandbox"
	"goguestfs/daemon/server"
)

// Actions is the debug group. It keeps no state.
type Actions struct{}

// New returns the debug group.
func New() *Actions { return &Actions{} }

var _ server.DebugActions = (*Actions)(nil)

// subcommands are the debug subcommands, by name.
var subcommands = map[string]func(c *server.Call, args []string) (string, error){
	"echo":     echo,
	"progress": progress,
	"sandbox":  probeSandbox,
}

// Debug runs a debug subcommand.
func (a *Actions) Debug(c *server.Call, subcmd string, extraargs []string) (string, error) {
	run, ok := subcommands[subcmd]
	if !ok {
		names := make([]string, 0, len(subcommands))
		for n := range subcommands {
			names = append(names, n)
		}
		slices.Sort(names)
		return "", errno.New(syscall.EINVAL, "%s: unknown debug subcommand (known: %s)", errno.Cut(subcmd), strings.Join(names, ", "))
	}
	return run(c, extraargs)
}

// echo returns its arguments joined by spaces: a trivial round trip.
func echo(c *server.Call, args []string) (string, error) { return strings.Join(args, " "), nil }

// probeSandbox tries, from inside the daemon, what its sandbox must
// refuse (opening a host path, an AF_INET socket, io_uring, kill(1, 0),
// ...) and returns one line per attempt: "WHAT: ok" or "WHAT: ERRNO".
func probeSandbox(c *server.Call, args []string) (string, error) { return sandbox.Probe(), nil }

// progress runs for args[0] seconds (default 5), reporting progress, until
// done or cancelled.
func progress(c *server.Call, args []string) (string, error) {
	secs := 5
	if len(args) > 0 {
		n, err := strconv.Atoi(args[0])
		if err != nil || n < 0 || n > 3600 {
			return "", errno.New(syscall.EINVAL, "progress: %q: seconds must be a number from 0 to 3600", errno.Cut(args[0]))
		}
		secs = n
	}
	total := uint64(secs) * 1000
	start := time.Now()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		pos := uint64(time.Since(start).Milliseconds())
		if pos >= total {
			c.Progress(total, total)
			return "ok", nil
		}
		c.Progress(pos, total)
		select {
		case <-c.Ctx.Done():
			return "", c.Cancelled()
		case <-tick.C:
		}
	}
}
