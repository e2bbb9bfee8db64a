package core

import (
	"os"
	"path/filepath"
	"regexp"
	"syscall"
)

// LibexecDir is where an installed daemon lives; the default search path.
// The build sets it with -ldflags "-X goguestfs/core.LibexecDir=...".
var LibexecDir = "/usr/local/libexec/goguestfs"

// Limits and defaults of the handle properties.
const (
	DefaultMemsize = 1280
	MinMemsize     = 128
	MaxSMP         = 255
)

// config holds the handle properties. Guarded by the handle lock.
type config struct {
	verbose, trace, autosync, network, recoveryProc, pgroup bool

	memsize, smp int
	path         string
	hv           string
	identifier   string
	program      string
	tmpdir       string // "" means the default
	envTmpdir    string // TMPDIR, as last read from the environment
	cachedir     string // "" means the default
	append       *string
	backend      string
}

func defaultConfig() config {
	return config{
		autosync:     true,
		recoveryProc: true,
		memsize:      DefaultMemsize,
		smp:          1,
		path:         LibexecDir,
		program:      filepath.Base(os.Args[0]),
		backend:      "direct",
	}
}

var identifierRE = regexp.MustCompile(`^[A-Za-z0-9_-]*$`)

func (h *Handle) setVerbose(v bool) error      { h.cfg.verbose = v; return nil }
func (h *Handle) getVerbose() (bool, error)    { return h.cfg.verbose, nil }
func (h *Handle) setTrace(v bool) error        { h.cfg.trace = v; return nil }
func (h *Handle) getTrace() (bool, error)      { return h.cfg.trace, nil }
func (h *Handle) setAutosync(v bool) error     { h.cfg.autosync = v; return nil }
func (h *Handle) getAutosync() (bool, error)   { return h.cfg.autosync, nil }
func (h *Handle) setRecoveryProc(v bool) error { h.cfg.recoveryProc = v; return nil }
func (h *Handle) getRecoveryProc() (bool, error) {
	return h.cfg.recoveryProc, nil
}
func (h *Handle) setPgroup(v bool) error   { h.cfg.pgroup = v; return nil }
func (h *Handle) getPgroup() (bool, error) { return h.cfg.pgroup, nil }

// mustConfig fails unless the handle is still in the config state.
func (h *Handle) mustConfig(what string) error {
	if h.state != StateConfig {
		return errorf(syscall.EINVAL, "%s: can only be changed before launch", what)
	}
	return nil
}

func (h *Handle) setNetwork(v bool) error {
	if err := h.mustConfig("network"); err != nil {
		return err
	}
	h.cfg.network = v
	return nil
}
func (h *Handle) getNetwork() (bool, error) { return h.cfg.network, nil }

func (h *Handle) setMemsize(mb int) error {
	if mb < MinMemsize {
		return errorf(syscall.EINVAL, "memsize: %d: too small (the minimum is %d megabytes)", mb, MinMemsize)
	}
	if err := h.mustConfig("memsize"); err != nil {
		return err
	}
	h.cfg.memsize = mb
	return nil
}
func (h *Handle) getMemsize() (int, error) { return h.cfg.memsize, nil }

func (h *Handle) setSMP(n int) error {
	if n < 1 || n > MaxSMP {
		return errorf(syscall.EINVAL, "smp: %d: must be between 1 and %d", n, MaxSMP)
	}
	if err := h.mustConfig("smp"); err != nil {
		return err
	}
	h.cfg.smp = n
	return nil
}
func (h *Handle) getSMP() (int, error) { return h.cfg.smp, nil }

func (h *Handle) setPath(p *string) error {
	if p == nil {
		h.cfg.path = LibexecDir
	} else {
		h.cfg.path = *p
	}
	return nil
}
func (h *Handle) getPath() (string, error) { return h.cfg.path, nil }

func (h *Handle) setHV(hv string) error     { h.cfg.hv = hv; return nil }
func (h *Handle) getHV() (string, error)    { return h.cfg.hv, nil }
func (h *Handle) setProgram(p string) error { h.cfg.program = p; return nil }
func (h *Handle) getProgram() (string, error) {
	return h.cfg.program, nil
}

func (h *Handle) setIdentifier(id string) error {
	if !identifierRE.MatchString(id) {
		return errorf(syscall.EINVAL, "identifier: %q: may contain only letters, digits, '_' and '-'", id)
	}
	h.cfg.identifier = id
	return nil
}
func (h *Handle) getIdentifier() (string, error) { return h.cfg.identifier, nil }

// checkDir fails unless dir is an existing directory.
func checkDir(what, dir string) error {
	st, err := os.Stat(dir)
	if err != nil {
		errno, _ := err.(*os.PathError).Err.(syscall.Errno)
		return errorf(errno, "%s: %s: %v", what, dir, err.(*os.PathError).Err)
	}
	if !st.IsDir() {
		return errorf(syscall.ENOTDIR, "%s: %s: not a directory", what, dir)
	}
	return nil
}

func (h *Handle) setTmpdir(dir *string) error {
	if dir == nil {
		h.cfg.tmpdir = ""
		return nil
	}
	if err := checkDir("tmpdir", *dir); err != nil {
		return err
	}
	h.cfg.tmpdir = *dir
	return nil
}

// getTmpdir returns the effective temporary directory.
func (h *Handle) getTmpdir() (string, error) {
	switch {
	case h.cfg.tmpdir != "":
		return h.cfg.tmpdir, nil
	case h.cfg.envTmpdir != "":
		return h.cfg.envTmpdir, nil
	}
	return "/tmp", nil
}

func (h *Handle) setCachedir(dir *string) error {
	if dir == nil {
		h.cfg.cachedir = ""
		return nil
	}
	if err := checkDir("cachedir", *dir); err != nil {
		return err
	}
	h.cfg.cachedir = *dir
	return nil
}

// getCachedir returns the effective cache directory.
func (h *Handle) getCachedir() (string, error) {
	switch {
	case h.cfg.cachedir != "":
		return h.cfg.cachedir, nil
	case h.cfg.envTmpdir != "":
		return h.cfg.envTmpdir, nil
	}
	return "/var/tmp", nil
}

func (h *Handle) setAppend(a *string) error   { h.cfg.append = a; return nil }
func (h *Handle) getAppend() (*string, error) { return h.cfg.append, nil }

func (h *Handle) setBackend(b string) error {
	switch b {
	case "", "default", "direct":
		h.cfg.backend = "direct"
		return nil
	}
	return errorf(syscall.EINVAL, "backend: %q: unknown backend (the only backend is \"direct\")", b)
}
func (h *Handle) getBackend() (string, error) { return h.cfg.backend, nil }

func (h *Handle) getState() (int, error) { return int(h.state), nil }
func (h *Handle) isConfig() (bool, error) {
	return h.state == StateConfig, nil
}
func (h *Handle) isLaunching() (bool, error) { return h.state == StateLaunching, nil }
func (h *Handle) isReady() (bool, error)     { return h.state == StateReady, nil }

// isBusy is true when called from a callback inside another call.
func (h *Handle) isBusy() (bool, error) { return h.lock.depth > 1, nil }
