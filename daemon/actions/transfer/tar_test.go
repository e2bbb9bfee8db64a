package transfer_test

import (
	"archive/tar"
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"goguestfs/daemon/daemontest"
	"goguestfs/daemon/server"
)

// tarOpt* are the positions of tar_in_opts's and tar_out_opts's optional
// arguments.
const (
	tarInCompress  = 0
	tarInXattrs    = 1
	tarOutCompress = 0
	tarOutExcludes = 2
	tarOutXattrs   = 3
)

// tarDisk starts a daemon with a fresh filesystem made by tool mounted at
// / and the directory /t, and returns it with the image.
func tarDisk(t *testing.T, tool string, args ...string) (*daemontest.Daemon, string) {
	t.Helper()
	img := daemontest.Image(t, 128<<20)
	out, err := exec.Command(tool, append(args, img)...).CombinedOutput()
	require.NoError(t, err, "%s", out)
	d := daemontest.Start(t, img)
	require.NoError(t, d.Call("mount", nil, "/dev/sda", "/"))
	require.NoError(t, d.Call("mkdir", nil, "/t"))
	return d, img
}

// tarExt is tarDisk with ext4.
func tarExt(t *testing.T) (*daemontest.Daemon, string) {
	return tarDisk(t, "mkfs.ext4", "-q", "-F")
}

// tarRun runs a host command and returns its standard output, failing
// the test on an error or anything on standard error.
func tarRun(t *testing.T, name string, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Run(), "%s %v: %s", name, args, stderr.String())
	require.Empty(t, stderr.String(), "%s %v", name, args)
	return stdout.String()
}

// tarMember is what a comparison keeps of a member.
type tarMember struct {
	Type     byte
	Mode     int64
	Uid, Gid int
	Mtime    int64
	Size     int64
	Sum      string
	Link     string
	Major    int64
	Minor    int64
	Xattrs   map[string]string
}

// tarRead parses an archive (gzip-compressed when gz) into its members
// by name without "./" and a trailing "/"; a hard link takes its
// target's content, and the set of names of each hard-linked file is
// returned as sorted groups.
func tarRead(t *testing.T, p string, gz bool) (map[string]tarMember, [][]string) {
	t.Helper()
	f := open(t, p)
	var r io.Reader = f
	if gz {
		z, err := gzip.NewReader(f)
		require.NoError(t, err)
		r = z
	}
	norm := func(n string) string {
		return strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(n, "./"), "."), "/")
	}
	out := map[string]tarMember{}
	groups := map[string][]string{}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		name := norm(h.Name)
		m := tarMember{Type: h.Typeflag, Mode: h.Mode & 0o7777, Uid: h.Uid, Gid: h.Gid, Mtime: h.ModTime.Unix(),
			Size: h.Size, Link: h.Linkname, Major: h.Devmajor, Minor: h.Devminor}
		for k, v := range h.PAXRecords {
			if strings.HasPrefix(k, "SCHILY.xattr.") {
				if m.Xattrs == nil {
					m.Xattrs = map[string]string{}
				}
				m.Xattrs[k] = v
			}
		}
		switch h.Typeflag {
		case tar.TypeReg:
			s := sha256.New()
			_, err := io.Copy(s, tr)
			require.NoError(t, err)
			m.Sum = hex.EncodeToString(s.Sum(nil))
		case tar.TypeLink:
			target := norm(h.Linkname)
			tm, ok := out[target]
			require.True(t, ok, "%s links to %s, not seen before", name, target)
			groups[target] = append(groups[target], name)
			m = tm
		}
		if m.Type == tar.TypeSymlink {
			m.Mtime = 0 // the times of links are not restored
		}
		out[name] = m
	}
	var gs [][]string
	for first, others := range groups {
		g := append([]string{first}, others...)
		sort.Strings(g)
		gs = append(gs, g)
	}
	sort.Slice(gs, func(i, j int) bool { return gs[i][0] < gs[j][0] })
	return out, gs
}

// tarNames returns the member names of an archive in order, as written.
func tarNames(t *testing.T, p string) []string {
	t.Helper()
	tr := tar.NewReader(open(t, p))
	var names []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return names
		}
		require.NoError(t, err)
		names = append(names, h.Name)
	}
}

