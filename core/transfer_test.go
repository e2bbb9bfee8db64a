package core

import (
	"bufio"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// extHandle returns a launched handle (made by newHandle) with an ext4
// filesystem of size bytes mounted at /, and the image's path.
func extHandle(t *testing.T, size int64, newHandle func() *Handle) (*Handle, string) {
	t.Helper()
	img := image(t, size)
	out, err := exec.Command("mkfs.ext4", "-q", "-F", img).CombinedOutput()
	require.NoError(t, err, "%s", out)
	h := newHandle()
	require.NoError(t, h.AddDrive(img))
	require.NoError(t, h.Launch())
	require.NoError(t, h.Mount("/dev/sda", "/"))
	return h, img
}

// checkClean unmounts everything and checks img with e2fsck.
func checkClean(t *testing.T, h *Handle, img string) {
	t.Helper()
	require.NoError(t, h.UmountAll())
	code, out := e2fsck(t, img, "-fn")
	assert.Zero(t, code, "e2fsck: %s", out)
}

// randomFile writes n random bytes to a new host file.
func randomFile(t *testing.T, n int64) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "random")
	f, err := os.Create(p)
	require.NoError(t, err)
	_, err = io.CopyN(f, rand.Reader, n)
	require.NoError(t, err)
	require.NoError(t, f.Close())
	return p
}

// TestHostFileNames: the library opens FileIn and FileOut arguments by
// name, or uses the caller's descriptors for "-", /dev/stdout and
// /dev/fd/N; a missing file is the caller's error, named.
func TestHostFileNames(t *testing.T) {
	h, img := extHandle(t, 64<<20, func() *Handle { return newDaemonHandle(t) })
	src := randomFile(t, 100000)
	require.NoError(t, h.Upload(src, "/f"))

	err := h.Upload("/no/such/file", "/g")
	require.Error(t, err)
	assert.ErrorIs(t, err, syscall.ENOENT)
	assert.Contains(t, err.Error(), "upload: /no/such/file: no such file or directory")

	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	require.NoError(t, h.Download("/f", out))
	assert.Equal(t, fileSHA(t, src), fileSHA(t, out))
	st, err := os.Stat(out)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o666)&^os.FileMode(umask()), st.Mode().Perm(), "created with mode 0666 less the umask")

	// /dev/fd/N: the caller's descriptor, from its offset.
	f, err := os.OpenFile(filepath.Join(dir, "fd"), os.O_RDWR|os.O_CREATE, 0o600)
	require.NoError(t, err)
	defer f.Close()
	f.WriteString("x")
	require.NoError(t, h.Download("/f", fmt.Sprintf("/dev/fd/%d", f.Fd())))
	fi, _ := f.Stat()
	assert.EqualValues(t, 100001, fi.Size())
	err = h.Download("/f", "/dev/fd/99999")
	assert.ErrorIs(t, err, syscall.EBADF)
	err = h.Download("/f", "/dev/fd/x")
	assert.ErrorIs(t, err, syscall.EINVAL)

	// "-" is standard output for a FileOut.
	r, w, err := os.Pipe()
	require.NoError(t, err)
	saved, err := syscall.Dup(1)
	require.NoError(t, err)
	require.NoError(t, syscall.Dup2(int(w.Fd()), 1))
	got := make(chan []byte)
	go func() {
		b, _ := io.ReadAll(r)
		got <- b
	}()
	err = h.Download("/f", "-")
	syscall.Dup2(saved, 1)
	syscall.Close(saved)
	w.Close()
	require.NoError(t, err)
	b := <-got
	want, _ := os.ReadFile(src)
	assert.Equal(t, want, b)
	checkClean(t, h, img)
}

// umask returns the process's umask.
func umask() int {
	m := syscall.Umask(0)
	syscall.Umask(m)
	return m
}

