package file_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"goguestfs/daemon/daemontest"
	"goguestfs/daemon/server"
)

// bootDaemon starts a daemon with an ext4 at / and a vfat at /boot.
func bootDaemon(t *testing.T) (d *daemontest.Daemon, root, boot string) {
	t.Helper()
	root = mkfsImage(t, 64<<20, "mkfs.ext4", "-q", "-F")
	boot = mkfsImage(t, 64<<20, "mkfs.fat")
	d = daemontest.Start(t, root, boot)
	require.NoError(t, d.Call("mount", nil, "/dev/sda", "/"))
	require.NoError(t, d.Call("mkdir", nil, "/boot"))
	require.NoError(t, d.Call("mount", nil, "/dev/sdb", "/boot"))
	return d, root, boot
}

// tree is a directory tree made both in a guest and on the host: paths
// ending in "/" are directories, "name -> target" symbolic links, others
// files holding their own name.
type tree []string

// make makes the tree under dir in the guest (through d) and under
// host on the host (host "" for none).
func (tr tree) make(t *testing.T, d *daemontest.Daemon, dir, host string) {
	t.Helper()
	for _, e := range tr {
		name, target, link := strings.Cut(e, " -> ")
		switch {
		case link:
			require.NoError(t, d.Call("ln_s", nil, target, dir+"/"+name))
			if host != "" {
				require.NoError(t, os.Symlink(target, filepath.Join(host, name)))
			}
		case strings.HasSuffix(name, "/"):
			require.NoError(t, d.Call("mkdir_p", nil, dir+"/"+strings.TrimSuffix(name, "/")))
			if host != "" {
				require.NoError(t, os.MkdirAll(filepath.Join(host, name), 0o755))
			}
		default:
			require.NoError(t, d.Call("write", nil, dir+"/"+name, []byte(name)))
			if host != "" {
				require.NoError(t, os.WriteFile(filepath.Join(host, name), []byte(name), 0o644))
			}
		}
	}
}

func TestFind(t *testing.T) {
	d, root, boot := bootDaemon(t)
	host := t.TempDir()
	tree{"lost+found/", "boot/", "a/b/c/", "a/b/c/file", "a/b/x", "a/link -> b", "a/dangling -> /nowhere", "x", "empty/",
		"a/b/Big Name with spaces"}.make(t, d, "", host)
	tree{"EFI/BOOT/", "EFI/BOOT/BOOTX64.EFI", "grub.cfg", "Long Name.txt"}.make(t, d, "/boot", filepath.Join(host, "boot"))
	findHost := func(dir string) []string {
		out, code := hostRun(t, nil, "sh", "-c", "find \"$1\" -mindepth 1 -printf '%P\\n' | LC_ALL=C sort", "sh", dir)
		require.Equal(t, 0, code)
		return splitLines(out)
	}
	var got []string
	require.NoError(t, d.Call("find", &got, "/"))
	assert.Equal(t, findHost(host), got, "crossing /boot")
	require.NoError(t, d.Call("find", &got, "/boot"))
	assert.Equal(t, findHost(filepath.Join(host, "boot")), got)
	require.NoError(t, d.Call("find", &got, "/a/b/"))
	assert.Equal(t, findHost(filepath.Join(host, "a/b")), got)
	require.NoError(t, d.Call("find", &got, "/a/link"))
	assert.Equal(t, findHost(filepath.Join(host, "a/b")), got, "a link to a directory lists the directory")
	require.NoError(t, d.Call("find", &got, "/empty"))
	assert.Equal(t, []string{}, got)
	errnoIs(t, d.Call("find", &got, "/x"), syscall.ENOTDIR)
	errnoIs(t, d.Call("find", &got, "/nope"), syscall.ENOENT)
	errnoIs(t, d.Call("find", &got, "/a/dangling"), syscall.ENOENT)
	_, err := d.CallOpts("umount_opts", nil, nil, "/boot")
	require.NoError(t, err)
	fsckClean(t, d, root, "e2fsck", "-fn")
	out, err := exec.Command("fsck.fat", "-n", boot).CombinedOutput()
	assert.NoError(t, err, "%s", out)
}