// tarTree makes a host tree with every kind of file tar_in restores
// without privileges, and returns its path.
func tarTree(t *testing.T) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), "tree")
	require.NoError(t, os.MkdirAll(filepath.Join(root, "dir", "sub"), 0o755))
	random := make([]byte, 3<<20)
	_, err := rand.Read(random)
	require.NoError(t, err)
	files := map[string][]byte{
		"random":                 random,
		"empty":                  nil,
		"dir/text":               []byte("hello\n"),
		"dir/sub/secret":         []byte("secret\n"),
		"with space \xe9.txt":    []byte("not utf-8\n"),
		"suid":                   []byte("#!/bin/sh\n"),
		"dir/sub/zeros-and-data": append(make([]byte, 2<<20), 'x'),
	}
	for name, b := range files {
		require.NoError(t, os.WriteFile(filepath.Join(root, name), b, 0o644))
	}
	require.NoError(t, os.Chmod(filepath.Join(root, "dir/sub/secret"), 0o600))
	require.NoError(t, os.Chmod(filepath.Join(root, "suid"), os.ModeSetuid|0o755))
	require.NoError(t, os.Symlink("dir/text", filepath.Join(root, "link")))
	require.NoError(t, os.Symlink("/nowhere", filepath.Join(root, "dir/dangling")))
	require.NoError(t, os.Link(filepath.Join(root, "dir/text"), filepath.Join(root, "hard")))
	require.NoError(t, unix.Mkfifo(filepath.Join(root, "dir/fifo"), 0o640))
	require.NoError(t, os.Mkdir(filepath.Join(root, "readonly"), 0o555))
	mtime := time.Unix(1500000000, 0)
	require.NoError(t, filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		require.NoError(t, err)
		if fi.Mode()&os.ModeSymlink != 0 {
			return nil
		}
		return os.Chtimes(p, mtime, mtime.Add(time.Duration(len(p))*time.Second))
	}))
	return root
}

// tarHostArchive archives the host tree root with the host's tar, every
// member owned by 1000:1000.
func tarHostArchive(t *testing.T, root string, extra ...string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "in.tar")
	args := append([]string{"--format=gnu", "--numeric-owner", "--owner=1000", "--group=1000"}, extra...)
	tarRun(t, "tar", append(args, "-cf", p, "-C", root, ".")...)
	return p
}

// tarOut runs tar_out_opts of dir into a new host file and returns its
// path.
func tarOut(t *testing.T, d *daemontest.Daemon, dir string, opts map[int]any) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "out.tar")
	_, err := d.CallOpts("tar_out_opts", opts, nil, dir, create(t, p))
	require.NoError(t, err)
	return p
}

// tarCompareTree checks that the host tree got has the contents, modes
// and times of want, symbolic links and FIFOs included.
func tarCompareTree(t *testing.T, want, got string) {
	t.Helper()
	var names []string
	require.NoError(t, filepath.Walk(want, func(p string, fi os.FileInfo, err error) error {
		require.NoError(t, err)
		rel, _ := filepath.Rel(want, p)
		names = append(names, rel)
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
			assert.True(t, bytes.Equal(wb, gb), "%s: contents differ", rel)
		case fi.Mode()&os.ModeSymlink != 0:
			wl, _ := os.Readlink(p)
			gl, _ := os.Readlink(filepath.Join(got, rel))
			assert.Equal(t, wl, gl, rel)
			return nil
		}
		assert.Equal(t, fi.ModTime().Unix(), g.ModTime().Unix(), rel)
		return nil
	}))
	var gotNames []string
	require.NoError(t, filepath.Walk(got, func(p string, fi os.FileInfo, err error) error {
		require.NoError(t, err)
		rel, _ := filepath.Rel(got, p)
		gotNames = append(gotNames, rel)
		return nil
	}))
	assert.ElementsMatch(t, names, gotNames)
}