// slowReader reads r at about rate bytes per second until EOF.
func slowReader(r io.Reader, rate int) <-chan int64 {
	done := make(chan int64, 1)
	go func() {
		var n int64
		buf := make([]byte, rate/20)
		for {
			k, err := io.ReadFull(r, buf)
			n += int64(k)
			if err != nil {
				done <- n
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	}()
	return done
}

// TestTransferProgressDefaults exercises the real progress rule once:
// a download into a pipe read slowly (about 4 s) sends nothing in its
// first second and a half, then several events with rising positions,
// and ends with position == total. Bounds are lower bounds only.
func TestTransferProgressDefaults(t *testing.T) {
	newHandle := func() *Handle {
		h, err := New(Options{NoEnvironment: true, Environ: func() []string { return nil }})
		require.NoError(t, err)
		t.Cleanup(h.Close)
		h.SetErrorHandler(nil)
		require.NoError(t, h.SetPath(&daemonDir))
		return h
	}
	h, img := extHandle(t, 64<<20, newHandle)
	const size = 16 << 20
	src := randomFile(t, size)
	require.NoError(t, h.Upload(src, "/f"))
	var start time.Time
	var times []time.Duration
	got := progressEvents(t, h, func([]uint64) { times = append(times, time.Since(start)) })
	r, w, err := os.Pipe()
	require.NoError(t, err)
	read := slowReader(r, size/4)
	start = time.Now()
	err = h.Download("/f", fmt.Sprintf("/dev/fd/%d", w.Fd()))
	w.Close()
	require.NoError(t, err)
	assert.EqualValues(t, size, <-read)
	r.Close()
	require.GreaterOrEqual(t, len(*got), 3, "events at about 3 a second after the first 2 s of a 4 s transfer")
	assert.GreaterOrEqual(t, times[0], 1500*time.Millisecond, "none before the delay")
	var last uint64
	for _, a := range *got {
		assert.Equal(t, procNumbers["download"], a[0])
		assert.GreaterOrEqual(t, a[2], last)
		assert.LessOrEqual(t, a[2], a[3])
		assert.EqualValues(t, size, a[3])
		last = a[2]
	}
	final := (*got)[len(*got)-1]
	assert.Equal(t, final[3], final[2], "a final event with position == total")

	// A short transfer sends none.
	*got = nil
	require.NoError(t, h.Download("/f", filepath.Join(t.TempDir(), "quick")))
	assert.Empty(t, *got)
	checkClean(t, h, img)
}

// TestTransferCancel: user_cancel from another goroutine stops a
// download into a stuck pipe and an upload from one (EINTR), the
// filesystem checks clean and the handle goes on working.
func TestTransferCancel(t *testing.T) {
	h, img := extHandle(t, 64<<20, func() *Handle { return newDaemonHandle(t) })
	src := randomFile(t, 8<<20)
	require.NoError(t, h.Upload(src, "/f"))
	for _, call := range []func(r, w *os.File) error{
		func(r, w *os.File) error { return h.Download("/f", fmt.Sprintf("/dev/fd/%d", w.Fd())) },
		func(r, w *os.File) error { return h.Upload(fmt.Sprintf("/dev/fd/%d", r.Fd()), "/g") },
	} {
		r, w, err := os.Pipe()
		require.NoError(t, err)
		w.Write(make([]byte, 1000)) // some data, then nothing: stuck
		timer := time.AfterFunc(300*time.Millisecond, h.UserCancel)
		err = call(r, w)
		timer.Stop()
		r.Close()
		w.Close()
		assert.ErrorIs(t, err, syscall.EINTR)
		sum, err := h.Checksum("sha256", "/f")
		require.NoError(t, err, "the handle goes on working")
		assert.Equal(t, fmt.Sprintf("%x", fileSHA(t, src)), sum)
	}
	checkClean(t, h, img)
}

// TestUploadMemory: the daemon's peak memory during a 2 GiB sparse upload
// (256 MiB of data) stays under 64 MiB: transfers stream.
func TestUploadMemory(t *testing.T) {
	h, img := extHandle(t, 3<<30, func() *Handle { return newDaemonHandle(t) })
	p := filepath.Join(t.TempDir(), "sparse")
	f, err := os.Create(p)
	require.NoError(t, err)
	require.NoError(t, f.Truncate(2<<30))
	chunk := make([]byte, 32<<20)
	for i := int64(0); i < 8; i++ {
		rand.Read(chunk)
		_, err := f.WriteAt(chunk, i*(256<<20))
		require.NoError(t, err)
	}
	require.NoError(t, f.Close())
	require.NoError(t, h.Upload(p, "/big"))
	hwm := daemonHWM(t, h)
	t.Logf("daemon VmHWM after a 2 GiB sparse upload: %d KiB", hwm>>10)
	assert.Less(t, hwm, int64(64<<20))
	st, err := h.Statns("/big")
	require.NoError(t, err)
	assert.EqualValues(t, 2<<30, st.StSize)
	assert.Less(t, st.StBlocks*512, int64(300<<20), "the holes stay holes")
	checkClean(t, h, img)
}

// daemonHWM reads the daemon's peak resident set size from /proc.
func daemonHWM(t *testing.T, h *Handle) int64 {
	t.Helper()
	pid := h.live.Load().proc.Pid
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	require.NoError(t, err)
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			require.NoError(t, err)
			return kb << 10
		}
	}
	require.NoError(t, errors.Join(s.Err(), errors.New("no VmHWM line")))
	return 0
}