func TestLl(t *testing.T) {
	img := mkfsImage(t, 64<<20, "mkfs.ext4", "-q", "-F", "-b", "4096")
	d := daemontest.Start(t, img)
	require.NoError(t, d.Call("mount", nil, "/dev/sda", "/"))
	host := filepath.Join(t.TempDir(), "dir")
	require.NoError(t, os.Mkdir(host, 0o755))
	require.NoError(t, d.Call("mkdir", nil, "/dir"))
	old := time.Date(2001, 1, 2, 3, 4, 5, 0, time.UTC)
	recent := time.Now().Add(-time.Hour).Truncate(time.Second)
	type entry struct {
		name  string
		mode  int
		mtime time.Time
		size  int
	}
	for _, e := range []entry{{"a", 0o644, old, 5}, {"suid", 0o4755, recent, 12345}, {"sticky", 0o1777, old, 0},
		{"B", 0o600, recent, 1}, {"-dash", 0o2640, old, 7}, {"nox", 0o4644, recent, 3}} {
		content := strings.Repeat("x", e.size)
		require.NoError(t, d.Call("write", nil, "/dir/"+e.name, []byte(content)))
		require.NoError(t, d.Call("chmod", nil, e.mode, "/dir/"+e.name))
		require.NoError(t, d.Call("utimens", nil, "/dir/"+e.name, e.mtime.Unix(), int64(0), e.mtime.Unix(), int64(0)))
		hp := filepath.Join(host, e.name)
		require.NoError(t, os.WriteFile(hp, []byte(content), 0o644))
		require.NoError(t, os.Chmod(hp, os.FileMode(e.mode&0o777)|map[bool]os.FileMode{true: os.ModeSetuid}[e.mode&0o4000 != 0]|
			map[bool]os.FileMode{true: os.ModeSetgid}[e.mode&0o2000 != 0]|map[bool]os.FileMode{true: os.ModeSticky}[e.mode&0o1000 != 0]))
		require.NoError(t, os.Chtimes(hp, e.mtime, e.mtime))
	}
	require.NoError(t, d.Call("mkdir", nil, "/dir/sub"))
	require.NoError(t, os.Mkdir(filepath.Join(host, "sub"), 0o755))
	require.NoError(t, d.Call("mknod_c", nil, 0o644, 1, 3, "/dir/null"))
	require.NoError(t, syscall.Mknod(filepath.Join(host, "null"), syscall.S_IFCHR|0o644, 1<<8|3))
	require.NoError(t, d.Call("mknod_b", nil, 0o660, 259, 12, "/dir/disk"))
	require.NoError(t, syscall.Mknod(filepath.Join(host, "disk"), syscall.S_IFBLK|0o660, int((259&0xfff)<<8|12)))
	require.NoError(t, d.Call("mkfifo", nil, 0o644, "/dir/fifo"))
	require.NoError(t, syscall.Mkfifo(filepath.Join(host, "fifo"), 0o644))
	for _, n := range []string{"sub", "null", "disk", "fifo", ""} {
		require.NoError(t, d.Call("utimens", nil, "/dir/"+n, old.Unix(), int64(0), old.Unix(), int64(0)))
		require.NoError(t, os.Chtimes(filepath.Join(host, n), old, old))
	}
	var got string
	require.NoError(t, d.Call("ll", &got, "/dir"))
	want, code := hostRun(t, nil, "ls", "-lan", host)
	require.Equal(t, 0, code)
	dropDotDot := func(s string) []string {
		var out []string
		for _, l := range splitLines(s) {
			if !strings.HasSuffix(l, " ..") {
				out = append(out, l)
			}
		}
		return out
	}
	// ls sorts "." among the names (after "-dash" in the C locale); ll
	// puts it first.
	hostLines := dropDotDot(want)
	for i, l := range hostLines {
		if strings.HasSuffix(l, " .") {
			hostLines = append([]string{hostLines[0], l}, append(hostLines[1:i:i], hostLines[i+1:]...)...)
			break
		}
	}
	assert.Equal(t, hostLines, dropDotDot(got), "ls -lan of the same directory (.. aside)")
	assert.Regexp(t, `^total \d+\ndrwxr-xr-x +\d+ 0 0 +4096 Jan  2  2001 \.\ndrwxr-xr-x +\d+ 0 0 +4096 \w{3} [ \d]\d \d\d:\d\d \.\.\n-`, got)

	// A symbolic link, listed alone as ls -la lists a file it is given.
	require.NoError(t, d.Call("ln_s", nil, "a target", "/dir/link"))
	require.NoError(t, os.Symlink("a target", filepath.Join(host, "link")))
	require.NoError(t, d.Call("ll", &got, "/dir"))
	assert.Contains(t, got, " link -> a target\n")
	require.NoError(t, d.Call("ll", &got, "/dir/a"))
	want, _ = hostRun(t, nil, "ls", "-lan", filepath.Join(host, "a"))
	assert.Equal(t, strings.Replace(want, filepath.Join(host, "a"), "/dir/a", 1), got)
	errnoIs(t, d.Call("ll", &got, "/nope"), syscall.ENOENT)
	fsckClean(t, d, img, "e2fsck", "-fn")
}

