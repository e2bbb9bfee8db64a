package walk

import (
	"errors"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"goguestfs/daemon/errno"
)

// memTree is a tree of paths: a key ending in "/" is a directory, a value
// a link's target.
type memTree map[string]string

func (memTree) IsDir(n string) bool { return n == "/" || strings.HasSuffix(n, "/") }

func (t memTree) Lookup(p string, dir, name string) (string, bool, error) {
	if name == "bad" {
		return "", false, errors.New("unreadable")
	}
	for _, c := range []string{dir + name + "/", dir + name} {
		if _, ok := t[c]; ok {
			return c, true, nil
		}
	}
	return "", false, nil
}

func (t memTree) Link(n string) (string, bool) {
	v := t[n]
	return v, v != ""
}

func TestResolve(t *testing.T) {
	tr := memTree{
		"/a/": "", "/a/b/": "", "/a/b/f": "", "/rel": "a/b", "/abs": "/a/b/f",
		"/a/up": "../..", "/loop1": "loop2", "/loop2": "loop1", "/f": "",
	}
	for p, want := range map[string]string{
		"/": "/", "/a/b/f": "/a/b/f", "/./a//b/./f": "/a/b/f", "/rel/f": "/a/b/f",
		"/abs": "/abs", "/a/b/../../a/b/f": "/a/b/f", "/../../a": "/a/", "/a/up/f": "/f",
	} {
		got, err := Resolve[string](tr, "/", p, false)
		require.NoError(t, err, p)
		assert.Equal(t, want, got, p)
	}
	got, err := Resolve[string](tr, "/", "/abs", true)
	require.NoError(t, err)
	assert.Equal(t, "/a/b/f", got)
	for p, en := range map[string]syscall.Errno{
		"/f/x": syscall.ENOTDIR, "/nope": syscall.ENOENT, "/loop1/x": syscall.ELOOP, "/abs/x": syscall.ENOTDIR,
	} {
		_, err := Resolve[string](tr, "/", p, false)
		assert.Equal(t, en, errno.Of(err), p)
	}
	_, err = Resolve[string](tr, "/", "/loop1", false)
	assert.NoError(t, err, "a final link is not followed")
	_, err = Resolve[string](tr, "/", "/loop1", true)
	assert.EqualError(t, err, "/loop1: too many levels of symbolic links")
	_, err = Resolve[string](tr, "/", "/a/bad", false)
	assert.EqualError(t, err, "unreadable")
}

func TestCheckPath(t *testing.T) {
	assert.NoError(t, CheckPath("/a"))
	assert.Equal(t, syscall.EINVAL, errno.Of(CheckPath("a")))
	assert.Equal(t, syscall.EINVAL, errno.Of(CheckPath("/a\x00")))
	assert.Equal(t, syscall.ENAMETOOLONG, errno.Of(CheckPath("/"+strings.Repeat("x", MaxPath-1))))
	assert.NoError(t, CheckPath("/"+strings.Repeat("x", MaxPath-2)))
	assert.Equal(t, []string{"a", "..", "b"}, SplitPath("//a/./../b/"))
}
