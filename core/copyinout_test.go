package core

import (
	"archive/tar"
	"bytes"
	"crypto/rand"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// copyTree makes a host tree named src with every kind of file copy_in
// takes, a name that is not UTF-8 among them, and returns its path.
func copyTree(t *testing.T) string {
	t.Helper()
	src := filepath.Join(t.TempDir(), "src")
	require.NoError(t, os.MkdirAll(filepath.Join(src, "dir", "sub"), 0o755))
	random := make([]byte, 1<<20+17)
	_, err := rand.Read(random)
	require.NoError(t, err)
	for name, b := range map[string][]byte{
		"random":          random,
		"empty":           nil,
		"caf\xe9 \xd4":    []byte("latin-1\n"),
		"dir/sub/secret":  []byte("secret\n"),
		"dir/text":        []byte("hello\n"),
		"readonly/inside": []byte("in a read-only directory\n"),
	} {
		require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(src, name)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(src, name), b, 0o644))
	}
	require.NoError(t, os.Chmod(filepath.Join(src, "dir/sub/secret"), 0o600))
	require.NoError(t, os.Chmod(filepath.Join(src, "readonly"), 0o555))
	require.NoError(t, os.Symlink("dir/text", filepath.Join(src, "link")))
	require.NoError(t, os.Link(filepath.Join(src, "dir/text"), filepath.Join(src, "hard")))
	require.NoError(t, unix.Mkfifo(filepath.Join(src, "fifo"), 0o640))
	mtime := time.Unix(1500000000, 123456789)
	require.NoError(t, filepath.Walk(src, func(p string, fi fs.FileInfo, err error) error {
		require.NoError(t, err)
		if fi.Mode()&fs.ModeSymlink != 0 {
			return nil
		}
		return os.Chtimes(p, mtime, mtime.Add(time.Duration(len(p))*time.Second))
	}))
	t.Cleanup(func() { os.Chmod(filepath.Join(src, "readonly"), 0o755) })
	return src
}

// compareHostTrees checks that got has the names, types, contents, modes,
// modification times and link targets of want.
func compareHostTrees(t *testing.T, want, got string) {
	t.Helper()
	var wantNames, gotNames []string
	require.NoError(t, filepath.Walk(want, func(p string, fi fs.FileInfo, err error) error {
		require.NoError(t, err)
		rel, _ := filepath.Rel(want, p)
		wantNames = append(wantNames, rel)
		g, err := os.Lstat(filepath.Join(got, rel))
		if !assert.NoError(t, err, rel) {
			return nil
		}
		assert.Equal(t, fi.Mode(), g.Mode(), rel)
		switch {
		case fi.Mode().IsRegular():
			wb, err := os.ReadFile(p)
			require.NoError(t, err)
			gb, err := os.ReadFile(filepath.Join(got, rel))
			require.NoError(t, err)
			assert.True(t, bytes.Equal(wb, gb), "%q: contents differ", rel)
		case fi.Mode()&fs.ModeSymlink != 0:
			wl, _ := os.Readlink(p)
			gl, _ := os.Readlink(filepath.Join(got, rel))
			assert.Equal(t, wl, gl, rel)
			return nil
		}
		assert.Equal(t, fi.ModTime().Unix(), g.ModTime().Unix(), rel)
		return nil
	}))
	require.NoError(t, filepath.Walk(got, func(p string, fi fs.FileInfo, err error) error {
		require.NoError(t, err)
		rel, _ := filepath.Rel(got, p)
		gotNames = append(gotNames, rel)
		return nil
	}))
	assert.ElementsMatch(t, wantNames, gotNames)
}

// openFDs counts the process's open descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	require.NoError(t, err)
	return len(ents)
}

