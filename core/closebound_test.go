package core

import (
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
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
	require.NoError(t, stopProcess(pid))
}

// stopProcess is sigstop for goroutines other than the test's (callbacks),
// where the test cannot be failed at once.
func stopProcess(pid int) error {
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		return err
	}
	for start := time.Now(); time.Since(start) < returnWithin; time.Sleep(5 * time.Millisecond) {
		threads, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/stat", pid))
		stopped := len(threads) > 0
		for _, th := range threads {
			if st, _, ok := readStat(th); !ok || (st != 'T' && st != 't') {
				stopped = false
			}
		}
		if stopped {
			return nil
		}
	}
	return fmt.Errorf("pid %d did not stop", pid)
}

// waitFor fails the test unless cond becomes true within returnWithin.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for start := time.Now(); !cond(); time.Sleep(time.Millisecond) {
		if time.Since(start) > returnWithin {
			t.Fatalf("%s: not within %v", what, returnWithin)
		}
	}
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
// not killed: only an unresponsive one is. The stop lasts until the test
// has seen close wait for the stopped daemon and the guard had time to
// sample it; the timeout is raised far above what any such stop can last
// (a machine that slow fails within anyway), so the outcome does not
// depend on the machine's load.
func TestCloseBriefStopIsNotKilled(t *testing.T) {
	old := unresponsiveTimeout
	unresponsiveTimeout = 10 * returnWithin
	t.Cleanup(func() { unresponsiveTimeout = old }) // after h's Close (cleanups run last first)
	h := newDaemonHandle(t)
	pid := stoppableDaemon(t, h)
	d := h.live.Load()
	got := warnings(t, h)
	sigstop(t, pid)
	closed := make(chan struct{})
	go func() {
		defer close(closed)
		h.Close()
	}()
	waitFor(t, "close waits for the stopped daemon", d.waiting.Load)
	time.Sleep(2 * guardInterval) // a sample more or less changes nothing
	require.NoError(t, syscall.Kill(pid, syscall.SIGCONT))
	within(t, "close", func() { <-closed })
	requireGone(t, pid)
	assert.Empty(t, got(), "the daemon was killed although it resumed")
}

// Close on another thread while launch runs, before launch has started
// the daemon (no daemon to watch yet), and the daemon then stops during
// launch's own round trips (internal_add_drive, internal_ready): launch is
// cancelled, the daemon killed once it stays idle, launch fails and close
// returns.
func TestCloseDuringLaunchStoppedDaemon(t *testing.T) {
	h := newDaemonHandle(t)
	require.NoError(t, h.AddDriveScratch(1<<20, nil))
	require.NoError(t, h.SetVerbose(true)) // the daemon's first log line is the hook to stop it
	closed := make(chan struct{})
	var noDaemonYet, cancelled atomic.Bool
	var stopErr atomic.Pointer[error]
	var pid atomic.Int64
	var enter, started sync.Once
	_, err := h.SetEventCallback(func(ev Event, _ int, buf []byte, _ []uint64) {
		switch {
		case ev == EventEnter && string(buf) == "launch":
			// On launch's thread, holding the lock, before the daemon
			// exists: close from another thread, and go on once it has
			// cancelled launch.
			enter.Do(func() {
				noDaemonYet.Store(h.live.Load() == nil)
				go func() {
					defer close(closed)
					h.Close()
				}()
				for start := time.Now(); time.Since(start) < returnWithin/3; time.Sleep(time.Millisecond) {
					if h.cancel.Cancelled() {
						cancelled.Store(true)
						return
					}
				}
			})
		case ev == EventAppliance && strings.Contains(string(buf), "guestfsd started") && cancelled.Load():
			// Inside launch's first round trip: the daemon is started.
			// (Not stopped when close did not cancel launch: the test
			// fails below instead of hanging.)
			started.Do(func() {
				p := h.live.Load().proc
				t.Cleanup(func() { p.Kill() })
				pid.Store(int64(p.Pid))
				err := stopProcess(p.Pid)
				stopErr.Store(&err)
			})
		}
	}, EventEnter|EventAppliance, 0)
	require.NoError(t, err)
	var lerr error
	within(t, "launch", func() { lerr = h.Launch() })
	require.True(t, noDaemonYet.Load())
	require.True(t, cancelled.Load(), "close on another thread did not cancel launch")
	require.NotNil(t, stopErr.Load(), "no log line from the daemon during launch")
	require.NoError(t, *stopErr.Load())
	require.ErrorIs(t, lerr, syscall.EIO)
	assert.Contains(t, lerr.Error(), "by the library")
	within(t, "close", func() { <-closed })
	requireGone(t, int(pid.Load()))
	assert.True(t, h.IsClosed())
}