func TestTarRoundTrip(t *testing.T) {
	for _, gz := range []bool{false, true} {
		t.Run(map[bool]string{false: "plain", true: "gzip"}[gz], func(t *testing.T) {
			d, img := tarExt(t)
			tree := tarTree(t)
			in := tarHostArchive(t, tree)
			inOpts := map[int]any{}
			outOpts := map[int]any{}
			if gz {
				in = tarHostArchive(t, tree, "-z")
				inOpts[tarInCompress] = "gzip"
				outOpts[tarOutCompress] = "gzip"
			}
			_, err := d.CallOpts("tar_in_opts", inOpts, nil, open(t, in), "/t")
			require.NoError(t, err)

			var st server.Statns
			require.NoError(t, d.Call("lstatns", &st, "/t/suid"))
			assert.EqualValues(t, 0o104755, st.StMode)
			assert.EqualValues(t, 1000, st.StUid)
			assert.EqualValues(t, 1000, st.StGid)
			require.NoError(t, d.Call("lstatns", &st, "/t/dir/fifo"))
			assert.EqualValues(t, 0o10640, st.StMode)
			var a, b server.Statns
			require.NoError(t, d.Call("lstatns", &a, "/t/hard"))
			require.NoError(t, d.Call("lstatns", &b, "/t/dir/text"))
			assert.Equal(t, a.StIno, b.StIno, "a hard link")
			var names []string
			require.NoError(t, d.Call("ls", &names, "/t"))
			assert.Contains(t, names, "with space \xe9.txt")

			out := tarOut(t, d, "/t", outOpts)
			want, wantLinks := tarRead(t, in, gz)
			got, gotLinks := tarRead(t, out, gz)
			assert.Equal(t, want, got)
			assert.Equal(t, wantLinks, gotLinks)

			// GNU tar reads it without a word on stderr, and what it
			// extracts is the original tree.
			list := tarRun(t, "tar", "--numeric-owner", "-tvf", out)
			assert.Contains(t, list, "1000/1000")
			x := t.TempDir()
			tarRun(t, "tar", "-xf", out, "-C", x)
			tarCompareTree(t, tree, x)
			if !gz {
				names := tarNames(t, out)
				require.NotEmpty(t, names)
				assert.Equal(t, "./", names[0])
			}
			check(t, d, img, "e2fsck", "-fn")
		})
	}
}

func TestTarOutOrderAndSkips(t *testing.T) {
	d, img := tarExt(t)
	for _, p := range []string{"/t/b", "/t/a", "/t/a/z", "/t/a/c"} {
		require.NoError(t, d.Call("mkdir", nil, p))
	}
	require.NoError(t, d.Call("write", nil, "/t/a/c/f", []byte("x")))
	require.NoError(t, d.Call("mknod", nil, 0o140644, 0, 0, "/t/sock"))
	require.NoError(t, d.Call("mknod", nil, 0o20644, 4, 64, "/t/tty"))
	require.NoError(t, d.Call("mknod", nil, 0o60644, 8, 1, "/t/sda1"))
	out := tarOut(t, d, "/t", nil)
	assert.Equal(t, []string{"./", "./a/", "./a/c/", "./a/c/f", "./a/z/", "./b/", "./sda1", "./tty"}, tarNames(t, out))
	got, _ := tarRead(t, out, false)
	assert.Equal(t, tarMember{Type: tar.TypeChar, Mode: 0o644, Major: 4, Minor: 64, Mtime: got["tty"].Mtime}, got["tty"])
	assert.Equal(t, tarMember{Type: tar.TypeBlock, Mode: 0o644, Major: 8, Minor: 1, Mtime: got["sda1"].Mtime}, got["sda1"])
	tarRun(t, "tar", "-tvf", out)

	// Devices come back through tar_in.
	require.NoError(t, d.Call("mkdir", nil, "/u"))
	require.NoError(t, d.Call("tar_in_opts", nil, open(t, out), "/u"))
	var st server.Statns
	require.NoError(t, d.Call("lstatns", &st, "/u/tty"))
	assert.EqualValues(t, 0o20644, st.StMode)
	assert.EqualValues(t, unix.Mkdev(4, 64), st.StRdev)
	require.NoError(t, d.Call("lstatns", &st, "/u/sda1"))
	assert.EqualValues(t, 0o60644, st.StMode)
	assert.EqualValues(t, unix.Mkdev(8, 1), st.StRdev)
	check(t, d, img, "e2fsck", "-fn")
}