func TestCopyInOut(t *testing.T) {
	h, img := extHandle(t, 128<<20, func() *Handle { return newDaemonHandle(t) })
	src := copyTree(t)
	fds := openFDs(t)
	require.NoError(t, h.CopyIn(src, "/"))
	assert.Equal(t, fds, openFDs(t), "no descriptor leaks")

	found, err := h.Find("/src")
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"random", "empty", "caf\xe9 \xd4", "dir", "dir/sub", "dir/sub/secret", "dir/text",
		"readonly", "readonly/inside", "link", "hard", "fifo"}, found)
	st, err := h.Lstatns("/src/dir/sub/secret")
	require.NoError(t, err)
	assert.EqualValues(t, 0o100600, st.StMode)
	assert.EqualValues(t, os.Getuid(), st.StUid)
	assert.EqualValues(t, 1500000000+len(filepath.Join(src, "dir/sub/secret")), st.StMtimeSec)
	assert.EqualValues(t, 123456789, st.StMtimeNsec, "times keep their nanoseconds")
	st, err = h.Lstatns("/src/readonly")
	require.NoError(t, err)
	assert.EqualValues(t, 0o40555, st.StMode)
	a, err := h.Lstatns("/src/hard")
	require.NoError(t, err)
	b, err := h.Lstatns("/src/dir/text")
	require.NoError(t, err)
	assert.Equal(t, a.StIno, b.StIno, "a hard link")
	target, err := h.Readlink("/src/link")
	require.NoError(t, err)
	assert.Equal(t, "dir/text", target)

	// A single file goes under its own name.
	require.NoError(t, h.Mkdir("/one"))
	require.NoError(t, h.CopyIn(filepath.Join(src, "dir/text"), "/one"))
	content, err := h.ReadFile("/one/text")
	require.NoError(t, err)
	assert.Equal(t, "hello\n", string(content))

	out := t.TempDir()
	fds = openFDs(t)
	require.NoError(t, h.CopyOut("/src", out))
	assert.Equal(t, fds, openFDs(t), "no descriptor leaks")
	compareHostTrees(t, src, filepath.Join(out, "src"))
	var sa, sb unix.Stat_t
	require.NoError(t, unix.Lstat(filepath.Join(out, "src/hard"), &sa))
	require.NoError(t, unix.Lstat(filepath.Join(out, "src/dir/text"), &sb))
	assert.Equal(t, sa.Ino, sb.Ino, "a hard link")
	t.Cleanup(func() { os.Chmod(filepath.Join(out, "src/readonly"), 0o755) })

	// Again into the same place: existing files are replaced.
	require.NoError(t, h.CopyOut("/src", out))
	compareHostTrees(t, src, filepath.Join(out, "src"))

	// The root of the guest goes into localdir itself.
	all := t.TempDir()
	require.NoError(t, h.CopyOut("/", all))
	_, err = os.Stat(filepath.Join(all, "lost+found"))
	assert.NoError(t, err)
	t.Cleanup(func() { os.Chmod(filepath.Join(all, "src/readonly"), 0o755) })
	checkClean(t, h, img)
}

func TestCopyOutFile(t *testing.T) {
	h, img := extHandle(t, 64<<20, func() *Handle { return newDaemonHandle(t) })
	require.NoError(t, h.Write("/f", []byte("a guest file")))
	out := t.TempDir()
	require.NoError(t, h.CopyOut("/f", out))
	b, err := os.ReadFile(filepath.Join(out, "f"))
	require.NoError(t, err)
	assert.Equal(t, "a guest file", string(b))
	checkClean(t, h, img)
}

func TestCopyInOutErrors(t *testing.T) {
	h, img := extHandle(t, 64<<20, func() *Handle { return newDaemonHandle(t) })
	require.NoError(t, h.Write("/file", []byte("x")))
	src := t.TempDir()

	err := h.CopyIn(filepath.Join(src, "missing"), "/")
	assert.ErrorIs(t, err, syscall.ENOENT)
	assert.Contains(t, err.Error(), "missing")
	err = h.CopyIn(src, "/file")
	assert.ErrorIs(t, err, syscall.ENOTDIR)
	assert.Contains(t, err.Error(), "/file")
	err = h.CopyIn(src, "/nope")
	assert.ErrorIs(t, err, syscall.ENOTDIR)

	// Host devices and sockets are refused, before anything is copied.
	err = h.CopyIn("/dev/null", "/")
	assert.ErrorIs(t, err, syscall.EINVAL)
	assert.Contains(t, err.Error(), "/dev/null")
	withSock := filepath.Join(src, "withsock")
	require.NoError(t, os.Mkdir(withSock, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(withSock, "a"), []byte("a"), 0o644))
	l, err := net.Listen("unix", filepath.Join(withSock, "sock"))
	require.NoError(t, err)
	defer l.Close()
	err = h.CopyIn(withSock, "/")
	assert.ErrorIs(t, err, syscall.EINVAL)
	assert.Contains(t, err.Error(), "sock")
	ok, err := h.Exists("/withsock")
	require.NoError(t, err)
	assert.False(t, ok)

	err = h.CopyOut("/", filepath.Join(src, "missing"))
	assert.ErrorIs(t, err, syscall.ENOENT)
	assert.Contains(t, err.Error(), "missing")
	require.NoError(t, os.WriteFile(filepath.Join(src, "hostfile"), nil, 0o644))
	err = h.CopyOut("/", filepath.Join(src, "hostfile"))
	assert.ErrorIs(t, err, syscall.ENOTDIR)
	err = h.CopyOut("/nope", src)
	assert.Error(t, err)
	assert.Contains(t, err.Error(), "/nope")
	checkClean(t, h, img)
}