func TestDu(t *testing.T) {
	d, root, _ := bootDaemon(t)
	tree{"d/", "d/sub/", "d/one", "d/sub/two", "d/l -> one"}.make(t, d, "", "")
	writeBig(t, d, "/d/big", make([]byte, 300<<10))
	require.NoError(t, d.Call("write", nil, "/d/sparse", []byte("x")))
	require.NoError(t, d.Call("truncate_size", nil, "/d/sparse", int64(50<<20)))
	require.NoError(t, d.Call("ln", nil, "/d/big", "/d/sub/hardlink"))
	require.NoError(t, d.Call("write", nil, "/boot/k", make([]byte, 1<<20)))
	blocks := func(p string) int64 {
		var st server.Statns
		require.NoError(t, d.Call("lstatns", &st, p))
		return st.StBlocks
	}
	var sum int64
	for _, p := range []string{"/d", "/d/sub", "/d/one", "/d/sub/two", "/d/l", "/d/big", "/d/sparse"} {
		sum += blocks(p)
	}
	var kib int64
	require.NoError(t, d.Call("du", &kib, "/d"))
	assert.Equal(t, (sum+1)/2, kib, "the hard link once")
	assert.Less(t, kib, int64(1000), "a hole uses no space")
	require.NoError(t, d.Call("du", &kib, "/d/big"))
	assert.Equal(t, (blocks("/d/big")+1)/2, kib)
	require.NoError(t, d.Call("du", &kib, "/d/l"))
	assert.Equal(t, (blocks("/d/l")+1)/2, kib, "a link is not followed")
	var all int64
	require.NoError(t, d.Call("du", &all, "/"))
	require.NoError(t, d.Call("du", &kib, "/boot"))
	assert.GreaterOrEqual(t, kib, int64(1024))
	var lost, rootDir int64
	require.NoError(t, d.Call("du", &lost, "/lost+found"))
	rootDir = (blocks("/") + 1) / 2
	assert.InDelta(t, rootDir+lost+(sum+1)/2, all, 1, "/boot's filesystem is not counted")
	errnoIs(t, d.Call("du", &kib, "/nope"), syscall.ENOENT)
	fsckClean(t, d, root, "e2fsck", "-fn")
}

// globHelper builds a program calling glibc's glob(3) with GLOB_MARK
// (without it for patterns starting with "!"), printing each match on a
// line.
func globHelper(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("cc"); err != nil {
		t.Skip("no C compiler for the glob(3) helper")
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "g.c")
	require.NoError(t, os.WriteFile(src, []byte(`#include <glob.h>
#include <stdio.h>
int main(int argc, char **argv) {
	glob_t g = {0};
	const char *p = argv[1];
	int flags = GLOB_MARK;
	if (p[0] == '!') { flags = 0; p++; }
	if (glob(p, flags, NULL, &g) == 0)
		for (size_t j = 0; j < g.gl_pathc; j++) printf("%s\n", g.gl_pathv[j]);
	return 0;
}
`), 0o644))
	out, err := exec.Command("cc", "-o", filepath.Join(dir, "g"), src).CombinedOutput()
	require.NoError(t, err, "%s", out)
	return filepath.Join(dir, "g")
}

