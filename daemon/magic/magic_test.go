package magic_test

import (
	"bytes"
	"errors"
	"io"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"goguestfs/daemon/magic"
)

// hostFile writes content to a file of the test's temporary directory.
func hostFile(t *testing.T, content []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "f")
	require.NoError(t, os.WriteFile(p, content, 0o644))
	return p
}

// hostRun runs a host command in the C locale and UTC, returning its
// standard output.
func hostRun(t *testing.T, stdin []byte, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), "LC_ALL=C", "TZ=UTC")
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	out, err := cmd.Output()
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		require.NoError(t, err, "%s %v", name, args)
	}
	return string(out)
}

// describe describes content as that of a file of mode.
func describe(t *testing.T, content []byte, mode os.FileMode) string {
	t.Helper()
	d, err := magic.Describe(bytes.NewReader(content), int64(len(content)), mode, nil)
	require.NoError(t, err)
	return d
}

// fileCorpus are contents whose description must be what the host's
// file -b prints.
var fileCorpus = map[string][]byte{
	"ascii":      []byte("hello\n"),
	"crlf":       []byte("a\r\nb\r\n"),
	"cr":         []byte("a\rb\r"),
	"mixed":      []byte("a\r\nb\nc\rd"),
	"noeol":      []byte("no end"),
	"utf8":       []byte("h\xc3\xa9llo\n"),
	"bom":        []byte("\xef\xbb\xbfhi\n"),
	"latin1":     []byte("caf\xe9\n"),
	"extended":   []byte("\x81\x82\n"),
	"esc":        []byte("a\x1b[1m\n"),
	"overstrike": []byte("a\bb\n"),
	"nel":        []byte("x\x85y\n"),
	"long":       []byte(strings.Repeat("x", 400) + "\n" + strings.Repeat("y", 350)),
	"short":      []byte("a"),
	"two":        []byte("ab"),
	"trailnul":   []byte("ab\x00\x00\x00"),
	"oddnul":     []byte("abc\x00"),
	"nuls":       []byte("\x00\x00"),
	"onenul":     []byte("a\x00\x00"),
	"sh":         []byte("#!/bin/sh\necho hi\n"),
	"shspace":    []byte("#! /bin/sh -e\necho hi\n"),
	"shcrlf":     []byte("#!/bin/sh\r\necho\r\n"),
	"shbin":      []byte("#!/bin/sh\n\x00\x01\x02"),
	"shx":        []byte("#!/bin/shx\n"),
	"bash":       []byte("#!/bin/bash\necho\n"),
	"envbash":    []byte("#!/usr/bin/env bash\necho\n"),
	"envsh":      []byte("#!/usr/bin/env sh\necho\n"),
	"generic":    []byte("#!/opt/bin/run -q\nx\n"),
	"python":     []byte("#!/usr/bin/python3\nprint(1)\n"),
	"envpython":  []byte("#!/usr/bin/env python3\nprint(1)\n"),
	"perl":       []byte("#!/usr/bin/perl -w\nprint;\n"),
	"envperl":    []byte("#!/usr/bin/env perl\nprint;\n"),
	"ruby":       []byte("#!/usr/bin/ruby\nputs 1\n"),
	"zsh":        []byte("#!/bin/zsh\necho\n"),
	"awk":        []byte("#!/usr/bin/awk -f\n{print}\n"),
	"latinsh":    []byte("#!/bin/sh\n\xe9\n"),
	"json":       []byte("{\"a\": [1, {\"b\": null}]}\n"),
	"jsonarr":    []byte("[1,2]"),
	"notjson":    []byte("[1,2] x\n"),
	"xml":        []byte("<?xml version=\"1.0\"?>\n<a/>\n"),
	"random":     func() []byte { b := make([]byte, 100); rand.New(rand.NewSource(4)).Read(b); b[0] = 0; return b }(),
	"pdf":        []byte("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"),
	"png":        []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00\x00\x00\x10\x00\x00\x00\x20\x08\x06\x00\x00\x00\x1f\xf3\xffa"),
	"gif":        []byte("GIF89a\x10\x00\x20\x00\x80\x00\x00"),
	"bz2":        []byte("BZh91AY&SY"),
	"xz":         []byte("\xfd7zXZ\x00\x00\x04\xe6\xd6\xb4\x46"),
	"zipempty":   []byte("PK\x05\x06" + strings.Repeat("\x00", 18)),
}