// A second Close while the first is inside close's own shutdown round
// trip (the daemon is stopped, so it waits there): the second neither
// cancels that shutdown (a Cancel would be sent for the shutdown itself)
// nor watches the daemon too; it waits, and the first close's guard ends
// the shutdown.
func TestSecondCloseDuringShutdown(t *testing.T) {
	h := newDaemonHandle(t)
	pid := stoppableDaemon(t, h)
	d := h.live.Load()
	got := warnings(t, h)
	sigstop(t, pid)
	first := make(chan struct{})
	go func() {
		defer close(first)
		h.Close()
	}()
	waitFor(t, "the first close waits for the stopped daemon", d.waiting.Load)
	require.True(t, h.closing.Load())
	// What the second Close does before it waits for the handle.
	h.interruptForClose(false)()
	assert.False(t, h.cancel.Cancelled(), "the second close cancelled the first close's shutdown")
	within(t, "the second close", h.Close)
	within(t, "the first close", func() { <-first })
	requireGone(t, pid)
	w := got()
	require.Len(t, w, 1, "%q", w)
	assert.Contains(t, w[0], "by the library: waiting for shutdown, it sent nothing")
}

// A language binding's close while its call runs on another thread
// (InterruptForClose, then Close once the call has returned): the call is
// cancelled, the stopped daemon killed, the call fails with EIO; calls
// that start afterwards fail; Close then ends the guard it started.
func TestInterruptForCloseStoppedDaemon(t *testing.T) {
	h := newDaemonHandle(t)
	pid := stoppableDaemon(t, h)
	got := warnings(t, h)
	res := inFlight(t, h, "60")
	sigstop(t, pid)
	h.InterruptForClose()
	var err error
	within(t, "the cancelled call", func() { err = <-res })
	require.ErrorIs(t, err, syscall.EIO)
	assert.Contains(t, err.Error(), "by the library")
	requireGone(t, pid)
	_, err = h.ListDevices()
	assert.ErrorIs(t, err, ErrClosed)
	assert.Contains(t, err.Error(), "being closed by another thread")
	h.lock.mu.Lock()
	assert.NotNil(t, h.closeGuard, "the guard is kept for Close")
	h.lock.mu.Unlock()
	within(t, "close", h.Close)
	h.lock.mu.Lock()
	assert.Nil(t, h.closeGuard, "Close ended the guard")
	h.lock.mu.Unlock()
	w := got()
	require.Len(t, w, 1, "%q", w)
	assert.Contains(t, w[0], "close: the daemon (guestfsd, pid")
}

// InterruptForClose with no call in flight: nothing is cancelled or
// watched, the next call fails, and close shuts the daemon down cleanly.
func TestInterruptForCloseIdle(t *testing.T) {
	h := newDaemonHandle(t)
	pid := stoppableDaemon(t, h)
	got := warnings(t, h)
	h.InterruptForClose()
	assert.False(t, h.cancel.Cancelled())
	_, err := h.Debug("echo", []string{"x"})
	assert.ErrorIs(t, err, ErrClosed)
	within(t, "close", h.Close)
	requireGone(t, pid)
	assert.Empty(t, got())
}

// The guard's view of a process: a stopped one is idle, a spinning one busy.
func TestDaemonActivity(t *testing.T) {
	_, busy := daemonActivity(syscall.Getpid())
	assert.True(t, busy, "this test process is running")
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
