package core

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// asUser runs fn with the calling OS thread's effective ids set to nobody
// (only this thread: the raw system calls, unlike syscall.Setresuid, do not
// change the other threads), so that a test run as root sees permission
// checks. Without root it just runs fn. fn runs on the same thread, as the
// handle's calls do (they lock the goroutine to its thread).
func asUser(t *testing.T, fn func()) {
	t.Helper()
	if os.Geteuid() != 0 {
		fn()
		return
	}
	runtime.LockOSThread()
	const nobody = 65534
	if _, _, e := unix.RawSyscall(unix.SYS_SETRESGID, ^uintptr(0), nobody, ^uintptr(0)); e != 0 {
		runtime.UnlockOSThread()
		t.Fatalf("setresgid: %v", e)
	}
	if _, _, e := unix.RawSyscall(unix.SYS_SETRESUID, ^uintptr(0), nobody, ^uintptr(0)); e != 0 {
		unix.RawSyscall(unix.SYS_SETRESGID, ^uintptr(0), 0, ^uintptr(0))
		runtime.UnlockOSThread()
		t.Fatalf("setresuid: %v", e)
	}
	defer func() {
		_, _, e1 := unix.RawSyscall(unix.SYS_SETRESUID, ^uintptr(0), 0, ^uintptr(0))
		_, _, e2 := unix.RawSyscall(unix.SYS_SETRESGID, ^uintptr(0), 0, ^uintptr(0))
		if e1 == 0 && e2 == 0 {
			// Only a thread whose ids are back may serve other goroutines;
			// otherwise it dies with this one.
			runtime.UnlockOSThread()
		}
	}()
	fn()
}

func TestAddDriveRefusesMissingFile(t *testing.T) {
	h := newDaemonHandle(t)
	for _, add := range []struct {
		name string
		fn   func(string) error
	}{
		{"add_drive", h.AddDrive},
		{"add_drive_ro", h.AddDriveRO},
		{"add_cdrom", h.AddCdrom},
		{"add_drive_opts", func(f string) error { return h.AddDriveOpts(f, &AddDriveOptsOpts{Format: ptr("raw")}) }},
	} {
		err := add.fn("/nonexistent/dir/disk.img")
		require.ErrorIs(t, err, syscall.ENOENT, add.name)
		assert.Equal(t, add.name+": /nonexistent/dir/disk.img: No such file or directory", err.Error())
		_, errno, _ := h.LastError()
		assert.Equal(t, syscall.ENOENT, errno)
	}
	// A path through a regular file.
	img := image(t, 1<<20)
	err := h.AddDrive(img + "/x")
	require.ErrorIs(t, err, syscall.ENOTDIR)
	assert.Contains(t, err.Error(), img+"/x: Not a directory")

	// A directory.
	err = h.AddDriveRO(t.TempDir())
	require.ErrorIs(t, err, syscall.EISDIR)
	assert.Contains(t, err.Error(), "Is a directory")

	// A huge name is not echoed whole.
	long := "/" + strings.Repeat("x", 1<<20)
	err = h.AddDrive(long)
	require.Error(t, err)
	assert.Less(t, len(err.Error()), 1024)
	assert.Contains(t, err.Error(), "(1048577 bytes)")

	// Nothing was added; /dev/null and a real image still are.
	require.NoError(t, h.AddDrive("/dev/null"))
	require.NoError(t, h.AddDriveRO("/dev/null"))
	require.NoError(t, h.AddDrive(img))
	require.NoError(t, h.Launch())
	devs, err := h.ListDevices()
	require.NoError(t, err)
	assert.Equal(t, []string{"/dev/sda", "/dev/sdb", "/dev/sdc"}, devs)
}

func TestAddDriveRefusesUnreadableOrUnwritable(t *testing.T) {
	// Not t.TempDir: its parent is private to root, and nobody must be
	// able to reach the files.
	dir, err := os.MkdirTemp("", "goguestfs-access-")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	require.NoError(t, os.Chmod(dir, 0o755))
	ro := filepath.Join(dir, "ro.img")
	none := filepath.Join(dir, "none.img")
	require.NoError(t, os.WriteFile(ro, make([]byte, 4096), 0o444))
	require.NoError(t, os.WriteFile(none, make([]byte, 4096), 0o000))
	require.NoError(t, os.Chmod(ro, 0o444))
	require.NoError(t, os.Chmod(none, 0o000))
	h := newDaemonHandle(t)
	asUser(t, func() {
		// Read-write needs write access.
		err := h.AddDrive(ro)
		require.ErrorIs(t, err, syscall.EACCES)
		assert.Equal(t, "add_drive: "+ro+": Permission denied (the file cannot be written: add it read-only with add_drive_ro or readonly=true)", err.Error())
		// Read-only needs only read access.
		require.NoError(t, h.AddDriveRO(ro))
		yes := true
		require.NoError(t, h.AddDriveOpts(ro, &AddDriveOptsOpts{Readonly: &yes}))
		// No access at all.
		err = h.AddDriveRO(none)
		require.ErrorIs(t, err, syscall.EACCES)
		assert.Contains(t, err.Error(), none+": Permission denied (the file cannot be read)")
		err = h.AddDrive(none)
		require.ErrorIs(t, err, syscall.EACCES)
	})
	require.NoError(t, h.Launch())
	devs, err := h.ListDevices()
	require.NoError(t, err)
	assert.Equal(t, []string{"/dev/sda", "/dev/sdb"}, devs)
}

func TestDriveRemovedAfterAddFailsAtLaunch(t *testing.T) {
	img := image(t, 1<<20)
	h := newDaemonHandle(t)
	require.NoError(t, h.AddDrive(img))
	require.NoError(t, os.Remove(img))
	err := h.Launch()
	require.ErrorIs(t, err, syscall.ENOENT)
	assert.Contains(t, err.Error(), img)
	st, _ := h.GetState()
	assert.Equal(t, int(StateConfig), st)
}
