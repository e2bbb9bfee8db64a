// Package fstools runs the real e2fsprogs and dosfstools programs (mke2fs,
// e2fsck, fsck.fat) on the daemon's devices from inside its sandbox, and
// implements tune2fs -l and zerofree on libext2fs in the daemon itself.
//
// The sandbox lets the daemon open no host path, so a tool cannot be
// handed /dev/sda1 or the image file. Instead each tool gets an anonymous
// memory file (memfd_create, the size of the device, sealed against
// growing and shrinking) as its descriptor 3 and is told the path
// /proc/self/fd/3, which Landlock lets it reopen (a memfd lives on the
// kernel's internal shmem mount). Its standard input is an empty pipe (a
// question it asks is answered "no"), its standard output and error are
// pipes (its errors, and for e2fsck its output, kept for messages), and
// its environment is empty.
//
//   - MakeExt runs mke2fs on an empty memfd, then copies the memfd's data
//     to the device and makes every other byte of the device read as zero
//     (blockdev.Zero: a punched hole where the device can): mke2fs on a
//     regular file discards it and trusts the discard to zero the inode
//     tables, so old contents left on the device would corrupt the result.
//     The memfd holds only what mke2fs writes, its metadata (about 5 MiB
//     for 8 GiB of ext4; it zeroes the rest by punching holes in it).
//   - Fsck and E2fsck copy the device into the memfd (skipping all-zero
//     64 KiB chunks, so that it stays sparse), run the checker, and write
//     back only the 4 KiB blocks it changed. The memfd costs memory for
//     every non-zero chunk of the device for the time of the run, at most
//     half the machine's RAM (else ENOMEM), plus 1 bit per chunk.
//   - Tune2fsL and Zerofree read the device through an io_manager of their
//     own (the filesystem's superblock, group descriptors and, for
//     zerofree, its block bitmap), so they cost no copy.
//
// The caller (the action) makes sure a device is not mounted while a
// function of this package changes it. ExecPaths lists what the tools need
// on the host; guestfsd passes it to sandbox.Apply. Errors carry a
// syscall.Errno and name the device (errno.New, errno.Wrap).
package fstools

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"

	"goguestfs/daemon/blockdev"
	"goguestfs/daemon/devices"
	"goguestfs/daemon/errno"
	"goguestfs/daemon/fs"
)

// toolDirs are searched, in order, for the tools.
var toolDirs = []string{"/usr/sbin", "/sbin", "/usr/bin", "/bin"}

// toolNames are the programs this package runs.
var toolNames = []string{"mke2fs", "e2fsck", "fsck.fat"}

// configFiles are the host files the tools read besides their binaries
// and libraries (missing ones are left out of ExecPaths).
var configFiles = []string{"/etc/mke2fs.conf", "/etc/e2fsck.conf", "/etc/ld.so.cache"}

var (
	toolsOnce sync.Once
	tools     map[string]string // name -> absolute path, symbolic links resolved
	execPaths []string
)

// findTools locates the tools and what they load, once.
func findTools() {
	toolsOnce.Do(func() {
		tools = map[string]string{}
		var bins []string
		for _, name := range toolNames {
			for _, dir := range toolDirs {
				p, err := filepath.EvalSymlinks(filepath.Join(dir, name))
				if err != nil {
					continue
				}
				if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
					tools[name] = p
					bins = append(bins, p)
					break
				}
			}
		}
		paths := append([]string(nil), bins...)
		paths = append(paths, loadedBy(bins)...)
		for _, c := range configFiles {
			if p, err := filepath.EvalSymlinks(c); err == nil {
				paths = append(paths, p)
			}
		}
		execPaths = paths
	})
}

// ExecPaths returns the host files the tools of this package need to run:
// mke2fs, e2fsck and fsck.fat where they are installed, their dynamic
// loader and the shared libraries they load (found from their ELF headers,
// not whole directories), /etc/ld.so.cache and the tools' configuration
// (/etc/mke2fs.conf, /etc/e2fsck.conf). guestfsd passes it as
// sandbox.Options.Exec. Call it before the sandbox is applied: it looks
// the files up (once).
func ExecPaths() []string {
	findTools()
	return append([]string(nil), execPaths...)
}

// toolPath returns the path of tool, or ENOTSUP when it is not installed.
func toolPath(name, tool string) (string, error) {
	findTools()
	p, ok := tools[tool]
	if !ok {
		return "", errno.New(syscall.ENOTSUP, "%s: %s is not installed", name, tool)
	}
	return p, nil
}

