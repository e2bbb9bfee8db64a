package file_test

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"goguestfs/daemon/daemontest"
	"goguestfs/protocol"
)

// mkfsImage makes an image of size bytes with a filesystem made by the
// host's tool (mkfs.ext4 -q -F, mkfs.fat).
func mkfsImage(t *testing.T, size int64, tool string, args ...string) string {
	t.Helper()
	img := daemontest.Image(t, size)
	out, err := exec.Command(tool, append(args, img)...).CombinedOutput()
	require.NoError(t, err, "%s", out)
	return img
}

// extDaemon starts a daemon with a fresh ext4 mounted at /.
func extDaemon(t *testing.T) (*daemontest.Daemon, string) {
	t.Helper()
	img := mkfsImage(t, 64<<20, "mkfs.ext4", "-q", "-F")
	d := daemontest.Start(t, img)
	require.NoError(t, d.Call("mount", nil, "/dev/sda", "/"))
	return d, img
}

// errnoIs asserts that err is an action's error with errno want.
func errnoIs(t *testing.T, err error, want syscall.Errno, msgAndArgs ...any) {
	t.Helper()
	var pe *protocol.Error
	if assert.True(t, errors.As(err, &pe), append([]any{"want %v, got %v: "}, append([]any{want, err}, msgAndArgs...)...)...) {
		assert.Equal(t, want, syscall.Errno(pe.Errno), append([]any{"%v"}, append([]any{err}, msgAndArgs...)...)...)
	}
}

// fsckClean unmounts everything and checks img with the host's checker.
func fsckClean(t *testing.T, d *daemontest.Daemon, img string, tool string, args ...string) {
	t.Helper()
	require.NoError(t, d.Call("umount_all", nil))
	out, err := exec.Command(tool, append(args, img)...).CombinedOutput()
	assert.NoError(t, err, "%s: %s", tool, out)
}

// hostFile writes content to a file of the test's temporary directory.
func hostFile(t *testing.T, content []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "f")
	require.NoError(t, os.WriteFile(p, content, 0o644))
	return p
}

// hostRun runs a host command in the C locale and UTC, returning its standard
// output and exit status.
func hostRun(t *testing.T, stdin []byte, name string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), "LC_ALL=C", "TZ=UTC")
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	out, err := cmd.Output()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return string(out), ee.ExitCode()
	}
	require.NoError(t, err, "%s %v", name, args)
	return string(out), 0
}

// splitLines splits output as libguestfs's split_lines does.
func splitLines(s string) []string {
	out := []string{}
	for s != "" {
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			out = append(out, s)
			break
		}
		out = append(out, s[:i])
		s = s[i+1:]
	}
	return out
}

// writeBig writes content to p in pieces small enough for a message.
func writeBig(t *testing.T, d *daemontest.Daemon, p string, content []byte) {
	t.Helper()
	require.NoError(t, d.Call("write", nil, p, []byte{}))
	for off := 0; off < len(content); off += 4 << 20 {
		end := min(off+4<<20, len(content))
		var n int
		require.NoError(t, d.Call("pwrite", &n, p, content[off:end], int64(off)))
	}
}

