package file_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFind0 checks find0 against find: the same names, NUL-terminated, a
// directory before its contents, written through the passed descriptor
// from its current offset; names with newlines survive.
func TestFind0(t *testing.T) {
	d, img := extRoot(t)
	for _, p := range []string{"/a", "/a/b", "/c"} {
		require.NoError(t, d.Call("mkdir", nil, p))
	}
	for _, p := range []string{"/a/b/f", "/a/new\nline", "/z"} {
		require.NoError(t, d.Call("touch", nil, p))
	}
	var want []string
	require.NoError(t, d.Call("find", &want, "/"))

	out, err := os.Create(filepath.Join(t.TempDir(), "list"))
	require.NoError(t, err)
	defer out.Close()
	_, err = out.WriteString("prefix")
	require.NoError(t, err)
	require.NoError(t, d.Call("find0", nil, "/", out))
	pos, err := out.Seek(0, 1)
	require.NoError(t, err)
	data, err := os.ReadFile(out.Name())
	require.NoError(t, err)
	assert.EqualValues(t, len(data), pos, "the descriptor's offset is left after the list")
	require.True(t, bytes.HasPrefix(data, []byte("prefix")))
	require.True(t, bytes.HasSuffix(data, []byte{0}))
	got := strings.Split(strings.TrimSuffix(string(data[len("prefix"):]), "\x00"), "\x00")
	index := map[string]int{}
	for i, g := range got {
		index[g] = i
	}
	assert.Less(t, index["a"], index["a/b"])
	assert.Less(t, index["a/b"], index["a/b/f"])
	sort.Strings(got)
	assert.Equal(t, want, got)

	require.Error(t, d.Call("find0", nil, "/z", out))
	err = d.Call("find0", nil, "/nonesuch", out)
	assert.Equal(t, syscall.ENOENT, errnoOf(t, err))
	checked(t, d, img, "e2fsck", "-fn")
}

// TestFind0Pipe streams the list into a pipe read by the test.
func TestFind0Pipe(t *testing.T) {
	d, _ := extRoot(t)
	require.NoError(t, d.Call("mkdir", nil, "/d"))
	for i := 0; i < 3000; i++ {
		require.NoError(t, d.Call("touch", nil, fmt.Sprintf("/d/%s%05d", strings.Repeat("n", 40), i)))
	}
	r, w, err := os.Pipe()
	require.NoError(t, err)
	got := make(chan []byte)
	go func() {
		var buf bytes.Buffer
		buf.ReadFrom(r)
		got <- buf.Bytes()
	}()
	require.NoError(t, d.Call("find0", nil, "/", w))
	w.Close()
	data := <-got
	assert.Equal(t, 3002, bytes.Count(data, []byte{0}), "lost+found, d and its 3000 files")
}
