package iso9660

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"goguestfs/daemon/fs/fstest"
)

func makeISO(t *testing.T, tree, tool string, args ...string) string {
	t.Helper()
	need(t, tool)
	p := filepath.Join(t.TempDir(), "x.iso")
	argv := append([]string{}, args...)
	if tool == "xorriso" {
		argv = append([]string{"-as", "mkisofs", "-quiet"}, argv...)
	} else {
		argv = append([]string{"-quiet"}, argv...)
	}
	argv = append(argv, "-V", "CMP_Vol", "-o", p, tree)
	out, err := exec.Command(tool, argv...).CombinedOutput()
	require.NoError(t, err, "%s %v: %s", tool, argv, out)
	return p
}

// ref is a file as a reference tool shows it.
type ref struct {
	mode     os.FileMode
	uid, gid uint32
	size     int64
	mtime    int64
	target   string
	sum      string
	nlink    uint64
}

func sumFile(t *testing.T, p string) string {
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	return fmt.Sprintf("%x", sha256.Sum256(b))
}

// extract lists the tree xorriso's osirrox extracts (owners, modes, times,
// links and contents kept, as root).
// readFS is xorriso's -read_fs: "any" (Rock Ridge first), "norock"
// (Joliet first), "ecma119" (plain names).
func extract(t *testing.T, iso, readFS string) map[string]ref {
	t.Helper()
	need(t, "xorriso")
	d := filepath.Join(t.TempDir(), "x")
	cmd := exec.Command("xorriso", "-read_fs", readFS, "-osirrox", "on", "-indev", iso, "-extract", "/", d)
	cmd.Env = append(os.Environ(), "LANG=C.UTF-8")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	m := map[string]ref{}
	require.NoError(t, filepath.Walk(d, func(p string, fi os.FileInfo, err error) error {
		require.NoError(t, err)
		if p == d {
			return nil
		}
		st := fi.Sys().(*syscall.Stat_t)
		r := ref{mode: fi.Mode(), uid: st.Uid, gid: st.Gid, mtime: fi.ModTime().Unix()}
		switch {
		case fi.Mode().IsRegular():
			r.size, r.sum = fi.Size(), sumFile(t, p)
		case fi.Mode()&os.ModeSymlink != 0:
			r.target, err = os.Readlink(p)
			require.NoError(t, err)
		}
		m["/"+strings.TrimPrefix(p, d+"/")] = r
		return nil
	}))
	return m
}

var isoinfoLine = regexp.MustCompile(`^([-dlcbpsf])([-rwxsStT]{9})\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+) \w{3} [ \d]\d \d{4} \[\s*\d+ \d+\]  (.*?) ?$`)

// isoinfo lists the image as isoinfo -l does with flag ("-R", "-J" or
// none): type letter, link count, owners, size, name, link target.
func isoinfo(t *testing.T, iso string, flag ...string) map[string]ref {
	t.Helper()
	need(t, "isoinfo")
	out, err := exec.Command("isoinfo", append(append([]string{}, flag...), "-l", "-i", iso)...).Output()
	require.NoError(t, err)
	m := map[string]ref{}
	dir := ""
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		l := sc.Text()
		if s, ok := strings.CutPrefix(l, "Directory listing of "); ok {
			dir = s
			continue
		}
		g := isoinfoLine.FindStringSubmatch(l)
		if g == nil {
			continue
		}
		name, target, _ := strings.Cut(g[7], " -> ")
		if name == "." || name == ".." {
			continue
		}
		nl, _ := strconv.ParseUint(g[3], 10, 64)
		uid, _ := strconv.ParseUint(g[4], 10, 32)
		gid, _ := strconv.ParseUint(g[5], 10, 32)
		size, _ := strconv.ParseInt(g[6], 10, 64)
		var mode os.FileMode
		switch g[1] {
		case "d":
			mode = os.ModeDir
		case "l":
			mode = os.ModeSymlink
		case "c":
			mode = os.ModeDevice | os.ModeCharDevice
		case "b":
			mode = os.ModeDevice
		case "s":
			mode = os.ModeSocket
		case "f": // isoinfo's letter for a fifo
			mode = os.ModeNamedPipe
		}
		m[dir+name] = ref{mode: mode, nlink: nl, uid: uint32(uid), gid: uint32(gid), size: size, target: target}
	}
	return m
}