func TestReadFileCatPread(t *testing.T) {
	d, img := extDaemon(t)
	bin := make([]byte, 300<<10)
	rand.New(rand.NewSource(1)).Read(bin)
	writeBig(t, d, "/bin", bin)
	var got []byte
	require.NoError(t, d.Call("read_file", &got, "/bin"))
	assert.Equal(t, bin, got)
	var s string
	errnoIs(t, d.Call("cat", &s, "/bin"), syscall.EINVAL)
	require.NoError(t, d.Call("write", nil, "/text", []byte("hello\nworld\n")))
	require.NoError(t, d.Call("cat", &s, "/text"))
	assert.Equal(t, "hello\nworld\n", s)
	require.NoError(t, d.Call("ln_s", nil, "text", "/link"))
	require.NoError(t, d.Call("cat", &s, "/link"))
	assert.Equal(t, "hello\nworld\n", s)
	require.NoError(t, d.Call("write", nil, "/empty", []byte{}))
	require.NoError(t, d.Call("read_file", &got, "/empty"))
	assert.Empty(t, got)
	require.NoError(t, d.Call("mkdir", nil, "/dir"))
	errnoIs(t, d.Call("read_file", &got, "/dir"), syscall.EISDIR)
	errnoIs(t, d.Call("cat", &s, "/nope"), syscall.ENOENT)

	// Larger than a message: EFBIG, but pread reads it.
	require.NoError(t, d.Call("truncate_size", nil, "/empty", int64(9<<20)))
	errnoIs(t, d.Call("read_file", &got, "/empty"), syscall.EFBIG)
	errnoIs(t, d.Call("cat", &s, "/empty"), syscall.EFBIG)
	var lines []string
	errnoIs(t, d.Call("read_lines", &lines, "/empty"), syscall.EFBIG, "one line longer than a message")
	require.NoError(t, d.Call("pwrite", new(int), "/empty", []byte("end"), int64(9<<20-3)))
	require.NoError(t, d.Call("pread", &got, "/empty", 10, int64(9<<20-5)))
	assert.Equal(t, []byte("\x00\x00end"), got, "fewer bytes at the end")
	require.NoError(t, d.Call("pread", &got, "/empty", 10, int64(10<<20)))
	assert.Empty(t, got, "none past the end")
	require.NoError(t, d.Call("pread", &got, "/bin", 100, int64(1000)))
	assert.Equal(t, bin[1000:1100], got)
	errnoIs(t, d.Call("pread", &got, "/bin", -1, int64(0)), syscall.EINVAL)
	errnoIs(t, d.Call("pread", &got, "/bin", 1, int64(-1)), syscall.EINVAL)
	errnoIs(t, d.Call("pread", &got, "/bin", 9<<20, int64(0)), syscall.EINVAL)
	errnoIs(t, d.Call("pread", &got, "/nope", 1, int64(0)), syscall.ENOENT)
	fsckClean(t, d, img, "e2fsck", "-fn")
}

// lineCorpus are file contents for the line actions, each compared with
// the host's head and tail.
var lineCorpus = map[string]string{
	"empty":   "",
	"nl":      "\n",
	"one":     "one",
	"onenl":   "one\n",
	"crlf":    "a\r\nb\r\n\r\nc",
	"blank":   "a\n\n\nb\n\n",
	"eleven":  "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n",
	"noendnl": "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12",
}

func TestLines(t *testing.T) {
	d, _ := extDaemon(t)
	// A file of many lines, some longer than the read chunks, so that the
	// backward scan of tail crosses chunk boundaries.
	var big strings.Builder
	r := rand.New(rand.NewSource(2))
	for i := 0; i < 3000; i++ {
		fmt.Fprintf(&big, "line %d %s\n", i, strings.Repeat("x", r.Intn(600)))
		if i%1000 == 999 {
			big.WriteString(strings.Repeat("y", 300<<10) + "\n")
		}
	}
	corpus := map[string]string{"big": big.String()}
	for k, v := range lineCorpus {
		corpus[k] = v
	}
	for name, content := range corpus {
		p := "/" + name
		writeBig(t, d, p, []byte(content))
		host := hostFile(t, []byte(content))

		var lines []string
		require.NoError(t, d.Call("read_lines", &lines, p))
		want := splitLines(content)
		for i := range want {
			want[i] = strings.TrimSuffix(want[i], "\r")
		}
		assert.Equal(t, want, lines, "read_lines %s", name)

		for _, n := range []int{0, 1, 2, 3, 10, 11, 2999, 5000, -1, -2, -3, -10, -11, -5000} {
			hostN := fmt.Sprint(n)
			out, code := hostRun(t, nil, "head", "-n", hostN, host)
			require.Equal(t, 0, code)
			require.NoError(t, d.Call("head_n", &lines, n, p))
			assert.Equal(t, splitLines(out), lines, "head -n %d %s", n, name)

			if n < 0 {
				hostN = fmt.Sprintf("+%d", -n)
			}
			out, code = hostRun(t, nil, "tail", "-n", hostN, host)
			require.Equal(t, 0, code)
			if len(out) > 8<<20-4096 {
				continue
			}
			require.NoError(t, d.Call("tail_n", &lines, n, p))
			assert.Equal(t, splitLines(out), lines, "tail -n %s %s", hostN, name)
		}
		out, _ := hostRun(t, nil, "head", host)
		require.NoError(t, d.Call("head", &lines, p))
		assert.Equal(t, splitLines(out), lines, "head %s", name)
		out, _ = hostRun(t, nil, "tail", host)
		require.NoError(t, d.Call("tail", &lines, p))
		assert.Equal(t, splitLines(out), lines, "tail %s", name)
	}
	var lines []string
	errnoIs(t, d.Call("head", &lines, "/nope"), syscall.ENOENT)
	errnoIs(t, d.Call("tail_n", &lines, 0, "/nope"), syscall.ENOENT)
	require.NoError(t, d.Call("mkdir", nil, "/dir"))
	errnoIs(t, d.Call("tail", &lines, "/dir"), syscall.EISDIR)

	// A result larger than a message is EFBIG, found without reading it all.
	var huge strings.Builder
	for huge.Len() < 9<<20 {
		huge.WriteString(strings.Repeat("z", 1000) + "\n")
	}
	writeBig(t, d, "/huge", []byte(huge.String()))
	errnoIs(t, d.Call("tail_n", &lines, 100000, "/huge"), syscall.EFBIG)
	errnoIs(t, d.Call("read_lines", &lines, "/huge"), syscall.EFBIG)
	require.NoError(t, d.Call("tail_n", &lines, 2, "/huge"))
	assert.Len(t, lines, 2)
}

