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
	tbl := &api.Table{Groups: []api.Group{{Name: "g"}}, Actions: []api.Action{
		{Name: "a", Daemon: true, Group: "g", ProcNr: 1}, {Name: "b", Daemon: true, Group: "g", ProcNr: 1}}}
	_, err := emitDaemon(tbl)
	require.ErrorContains(t, err, "share procedure number 1")
	tbl.Actions[1].ProcNr = 0
	_, err = emitDaemon(tbl)
	require.ErrorContains(t, err, "has no procedure number")
}

// TestDaemonEmitterGroups: every daemon action has a known group, every
// group an action, optional groups are known, library actions have none;
// each group gets its interface and a field of Groups.
func TestDaemonEmitterGroups(t *testing.T) {
	groups := []api.Group{{Name: "g"}, {Name: "h"}}
	for want, acts := range map[string][]api.Action{
		"has no known group":     {{Name: "a", Daemon: true, ProcNr: 1}, {Name: "b", Daemon: true, Group: "h", ProcNr: 2}},
		"group h has no action":  {{Name: "a", Daemon: true, Group: "g", ProcNr: 1}},
		"unknown optional group": {{Name: "a", Daemon: true, Group: "g", Optgroup: "zz", ProcNr: 1}, {Name: "b", Daemon: true, Group: "h", ProcNr: 2}},
		"has a daemon group":     {{Name: "l", Group: "g"}, {Name: "a", Daemon: true, Group: "g", ProcNr: 1}, {Name: "b", Daemon: true, Group: "h", ProcNr: 2}},
	} {
		_, err := emitDaemon(&api.Table{Groups: groups, Actions: acts})
		assert.ErrorContains(t, err, want)
	}
	files, err := emitDaemon(api.API())
	require.NoError(t, err)
	d := files[0].Content
	for _, g := range api.API().Groups {
		assert.Contains(t, d, "type "+groupInterface(g.Name)+" interface {")
		assert.Contains(t, d, "\t"+Camel(g.Name)+" "+groupInterface(g.Name)+"\n")
	}
	assert.Contains(t, d, `"gdisk": {"part"},`)
	assert.Contains(t, d, "device, err := c.resolveDevice(args.Device)")
}

// TestDaemonEmitterResolves: Device and Pathname arguments are resolved by
// the dispatcher before the handler runs, and the handler's signature
// takes the resolved types.
func TestDaemonEmitterResolves(t *testing.T) {
	tbl := &api.Table{Groups: []api.Group{{Name: "file"}}, Actions: []api.Action{{
		Name: "copy_x", Daemon: true, Group: "file", ProcNr: 1, Ret: api.Ret{Kind: api.RErr},
		Args: []api.Arg{{Kind: api.Device, Name: "device"}, {Kind: api.Pathname, Name: "path"}, {Kind: api.String, Name: "s"}},
	}}}
	files, err := emitDaemon(tbl)
	require.NoError(t, err)
	d := files[0].Content
	assert.Contains(t, d, "CopyX(c *Call, device *devices.Device, path string, s string) error")
	assert.Contains(t, d, "device, err := c.resolveDevice(args.Device)")
	assert.Contains(t, d, "path, err := resolvePathname(args.Path)")
	assert.Contains(t, d, "return nil, g.File.CopyX(c, device, path, args.S)")
	assert.Contains(t, d, "if g.File == nil {")
}