func TestGlob(t *testing.T) {
	g := globHelper(t)
	d, _, _ := bootDaemon(t)
	host := t.TempDir()
	require.NoError(t, os.Mkdir(filepath.Join(host, "g"), 0o755))
	require.NoError(t, d.Call("mkdir", nil, "/g"))
	tree{"adir/", "bdir/sub/", ".hid/", "afile", "bfile", ".hidfile", "adir/x", "bdir/sub/y", "st*ar", "a1", "b2", "[x]",
		"alink -> adir", "dangle -> nowhere", "dot.d/", "dot.d/.in"}.make(t, d, "/g", filepath.Join(host, "g"))
	// (The server cleans a Pathname: "/a*/", "/d/../x*" and "/d/." are
	// not what glob(3) sees.)
	for _, pat := range []string{"*", ".*", "*/*", "alink", "dangle", "st\\*ar", "st[*]ar", "[.]h*", "?hid*", "nonexist",
		"b*/s*/*", "[a-b]dir", "[!a]*", "[^a]*", "[]a]*", "[", "a[", "\\a*", "[[:alpha:]]file", "*[[:digit:]]", "**",
		"*/x", "*/nope", "[[]x]", "[\\[]x]", "\\[x]", "adir", "*.d/.*", "?", "???", "[a-c][a-z]*", "[!ab]?ir"} {
		for _, mark := range []bool{true, false} {
			arg := filepath.Join(host, "g") + "/" + pat
			opts := map[int]any{}
			if !mark {
				arg = "!" + arg
				opts[0] = false
			}
			out, code := hostRun(t, nil, g, arg)
			require.Equal(t, 0, code)
			want := []string{}
			for _, l := range splitLines(out) {
				want = append(want, strings.TrimPrefix(l, host))
			}
			var got []string
			_, err := d.CallOpts("glob_expand_opts", opts, &got, "/g/"+pat)
			require.NoError(t, err)
			assert.Equal(t, want, got, "glob %q mark=%v", pat, mark)
		}
	}
	var got []string
	require.NoError(t, d.Call("glob_expand_opts", &got, "/"))
	assert.Equal(t, []string{"/"}, got)
	require.NoError(t, d.Call("write", nil, "/boot/vmlinuz-1", []byte("k")))
	require.NoError(t, d.Call("mkdir", nil, "/boot/grub"))
	require.NoError(t, d.Call("glob_expand_opts", &got, "/b*/*"))
	assert.Equal(t, []string{"/boot/grub/", "/boot/vmlinuz-1"}, got, "across the mount")
	require.NoError(t, d.Call("glob_expand_opts", &got, "/*/grub"))
	assert.Equal(t, []string{"/boot/grub/"}, got)
	require.NoError(t, d.Call("glob_expand_opts", &got, "/nope/*"))
	assert.Equal(t, []string{}, got)
}

func TestCaseSensitivePath(t *testing.T) {
	d, _, _ := bootDaemon(t)
	tree{"Windows/System32/Config/", "Windows/System32/Config/SOFTWARE", "file", "lnk -> Windows"}.make(t, d, "", "")
	tree{"EFI/Boot/", "EFI/Boot/BOOTX64.EFI"}.make(t, d, "/boot", "")
	for in, want := range map[string]string{
		"/windows/system32/config/software": "/Windows/System32/Config/SOFTWARE",
		"/WINDOWS/SYSTEM32/CONFIG/missing":  "/Windows/System32/Config/missing",
		"/windows//system32/":               "/Windows/System32",
		"/LNK/system32":                     "/lnk/System32",
		"/boot/efi/boot/bootx64.efi":        "/boot/EFI/Boot/BOOTX64.EFI",
		"/BOOT/EFI":                         "/boot/EFI",
		"/":                                 "/",
		"/FILE":                             "/file",
	} {
		var got string
		require.NoError(t, d.Call("case_sensitive_path", &got, in), in)
		assert.Equal(t, want, got, in)
	}
	var got string
	errnoIs(t, d.Call("case_sensitive_path", &got, "/nope/x"), syscall.ENOENT)
	errnoIs(t, d.Call("case_sensitive_path", &got, "/file/x"), syscall.ENOTDIR)
}