// hasBackref reports whether a pattern has a back-reference (\1 to \9),
// which grep_opts refuses.
func hasBackref(p string) bool {
	for i := 0; i+1 < len(p); i++ {
		if p[i] == '\\' {
			if '1' <= p[i+1] && p[i+1] <= '9' {
				return true
			}
			i++
		}
	}
	return false
}

// grepActionLines are the lines of the file the grep_opts tests search.
var grepActionLines = []string{
	"", "a", "ab", "abc", "ABC", "Abc", "b", "x", "xyz", "x{1}", "{1}x", "a.b", "a|b", "a+b", "a\\b", "foo bar", "foobar",
	"word_1", "caf\xe9", "\xc3\x89T\xc3\x89", "a\r", "zzz",
}

// TestGrep checks grep_opts through the dispatcher: that its flags reach
// the matcher (which package grep checks against the host's grep on
// many more patterns), its errors, binary files and zgrep.
func TestGrep(t *testing.T) {
	d, img := extDaemon(t)
	content := strings.Join(grepActionLines, "\n") + "\n"
	require.NoError(t, d.Call("write", nil, "/f", []byte(content)))
	host := hostFile(t, []byte(content))
	for _, pat := range []string{"a", "a|b", "a\\|b", "a.b", "a+b", "ABC", "x{1}", "^x\\{1\\}", "\\<foo", "b\\>",
		"[[:upper:]]", "caf\xe9", "foo\nzzz", "", "a\\{1", "x{2,1}", "[[:foo:]]", "\\(a\\)\\1", "(a)\\1", "a\\"} {
		for _, flags := range [][]string{{}, {"-E"}, {"-i"}, {"-E", "-i"}, {"-F"}, {"-F", "-i"}} {
			opts := map[int]any{}
			for _, f := range flags {
				opts[map[string]int{"-E": 0, "-F": 1, "-i": 2}[f]] = true
			}
			out, code := hostRun(t, nil, "grep", append(append([]string{}, flags...), "-e", pat, host)...)
			var lines []string
			_, err := d.CallOpts("grep_opts", opts, &lines, pat, "/f")
			what := fmt.Sprintf("grep %v %q", flags, pat)
			if code == 2 || (hasBackref(pat) && opts[1] == nil) {
				errnoIs(t, err, syscall.EINVAL, what)
				continue
			}
			if assert.NoError(t, err, what) {
				assert.Equal(t, splitLines(out), lines, what)
			}
		}
	}

	var lines []string
	_, err := d.CallOpts("grep_opts", map[int]any{0: true, 1: true}, &lines, "a", "/f")
	errnoIs(t, err, syscall.EINVAL, "extended and fixed")
	errnoIs(t, d.Call("grep_opts", &lines, "a", "/nope"), syscall.ENOENT)
	require.NoError(t, d.Call("grep_opts", &lines, "nomatch", "/f"))
	assert.Empty(t, lines, "no match is an empty list")
	require.NotNil(t, lines)

	// A binary file: grep prints nothing from the buffer holding a NUL on.
	bin := []byte("match 1\nmatch 2\n\x00match 3\n")
	require.NoError(t, d.Call("write", nil, "/bin", bin))
	out, _ := hostRun(t, nil, "grep", "match", hostFile(t, bin))
	require.NoError(t, d.Call("grep_opts", &lines, "match", "/bin"))
	assert.Equal(t, splitLines(out), lines)
	far := append([]byte(strings.Repeat("match\n", 20000)), 0)
	require.NoError(t, d.Call("write", nil, "/far", far))
	require.NoError(t, d.Call("grep_opts", &lines, "match", "/far"))
	assert.Len(t, lines, 3*32<<10/len("match\n"), "the lines before the 32 KiB buffer with the NUL")

	// zgrep: gzip members are decompressed, other data read as it is.
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(content[:len(content)/2]))
	zw.Close()
	zw = gzip.NewWriter(&gz)
	zw.Write([]byte(content[len(content)/2:]))
	zw.Close()
	gzHost := hostFile(t, gz.Bytes())
	require.NoError(t, d.Call("write", nil, "/f.gz", gz.Bytes()))
	for _, pat := range []string{"a", "^x", "[[:upper:]]"} {
		out, _ := hostRun(t, nil, "zgrep", "-e", pat, gzHost)
		_, err := d.CallOpts("grep_opts", map[int]any{3: true}, &lines, pat, "/f.gz")
		require.NoError(t, err)
		assert.Equal(t, splitLines(out), lines, "zgrep %q", pat)
		out, _ = hostRun(t, nil, "zgrep", "-e", pat, host)
		_, err = d.CallOpts("grep_opts", map[int]any{3: true}, &lines, pat, "/f")
		require.NoError(t, err)
		assert.Equal(t, splitLines(out), lines, "zgrep %q of an uncompressed file", pat)
	}
	bz, _ := hostRun(t, []byte(content), "bzip2", "-c")
	require.NoError(t, d.Call("write", nil, "/f.bz2", []byte(bz)))
	_, err = d.CallOpts("grep_opts", map[int]any{3: true}, &lines, "a", "/f.bz2")
	errnoIs(t, err, syscall.ENOTSUP)
	require.NoError(t, d.Call("write", nil, "/bad.gz", []byte("\x1f\x8bnot gzip")))
	_, err = d.CallOpts("grep_opts", map[int]any{3: true}, &lines, "a", "/bad.gz")
	errnoIs(t, err, syscall.EINVAL)
	fsckClean(t, d, img, "e2fsck", "-fn")
}

