package core

import (
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// These tests stop the daemon (SIGSTOP) and check that close, shutdown and
// a cancelled call still end (the library kills the daemon: see
// unresponsiveTimeout), and that the daemon is gone afterwards. They bound
// nothing but "returns at all": returnWithin is far above the documented
// bound, so a slow machine does not fail them.
const returnWithin = 90 * time.Second

// stoppableDaemon launches h and returns its daemon's pid; the daemon is
// killed at the end of the test whatever happens.
func stoppableDaemon(t *testing.T, h *Handle) int {
	t.Helper()
	require.NoError(t, h.Launch())
	p := h.daemon.proc
	t.Cleanup(func() { p.Kill() }) // by pidfd: never another process
	return p.Pid
}

// warnings records the WARNING events of h.
func warnings(t *testing.T, h *Handle) func() []string {
	var mu sync.Mutex
	var got []string
	_, err := h.SetEventCallback(func(_ Event, _ int, buf []byte, _ []uint64) {
		mu.Lock()
		got = append(got, string(buf))
		mu.Unlock()
	}, EventWarning, 0)
	require.NoError(t, err)
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), got...)
	}
}

// within runs fn in a goroutine and fails the test unless it returns
// within returnWithin.
func within(t *testing.T, what string, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	select {
	case <-done:
	case <-time.After(returnWithin):
		t.Fatalf("%s did not return within %v", what, returnWithin)
	}
}

// sigstop stops process pid and waits until every thread of it is stopped
// (kill returns before they all are).
func sigstop(t *testing.T, pid int) {
	t.Helper()
	require.NoError(t, syscall.Kill(pid, syscall.SIGSTOP))
	for start := time.Now(); time.Since(start) < returnWithin; time.Sleep(5 * time.Millisecond) {
		threads, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/stat", pid))
		stopped := len(threads) > 0
		for _, th := range threads {
			if st, _, ok := readStat(th); !ok || (st != 'T' && st != 't') {
				stopped = false
			}
		}
		if stopped {
			return
		}
	}
	t.Fatalf("pid %d did not stop", pid)
}

func requireGone(t *testing.T, pid int) {
	t.Helper()
	assert.ErrorIs(t, syscall.Kill(pid, 0), syscall.ESRCH, "the daemon (pid %d) is still there", pid)
}

// inFlight starts debug("progress", [secs]) on its own goroutine (so on
// another OS thread) and returns once its first PROGRESS event arrived,
// with a channel that gets the call's error.
func inFlight(t *testing.T, h *Handle, secs string) <-chan error {
	t.Helper()
	started := make(chan struct{})
	var once sync.Once
	_, err := h.SetEventCallback(func(Event, int, []byte, []uint64) {
		once.Do(func() { close(started) })
	}, EventProgress, 0)
	require.NoError(t, err)
	res := make(chan error, 1)
	go func() {
		_, err := h.Debug("progress", []string{secs})
		res <- err
	}()
	select {
	case <-started:
	case <-time.After(returnWithin):
		t.Fatal("no progress from debug progress")
	}
	return res
}

func TestCloseStoppedIdleDaemon(t *testing.T) {
	h := newDaemonHandle(t)
	require.NoError(t, h.AddDriveScratch(1<<20, nil))
	pid := stoppableDaemon(t, h)
	got := warnings(t, h)
	quit := recordEvents(t, h, EventSubprocessQuit|EventClose)
	sigstop(t, pid)
	within(t, "close", h.Close)
	requireGone(t, pid)
	w := got()
	require.Len(t, w, 1, "one WARNING saying the daemon was killed: %q", w)
	assert.Contains(t, w[0], "close: the daemon (guestfsd, pid")
	assert.Contains(t, w[0], "was killed by signal 9 (killed) by the library: waiting for shutdown, it sent nothing and did no work for 5s")
	assert.Equal(t, []string{"subprocess_quit", "close"}, *quit)
}

func TestShutdownStoppedIdleDaemon(t *testing.T) {
	h := newDaemonHandle(t)
	pid := stoppableDaemon(t, h)
	sigstop(t, pid)
	var err error
	within(t, "shutdown", func() { err = h.Shutdown() })
	require.ErrorIs(t, err, syscall.EIO)
	assert.True(t, strings.HasPrefix(err.Error(), "shutdown: the daemon (guestfsd, pid "), err.Error())
	assert.Contains(t, err.Error(), "killed by signal 9 (killed) by the library")
	requireGone(t, pid)
	got := warnings(t, h)
	within(t, "close", h.Close)
	assert.Empty(t, got(), "shutdown reported the kill already")
}

