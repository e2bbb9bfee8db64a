package core

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"goguestfs/protocol"
)

// shutdownTimeout is how long shutdown and close wait for the daemon to
// finish its running action and flush before they kill it.
const shutdownTimeout = 2 * time.Minute

// DaemonName is the file name of the daemon executable.
const DaemonName = "guestfsd"

// TestProgressEnv is the test-only environment variable that shortens the
// progress rule: "DELAY_MS,INTERVAL_MS" (for example "50,20") replaces the
// 2 s delay before the first PROGRESS event and the 1/3 s interval. It is
// read at launch from the environment the handle parses.
const TestProgressEnv = "GOGUESTFS_TEST_PROGRESS"

// TestNoNamespacesEnv is the test-only environment variable that makes
// launch start the daemon without namespaces, as where they are not
// allowed (the daemon's own sandbox is the same either way). Read at
// launch.
const TestNoNamespacesEnv = "GOGUESTFS_TEST_NO_NAMESPACES"

// addDriveArgs are the arguments of the launch-internal call
// internal_add_drive; the drive file (and, for a read-only drive, its
// overlay) travel as descriptors with the call. The daemon has the same
// struct.
type addDriveArgs struct {
	Index    int  `cbor:"1,keyasint"`
	Readonly bool `cbor:"2,keyasint"`
}

// findDaemon returns the daemon executable: hv when set, else the first
// guestfsd in the search path. The error lists every place it looked.
func (h *Handle) findDaemon() (string, error) {
	if hv := h.cfg.hv; hv != "" {
		if err := unix.Access(hv, unix.X_OK); err != nil {
			return "", errorf(errnoOf(err), "cannot run the daemon %s (set by set_hv or LIBGUESTFS_HV): %v", hv, err)
		}
		return hv, nil
	}
	var looked []string
	for _, dir := range strings.Split(h.cfg.path, ":") {
		if dir == "" {
			continue
		}
		p := filepath.Join(dir, DaemonName)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() && unix.Access(p, unix.X_OK) == nil {
			return p, nil
		}
		looked = append(looked, p)
	}
	return "", errorf(syscall.ENOENT, "cannot find the daemon: looked for %s; set LIBGUESTFS_PATH (set_path) to the directory holding %s, or LIBGUESTFS_HV (set_hv) to the executable", strings.Join(looked, ", "), DaemonName)
}

// envValue returns the value of name in the handle's environment.
func (h *Handle) envValue(name string) string {
	for _, kv := range h.environ() {
		if v, ok := strings.CutPrefix(kv, name+"="); ok {
			return v
		}
	}
	return ""
}

func (h *Handle) launch() error {
	if h.lock.depth > 1 {
		return errorf(syscall.EBUSY, "handle is busy: launch cannot run inside a callback of another call on the same handle")
	}
	if h.shutDown {
		return errorf(syscall.EINVAL, "the daemon was shut down: this handle can only be closed")
	}
	if h.state != StateConfig {
		return errorf(syscall.EINVAL, "the handle is already launched")
	}
	exe, err := h.findDaemon()
	if err != nil {
		return err
	}
	h.state = StateLaunching
	if err := h.startDaemon(exe); err != nil {
		if h.daemon != nil {
			h.reap(0)
			h.daemon = nil
		}
		h.state = StateConfig
		return err
	}
	h.state = StateReady
	if h.cfg.verbose {
		h.dispatch(EventLibrary, []byte(fmt.Sprintf("launched %s, pid %d, %d drives", exe, h.daemon.proc.Pid, len(h.drives))), nil)
	}
	h.dispatch(EventLaunchDone, nil, nil)
	return nil
}

// startDaemon opens the drives, starts the daemon, checks its hello and
// passes it the drives. On error h.daemon may be set and must be reaped.
func (h *Handle) startDaemon(exe string) error {
	var files []*os.File
	closeAll := func() {
		for _, f := range files {
			f.Close()
		}
	}
	type driveFDs struct{ fds []int }
	var perDrive []driveFDs
	tmpdir, _ := h.getTmpdir()
	for i, d := range h.drives {
		f, err := h.openDrive(i, d)
		if err != nil {
			closeAll()
			return err
		}
		if d.scratch == nil {
			files = append(files, f)
		}
		fds := []int{int(f.Fd())}
		if d.readonly {
			ov, err := tempFile(tmpdir)
			if err != nil {
				closeAll()
				return err
			}
			files = append(files, ov)
			fds = append(fds, int(ov.Fd()))
		}
		perDrive = append(perDrive, driveFDs{fds})
	}
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		closeAll()
		return errorf(errnoOf(err), "socketpair: %v", err)
	}
	child := os.NewFile(uintptr(fds[1]), "guestfsd-socket")
	proc, err := h.spawn(exe, child)
	child.Close()
	if err != nil {
		unix.Close(fds[0])
		closeAll()
		return err
	}
	connFD, err := unix.Dup(fds[0])
	if err != nil {
		unix.Close(fds[0])
		proc.Kill()
		proc.Wait()
		closeAll()
		return errorf(errnoOf(err), "dup: %v", err)
	}
	cf := os.NewFile(uintptr(connFD), "guestfsd-connection")
	conn, err := protocol.FileConn(cf)
	cf.Close()
	if err != nil {
		unix.Close(fds[0])
		proc.Kill()
		proc.Wait()
		closeAll()
		return errorf(syscall.EIO, "%v", err)
	}
	h.daemon = &daemonProc{proc: proc, conn: conn, sockFD: fds[0], files: files}
	h.live.Store(h.daemon)
	conn.SetReadDeadline(time.Now().Add(time.Minute))
	if _, err := conn.RecvHello(); err != nil {
		return h.daemonLost(fmt.Errorf("no hello from %s: %w", exe, err))
	}
	conn.SetReadDeadline(time.Time{})
	for i, d := range perDrive {
		raw, err := protocol.Marshal(&addDriveArgs{Index: i, Readonly: h.drives[i].readonly})
		if err != nil {
			return errorf(syscall.EINVAL, "%v", err)
		}
		if err := h.roundTrip("launch", &protocol.Call{Proc: "internal_add_drive", Args: raw}, d.fds, nil); err != nil {
			// The internal call's name means nothing to the caller: the
			// error is launch's, about this drive.
			e := asError("launch", err)
			return errorf(e.Errno, "%s: %s", h.drives[i].filename, e.Msg)
		}
	}
	return h.roundTrip("launch", &protocol.Call{Proc: "internal_ready"}, nil, nil)
}

