package grep_test

import (
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

	"goguestfs/daemon/errno"
	"goguestfs/daemon/grep"
)

// hostFile writes content to a file of the test's temporary directory.
func hostFile(t *testing.T, content []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "f")
	require.NoError(t, os.WriteFile(p, content, 0o644))
	return p
}

// hostGrep runs the host's grep in the C locale on file, returning its
// standard output and exit status.
func hostGrep(t *testing.T, file string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command("grep", append(args, file)...)
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	out, err := cmd.Output()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return string(out), ee.ExitCode()
	}
	require.NoError(t, err, "grep %v", args)
	return string(out), 0
}

// splitLines splits grep's output into its lines ("\n" removed).
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

// grepAll returns the lines that pattern matches with o, as grep prints
// them, or Compile's error.
func grepAll(pattern string, o grep.Options, lines []string) ([]string, error) {
	m, err := grep.Compile(pattern, o)
	if err != nil {
		return nil, err
	}
	out := []string{}
	for _, l := range lines {
		if m.Match([]byte(l)) {
			out = append(out, l)
		}
	}
	return out, nil
}

// isEINVAL asserts that err is an error with errno EINVAL.
func isEINVAL(t *testing.T, err error, what string) {
	t.Helper()
	if assert.Error(t, err, what) {
		assert.Equal(t, syscall.EINVAL, errno.Of(err), "%s: %v", what, err)
	}
}

// grepLines are the lines every grep pattern is tried on.
var grepLines = []string{
	"", "a", "ab", "abc", "aab", "abab", "ABC", "Abc", "b", "ba", "x", "xx", "xyz", "*x", "+x", "?x", "{1}x", "x{1",
	"x{1,2,3}", "x{a}", "$x", "x^", "a$b", "^a", "(", ")", "a)", "(a)", "a|b", "|", "a\\b", "\\", "[", "]", "[]", "a-b",
	"-", "/", "a.b", "a b", "tab\there", " lead", "trail ", "foo bar", "foobar", "bar foo", "word_1", "1234", "12a",
	"0x1F", "café", "caf\xe9", "\xc3\x89T\xc3\x89", "CAFÉ", "zzz", "aaaa", "aaaaa", "ab ab ab", "end.", ":", "a:b",
	"k", "K", "Straße", "_", "a\r", "line\x7f", "x\x1by",
}