func TestTarOutExcludes(t *testing.T) {
	d, img := tarExt(t)
	require.NoError(t, d.Call("mkdir_p", nil, "/t/keep/cache"))
	require.NoError(t, d.Call("mkdir_p", nil, "/t/cache/deep"))
	for _, f := range []string{"/t/a.o", "/t/keep/b.o", "/t/keep/b.c", "/t/keep/cache/x", "/t/cache/deep/y", "/t/top"} {
		require.NoError(t, d.Call("write", nil, f, []byte("x")))
	}
	out := tarOut(t, d, "/t", map[int]any{tarOutExcludes: []string{"*.o", "cache", "top"}})
	assert.Equal(t, []string{"./", "./keep/", "./keep/b.c"}, tarNames(t, out))
	out = tarOut(t, d, "/t", map[int]any{tarOutExcludes: []string{"keep/cache"}})
	assert.Equal(t, []string{"./", "./a.o", "./cache/", "./cache/deep/", "./cache/deep/y", "./keep/", "./keep/b.c", "./keep/b.o", "./top"}, tarNames(t, out))
	_, err := d.CallOpts("tar_out_opts", map[int]any{tarOutExcludes: []string{"["}}, nil, "/t", create(t, filepath.Join(t.TempDir(), "x")))
	assert.Equal(t, syscall.EINVAL, errnoOf(t, err))
	check(t, d, img, "e2fsck", "-fn")
}

func TestTarXattrs(t *testing.T) {
	d, img := tarExt(t)
	require.NoError(t, d.Call("write", nil, "/t/f", []byte("content")))
	require.NoError(t, d.Call("setxattr", nil, "user.foo", "bar\x00baz", 7, "/t/f"))
	require.NoError(t, d.Call("mkdir", nil, "/t/d"))
	require.NoError(t, d.Call("setxattr", nil, "user.dir", "v", 1, "/t/d"))

	plain := tarOut(t, d, "/t", nil)
	got, _ := tarRead(t, plain, false)
	assert.Nil(t, got["f"].Xattrs, "no xattrs unless asked")

	out := tarOut(t, d, "/t", map[int]any{tarOutXattrs: true})
	got, _ = tarRead(t, out, false)
	assert.Equal(t, map[string]string{"SCHILY.xattr.user.foo": "bar\x00baz"}, got["f"].Xattrs)
	assert.Equal(t, map[string]string{"SCHILY.xattr.user.dir": "v"}, got["d"].Xattrs)
	list := tarRun(t, "tar", "--xattrs", "-tvf", out)
	assert.Contains(t, list, "./f")

	require.NoError(t, d.Call("mkdir", nil, "/without"))
	require.NoError(t, d.Call("tar_in_opts", nil, open(t, out), "/without"))
	var v []byte
	assert.Equal(t, syscall.ENODATA, errnoOf(t, d.Call("getxattr", &v, "/without/f", "user.foo")))

	require.NoError(t, d.Call("mkdir", nil, "/with"))
	_, err := d.CallOpts("tar_in_opts", map[int]any{tarInXattrs: true}, nil, open(t, out), "/with")
	require.NoError(t, err)
	require.NoError(t, d.Call("getxattr", &v, "/with/f", "user.foo"))
	assert.Equal(t, []byte("bar\x00baz"), v)
	require.NoError(t, d.Call("getxattr", &v, "/with/d", "user.dir"))
	assert.Equal(t, []byte("v"), v)
	check(t, d, img, "e2fsck", "-fn")
}

// tarMake writes a hand-made archive of the given headers (a regular
// member's content is its Linkname field moved into the body) and
// returns its path.
func tarMake(t *testing.T, hs ...tar.Header) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "made.tar")
	f := create(t, p)
	tw := tar.NewWriter(f)
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
	return p
}

