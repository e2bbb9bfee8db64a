package server

import (
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestResolvePathname(t *testing.T) {
	for in, want := range map[string]string{
		"/": "/", "/etc/fstab": "/etc/fstab", "/a/../b/": "/a/../b/", "//x//y/.": "//x//y/.", "/..": "/..",
	} {
		got, err := resolvePathname(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, in := range []string{"", "etc", "./x", "a/b", "/a\x00b"} {
		_, err := resolvePathname(in)
		assert.ErrorIs(t, err, syscall.EINVAL, "%q", in)
	}
	_, err := resolvePathname(strings.Repeat("x", 1<<20))
	assert.Less(t, len(err.Error()), 300, "a long path is cut in the message")
}
