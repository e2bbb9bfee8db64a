package fs_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDriversImportOnlyTheBlockLayer keeps the contract's rule: the
// package fs and every driver under it import, of this module, only each
// other, the block layer and the error rule, never the server, the action
// groups or the protocol.
func TestDriversImportOnlyTheBlockLayer(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", "goguestfs/daemon/fs/...").Output()
	require.NoError(t, err)
	for _, p := range strings.Fields(string(out)) {
		if !strings.HasPrefix(p, "goguestfs/") {
			continue
		}
		ok := p == "goguestfs/daemon/fs" || strings.HasPrefix(p, "goguestfs/daemon/fs/") ||
			p == "goguestfs/daemon/blockdev" || p == "goguestfs/daemon/errno"
		assert.True(t, ok, "a filesystem driver depends on %s", p)
	}
}
