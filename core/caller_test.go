package core

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// callerMain is the test binary acting as a caller that gets killed: it
// launches a handle on the image GOGUESTFS_TEST_CALLER names, writes a
// marker with pwrite_device, prints the daemon's pid and waits to die.
func callerMain() int {
	h, err := callerHandle(os.Getenv("GOGUESTFS_TEST_CALLER"))
	if err == nil {
		_, err = h.PwriteDevice("/dev/sda", []byte("acknowledged write"), 4096)
	}
	if err != nil {
		fmt.Println("error:", err)
		return 1
	}
	fmt.Println(h.daemon.proc.Pid)
	time.Sleep(time.Hour)
	return 0
}

// callerHandle is the handle of a test binary acting as a caller: it
// finds the daemon GOGUESTFS_TEST_DAEMON_DIR names and is launched on the
// image img.
func callerHandle(img string) (*Handle, error) {
	path := os.Getenv("GOGUESTFS_TEST_DAEMON_DIR")
	h, err := New(Options{NoEnvironment: true})
	if err == nil {
		err = h.SetPath(&path)
	}
	if err == nil {
		err = h.AddDrive(img)
	}
	if err == nil {
		err = h.Launch()
	}
	return h, err
}

// startCaller runs the test binary as a caller (callerMain or writerMain,
// chosen by the environment variable role) on img, and returns it, a
// scanner of what it prints after the daemon's pid, and that pid.
func startCaller(t *testing.T, role, img string) (*exec.Cmd, *bufio.Scanner, int) {
	t.Helper()
	self, err := os.Executable()
	require.NoError(t, err)
	cmd := exec.Command(self, "-test.run=^$")
	cmd.Env = append(os.Environ(), role+"="+img, "GOGUESTFS_TEST_DAEMON_DIR="+daemonDir)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Start())
	r := bufio.NewScanner(out)
	require.True(t, r.Scan(), "the caller printed nothing")
	pid, err := strconv.Atoi(strings.TrimSpace(r.Text()))
	require.NoError(t, err, "caller said %q", r.Text())
	return cmd, r, pid
}

// TestCallerDeath kills the caller with SIGKILL after an acknowledged
// write: the daemon must exit on its own and the write must be in the
// image.
func TestCallerDeath(t *testing.T) {
	img := image(t, 8<<20)
	cmd, _, pid := startCaller(t, "GOGUESTFS_TEST_CALLER", img)
	require.NoError(t, cmd.Process.Kill())
	cmd.Wait()
	assert.True(t, daemonGone(pid), "the daemon (pid %d) outlived its caller", pid)
	b, err := os.ReadFile(img)
	require.NoError(t, err)
	assert.Equal(t, "acknowledged write", string(b[4096:4096+18]))
}

// daemonGone waits up to 10 s for the daemon pid, whose caller was killed,
// to exit, and reports whether it did. The daemon is the caller's child:
// once the caller is gone it is reparented (to init or a subreaper,
// possibly this test process) and must exit by itself; it is reaped here
// if it became ours.
func daemonGone(pid int) bool {
	for i := 0; i < 500; i++ {
		var ws syscall.WaitStatus
		if wpid, _ := syscall.Wait4(pid, &ws, syscall.WNOHANG, nil); wpid == pid {
			return true
		}
		if err := syscall.Kill(pid, 0); err == syscall.ESRCH {
			return true
		}
		if st, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil && strings.Contains(string(st), ") Z ") {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}