func TestTarInHostile(t *testing.T) {
	d, img := tarExt(t)
	require.NoError(t, d.Call("mkdir", nil, "/etc"))
	require.NoError(t, d.Call("write", nil, "/etc/passwd", []byte("root\n")))
	reg := func(name, content string) tar.Header {
		return tar.Header{Typeflag: tar.TypeReg, Name: name, Linkname: content}
	}
	sym := func(name, target string) tar.Header {
		return tar.Header{Typeflag: tar.TypeSymlink, Name: name, Linkname: target}
	}
	for i, c := range []struct {
		name    string
		members []tar.Header
		want    syscall.Errno
		stays   []string // members before the bad one, which must exist
	}{
		{"absolute", []tar.Header{reg("ok", "1"), reg("/etc/passwd", "pwned")}, syscall.EINVAL, []string{"ok"}},
		{"dotdot", []tar.Header{reg("ok", "1"), reg("a/../../etc/passwd", "pwned")}, syscall.EINVAL, []string{"ok"}},
		{"dotdot-leading", []tar.Header{reg("../passwd", "pwned")}, syscall.EINVAL, nil},
		{"symlink-to-etc", []tar.Header{sym("link", "/etc"), reg("link/passwd", "pwned")}, syscall.EINVAL, []string{"link"}},
		{"symlink-up", []tar.Header{sym("up", ".."), reg("up/etc/passwd", "pwned")}, syscall.EINVAL, []string{"up"}},
		{"symlink-dir-member", []tar.Header{sym("d", "/etc"), {Typeflag: tar.TypeDir, Name: "d/x/"}}, syscall.EINVAL, []string{"d"}},
		{"hardlink-absolute", []tar.Header{{Typeflag: tar.TypeLink, Name: "h", Linkname: "/etc/passwd"}}, syscall.EINVAL, nil},
		{"hardlink-dotdot", []tar.Header{{Typeflag: tar.TypeLink, Name: "h", Linkname: "../etc/passwd"}}, syscall.EINVAL, nil},
		{"hardlink-via-symlink", []tar.Header{sym("e", "/etc"), {Typeflag: tar.TypeLink, Name: "h", Linkname: "e/passwd"}}, syscall.EINVAL, []string{"e"}},
		{"dot-not-dir", []tar.Header{reg(".", "x")}, syscall.EINVAL, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := "/x" + string(rune('a'+i))
			require.NoError(t, d.Call("mkdir", nil, dir))
			err := d.Call("tar_in_opts", nil, open(t, tarMake(t, c.members...)), dir)
			require.Error(t, err)
			assert.Equal(t, c.want, errnoOf(t, err), "%v", err)
			var names []string
			require.NoError(t, d.Call("ls", &names, dir))
			assert.ElementsMatch(t, c.stays, names)
		})
	}
	var content []byte
	require.NoError(t, d.Call("read_file", &content, "/etc/passwd"))
	assert.Equal(t, "root\n", string(content))
	var names []string
	require.NoError(t, d.Call("ls", &names, "/etc"))
	assert.Equal(t, []string{"passwd"}, names)

	// A member whose name is an existing symbolic link replaces the link
	// and never writes through it.
	require.NoError(t, d.Call("mkdir", nil, "/y"))
	require.NoError(t, d.Call("ln_s", nil, "/etc/passwd", "/y/f"))
	require.NoError(t, d.Call("ln_s", nil, "/etc", "/y/d"))
	require.NoError(t, d.Call("tar_in_opts", nil, open(t, tarMake(t, reg("f", "new"), tar.Header{Typeflag: tar.TypeDir, Name: "d/", Mode: 0o700})), "/y"))
	require.NoError(t, d.Call("read_file", &content, "/etc/passwd"))
	assert.Equal(t, "root\n", string(content))
	require.NoError(t, d.Call("read_file", &content, "/y/f"))
	assert.Equal(t, "new", string(content))
	var isDir bool
	require.NoError(t, d.Call("is_dir_opts", &isDir, "/y/d"))
	assert.True(t, isDir)
	var st server.Statns
	require.NoError(t, d.Call("lstatns", &st, "/etc"))
	assert.EqualValues(t, 0o40755, st.StMode)
	check(t, d, img, "e2fsck", "-fn")
}

