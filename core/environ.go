package core

import (
	"strconv"
	"strings"
	"syscall"
)

func (h *Handle) parseEnvironment() error {
	return h.applyEnvironment(h.environ())
}

func (h *Handle) parseEnvironmentList(env []string) error {
	return h.applyEnvironment(env)
}

// parseBool reads a libguestfs boolean: 1/true/t/yes/y/on or
// 0/false/f/no/n/off, in any case.
func parseBool(s string) (bool, bool) {
	switch strings.ToLower(s) {
	case "1", "true", "t", "yes", "y", "on":
		return true, true
	case "0", "false", "f", "no", "n", "off":
		return false, true
	}
	return false, false
}

// applyEnvironment sets the properties named by the LIBGUESTFS_* variables
// (and TMPDIR) found in env, a list of NAME=VALUE strings. The first bad
// value stops it with an EINVAL error naming the variable.
func (h *Handle) applyEnvironment(env []string) error {
	vars := map[string]string{}
	for _, kv := range env {
		if name, val, ok := strings.Cut(kv, "="); ok {
			vars[name] = val
		}
	}
	bad := func(name, why string) error {
		return errorf(syscall.EINVAL, "%s=%s: %s", name, vars[name], why)
	}
	for _, v := range []struct {
		name string
		set  func(bool) error
	}{{"LIBGUESTFS_TRACE", h.setTrace}, {"LIBGUESTFS_DEBUG", h.setVerbose}} {
		if s, ok := vars[v.name]; ok {
			b, ok := parseBool(s)
			if !ok {
				return bad(v.name, "not a boolean")
			}
			v.set(b)
		}
	}
	if s, ok := vars["TMPDIR"]; ok {
		h.cfg.envTmpdir = s
	}
	for _, v := range []struct {
		name string
		set  func(*string) error
	}{{"LIBGUESTFS_TMPDIR", h.setTmpdir}, {"LIBGUESTFS_CACHEDIR", h.setCachedir},
		{"LIBGUESTFS_PATH", h.setPath}, {"LIBGUESTFS_APPEND", h.setAppend}} {
		if s, ok := vars[v.name]; ok {
			if err := v.set(&s); err != nil {
				return bad(v.name, err.(*Error).Msg)
			}
		}
	}
	if s, ok := vars["LIBGUESTFS_HV"]; ok {
		h.setHV(s)
	}
	if s, ok := vars["LIBGUESTFS_MEMSIZE"]; ok {
		n, err := strconv.Atoi(s)
		if err != nil {
			return bad("LIBGUESTFS_MEMSIZE", "not a number")
		}
		if err := h.setMemsize(n); err != nil {
			return bad("LIBGUESTFS_MEMSIZE", err.(*Error).Msg)
		}
	}
	if s, ok := vars["LIBGUESTFS_BACKEND"]; ok {
		if err := h.setBackend(s); err != nil {
			return bad("LIBGUESTFS_BACKEND", err.(*Error).Msg)
		}
	}
	return nil
}