// grepPatterns are compared with the host's grep in the C locale, as basic
// and extended expressions, with and without -i.
var grepPatterns = []string{
	"", "a", "b", "^a", "a$", "^$", "^", "$", "ab*c", "a*", "*a", "\\(ab\\)*", "(ab)*", "\\(a\\|b\\)c", "a|b", "a\\|b",
	"a\\+", "a+", "a\\?b", "a?b", "x\\{1\\}", "x{1}", "a\\{2,\\}", "a{2,}", "a\\{,2\\}b", "a{,2}b", "a\\{2,3\\}", "a{2,3}",
	"\\{1\\}", "{1}x", "^{1}x", "x{1", "x{a}", "x{1,2,3}", "x{2,1}", "x{}", "x{,}", "a{1}{2}", "(a)(b)", "()x", "a||b",
	"a)", "\\)", "\\(", "(", "a\\)", "[abc]", "[^abc]", "[]]", "[]a]", "[^]a]", "[a-c]", "[c-a]", "[--/]", "[a-]", "[\\]",
	"[[:alpha:]]", "[[:digit:]]+", "[[:upper:]]", "[[:lower:]]", "[[:space:]]", "[[:punct:]]", "[[:xdigit:]]{2}",
	"[[:alnum:]_]*$", "[[:cntrl:]]", "[[:print:]]", "[[:graph:]]", "[[:blank:]]", "[[:foo:]]", "[:space:]", "[[.a.]]",
	"[[=a=]]", "[[.space.]]", "[a", "[[:alpha:]-z]", ".", "^.$", "^..$", "a.b", "a\\.b", "\\*", "\\$x", "x\\^", "\\\\",
	"\\<foo", "bar\\>", "\\bfoo\\b", "\\Bo", "\\w+", "\\W", "\\s", "\\S+", "^\\w*$", "\\`a", "b\\'", "caf.", "caf\xe9",
	"\xc3", "\xc3\x89", "É", "^[^a-z]*$", "[\x80-\xff]", "x**", "a*+", "^*x", "^+x", "$*", "a^b", "a$b", "^a|b$",
	"\\(^a\\)", "\\(a$\\)", "a\\|^b", "a$\\|b", "\\1", "\\(a\\)\\1", "(a)\\1", "a\\", "foo\nbar", "zzz\n", "x\\{40000\\}",
	"x{32767}", "x{32768}", "x\\{1001\\}", "(ab){0}c", "a{0}", "a{0,0}b", "(a|b){3}", "(x{10}){200}", "k", "K", "ß",
	"[k]", "[[:upper:]K]", "tab.here", "\\t", "a\\\\b", "line.", "x.y", "a$)", "a$\\)x", "$)x", "a\\{1", "a\\{x\\}",
	"a\\{1,2", "\\(^*a\\)", "x\\|*y", "[A-Z]", "[^a-z]", "a{,}", "(|a)+", "(a*)*", "(a*)+$", "((a))", "\\(\\(a\\)\\)",
	"a\\{0\\}b", "[a-z]{2,}", "[[:alpha:][:digit:]]", "[^[:alnum:]]", "[]-]", "[a-z-]", "[%--]", "\\a", "\\n",
	"^\\(.*\\)$", "\\.$", "[.]", "[*]", "[$]", "[\\^]", "[^^]", "[a^]", "x{1}{", "x{1,}{2}", "\\{", "\\}", "{", "}",
	"a{1,2}{3}", "^{1}", "${2}", "\\<", "\\>", "\\b", "[[:digit:]-]", "[[.-.]a]", "[[=e=]]", "\\(\\)", "()",
}

// hasBackref reports whether a pattern has a back-reference (\1 to \9),
// which Compile refuses.
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

func TestGrep(t *testing.T) {
	content := strings.Join(grepLines, "\n") + "\n"
	host := hostFile(t, []byte(content))
	for _, pat := range grepPatterns {
		for _, ext := range []bool{false, true} {
			for _, fold := range []bool{false, true} {
				args := []string{}
				if ext {
					args = append(args, "-E")
				}
				if fold {
					args = append(args, "-i")
				}
				out, code := hostGrep(t, host, append(args, "-e", pat)...)
				lines, err := grepAll(pat, grep.Options{Extended: ext, Insensitive: fold}, grepLines)
				what := fmt.Sprintf("grep %v %q", args, pat)
				if code == 2 || hasBackref(pat) {
					isEINVAL(t, err, what)
					continue
				}
				if assert.NoError(t, err, what) {
					assert.Equal(t, splitLines(out), lines, what)
				}
			}
		}
	}
}

func TestGrepFixed(t *testing.T) {
	content := strings.Join(grepLines, "\n") + "\n"
	host := hostFile(t, []byte(content))
	for _, pat := range []string{"", "a", "a.b", "a*", "[", "\\", "$x", "caf\xe9", "ABC", "é", "foo\nzzz", "x{1"} {
		for _, fold := range []bool{false, true} {
			args := []string{"-F"}
			if fold {
				args = append(args, "-i")
			}
			out, _ := hostGrep(t, host, append(args, "-e", pat)...)
			lines, err := grepAll(pat, grep.Options{Fixed: true, Insensitive: fold}, grepLines)
			require.NoError(t, err)
			assert.Equal(t, splitLines(out), lines, "grep %v %q", args, pat)
		}
	}
}

func TestOptions(t *testing.T) {
	o := grep.Options{Extended: true, Fixed: true}
	isEINVAL(t, o.Valid(), "extended and fixed")
	_, err := grep.Compile("a", o)
	isEINVAL(t, err, "extended and fixed")
	for _, o := range []grep.Options{{}, {Extended: true}, {Fixed: true, Insensitive: true}} {
		assert.NoError(t, o.Valid(), "%+v", o)
	}
}