func TestDescribe(t *testing.T) {
	corpus := map[string][]byte{"empty": {}}
	for k, v := range fileCorpus {
		corpus[k] = v
	}
	// Real archives and compressed data, made by the host's tools.
	src := hostFile(t, []byte("hello\n"))
	dir := filepath.Dir(src)
	for _, cmd := range [][]string{{"gzip", "-k", "-9", src}, {"tar", "-C", dir, "-cf", src + ".tar", "f"},
		{"tar", "-C", dir, "--format=posix", "-cf", src + ".ptar", "f"}, {"tar", "-C", dir, "--format=v7", "-cf", src + ".v7", "f"},
		{"zip", "-q", "-j", src + ".zip", src}, {"xz", "-k", src}, {"bzip2", "-k", src}} {
		out, err := exec.Command(cmd[0], cmd[1:]...).CombinedOutput()
		require.NoError(t, err, "%v: %s", cmd, out)
	}
	for _, ext := range []string{".gz", ".tar", ".ptar", ".v7", ".zip", ".xz", ".bz2"} {
		b, err := os.ReadFile(src + ext)
		require.NoError(t, err)
		corpus["real"+ext] = b
	}
	corpus["gzipfast"] = []byte(hostRun(t, []byte("x"), "gzip", "-1", "-n"))
	// Larger than the 64 KiB that the text tests look at: what lies past
	// them is read back (trailing NULs) or whole (JSON).
	lines := bytes.Repeat([]byte("line of text\n"), 12000)
	corpus["bigtext"] = lines
	corpus["bignuls"] = append(append([]byte{}, lines...), make([]byte, 600<<10)...)
	corpus["bigjson"] = []byte("[" + strings.Repeat("1, ", 50000) + "2]\n")
	corpus["bigbadjson"] = []byte("[" + strings.Repeat("1, ", 50000) + "2] x\n")
	for name, content := range corpus {
		want := hostRun(t, nil, "file", "-b", hostFile(t, content))
		assert.Equal(t, strings.TrimSpace(want), describe(t, content, 0o644), "file %s", name)
	}
}

// TestDescribePrefix checks the formats file(1) details further than
// Describe: a prefix of what it prints. ELF with the execute bit it
// reads for a shared object.
func TestDescribePrefix(t *testing.T) {
	dir := t.TempDir()
	jpeg := "\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x01\x00H\x00H\x00\x00\xff\xdb\x00C\x00" + strings.Repeat("\x00", 64) +
		"\xff\xc0\x00\x11\x08\x00\x10\x00\x20\x03\x01\x22\x00\x02\x11\x01\x03\x11\x01\xff\xd9"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "jpeg"), []byte(jpeg), 0o644))
	for _, c := range []struct{ host, want string }{
		{"/bin/ls", "ELF 64-bit LSB pie executable, x86-64, version 1 (SYSV)"},
		{"/lib/x86_64-linux-gnu/libc.so.6", "ELF 64-bit LSB shared object, x86-64, version 1 (GNU/Linux)"},
		{"/usr/bin/true", "ELF 64-bit LSB "},
		{filepath.Join(dir, "jpeg"), "JPEG image data, JFIF standard 1.01, resolution (DPI), density 72x72, segment length 16"},
	} {
		content, err := os.ReadFile(c.host)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		require.NoError(t, err)
		st, err := os.Stat(c.host)
		require.NoError(t, err)
		want := hostRun(t, nil, "file", "-b", c.host)
		got := describe(t, content, st.Mode().Perm())
		assert.True(t, strings.HasPrefix(want, got) && strings.HasPrefix(got, c.want), "file %s: %q, host %q", c.host, got, want)
	}
}

// failAt is a reader whose reads starting at or past off fail with err.
type failAt struct {
	r   io.ReaderAt
	off int64
	err error
}

// ReadAt reads as r does below off.
func (f failAt) ReadAt(b []byte, off int64) (int, error) {
	if off >= f.off {
		return 0, f.err
	}
	return f.r.ReadAt(b, off)
}

// TestDescribeErrors checks that the reader's errors and the caller's
// cancellation end Describe with their error.
func TestDescribeErrors(t *testing.T) {
	boom := errors.New("boom")
	text := bytes.Repeat([]byte("text\n"), 100)
	_, err := magic.Describe(failAt{bytes.NewReader(text), 0, boom}, int64(len(text)), 0o644, nil)
	assert.Equal(t, boom, err, "the first read")
	gz := []byte(hostRun(t, []byte("x"), "gzip", "-n"))
	_, err = magic.Describe(failAt{bytes.NewReader(gz), int64(len(gz)) - 4, boom}, int64(len(gz)), 0o644, nil)
	assert.Equal(t, boom, err, "gzip's trailer")
	stop := errors.New("cancelled")
	_, err = magic.Describe(bytes.NewReader(text), int64(len(text)), 0o644, func() error { return stop })
	assert.Equal(t, stop, err, "cancelled")
	d, err := magic.Describe(bytes.NewReader(text), int64(len(text)), 0o644, func() error { return nil })
	require.NoError(t, err)
	assert.Equal(t, "ASCII text", d)
}
