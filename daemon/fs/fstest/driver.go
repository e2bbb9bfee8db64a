package fstest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"goguestfs/daemon/fs"
)

// Registered checks that d is the driver registered as name and that
// fs.Probe picks it for the image img.
func Registered(t *testing.T, name string, d fs.Driver, img []byte) {
	t.Helper()
	got, ok := fs.Lookup(name)
	require.True(t, ok)
	assert.Equal(t, d, got)
	p, err := fs.Probe(&ROMem{B: img})
	require.NoError(t, err)
	assert.Equal(t, name, p.Name())
}

// OpenEach is a fuzz target's body for a read-only driver: it probes
// data, opens it read-only with each of opts and hands use every FS that
// opens. An input that takes over 5 s panics.
func OpenEach(d fs.Driver, data []byte, opts []string, use func(fs.FS)) {
	watch := time.AfterFunc(5*time.Second, func() { panic("FuzzOpenWalk: an input took over 5 s") })
	defer watch.Stop()
	dev := &ROMem{B: data}
	d.Probe(dev)
	for _, o := range opts {
		x, err := d.Open(dev, fs.OpenOptions{ReadOnly: true, Options: o})
		if err != nil {
			continue
		}
		use(x)
	}
}
