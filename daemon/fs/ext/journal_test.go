package ext

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"goguestfs/daemon/fs"
)

// dirtyJournal makes an image whose journal holds transactions written by
// debugfs (jo/jw/jc), with a revoke when asked, and returns it with
// a copy replayed by e2fsck -E journal_only.
func dirtyJournal(t *testing.T, jo string, revoke bool, args ...string) (im *image, ref string) {
	im = mkfs(t, 16<<10, args...)
	dir := t.TempDir()
	r1, r2 := filepath.Join(dir, "r1"), filepath.Join(dir, "r2")
	bs := 4096
	if len(args) > 3 && args[3] == "1024" {
		bs = 1024
	}
	require.NoError(t, os.WriteFile(r1, bytes.Repeat([]byte("first "), 3*bs/6+1)[:3*bs], 0o600))
	require.NoError(t, os.WriteFile(r2, bytes.Repeat([]byte("second"), bs/6+1)[:bs], 0o600))
	b := 300 // free data blocks, past the metadata
	if bs == 1024 {
		b = 12000
	}
	cmd := fmt.Sprintf("%s\njw -b %d,%d,%d %s\njc\n", jo, b, b+1, b+2, r1)
	if revoke {
		cmd += fmt.Sprintf("%s\njw -r %d,%d\njc\n", jo, b+1, b+2)
	}
	cmd += fmt.Sprintf("%s\njw -b %d %s\njc\n", jo, b+2, r2)
	cf := filepath.Join(dir, "cmd")
	require.NoError(t, os.WriteFile(cf, []byte(cmd), 0o600))
	out, err := exec.Command("debugfs", "-w", "-f", cf, im.path).CombinedOutput()
	require.NoError(t, err, "debugfs: %s", out)
	require.Contains(t, im.debugfs("stats"), "needs_recovery")
	ref = filepath.Join(dir, "ref.img")
	raw, err := os.ReadFile(im.path)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(ref, raw, 0o600))
	out, _ = exec.Command("e2fsck", "-E", "journal_only", "-y", ref).CombinedOutput()
	require.NotContains(t, string(out), "needs_recovery", "%s", out)
	return im, ref
}

// sameBlocks requires the two images equal except in the first 4 KiB (the
// filesystem superblock: mount counts and times differ).
func sameBlocks(t *testing.T, a, b string) {
	x, err := os.ReadFile(a)
	require.NoError(t, err)
	y, err := os.ReadFile(b)
	require.NoError(t, err)
	require.Equal(t, len(x), len(y))
	for off := 4096; off < len(x); off += 1024 {
		if !bytes.Equal(x[off:off+1024], y[off:off+1024]) {
			t.Fatalf("images differ in the 1 KiB block at %d", off/1024)
		}
	}
}

func TestJournalReplay(t *testing.T) {
	// debugfs's checksum v1 commits of a revoke transaction also cover the
	// revoke block, which the recovery does not: e2fsck calls them
	// corrupt, so the v1 journals have no revoke here.
	cases := []struct {
		name, jo string
		revoke   bool
		args     []string
	}{
		{"ext4-csum3", "jo -c", true, []string{"-t", "ext4", "-b", "4096"}},
		{"ext4-nocsum", "jo", true, []string{"-t", "ext4", "-b", "4096"}},
		{"ext4-1k", "jo -c", true, []string{"-t", "ext4", "-b", "1024"}},
		{"ext3-nocsum", "jo", true, []string{"-t", "ext3", "-b", "1024"}},
		{"ext3-csum1", "jo -c", false, []string{"-t", "ext3", "-b", "4096"}},
		{"ext4-32bit-csum1", "jo -c", false, []string{"-t", "ext4", "-O", "^64bit,^metadata_csum", "-b", "4096"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, ro := range []bool{false, true} {
				im, ref := dirtyJournal(t, c.jo, c.revoke, c.args...)
				_, done := im.open(fs.OpenOptions{ReadOnly: ro})
				done()
				assert.NotContains(t, im.debugfs("stats"), "needs_recovery")
				sameBlocks(t, im.path, ref)
				im.fsck()
			}
		})
	}
}

func TestJournalRefusals(t *testing.T) {
	im, _ := dirtyJournal(t, "jo -c", true, "-t", "ext4", "-b", "4096")
	// Corrupt the first journal descriptor block: the replay must refuse.
	out := im.debugfs("bmap <8> 1")
	var blk int64
	_, err := fmtSscan(out, &blk)
	require.NoError(t, err)
	f, err := os.OpenFile(im.path, os.O_RDWR, 0)
	require.NoError(t, err)
	_, err = f.WriteAt([]byte{0xFF, 0xFF, 0xFF, 0xFF}, blk*4096+100)
	require.NoError(t, err)
	f.Close()
	d, done := im.dev()
	defer done()
	_, err = Open(d, fs.OpenOptions{})
	require.Error(t, err)
	assert.ErrorIs(t, err, syscall.EIO)
	assert.Contains(t, err.Error(), "journal")
	// norecovery opens it read-only without replaying.
	g, err := Open(d, fs.OpenOptions{ReadOnly: true, Options: "norecovery"})
	require.NoError(t, err)
	require.NoError(t, g.Close())

	// A checksum v1 commit that does not match is a corrupt journal too.
	v1, _ := dirtyJournal(t, "jo -c", true, "-t", "ext3")
	d1, done1 := v1.dev()
	defer done1()
	_, err = Open(d1, fs.OpenOptions{ReadOnly: true})
	assert.ErrorIs(t, err, syscall.EIO)

}
