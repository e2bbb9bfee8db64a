package core

import (
	"archive/tar"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// Regression (found in review; now fixed): copy_out's host extractor sets a directory member's mode at the
// end (extractTree's loop over x.dirs, copyinout.go:298, attrs at :466 with
// unix.Chmod, which follows links). A stream whose directory "d/" is then
// replaced by a symbolic link "d" to a host file makes the library chmod
// that host file, outside localdir: expected the victim to keep 0600,
// actual 0777. (The stream comes from the appliance, which libguestfs
// treats as untrusted.)
func TestReviewExtractTreeDirThenSymlinkChmodsOutside(t *testing.T) {
	outside := t.TempDir()
	victim := filepath.Join(outside, "victim")
	require.NoError(t, os.WriteFile(victim, []byte("host secret"), 0o600))
	root := filepath.Join(t.TempDir(), "root")
	require.NoError(t, os.Mkdir(root, 0o755))
	stream := hostileStream(t,
		tar.Header{Typeflag: tar.TypeDir, Name: "d/", Mode: 0o777, ModTime: time.Unix(1000000000, 0)},
		tar.Header{Typeflag: tar.TypeSymlink, Name: "d", Linkname: victim, Mode: 0o777, ModTime: time.Unix(1000000000, 0)})
	_ = extractTree(stream, root) // refusing it is fine; touching victim is not
	fi, err := os.Stat(victim)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), "a host file outside localdir was chmodded")
}

// Regression (found in review; now fixed): a download into a blocking pipe (one made by pipe(2), not Go's
// non-blocking os.Pipe) can get stuck in write(2) where no cancel reaches
// it: hostio.Writer.room (hostio.go:301-306) computes the room as the pipe's
// size less the bytes queued, but a pipe holds at most one page per slot,
// so after a read that leaves a partly consumed slot the write it allows
// does not fit and blocks. Expected user_cancel to end the download with
// EINTR, as it does for a pipe that is simply stuck; actual the call hangs
// until the reader reads again. (The 20 s limit only keeps the test from
// hanging forever.)
func TestReviewDownloadBlockingPipeCancel(t *testing.T) {
	h, img := extHandle(t, 64<<20, func() *Handle { return newDaemonHandle(t) })
	src := randomFile(t, 8<<20)
	require.NoError(t, h.Upload(src, "/f"))
	var p [2]int
	require.NoError(t, unix.Pipe2(p[:], unix.O_CLOEXEC))
	r, w := p[0], p[1]
	defer unix.Close(r)
	defer unix.Close(w)
	size, err := unix.FcntlInt(uintptr(w), unix.F_GETPIPE_SZ, 0)
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- h.Download("/f", fmt.Sprintf("/dev/fd/%d", w)) }()
	for {
		n, err := unix.IoctlGetInt(r, unix.TIOCINQ)
		require.NoError(t, err)
		if n >= size {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	// One read of a page and all but one byte of the next: the daemon
	// sees 8191 bytes free but only one slot (4096 bytes) is.
	buf := make([]byte, 2*4096-1)
	n, err := unix.Read(r, buf)
	require.NoError(t, err)
	require.Equal(t, len(buf), n)
	time.Sleep(300 * time.Millisecond)
	h.UserCancel()
	select {
	case err := <-done:
		assert.ErrorIs(t, err, syscall.EINTR)
	case <-time.After(20 * time.Second):
		t.Error("download into a blocking pipe did not stop on user_cancel")
		go func() {
			b := make([]byte, 1<<16)
			for {
				if n, err := unix.Read(r, b); n <= 0 || err != nil {
					return
				}
			}
		}()
		<-done
	}
	checkClean(t, h, img)
}
