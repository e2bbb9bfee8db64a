package ext

import (
	"fmt"
	"os"
	osexec "os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"goguestfs/daemon/fs"
)

// TestHtreeIndexing grows directories made by the driver past one block:
// on a dir_index filesystem they become hash-indexed, as the kernel makes
// them (libext2fs alone only ever adds linear blocks), and libext2fs's
// dx_link keeps the tree from then on (leaf splits, a second level).
// Names are long and short, with removes and renames mixed in; e2fsck
// -fn must find nothing, debugfs must see the index and every name, and
// the driver must find every name, by its cache and by libext2fs's lookup.
func TestHtreeIndexing(t *testing.T) {
	layouts := []struct {
		name string
		args []string
	}{
		{"ext4-4k", []string{"-t", "ext4", "-b", "4096"}},
		{"ext4-1k", []string{"-t", "ext4", "-b", "1024"}},
		{"ext4-4k-nocsum", []string{"-t", "ext4", "-b", "4096", "-O", "^metadata_csum"}},
		{"ext4-1k-nocsum", []string{"-t", "ext4", "-b", "1024", "-O", "^metadata_csum"}},
		{"ext3", []string{"-t", "ext3"}},
	}
	for _, l := range layouts {
		for _, n := range []int{10, 300, 3000, 30000} {
			t.Run(fmt.Sprintf("%s-%d", l.name, n), func(t *testing.T) {
				htreeCase(t, l.args, n)
			})
		}
	}
}

// htreeName is the i'th name: a third of them long (up to 255 bytes).
func htreeName(i int) string {
	if i%3 == 0 {
		s := fmt.Sprintf("long-%d-", i)
		return s + strings.Repeat("x", 40+(i*37)%(255-40-len(s)))
	}
	return fmt.Sprintf("f%d", i)
}

func htreeCase(t *testing.T, args []string, n int) {
	im := mkfs(t, 128<<10, append([]string{"-N", "40000"}, args...)...)
	f, done := im.open(fs.OpenOptions{})
	require.NoError(t, f.Mkdir("/big", 0o755))
	require.NoError(t, f.Mkdir("/other", 0o755))
	want := map[string]bool{}
	for i := 0; i < n; i++ {
		name := htreeName(i)
		if i%5 == 4 && (n <= 3000 || i%50 == 4) { // mkdir's lookup is linear
			require.NoError(t, f.Mkdir("/big/"+name, 0o755))
		} else {
			writeFile(t, f, "/big/"+name, nil, os.O_CREATE|os.O_EXCL|os.O_WRONLY)
		}
		want[name] = true
		switch {
		case i%7 == 6: // remove an earlier one
			old := htreeName(i - 3)
			if want[old] {
				require.NoError(t, f.Remove("/big/"+old))
				delete(want, old)
			}
		case i%11 == 10: // rename an earlier one, long to short and back
			old := htreeName(i - 5)
			if want[old] {
				nw := "r" + old
				if len(nw) > 255 {
					nw = fmt.Sprintf("r%d", i)
				}
				require.NoError(t, f.Rename("/big/"+old, "/big/"+nw))
				delete(want, old)
				want[nw] = true
			}
		case i%13 == 12: // out to another directory and back
			old := htreeName(i - 1)
			if want[old] {
				require.NoError(t, f.Rename("/big/"+old, "/other/o"))
				require.NoError(t, f.Rename("/other/o", "/big/"+old))
			}
		}
	}
	ents, err := f.ReadDir("/big")
	require.NoError(t, err)
	require.Len(t, ents, len(want))
	require.NoError(t, f.Close())
	done()

	im.fsck()
	ht := im.debugfs("htree /big")
	if n >= 300 {
		require.NotContains(t, ht, "Not a hash-indexed directory")
		require.Contains(t, ht, "Root node dump")
		if head, _, ok := strings.Cut(ht, "Entry #1"); ok {
			t.Logf("htree /big: %s", strings.Join(strings.Fields(head), " "))
		}
		require.Regexp(t, `Flags: 0x[0-9a-f]*1[0-9a-f]{3}\b`, im.debugfs("stat /big"))
	}

	// debugfs sees every name and no other.
	got := map[string]bool{}
	for _, line := range strings.Split(im.debugfs("ls -p /big"), "\n") {
		fld := strings.Split(line, "/")
		if len(fld) >= 6 && fld[1] != "0" && fld[5] != "." && fld[5] != ".." { // not the empty entries ls -p lists too
			got[fld[5]] = true
		}
	}
	for name := range got {
		require.True(t, want[name], "debugfs ls has extra %q", name)
	}
	require.Equal(t, len(want), len(got))
	for name := range want {
		require.True(t, got[name], "debugfs ls lacks %s", name)
	}
	// and finds a sample by name
	var names []string
	for name := range want {
		names = append(names, name)
	}
	sort.Strings(names)
	var req strings.Builder
	for i := 0; i < len(names); i += max(1, len(names)/100) {
		fmt.Fprintf(&req, "testi %s\n", quote("/big/"+names[i]))
	}
	cmdf := filepath.Join(t.TempDir(), "cmds")
	require.NoError(t, os.WriteFile(cmdf, []byte(req.String()), 0o600))
	out, _ := osexec.Command("debugfs", "-f", cmdf, im.plain()).CombinedOutput()
	assert.NotContains(t, string(out), "not found")
	assert.Equal(t, strings.Count(req.String(), "\n"), strings.Count(string(out), "is marked in use"), "%s", out)

	// The driver on a fresh open: through its cache, and through libext2fs.
	f, done = im.open(fs.OpenOptions{ReadOnly: true})
	defer done()
	dir, err := f.walk("/big", true)
	require.NoError(t, err)
	step := 1
	if n > 3000 {
		step = 37
	}
	for i, name := range names {
		_, err := f.Stat("/big/" + name)
		require.NoError(t, err, name)
		if i%step == 0 {
			_, err = f.libLookup("/big/"+name, dir, name)
			require.NoError(t, err, name)
		}
	}
	for i := 0; i < n; i += 7 {
		if name := htreeName(i); !want[name] {
			_, err := f.Stat("/big/" + name)
			require.Error(t, err, name)
			_, err = f.libLookup("/big/"+name, dir, name)
			require.Error(t, err, name)
		}
	}
}
