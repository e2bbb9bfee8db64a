package errno

import (
	"errors"
	"fmt"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestErrors(t *testing.T) {
	err := New(syscall.ENOENT, "%s: no such device", "/dev/sdz")
	assert.EqualError(t, err, "/dev/sdz: no such device")
	assert.ErrorIs(t, err, syscall.ENOENT)
	assert.Equal(t, syscall.ENOENT, Of(err))
	w := Wrap("/dev/sda", fmt.Errorf("read: %w", syscall.EIO))
	assert.EqualError(t, w, "/dev/sda: read: input/output error")
	assert.Equal(t, syscall.EIO, Of(w))
	assert.Equal(t, syscall.EIO, Of(errors.New("no errno")))
	assert.NoError(t, Wrap("x", nil))
}

func TestCut(t *testing.T) {
	assert.Equal(t, "short", Cut("short"))
	long := strings.Repeat("a", 1000)
	assert.Equal(t, strings.Repeat("a", MaxQuoted)+"... (1000 bytes)", Cut(long))
	assert.Equal(t, "aaaa... (1000 bytes)", CutTo(long, 4))
	// A cut never splits a UTF-8 character.
	assert.Equal(t, "a... (6 bytes)", CutTo("aé€", 2))
}
