package core

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Design section 6: a write that returned is in the image once the daemon
// has flushed, and the daemon flushes when its caller dies; a daemon that
// dies itself may lose what was written since the last sync, never what
// came before it, and e2fsck -fy repairs the rest.

// ext4Image makes an image holding an ext4 filesystem made by the host's
// mkfs.ext4.
func ext4Image(t *testing.T, size int64) string {
	t.Helper()
	img := image(t, size)
	out, err := exec.Command("mkfs.ext4", "-q", "-F", img).CombinedOutput()
	require.NoError(t, err, "%s", out)
	return img
}

// durableContent is what the writers put in file i.
func durableContent(i int) []byte {
	return []byte(strings.Repeat(fmt.Sprintf("file %d ", i), 1+i%300))
}

// writerMain is the test binary acting as a caller that is killed in the
// middle of a write burst: it mounts the ext4 image GOGUESTFS_TEST_WRITER
// names, prints the daemon's pid, then writes /f0, /f1, ... printing
// "ack N" after each write returns, until it is killed.
func writerMain() int {
	h, err := callerHandle(os.Getenv("GOGUESTFS_TEST_WRITER"))
	if err == nil {
		err = h.Mount("/dev/sda", "/")
	}
	if err != nil {
		fmt.Println("error:", err)
		return 1
	}
	fmt.Println(h.daemon.proc.Pid)
	for i := 0; ; i++ {
		if err := h.Write(fmt.Sprintf("/f%d", i), durableContent(i)); err != nil {
			fmt.Println("error:", err)
			return 1
		}
		fmt.Println("ack", i)
	}
}

// e2fsck runs e2fsck with args on img and returns its exit status and
// output.
func e2fsck(t *testing.T, img string, args ...string) (int, string) {
	t.Helper()
	out, err := exec.Command("e2fsck", append(args, img)...).CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), string(out)
	}
	require.NoError(t, err)
	return 0, string(out)
}

// checkFiles opens img in a new handle, read-only, and checks that /f0 ...
// /f(n-1) hold what the writers wrote.
func checkFiles(t *testing.T, img string, n int) {
	t.Helper()
	h := newDaemonHandle(t)
	require.NoError(t, h.AddDriveRO(img))
	require.NoError(t, h.Launch())
	require.NoError(t, h.MountRO("/dev/sda", "/"))
	for i := 0; i < n; i++ {
		b, err := h.ReadFile(fmt.Sprintf("/f%d", i))
		require.NoError(t, err, "acknowledged file %d of %d", i, n)
		require.Equal(t, durableContent(i), b, "file %d", i)
	}
}

// TestCallerKilledDuringWrites kills the caller with SIGKILL in the middle
// of a burst of writes: every write it was told had succeeded is in the
// image, which e2fsck finds clean.
func TestCallerKilledDuringWrites(t *testing.T) {
	img := ext4Image(t, 64<<20)
	cmd, r, pid := startCaller(t, "GOGUESTFS_TEST_WRITER", img)
	acked := -1
	for r.Scan() && acked < 300 {
		line := r.Text()
		require.True(t, strings.HasPrefix(line, "ack "), "writer said %q", line)
		var err error
		acked, err = strconv.Atoi(strings.TrimPrefix(line, "ack "))
		require.NoError(t, err)
	}
	require.NoError(t, cmd.Process.Kill())
	cmd.Wait()
	require.True(t, daemonGone(pid), "the daemon (pid %d) outlived its caller", pid)
	code, out := e2fsck(t, img, "-fn")
	assert.Equal(t, 0, code, "e2fsck -fn after the caller's death:\n%s", out)
	checkFiles(t, img, acked+1)
}

// TestDaemonKilledDuringWrites kills the daemon itself with SIGKILL during
// a burst of writes after a sync: e2fsck -fy must leave the filesystem
// clean and nothing written before the sync may be lost. What e2fsck
// found and how many later writes were lost is logged (go test -v).
func TestDaemonKilledDuringWrites(t *testing.T) {
	img := ext4Image(t, 64<<20)
	h := newDaemonHandle(t)
	require.NoError(t, h.AddDrive(img))
	require.NoError(t, h.Launch())
	require.NoError(t, h.Mount("/dev/sda", "/"))
	const synced = 200
	for i := 0; i < synced; i++ {
		require.NoError(t, h.Write(fmt.Sprintf("/f%d", i), durableContent(i)))
	}
	require.NoError(t, h.Sync())
	proc := h.daemon.proc
	acked := synced
	killed := make(chan struct{})
	go func() {
		time.Sleep(50 * time.Millisecond)
		proc.Kill()
		close(killed)
	}()
	for i := synced; ; i++ {
		if err := h.Write(fmt.Sprintf("/f%d", i), durableContent(i)); err != nil {
			break
		}
		acked = i + 1
	}
	<-killed
	h.Close()
	code, out := e2fsck(t, img, "-fn")
	t.Logf("e2fsck -fn after SIGKILL of the daemon (%d writes acknowledged, %d before the sync): status %d\n%s",
		acked, synced, code, out)
	code, out = e2fsck(t, img, "-fy")
	assert.LessOrEqual(t, code, 1, "e2fsck -fy must repair everything:\n%s", out)
	code, out = e2fsck(t, img, "-fn")
	require.Equal(t, 0, code, "clean after e2fsck -fy:\n%s", out)
	checkFiles(t, img, synced)
	lost := 0
	h2 := newDaemonHandle(t)
	require.NoError(t, h2.AddDriveRO(img))
	require.NoError(t, h2.Launch())
	require.NoError(t, h2.MountRO("/dev/sda", "/"))
	for i := synced; i < acked; i++ {
		if b, err := h2.ReadFile(fmt.Sprintf("/f%d", i)); err != nil || string(b) != string(durableContent(i)) {
			lost++
		}
	}
	t.Logf("writes after the sync: %d acknowledged, %d lost or damaged", acked-synced, lost)
}