func TestChecksum(t *testing.T) {
	d, _ := extDaemon(t)
	r := rand.New(rand.NewSource(3))
	for _, size := range []int{0, 1, 255, 256, 65537, 3<<20 + 7} {
		content := make([]byte, size)
		r.Read(content)
		p := fmt.Sprintf("/f%d", size)
		writeBig(t, d, p, content)
		host := hostFile(t, content)
		for typ, tool := range map[string]string{"md5": "md5sum", "sha1": "sha1sum", "sha224": "sha224sum",
			"sha256": "sha256sum", "sha384": "sha384sum", "sha512": "sha512sum", "crc": "cksum"} {
			out, code := hostRun(t, nil, tool, host)
			require.Equal(t, 0, code)
			var sum string
			require.NoError(t, d.Call("checksum", &sum, typ, p))
			assert.Equal(t, strings.Fields(out)[0], sum, "%s of %d bytes", typ, size)
		}
	}
	var sum string
	require.NoError(t, d.Call("checksum", &sum, "SHA256", "/f1"))
	require.NoError(t, d.Call("read_file", new([]byte), "/f1"))
	errnoIs(t, d.Call("checksum", &sum, "gost", "/f1"), syscall.EINVAL)
	errnoIs(t, d.Call("checksum", &sum, "md5", "/nope"), syscall.ENOENT)
	require.NoError(t, d.Call("mkdir", nil, "/dir"))
	errnoIs(t, d.Call("checksum", &sum, "md5", "/dir"), syscall.EISDIR)
	// Through a link to a file on another mount.
	boot := mkfsImage(t, 32<<20, "mkfs.fat")
	d2 := daemontest.Start(t, mkfsImage(t, 32<<20, "mkfs.ext4", "-q", "-F"), boot)
	require.NoError(t, d2.Call("mount", nil, "/dev/sda", "/"))
	require.NoError(t, d2.Call("mkdir", nil, "/boot"))
	require.NoError(t, d2.Call("mount", nil, "/dev/sdb", "/boot"))
	require.NoError(t, d2.Call("write", nil, "/boot/k", []byte("kernel")))
	require.NoError(t, d2.Call("ln_s", nil, "/boot/k", "/k"))
	require.NoError(t, d2.Call("checksum", &sum, "sha256", "/k"))
	assert.Equal(t, fmt.Sprintf("%x", sha256.Sum256([]byte("kernel"))), sum)
}