// A call in flight whose daemon is then stopped: user_cancel ends it (the
// daemon is killed, the call fails with EIO), and the handle closes.
func TestUserCancelStoppedDaemon(t *testing.T) {
	h := newDaemonHandle(t)
	pid := stoppableDaemon(t, h)
	res := inFlight(t, h, "60")
	sigstop(t, pid)
	h.UserCancel()
	var err error
	within(t, "the cancelled call", func() { err = <-res })
	require.ErrorIs(t, err, syscall.EIO)
	assert.Contains(t, err.Error(), "debug: the daemon (guestfsd, pid")
	assert.Contains(t, err.Error(), "by the library: waiting for the cancel of debug, it sent nothing and did no work for 5s")
	assert.Contains(t, err.Error(), "can only be closed")
	requireGone(t, pid)
	_, err = h.ListDevices()
	assert.ErrorIs(t, err, syscall.EIO)
	got := warnings(t, h)
	within(t, "close", h.Close)
	assert.Empty(t, got(), "the failed call reported the kill already")
}

// Close on another thread while a call waits for a stopped daemon: the
// call is cancelled, the daemon killed, close returns and says so.
func TestCloseFromOtherThreadStoppedDaemon(t *testing.T) {
	h := newDaemonHandle(t)
	pid := stoppableDaemon(t, h)
	got := warnings(t, h)
	res := inFlight(t, h, "60")
	sigstop(t, pid)
	within(t, "close", h.Close)
	requireGone(t, pid)
	err := <-res
	require.ErrorIs(t, err, syscall.EIO)
	assert.Contains(t, err.Error(), "by the library")
	w := got()
	require.Len(t, w, 1, "%q", w)
	assert.Contains(t, w[0], "close: the daemon (guestfsd, pid")
	assert.Contains(t, w[0], "by the library")
	assert.True(t, h.IsClosed())
}

// Close on another thread while a call runs on a live daemon: the call is
// cancelled (EINTR), the daemon shuts down cleanly, nothing is killed.
func TestCloseFromOtherThreadLiveDaemon(t *testing.T) {
	h := newDaemonHandle(t)
	pid := stoppableDaemon(t, h)
	got := warnings(t, h)
	res := inFlight(t, h, "600")
	within(t, "close", h.Close)
	err := <-res
	require.ErrorIs(t, err, syscall.EINTR)
	requireGone(t, pid)
	assert.Empty(t, got())
	// Once closed, calls fail.
	_, err = h.ListDevices()
	assert.ErrorIs(t, err, ErrClosed)
}

// A daemon that is stopped for a moment during close and then resumes is
// not killed: only an unresponsive one is.
func TestCloseBriefStopIsNotKilled(t *testing.T) {
	h := newDaemonHandle(t)
	pid := stoppableDaemon(t, h)
	got := warnings(t, h)
	sigstop(t, pid)
	go func() {
		time.Sleep(time.Second)
		syscall.Kill(pid, syscall.SIGCONT)
	}()
	within(t, "close", h.Close)
	requireGone(t, pid)
	assert.Empty(t, got(), "the daemon was killed although it resumed")
}

// The guard's view of a process: a stopped one is idle, a spinning one busy.
func TestDaemonActivity(t *testing.T) {
	ticks, busy := daemonActivity(syscall.Getpid())
	assert.True(t, busy, "this test process is running")
	_ = ticks
	_, busy = daemonActivity(1 << 30) // no such process: unknown counts as busy
	assert.True(t, busy)
	h := newDaemonHandle(t)
	pid := stoppableDaemon(t, h)
	sigstop(t, pid)
	time.Sleep(100 * time.Millisecond)
	t1, busy := daemonActivity(pid)
	assert.False(t, busy, "a stopped daemon")
	time.Sleep(300 * time.Millisecond)
	t2, _ := daemonActivity(pid)
	assert.Equal(t, t1, t2, "a stopped daemon uses no CPU time")
	require.NoError(t, syscall.Kill(pid, syscall.SIGCONT))
	h.Close()
}