// devName returns the device's name for messages.
func devName(dev fs.Device) string {
	switch d := dev.(type) {
	case *devices.Device:
		return d.Name
	case *blockdev.Drive:
		return d.Name
	case *blockdev.Part:
		return d.Name
	}
	return "device"
}

// checkWritable fails with EROFS when dev is a device set read-only.
func checkWritable(name string, dev fs.Device) error {
	if ro, ok := dev.(interface{ ReadOnly() bool }); ok && ro.ReadOnly() {
		return errno.New(syscall.EROFS, "%s: device is read-only (blockdev_setro)", name)
	}
	return nil
}

// memPath is how a tool names the memfd it gets as descriptor 3.
const memPath = "/proc/self/fd/3"

// maxOutput bounds the tool output kept for a message: its last bytes.
const maxOutput = 64 << 10

// tailBuffer keeps the last maxOutput bytes written to it.
type tailBuffer struct {
	b       []byte
	dropped bool
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if len(t.b) > 2*maxOutput {
		t.b = append(t.b[:0], t.b[len(t.b)-maxOutput:]...)
		t.dropped = true
	}
	return len(p), nil
}

// text returns what was kept, the last maxOutput bytes.
func (t *tailBuffer) text() string {
	b := t.b
	if len(b) > maxOutput {
		b, t.dropped = b[len(b)-maxOutput:], true
	}
	if t.dropped {
		return "[...] " + string(b)
	}
	return string(b)
}

// result is how a tool ended.
type result struct {
	status int    // exit status
	output string // its standard output and error, cleaned (see clean)
}

// runTool runs the tool at path as argv0 with args, the memfd mem as
// descriptor 3 and an empty environment. Its result's output is its
// standard error, with its standard output folded in when withStdout (as
// libguestfs does for e2fsck; for the others it keeps stderr only). It
// fails when the tool could not be started or was killed by a signal;
// any exit status is a result.
func runTool(name, path, argv0 string, args []string, mem *os.File, withStdout bool) (result, error) {
	var out tailBuffer
	cmd := &exec.Cmd{
		Path: path,
		Args: append([]string{argv0}, args...),
		Env:  []string{},
		// Every standard descriptor is given: os/exec would open
		// /dev/null for a nil one, a host path the sandbox refuses.
		Stdin:      bytes.NewReader(nil),
		Stdout:     io.Discard,
		Stderr:     &out,
		ExtraFiles: []*os.File{mem},
	}
	if withStdout {
		cmd.Stdout = &out
	}
	err := cmd.Run()
	res := result{output: clean(out.text(), name)}
	var exit *exec.ExitError
	switch {
	case err == nil:
		return res, nil
	case errors.As(err, &exit) && exit.Exited():
		res.status = exit.ExitCode()
		return res, nil
	case errors.As(err, &exit):
		return res, errno.New(syscall.EIO, "%s: %s: %v%s", name, argv0, exit.ProcessState, colonOutput(res.output))
	}
	return res, errno.New(errno.Of(err), "%s: %s: %v", name, argv0, err)
}

// banner is the version line a tool starts with.
var banner = regexp.MustCompile(`^(mke2fs|e2fsck|fsck\.fat) [0-9]+\.[0-9]+\S* \([^)]*\)$`)

// colonOutput returns ": output", or nothing for an empty output.
func colonOutput(s string) string {
	if s == "" {
		return ""
	}
	return ": " + s
}

// clean makes a tool's output fit a message about the device name: the
// memfd's path becomes the device's name, and the version banner and the
// lines that only say what the sandbox refused the tool are left out:
// that the mount table, which it may not read, could not say whether the
// memfd is mounted (mke2fs), and that it could not open /dev/null (e2fsck
// opens it only to make sure descriptors 0-2 are open, which they are).
func clean(s, name string) string {
	var keep []string
	for _, line := range strings.Split(s, "\n") {
		if strings.Contains(line, "while determining whether "+memPath+" is mounted") ||
			line == "ERROR: Couldn't open /dev/null (Permission denied)" || banner.MatchString(line) {
			continue
		}
		keep = append(keep, strings.ReplaceAll(line, memPath, name))
	}
	return strings.TrimSpace(strings.Join(keep, "\n"))
}

// toolError returns an error with errno e naming the device, for the
// failure of tool that ended with res: "name: tool: output".
func toolError(e syscall.Errno, name, tool string, res result) error {
	msg := res.output
	switch {
	case msg == "":
		msg = fmt.Sprintf("%s: exit status %d", tool, res.status)
	case !strings.HasPrefix(msg, tool+": "):
		msg = tool + ": " + msg
	}
	return errno.New(e, "%s: %s", name, msg)
}
