// Command guestfsd is the goguestfs daemon. The library starts one per
// launched handle with the library's end of a socketpair as descriptor 3;
// it needs no other access to the host: the drives arrive as descriptors.
//
// At start, before it receives any drive, it sets RLIMIT_DATA from
// -memsize and sandboxes itself (package sandbox: no capabilities,
// no_new_privs, Landlock, a seccomp filter, on every thread; AF_INET and
// AF_INET6 sockets only with -network), then serves the protocol until the
// library shuts it down or disappears (end of the socket, or its parent
// process exits), flushing the drives before it exits. It opens no host
// path after the sandbox is applied.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"goguestfs/daemon/fstools"
	"goguestfs/daemon/sandbox"
	"goguestfs/daemon/server"
	"goguestfs/protocol"
)

// socketFD is the descriptor of the library's socket.
const socketFD = 3

// spinTime is how long the daemon and the library busy-wait for the next
// message before they block: a process wake-up costs tens of microseconds
// on a virtual machine, several times a trivial action.
const spinTime = 100 * time.Microsecond

func main() {
	os.Exit(run())
}

func run() int {
	parent := flag.Int("parent", 0, "pid of the library process to watch")
	memsize := flag.Int("memsize", 0, "memory limit in MiB (RLIMIT_DATA)")
	verbose := flag.Bool("verbose", false, "send log lines to the library")
	network := flag.Bool("network", false, "allow AF_INET and AF_INET6 sockets (set_network(true))")
	testProgress := flag.String("test-progress", "", "test only: DELAY_MS,INTERVAL_MS of the progress rule")
	appendArg := flag.String("append", "", "extra options (logged)")
	flag.Parse()

	// Ctrl-C in the caller's terminal reaches the daemon too unless pgroup
	// is set; the library cancels calls itself, so ignore it.
	signal.Ignore(syscall.SIGINT, syscall.SIGQUIT, syscall.SIGHUP, syscall.SIGPIPE)

	var warnings []string
	if *memsize > 0 {
		lim := uint64(*memsize) << 20
		if err := unix.Setrlimit(unix.RLIMIT_DATA, &unix.Rlimit{Cur: lim, Max: lim}); err != nil {
			warnings = append(warnings, fmt.Sprintf("the daemon could not set RLIMIT_DATA to %d MiB: %v", *memsize, err))
		}
	}
	// The sandbox closes before the first drive arrives (over the socket,
	// as descriptors). When part of it that must work failed, the daemon
	// says so in a WARNING line and stops without serving.
	w, sandboxErr := sandbox.Apply(sandbox.Options{Network: *network, Exec: fstools.ExecPaths()})
	warnings = append(warnings, w...)
	cfg := server.Config{Verbose: *verbose, PollFD: socketFD, Spin: spinTime}
	if *testProgress != "" {
		d, i, ok := strings.Cut(*testProgress, ",")
		dm, err1 := strconv.Atoi(d)
		im, err2 := strconv.Atoi(i)
		if !ok || err1 != nil || err2 != nil {
			fmt.Fprintf(os.Stderr, "guestfsd: -test-progress %q: want DELAY_MS,INTERVAL_MS\n", *testProgress)
			return 2
		}
		cfg.ProgressDelay, cfg.ProgressInterval = time.Duration(dm)*time.Millisecond, time.Duration(im)*time.Millisecond
	}

	// sock stays open: the server polls it (never reads it) to spin
	// briefly for the next call.
	sock := os.NewFile(socketFD, "socket")
	conn, err := protocol.FileConn(sock)
	if err != nil {
		fmt.Fprintf(os.Stderr, "guestfsd: descriptor %d: %v\n", socketFD, err)
		return 2
	}
	groups, devs := backend()
	srv := server.New(conn, groups, devs, cfg)
	if *parent > 0 {
		if err := watchParent(*parent, conn); err != nil {
			fmt.Fprintf(os.Stderr, "guestfsd: %v\n", err)
			return 2
		}
	}
	// SIGTERM: end like a vanished caller (finish the call, flush, exit).
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM)
	go func() {
		<-term
		conn.Close()
	}()
	srv.Prelude(func() {
		for _, w := range warnings {
			srv.Warnf("%s", w)
		}
		if sandboxErr != nil {
			srv.Warnf("the daemon stops: %v", sandboxErr)
			conn.Close()
			return
		}
		srv.Logf("guestfsd started, pid %d, memsize %d MiB, append %q", os.Getpid(), *memsize, *appendArg)
	})
	err = srv.Serve()
	// The server polls sock's descriptor; without this, the garbage
	// collector may finalize sock (closing the descriptor) once FileConn
	// has duplicated it, and the poll then fails with POLLNVAL.
	runtime.KeepAlive(sock)
	switch {
	case err == nil, errors.Is(err, server.ErrShutdown), errors.Is(err, io.EOF):
		return 0
	}
	fmt.Fprintf(os.Stderr, "guestfsd: %v\n", err)
	return 1
}

// watchParent closes conn when process pid exits, so that Serve ends as if
// the socket had closed even when a forked child of the caller still holds
// the caller's end.
func watchParent(pid int, conn *protocol.Conn) error {
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		if err == unix.ESRCH {
			return fmt.Errorf("the calling process %d is already gone", pid)
		}
		// No pidfd (old kernel): the socket alone tells.
		return nil
	}
	if os.Getppid() != pid {
		unix.Close(fd)
		return fmt.Errorf("the calling process %d is already gone", pid)
	}
	go func() {
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		for {
			_, err := unix.Poll(fds, -1)
			if err == unix.EINTR {
				continue
			}
			break
		}
		conn.Close()
	}()
	return nil
}