// TestCopyInNonUTF8 is libguestfs's python/t/test830RHBZ1406906.py: a
// host name that is not UTF-8 arrives unchanged, and find returns it so.
func TestCopyInNonUTF8(t *testing.T) {
	h := newDaemonHandle(t)
	require.NoError(t, h.AddDriveScratch(512<<20, nil))
	require.NoError(t, h.Launch())
	require.NoError(t, h.PartDisk("/dev/sda", "mbr"))
	require.NoError(t, h.Mkfs("ext4", "/dev/sda1"))
	require.NoError(t, h.Mount("/dev/sda1", "/"))
	found, err := h.Find("/")
	require.NoError(t, err)
	assert.Equal(t, []string{"lost+found"}, found)

	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "\xd4"), nil, 0o644))
	require.NoError(t, h.CopyIn(dir, "/"))
	found, err = h.Find("/")
	require.NoError(t, err)
	want := filepath.Base(dir) + "/\xd4"
	assert.Contains(t, found, want)
	for _, f := range found {
		if f == want {
			assert.False(t, utf8.ValidString(f))
		}
	}
}

// hostileStream writes a tar stream of the given headers (a regular
// member's content is its Linkname, moved into the body).
func hostileStream(t *testing.T, hs ...tar.Header) *bytes.Buffer {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, h := range hs {
		var body []byte
		if h.Typeflag == tar.TypeReg {
			body, h.Linkname = []byte(h.Linkname), ""
			h.Size = int64(len(body))
		}
		if h.Mode == 0 {
			h.Mode = 0o644
		}
		require.NoError(t, tw.WriteHeader(&h))
		_, err := tw.Write(body)
		require.NoError(t, err)
	}
	require.NoError(t, tw.Close())
	return &buf
}

// TestExtractTreeHostile: copy_out's unpacking refuses members that would
// land outside the target directory, whatever the stream holds.
func TestExtractTreeHostile(t *testing.T) {
	outside := t.TempDir()
	reg := func(name, content string) tar.Header {
		return tar.Header{Typeflag: tar.TypeReg, Name: name, Linkname: content}
	}
	sym := func(name, target string) tar.Header {
		return tar.Header{Typeflag: tar.TypeSymlink, Name: name, Linkname: target}
	}
	for _, c := range []struct {
		name    string
		members []tar.Header
		stays   []string
	}{
		{"absolute", []tar.Header{reg("ok", "1"), reg(filepath.Join(outside, "pwned"), "x")}, []string{"ok"}},
		{"dotdot", []tar.Header{reg("../pwned", "x")}, nil},
		{"through-symlink", []tar.Header{sym("l", outside), reg("l/pwned", "x")}, []string{"l"}},
		{"through-symlink-up", []tar.Header{sym("up", ".."), reg("up/pwned", "x")}, []string{"up"}},
		{"hardlink-out", []tar.Header{{Typeflag: tar.TypeLink, Name: "h", Linkname: "../x"}}, nil},
		{"hardlink-via-symlink", []tar.Header{sym("e", outside), {Typeflag: tar.TypeLink, Name: "h", Linkname: "e/x"}}, []string{"e"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			root := filepath.Join(t.TempDir(), "root")
			require.NoError(t, os.Mkdir(root, 0o755))
			err := extractTree(hostileStream(t, c.members...), root)
			assert.ErrorIs(t, err, syscall.EINVAL)
			ents, err := os.ReadDir(root)
			require.NoError(t, err)
			var names []string
			for _, e := range ents {
				names = append(names, e.Name())
			}
			assert.ElementsMatch(t, c.stays, names)
			_, err = os.Lstat(filepath.Join(filepath.Dir(root), "pwned"))
			assert.ErrorIs(t, err, fs.ErrNotExist)
		})
	}
	ents, err := os.ReadDir(outside)
	require.NoError(t, err)
	assert.Empty(t, ents)

	// An existing symbolic link named by a member is replaced, not
	// written through; device nodes are skipped.
	root := t.TempDir()
	victim := filepath.Join(outside, "victim")
	require.NoError(t, os.WriteFile(victim, []byte("safe"), 0o644))
	require.NoError(t, os.Symlink(victim, filepath.Join(root, "f")))
	require.NoError(t, extractTree(hostileStream(t, reg("f", "new"),
		tar.Header{Typeflag: tar.TypeChar, Name: "tty", Devmajor: 4, Devminor: 1}), root))
	b, err := os.ReadFile(victim)
	require.NoError(t, err)
	assert.Equal(t, "safe", string(b))
	fi, err := os.Lstat(filepath.Join(root, "f"))
	require.NoError(t, err)
	assert.True(t, fi.Mode().IsRegular())
	_, err = os.Lstat(filepath.Join(root, "tty"))
	assert.ErrorIs(t, err, fs.ErrNotExist)
}
