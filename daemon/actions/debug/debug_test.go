package debug_test

import (
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"goguestfs/daemon/daemontest"
)

func TestDebug(t *testing.T) {
	d := daemontest.Start(t)
	var s string
	require.NoError(t, d.Call("debug", &s, "echo", []string{"a", "b"}))
	assert.Equal(t, "a b", s)
	err := d.Call("debug", &s, "nope", []string{})
	assert.ErrorIs(t, err, syscall.EINVAL)
	assert.Regexp(t, `^debug: nope: unknown debug subcommand \(known: echo, progress`, err.Error())
	assert.ErrorIs(t, d.Call("debug", &s, "progress", []string{"x"}), syscall.EINVAL)

	progress, err := d.CallOpts("debug", nil, &s, "progress", []string{"1"})
	require.NoError(t, err)
	assert.Equal(t, "ok", s)
	require.NotEmpty(t, progress)
	last := progress[len(progress)-1]
	assert.Equal(t, last.Total, last.Position)
	for _, p := range progress {
		assert.LessOrEqual(t, p.Position, p.Total)
	}
}