// spawn starts the daemon with sock as its descriptor 3, in namespaces of
// its own where they are allowed: a network namespace unless the network
// switch is on and, when the caller is not root, a user namespace, where
// the daemon gets CAP_SETPCAP as an ambient capability so that it can
// empty its capability bounding set before it drops every capability.
// Where namespaces are refused it starts without them. Either way the
// daemon sandboxes itself at start (seccomp, Landlock, no capabilities;
// AF_INET and AF_INET6 sockets only with -network) and sends a WARNING
// line for what the kernel lacks.
func (h *Handle) spawn(exe string, sock *os.File) (*os.Process, error) {
	devnull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return nil, errorf(errnoOf(err), "%s: %v", os.DevNull, err)
	}
	defer devnull.Close()
	memlimit := h.cfg.memsize * 3 / 4
	args := []string{DaemonName, "-parent", fmt.Sprint(os.Getpid()), "-memsize", fmt.Sprint(h.cfg.memsize)}
	if h.cfg.network {
		args = append(args, "-network")
	}
	if h.cfg.verbose {
		args = append(args, "-verbose")
	}
	if p := h.envValue(TestProgressEnv); p != "" {
		args = append(args, "-test-progress", p)
	}
	if h.cfg.append != nil {
		args = append(args, "-append", *h.cfg.append)
	}
	attr := &os.ProcAttr{
		Env:   []string{fmt.Sprintf("GOMEMLIMIT=%dMiB", memlimit), fmt.Sprintf("GOMAXPROCS=%d", h.cfg.smp)},
		Files: []*os.File{devnull, devnull, devnull, sock},
		Dir:   "/",
		Sys:   &syscall.SysProcAttr{Setpgid: h.cfg.pgroup},
	}
	if h.envValue(TestNoNamespacesEnv) == "" {
		sys := *attr.Sys
		if !h.cfg.network {
			sys.Cloneflags = syscall.CLONE_NEWNET
		}
		if os.Geteuid() != 0 {
			sys.Cloneflags |= syscall.CLONE_NEWUSER
			sys.UidMappings = []syscall.SysProcIDMap{{ContainerID: os.Geteuid(), HostID: os.Geteuid(), Size: 1}}
			sys.GidMappings = []syscall.SysProcIDMap{{ContainerID: os.Getegid(), HostID: os.Getegid(), Size: 1}}
			sys.AmbientCaps = []uintptr{unix.CAP_SETPCAP}
		}
		if sys.Cloneflags != 0 {
			ns := *attr
			ns.Sys = &sys
			p, err := os.StartProcess(exe, args, &ns)
			if err == nil {
				return p, nil
			}
			if !isNamespaceError(err) {
				return nil, errorf(errnoOf(err), "cannot start the daemon %s: %v", exe, err)
			}
		}
	}
	p, err := os.StartProcess(exe, args, attr)
	if err != nil {
		return nil, errorf(errnoOf(err), "cannot start the daemon %s: %v", exe, err)
	}
	return p, nil
}

func (h *Handle) shutdown() error {
	if h.lock.depth > 1 {
		return errorf(syscall.EBUSY, "handle is busy: shutdown cannot run inside a callback of another call on the same handle")
	}
	return h.stopDaemon()
}

func (h *Handle) killSubprocess() error { return h.shutdown() }

// stopDaemon flushes the drives, stops the daemon and emits
// SUBPROCESS_QUIT. It does nothing when no daemon runs. A daemon that died
// earlier is reaped, and its death is the error. It ends within a bound:
// roundTrip's guard kills a daemon that stays silent and idle for
// unresponsiveTimeout, or has not answered by shutdownDeadline (stuck on a
// hostile image); the error then says that the library killed it.
func (h *Handle) stopDaemon() error {
	d := h.daemon
	if d == nil {
		return nil
	}
	var err error
	if d.dead == nil {
		// A cancel meant for a call (one that close interrupted, say)
		// must not be sent for the shutdown itself.
		h.cancel.Reset()
		err = h.roundTrip("shutdown", &protocol.Shutdown{}, nil, nil)
		// The daemon exits once it has answered (it has flushed).
		h.reap(unresponsiveTimeout)
	} else {
		err = d.dead
	}
	h.daemon = nil
	h.state = StateConfig
	h.shutDown = true
	h.closeDrives()
	h.dispatch(EventSubprocessQuit, nil, nil)
	return err
}
