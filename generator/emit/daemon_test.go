package emit

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"goguestfs/generator/api"
)

// TestDaemonEmitter checks that every daemon action gets an Actions method,
// a wire struct and a dispatch entry, and a client stub in core, with the
// same wire struct on both sides.
func TestDaemonEmitter(t *testing.T) {
	tbl := api.API()
	files, err := emitDaemon(tbl)
	require.NoError(t, err)
	require.Len(t, files, 1)
	d := files[0].Content
	core, err := emitGoCore(tbl)
	require.NoError(t, err)
	c := core[0].Content
	n := 0
	for i := range tbl.Actions {
		a := &tbl.Actions[i]
		if !a.Daemon {
			assert.NotContains(t, d, "\t"+Camel(a.Name)+"(c *Call", a.Name)
			continue
		}
		n++
		assert.Contains(t, d, "\t"+daemonSignature(a)+"\n", a.Name)
		assert.Contains(t, d, "\t\""+a.Name+"\": {nr: ", a.Name)
		// The wire struct is the same text in core and in the daemon.
		i := strings.Index(d, "type "+WireArgsType(a)+" struct {")
		require.GreaterOrEqual(t, i, 0, a.Name)
		body := d[i : i+strings.Index(d[i:], "}")]
		assert.Contains(t, c, body, a.Name)
		assert.Contains(t, c, "func (h *Handle) "+implName(a)+"(", a.Name)
	}
	assert.Greater(t, n, 30)
}

// TestDaemonEmitterProcNumbers refuses missing and duplicate numbers.
func TestDaemonEmitterProcNumbers(t *testing.T) {
	tbl := &api.Table{Actions: []api.Action{{Name: "a", Daemon: true, ProcNr: 1}, {Name: "b", Daemon: true, ProcNr: 1}}}
	_, err := emitDaemon(tbl)
	require.ErrorContains(t, err, "share procedure number 1")
	tbl.Actions[1].ProcNr = 0
	_, err = emitDaemon(tbl)
	require.ErrorContains(t, err, "has no procedure number")
}