func TestTarInReplaceAndDirModes(t *testing.T) {
	d, img := tarExt(t)
	require.NoError(t, d.Call("write", nil, "/t/old", []byte("old content that is longer")))
	require.NoError(t, d.Call("mkdir", nil, "/t/emptydir"))
	dirTime := time.Unix(1234567890, 0)
	arch := tarMake(t,
		tar.Header{Typeflag: tar.TypeReg, Name: "old", Linkname: "new"},
		tar.Header{Typeflag: tar.TypeSymlink, Name: "emptydir", Linkname: "old"},
		tar.Header{Typeflag: tar.TypeDir, Name: "ro/", Mode: 0o500, ModTime: dirTime},
		tar.Header{Typeflag: tar.TypeReg, Name: "ro/inside", Linkname: "in", ModTime: dirTime},
		tar.Header{Typeflag: tar.TypeReg, Name: "implicit/parent/file", Linkname: "p"},
		tar.Header{Typeflag: tar.TypeLink, Name: "implicit/hl", Linkname: "ro/inside"},
	)
	require.NoError(t, d.Call("tar_in_opts", nil, open(t, arch), "/t"))
	var content []byte
	require.NoError(t, d.Call("read_file", &content, "/t/old"))
	assert.Equal(t, "new", string(content))
	var target string
	require.NoError(t, d.Call("readlink", &target, "/t/emptydir"))
	assert.Equal(t, "old", target)
	var st server.Statns
	require.NoError(t, d.Call("lstatns", &st, "/t/ro"))
	assert.EqualValues(t, 0o40500, st.StMode)
	assert.Equal(t, dirTime.Unix(), st.StMtimeSec)
	require.NoError(t, d.Call("lstatns", &st, "/t/implicit/hl"))
	assert.EqualValues(t, 2, st.StNlink)
	require.NoError(t, d.Call("read_file", &content, "/t/implicit/parent/file"))
	assert.Equal(t, "p", string(content))
	check(t, d, img, "e2fsck", "-fn")
}

func TestTarCompress(t *testing.T) {
	d, img := tarExt(t)
	arch := tarMake(t, tar.Header{Typeflag: tar.TypeReg, Name: "f", Linkname: "x"})
	for _, c := range []struct {
		method string
		want   syscall.Errno
	}{{"bzip2", syscall.ENOTSUP}, {"xz", syscall.ENOTSUP}, {"zstd", syscall.ENOTSUP}, {"lzop", syscall.ENOTSUP}, {"compress", syscall.ENOTSUP}, {"rot13", syscall.EINVAL}} {
		_, err := d.CallOpts("tar_in_opts", map[int]any{tarInCompress: c.method}, nil, open(t, arch), "/t")
		assert.Equal(t, c.want, errnoOf(t, err), c.method)
		_, err = d.CallOpts("tar_out_opts", map[int]any{tarOutCompress: c.method}, nil, "/t", create(t, filepath.Join(t.TempDir(), "o")))
		assert.Equal(t, c.want, errnoOf(t, err), c.method)
	}
	// "none" is no compression; a plain archive read as gzip is EINVAL.
	_, err := d.CallOpts("tar_in_opts", map[int]any{tarInCompress: "none"}, nil, open(t, arch), "/t")
	require.NoError(t, err)
	_, err = d.CallOpts("tar_in_opts", map[int]any{tarInCompress: "gzip"}, nil, open(t, arch), "/t")
	assert.Equal(t, syscall.EINVAL, errnoOf(t, err))
	// Garbage is EINVAL; a missing directory ENOENT, a file ENOTDIR.
	junk := filepath.Join(t.TempDir(), "junk")
	require.NoError(t, os.WriteFile(junk, bytes.Repeat([]byte("junk"), 1000), 0o644))
	assert.Equal(t, syscall.EINVAL, errnoOf(t, d.Call("tar_in_opts", nil, open(t, junk), "/t")))
	assert.Equal(t, syscall.ENOENT, errnoOf(t, d.Call("tar_in_opts", nil, open(t, arch), "/nope")))
	assert.Equal(t, syscall.ENOTDIR, errnoOf(t, d.Call("tar_in_opts", nil, open(t, arch), "/t/f")))
	assert.Equal(t, syscall.ENOTDIR, errnoOf(t, d.Call("tar_out_opts", nil, "/t/f", create(t, filepath.Join(t.TempDir(), "o")))))
	check(t, d, img, "e2fsck", "-fn")
}