// TestMatchReuse checks that a Matcher's scratch state does not leak
// from one line into the next, for both of its engines.
func TestMatchReuse(t *testing.T) {
	for _, pat := range []string{"b\\>", "ab"} {
		m, err := grep.Compile(pat, grep.Options{})
		require.NoError(t, err)
		for i := 0; i < 3; i++ {
			assert.True(t, m.Match([]byte("xab")), pat)
			assert.False(t, m.Match([]byte("xa_")), pat)
			assert.True(t, m.Match([]byte("ab ab")), pat)
		}
	}
}

func TestClasses(t *testing.T) {
	classes := grep.Classes()
	assert.Len(t, classes, 12)
	for name, want := range map[string]string{"alpha": "aZ", "digit": "09", "space": " \t\r\v", "punct": "!_~",
		"xdigit": "afAF9", "cntrl": "\x00\x7f", "blank": " \t"} {
		for _, b := range []byte(want) {
			assert.True(t, classes[name].Has(b), "%q in %s", b, name)
		}
	}
	for name, not := range map[string]string{"alpha": "_0\xe9", "digit": "a", "space": "_", "print": "\x7f\x80",
		"upper": "a", "lower": "A", "graph": " ", "alnum": "_"} {
		for _, b := range []byte(not) {
			assert.False(t, classes[name].Has(b), "%q not in %s", b, name)
		}
	}
	delete(classes, "alpha")
	_, ok := grep.Classes()["alpha"]
	assert.True(t, ok, "each call returns a new map")
}

// TestGrepRandom compares the matcher with the host's grep on random
// patterns built from the pieces of POSIX and GNU syntax.
func TestGrepRandom(t *testing.T) {
	lines := []string{"", "a", "ab", "b", "aab", "ba", "x", "{", "}", "{1}", "a{1}", "1", "12", ",", "(", ")", "|", "\\",
		"[", "]", "-", ":", ".", "^", "$", "*", "+", "?", "a*b", "a+b", "ax", "xa", "a b", "A", "B", "AB", "a^b", "a$b",
		"[a]", "[:a:]", "a-b", "a.b", "z_9", "Z-z", "\xe9t\xe9"}
	content := strings.Join(lines, "\n") + "\n"
	host := hostFile(t, []byte(content))
	pieces := []string{"a", "b", "^", "$", "*", "+", "?", "{", "}", ",", "1", "2", "(", ")", "|", "\\", "[", "]", ".",
		"-", ":", "x", "A", "z", "\\(", "\\)", "\\{", "\\}", "\\|", "\\+", "\\?", "[:alpha:]", "[:upper:]", "[^", "[a-",
		"-z]", "\\<", "\\>", "\\b", "\\B", "\\w", "\\W", "\\s", "{1,2}", "{,1}", "\\{1\\}", "\xe9"}
	r := rand.New(rand.NewSource(7))
	for i := 0; i < 1500; i++ {
		var sb strings.Builder
		for n := 1 + r.Intn(8); n > 0; n-- {
			sb.WriteString(pieces[r.Intn(len(pieces))])
		}
		pat := sb.String()
		ext, fold := r.Intn(2) == 0, r.Intn(4) == 0
		args := []string{}
		if ext {
			args = append(args, "-E")
		}
		if fold {
			args = append(args, "-i")
		}
		out, code := hostGrep(t, host, append(args, "-e", pat)...)
		got, err := grepAll(pat, grep.Options{Extended: ext, Insensitive: fold}, lines)
		what := fmt.Sprintf("grep %v %q", args, pat)
		if code == 2 || hasBackref(pat) {
			isEINVAL(t, err, what)
		} else if assert.NoError(t, err, what) {
			assert.Equal(t, splitLines(out), got, what)
		}
	}
}