// TestRockRidgeAgainstTools compares, file by file, what the driver shows
// of Rock Ridge images made by xorriso and genisoimage with what xorriso's
// osirrox extracts and what isoinfo -R -l lists.
func TestRockRidgeAgainstTools(t *testing.T) {
	tree := fstest.MakeTree(t, false, "owners, device nodes")
	for _, c := range []struct {
		name, tool string
		args       []string
	}{
		{"xorriso -R -J", "xorriso", []string{"-R", "-J", "-joliet-long"}},
		{"xorriso -R", "xorriso", []string{"-R"}},
		{"genisoimage -R -J", "genisoimage", []string{"-R", "-J", "-joliet-long"}},
		{"genisoimage -R", "genisoimage", []string{"-R"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			iso := makeISO(t, tree, c.tool, c.args...)
			x := mount(t, iso, "")
			got := fstest.Walk(t, x)
			want := extract(t, iso, "any")
			info := isoinfo(t, iso, "-R")
			if c.tool == "genisoimage" {
				// genisoimage relocates deep directories into rr_moved,
				// which Linux (and osirrox) shows empty.
				ents, err := x.ReadDir("/rr_moved")
				require.NoError(t, err)
				assert.Empty(t, ents)
				// genisoimage writes the 403-byte link's SL entry with a
				// length byte of 318-256: the record is corrupt and the
				// file unusable, as Linux's isofs sees it.
				assert.Equal(t, "EIO", got["/long-link"].Sum)
				_, err = x.Readlink("/long-link")
				assert.Equal(t, syscall.EIO, errnoOf(err))
				delete(got, "/long-link")
				delete(want, "/long-link")
			}
			for p, i := range info {
				if _, ok := want[p]; !ok && i.mode&(os.ModeDevice|os.ModeSocket) != 0 {
					// osirrox does not extract devices and sockets
					assert.Equal(t, i.mode, got[p].FI.Mode.Type(), "%s: type (isoinfo -R)", p)
					delete(got, p)
				}
			}
			fstest.SameKeys(t, want, got)
			for p, w := range want {
				g := got[p].FI
				assert.Equal(t, w.mode, g.Mode, "%s: mode", p)
				assert.Equal(t, w.uid, g.Uid, "%s: uid", p)
				assert.Equal(t, w.gid, g.Gid, "%s: gid", p)
				// Times are the source's: osirrox sets none on a link,
				// and applies genisoimage's bogus zone offsets (below).
				if src, err := os.Lstat(filepath.Join(tree, p)); err == nil {
					assert.Equal(t, src.ModTime().Unix(), g.Mtime.Unix(), "%s: mtime", p)
				} else {
					assert.Equal(t, w.mtime, g.Mtime.Unix(), "%s: mtime", p)
				}
				assert.Equal(t, w.target, got[p].Target, "%s: target", p)
				assert.Equal(t, w.sum, got[p].Sum, "%s: content", p)
				if w.mode.IsRegular() {
					assert.Equal(t, w.size, g.Size, "%s: size", p)
				}
				if w.mode&os.ModeSymlink != 0 {
					assert.Equal(t, int64(len(w.target)), g.Size, "%s: a link's size is its target's length", p)
				}
				if i, ok := info[p]; ok {
					assert.Equal(t, i.nlink, g.Nlink, "%s: nlink (isoinfo -R)", p)
				} else if !strings.Contains(p, "/d10") && !strings.HasSuffix(p, "/d9") {
					t.Errorf("%s: not in isoinfo -R -l", p)
				}
			}
			if c.tool == "genisoimage" {
				// genisoimage records 2038-01-19 03:14:08 with a zone
				// offset of -96 quarter hours; Linux ignores an offset past
				// 13 hours, osirrox applies it.
				assert.Equal(t, int64(1<<31), got["/block"].FI.Mtime.Unix())
				assert.Equal(t, int64(1<<31+86400), want["/block"].mtime)
			}
			fi, err := x.Stat("/chr")
			require.NoError(t, err)
			assert.Equal(t, uint64(1<<8|3), fi.Rdev, "/chr: 1,3")
			fi, err = x.Stat("/blk")
			require.NoError(t, err)
			assert.Equal(t, uint64(8<<8|1), fi.Rdev, "/blk: 8,1")
			fi, err = x.Stat("/hard2")
			require.NoError(t, err)
			assert.Equal(t, uint64(3), fi.Nlink, "/hard2")
			assert.Equal(t, "CMP_Vol", must(x.Label()))
		})
	}
}

// TestPlainAndJolietAgainstTools compares images without Rock Ridge with
// what osirrox extracts of their Joliet tree (-read_fs norock) or plain
// tree (-read_fs ecma119, names lower-cased as Linux's map=normal does):
// names, sizes, contents, times; files and directories are 0555, owned by
// root, with one link.
func TestPlainAndJolietAgainstTools(t *testing.T) {
	tree := fstest.MakeTree(t, false, "owners, device nodes")
	for _, c := range []struct {
		name, tool string
		joliet     bool
		args       []string
	}{
		{"genisoimage -J", "genisoimage", true, []string{"-D", "-J", "-joliet-long"}},
		{"xorriso -J", "xorriso", true, []string{"--norock", "-J", "-joliet-long"}},
		{"genisoimage", "genisoimage", false, []string{"-D"}},
		{"xorriso", "xorriso", false, []string{"--norock"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			iso := makeISO(t, tree, c.tool, c.args...)
			x := mount(t, iso, "")
			got := fstest.Walk(t, x)
			readFS := "ecma119"
			if c.joliet {
				readFS = "norock"
			}
			want := map[string]ref{}
			for p, r := range extract(t, iso, readFS) {
				if c.joliet {
					p = strings.TrimRight(p, ".")
				} else {
					p = strings.ToLower(p)
				}
				want[p] = r
			}
			fstest.SameKeys(t, want, got)
			for p, w := range want {
				g := got[p].FI
				if w.mode.IsDir() {
					assert.Equal(t, os.ModeDir|0o555, g.Mode, p)
				} else {
					assert.Equal(t, os.FileMode(0o555), g.Mode, p)
					assert.Equal(t, w.size, g.Size, "%s: size", p)
					assert.Equal(t, w.sum, got[p].Sum, "%s: content", p)
				}
				assert.Equal(t, uint64(1), g.Nlink, p)
				assert.Zero(t, g.Uid, p)
				if src, err := os.Lstat(filepath.Join(tree, p)); err == nil {
					assert.Equal(t, src.ModTime().Unix(), g.Mtime.Unix(), "%s: mtime", p)
				}
			}
			if c.joliet {
				_, ok := got["/ümlaut ☃.txt"]
				assert.True(t, ok, "a Joliet name keeps its case and Unicode")
			} else {
				_, ok := got["/trail"]
				assert.True(t, ok, "TRAIL.;1 is trail")
			}
		})
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