func TestTarVfat(t *testing.T) {
	d, img := tarDisk(t, "mkfs.vfat")
	ok := tarMake(t,
		tar.Header{Typeflag: tar.TypeDir, Name: "./", Mode: 0o755},
		tar.Header{Typeflag: tar.TypeDir, Name: "./d/", Mode: 0o755, Uid: 1000, Gid: 1000},
		tar.Header{Typeflag: tar.TypeReg, Name: "./d/f.txt", Linkname: "hello", Uid: 1000, Gid: 1000, ModTime: time.Unix(1500000000, 0)},
	)
	require.NoError(t, d.Call("tar_in_opts", nil, open(t, ok), "/t"))
	var content []byte
	require.NoError(t, d.Call("read_file", &content, "/t/d/f.txt"))
	assert.Equal(t, "hello", string(content))
	out := tarOut(t, d, "/t", nil)
	assert.Equal(t, []string{"./", "./d/", "./d/f.txt"}, tarNames(t, out))

	link := tarMake(t, tar.Header{Typeflag: tar.TypeSymlink, Name: "l", Linkname: "d"})
	var lnErr error
	lnErr = d.Call("ln_s", nil, "d", "/t/l2")
	require.Error(t, lnErr)
	err := d.Call("tar_in_opts", nil, open(t, link), "/t")
	require.Error(t, err)
	assert.Equal(t, errnoOf(t, lnErr), errnoOf(t, err))
	check(t, d, img, "fsck.fat", "-n")
}

func TestTarProgress(t *testing.T) {
	d, img := tarExt(t)
	big := make([]byte, 20<<20)
	_, err := rand.Read(big)
	require.NoError(t, err)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "big"), big, 0o644))
	arch := tarHostArchive(t, dir)
	fi, err := os.Stat(arch)
	require.NoError(t, err)
	progress, err := d.CallOpts("tar_in_opts", nil, nil, open(t, arch), "/t")
	require.NoError(t, err)
	require.NotEmpty(t, progress)
	var last uint64
	for _, p := range progress {
		assert.EqualValues(t, fi.Size(), p.Total)
		assert.GreaterOrEqual(t, p.Position, last)
		assert.LessOrEqual(t, p.Position, p.Total)
		last = p.Position
	}
	assert.EqualValues(t, fi.Size(), last)

	// tar_out counts the content archived.
	progress, err = d.CallOpts("tar_out_opts", nil, nil, "/t", create(t, filepath.Join(t.TempDir(), "o")))
	require.NoError(t, err)
	require.NotEmpty(t, progress)
	last = 0
	for _, p := range progress {
		assert.EqualValues(t, len(big), p.Total)
		assert.GreaterOrEqual(t, p.Position, last)
		last = p.Position
	}
	assert.EqualValues(t, len(big), last)
	check(t, d, img, "e2fsck", "-fn")
}

func TestTarOutCrossesMounts(t *testing.T) {
	ext := daemontest.Image(t, 64<<20)
	out, err := exec.Command("mkfs.ext4", "-q", "-F", ext).CombinedOutput()
	require.NoError(t, err, "%s", out)
	fat := daemontest.Image(t, 32<<20)
	out, err = exec.Command("mkfs.vfat", fat).CombinedOutput()
	require.NoError(t, err, "%s", out)
	d := daemontest.Start(t, ext, fat)
	require.NoError(t, d.Call("mount", nil, "/dev/sda", "/"))
	require.NoError(t, d.Call("mkdir_p", nil, "/t/mnt"))
	require.NoError(t, d.Call("write", nil, "/t/a", []byte("on ext4")))
	require.NoError(t, d.Call("mount", nil, "/dev/sdb", "/t/mnt"))
	require.NoError(t, d.Call("write", nil, "/t/mnt/b", []byte("on vfat")))
	arch := tarOut(t, d, "/t", nil)
	assert.Equal(t, []string{"./", "./a", "./mnt/", "./mnt/b"}, tarNames(t, arch))
	got, _ := tarRead(t, arch, false)
	sum := sha256.Sum256([]byte("on vfat"))
	assert.Equal(t, hex.EncodeToString(sum[:]), got["mnt/b"].Sum)
	check(t, d, ext, "e2fsck", "-fn")
	out, err = exec.Command("fsck.fat", "-n", fat).CombinedOutput()
	assert.NoError(t, err, "fsck.fat: %s", out)
}