// TestFileType checks the file action through the dispatcher: the types
// it reads from a file's mode, and for regular files that the contents
// reach package magic (which checks its descriptions against the host's
// file -b on many more), its reads past their start and the mode with
// them.
func TestFileType(t *testing.T) {
	d, img := extDaemon(t)
	lines := bytes.Repeat([]byte("line of text\n"), 12000)
	corpus := map[string][]byte{
		"ascii":   []byte("hello\n"),
		"latin1":  []byte("caf\xe9\n"),
		"sh":      []byte("#!/bin/sh\necho hi\n"),
		"json":    []byte("{\"a\": [1, {\"b\": null}]}\n"),
		"random":  func() []byte { b := make([]byte, 100); rand.New(rand.NewSource(4)).Read(b); b[0] = 0; return b }(),
		"bignuls": append(append([]byte{}, lines...), make([]byte, 600<<10)...),
		"bigjson": []byte("[" + strings.Repeat("1, ", 50000) + "2]\n"),
	}
	// A gzip file, whose description reads its last bytes.
	src := hostFile(t, []byte("hello\n"))
	dir := filepath.Dir(src)
	out, err := exec.Command("gzip", "-k", "-9", src).CombinedOutput()
	require.NoError(t, err, "gzip: %s", out)
	corpus["real.gz"], err = os.ReadFile(src + ".gz")
	require.NoError(t, err)
	for name, content := range corpus {
		p := "/" + name
		writeBig(t, d, p, content)
		want, _ := hostRun(t, nil, "file", "-b", hostFile(t, content))
		var got string
		require.NoError(t, d.Call("file", &got, p))
		assert.Equal(t, strings.TrimSpace(want), got, "file %s", name)
	}
	// Formats file(1) details further: a prefix of what it prints. ELF
	// with the execute bit it reads for a shared object.
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
		p := "/" + filepath.Base(c.host)
		writeBig(t, d, p, content)
		require.NoError(t, d.Call("chmod", nil, int(st.Mode().Perm()), p))
		want, _ := hostRun(t, nil, "file", "-b", c.host)
		var got string
		require.NoError(t, d.Call("file", &got, p))
		assert.True(t, strings.HasPrefix(want, got) && strings.HasPrefix(got, c.want), "file %s: %q, host %q", c.host, got, want)
	}

	var got string
	require.NoError(t, d.Call("mkdir", nil, "/dir"))
	require.NoError(t, d.Call("file", &got, "/dir"))
	assert.Equal(t, "directory", got)
	require.NoError(t, d.Call("write", nil, "/empty", []byte{}))
	require.NoError(t, d.Call("file", &got, "/empty"))
	assert.Equal(t, "empty", got)
	require.NoError(t, d.Call("ln_s", nil, "ascii", "/link"))
	require.NoError(t, d.Call("file", &got, "/link"))
	assert.Equal(t, "symbolic link to ascii", got)
	require.NoError(t, d.Call("ln_s", nil, "/nowhere", "/dangling"))
	require.NoError(t, d.Call("file", &got, "/dangling"))
	assert.Equal(t, "broken symbolic link to /nowhere", got)
	require.NoError(t, d.Call("mkfifo", nil, 0o644, "/fifo"))
	require.NoError(t, d.Call("file", &got, "/fifo"))
	assert.Equal(t, "fifo (named pipe)", got)
	require.NoError(t, d.Call("mknod_c", nil, 0o644, 1, 3, "/null"))
	require.NoError(t, d.Call("file", &got, "/null"))
	want, _ := hostRun(t, nil, "file", "-b", "/dev/null")
	assert.Equal(t, strings.TrimSpace(want), got)
	require.NoError(t, d.Call("mknod_b", nil, 0o644, 7, 0, "/loop"))
	require.NoError(t, d.Call("file", &got, "/loop"))
	assert.Equal(t, "block special (7/0)", got)
	require.NoError(t, d.Call("mknod", nil, 0o140644, 0, 0, "/sock"))
	require.NoError(t, d.Call("file", &got, "/sock"))
	assert.Equal(t, "socket", got)
	errnoIs(t, d.Call("file", &got, "/nope"), syscall.ENOENT)
	fsckClean(t, d, img, "e2fsck", "-fn")
}
