package vfat

import (
	"bytes"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"goguestfs/daemon/errno"
)

// mnode is the model of one file or directory.
type mnode struct {
	name string
	dir  bool
	data []byte
	kids map[string]*mnode // by lower-case name
}

func key(name string) string { return strings.ToLower(name) }

type model struct{ root *mnode }

func (m *model) lookup(p string) *mnode {
	n := m.root
	for _, c := range strings.Split(strings.Trim(p, "/"), "/") {
		if c == "" {
			continue
		}
		if !n.dir {
			return nil
		}
		if n = n.kids[key(c)]; n == nil {
			return nil
		}
	}
	return n
}

func (m *model) all(n *mnode, prefix string, out map[string]*mnode) {
	for _, k := range n.kids {
		p := prefix + "/" + k.name
		out[p] = k
		if k.dir {
			m.all(k, p, out)
		}
	}
}

func parentOf(p string) (string, string) {
	i := strings.LastIndex(p, "/")
	if i == 0 {
		return "/", p[1:]
	}
	return p[:i], p[i+1:]
}

func (m *model) isAncestor(a *mnode, b *mnode) bool {
	if a == b {
		return true
	}
	for _, k := range a.kids {
		if k.dir && m.isAncestor(k, b) {
			return true
		}
	}
	return false
}

var namePool = []string{
	"a", "B", "readme.txt", "README.TXT", "Makefile", "x.tar.gz", "long name with spaces",
	"UPPER", "lower", "MiXeD.CaSe", "config.json", "a+b", "file[1].dat", "dots.in.the.name",
	"verylongfilenamethatneedslfn.extension", "~tilde", "123456789.123", "kernel-6.1.0-amd64",
	".hidden", "initrd.img", "grub.cfg", "bootx64.efi", "Some Directory", "z",
}

func randName(r *rand.Rand) string {
	n := namePool[r.Intn(len(namePool))]
	if r.Intn(3) == 0 {
		n += strconv.Itoa(r.Intn(30))
	}
	if r.Intn(8) == 0 {
		n = strings.ToUpper(n)
	}
	return n
}

func randData(r *rand.Rand) []byte {
	n := r.Intn(3000)
	switch r.Intn(10) {
	case 0:
		n = r.Intn(70000)
	case 1:
		n = 0
	}
	b := make([]byte, n)
	r.Read(b)
	return b
}

func runWorkload(t *testing.T, img string, ops int, seed int64, maxDirs int) {
	t.Logf("seed %d (replay: VFAT_SEED=%d)", seed, seed)
	r := rand.New(rand.NewSource(seed))
	x := mount(t, img, false)
	x.maxDirs = maxDirs
	m := &model{root: &mnode{dir: true, kids: map[string]*mnode{}}}
	pick := func(dirs bool, files bool) (string, *mnode) {
		all := map[string]*mnode{}
		m.all(m.root, "", all)
		var ps []string
		for p, n := range all {
			if (n.dir && dirs) || (!n.dir && files) {
				ps = append(ps, p)
			}
		}
		if dirs {
			ps = append(ps, "/")
			all["/"] = m.root
		}
		if len(ps) == 0 {
			return "", nil
		}
		sort.Strings(ps)
		p := ps[r.Intn(len(ps))]
		return p, all[p]
	}
	join := func(d, n string) string {
		if d == "/" {
			return "/" + n
		}
		return d + "/" + n
	}
	nospc := 0
	expectErr := func(op string, err error, want syscall.Errno) {
		t.Helper()
		require.Error(t, err, op)
		require.Equal(t, want, errno.Of(err), "%s: %v", op, err)
		if want == syscall.ENOSPC {
			nospc++
		}
	}
	for i := 0; i < ops; i++ {
		switch op := r.Intn(12); op {
		case 0, 1, 2: // create or overwrite
			dp, d := pick(true, false)
			name := randName(r)
			p := join(dp, name)
			data := randData(r)
			h, err := x.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
			if ex := d.kids[key(name)]; ex != nil && ex.dir {
				expectErr("create "+p, err, syscall.EISDIR)
				continue
			}
			if errno.Of(err) == syscall.ENOSPC && err != nil {
				nospc++
				continue
			}
			require.NoError(t, err, "create %s", p)
			n := d.kids[key(name)]
			if n == nil {
				n = &mnode{name: name}
				d.kids[key(name)] = n
			}
			n.data = nil
			_, err = h.WriteAt(data, 0)
			if err != nil {
				expectErr("write "+p, err, syscall.ENOSPC)
			} else {
				n.data = data
			}
			require.NoError(t, h.Close())
		case 3: // append
			p, n := pick(false, true)
			if n == nil {
				continue
			}
			h, err := x.OpenFile(p, os.O_WRONLY|os.O_APPEND, 0)
			require.NoError(t, err, p)
			data := randData(r)
			if _, err := h.WriteAt(data, 0); err != nil {
				expectErr("append "+p, err, syscall.ENOSPC)
			} else {
				n.data = append(n.data, data...)
			}
			require.NoError(t, h.Close())
		case 4: // pwrite, maybe past the end
			p, n := pick(false, true)
			if n == nil {
				continue
			}
			h, err := x.OpenFile(p, os.O_RDWR, 0)
			require.NoError(t, err, p)
			off := r.Intn(len(n.data) + 5000)
			data := randData(r)
			if _, err := h.WriteAt(data, int64(off)); err != nil {
				expectErr("pwrite "+p, err, syscall.ENOSPC)
			} else {
				if len(data) > 0 { // an empty pwrite does not extend
					if end := off + len(data); end > len(n.data) {
						n.data = append(n.data, make([]byte, end-len(n.data))...)
					}
					copy(n.data[off:], data)
				}
			}
			require.NoError(t, h.Close())
		case 5: // truncate
			p, n := pick(false, true)
			if n == nil {
				continue
			}
			h, err := x.OpenFile(p, os.O_RDWR, 0)
			require.NoError(t, err, p)
			size := r.Intn(len(n.data) + 8000)
			if err := h.Truncate(int64(size)); err != nil {
				expectErr("truncate "+p, err, syscall.ENOSPC)
			} else if size <= len(n.data) {
				n.data = n.data[:size]
			} else {
				n.data = append(n.data, make([]byte, size-len(n.data))...)
			}
			require.NoError(t, h.Close())
		case 6, 7: // rename
			sp, sn := pick(true, true)
			if sp == "/" {
				continue
			}
			dp, dn := pick(true, false)
			name := randName(r)
			if r.Intn(4) == 0 {
				name = sn.name
				if r.Intn(2) == 0 {
					name = strings.ToUpper(name)
				}
			}
			tp := join(dp, name)
			err := x.Rename(sp, tp)
			spp, _ := parentOf(sp)
			sparent := m.lookup(spp)
			tn := dn.kids[key(name)]
			switch {
			case sn.dir && m.isAncestor(sn, dn):
				expectErr("rename "+sp+" "+tp, err, syscall.EINVAL)
			case tn == sn:
				require.NoError(t, err, "rename %s %s", sp, tp)
				sn.name = name
			case tn != nil && sn.dir && !tn.dir:
				expectErr("rename "+sp+" "+tp, err, syscall.ENOTDIR)
			case tn != nil && !sn.dir && tn.dir:
				expectErr("rename "+sp+" "+tp, err, syscall.EISDIR)
			case tn != nil && tn.dir && len(tn.kids) > 0:
				expectErr("rename "+sp+" "+tp, err, syscall.ENOTEMPTY)
			default:
				if err != nil && errno.Of(err) == syscall.ENOSPC {
					nospc++
					continue
				}
				require.NoError(t, err, "rename %s %s", sp, tp)
				delete(sparent.kids, key(sn.name))
				sn.name = name
				dn.kids[key(name)] = sn
			}
		case 8: // remove a file
			p, n := pick(false, true)
			if n == nil {
				continue
			}
			require.NoError(t, x.Remove(p), p)
			pp, _ := parentOf(p)
			delete(m.lookup(pp).kids, key(n.name))
		case 9, 10: // mkdir
			dp, d := pick(true, false)
			name := randName(r)
			p := join(dp, name)
			err := x.Mkdir(p, 0o755)
			if d.kids[key(name)] != nil {
				expectErr("mkdir "+p, err, syscall.EEXIST)
				continue
			}
			if err != nil && errno.Of(err) == syscall.ENOSPC {
				nospc++
				continue
			}
			require.NoError(t, err, "mkdir %s", p)
			d.kids[key(name)] = &mnode{name: name, dir: true, kids: map[string]*mnode{}}
		case 11: // rmdir
			p, n := pick(true, false)
			if p == "/" {
				continue
			}
			err := x.Remove(p)
			if len(n.kids) > 0 {
				expectErr("rmdir "+p, err, syscall.ENOTEMPTY)
				continue
			}
			require.NoError(t, err, p)
			pp, _ := parentOf(p)
			delete(m.lookup(pp).kids, key(n.name))
		}
		if (i+1)%400 == 0 || i == ops-1 {
			require.NoError(t, x.Sync())
			checkAgainstModel(t, x, img, m)
			if r.Intn(2) == 0 { // a fresh mount sees the same
				require.NoError(t, x.Close())
				x = mount(t, img, false)
				x.maxDirs = maxDirs
				checkAgainstModel(t, x, img, m)
			}
		}
	}
	all := map[string]*mnode{}
	m.all(m.root, "", all)
	st, _ := x.StatFS()
	t.Logf("%d ops: %d files and directories at the end, %d ENOSPC, %d of %d clusters free", ops, len(all), nospc, st.Bfree, st.Blocks)
	require.NoError(t, x.Close())
	fsck(t, img)
}

func checkAgainstModel(t *testing.T, x *FS, img string, m *model) {
	t.Helper()
	fsck(t, img)
	raw, err := os.ReadFile(img)
	require.NoError(t, err)
	g := x.g
	for i := 1; i < g.NumFATs; i++ {
		require.True(t, bytes.Equal(raw[g.FATStart:g.FATStart+g.FATSize], raw[g.FATStart+int64(i)*g.FATSize:g.FATStart+int64(i+1)*g.FATSize]), "FAT copy %d differs", i)
	}
	all := map[string]*mnode{}
	m.all(m.root, "", all)
	var want []string
	for p, n := range all {
		if n.dir {
			want = append(want, p+"/")
		} else {
			want = append(want, p)
			require.True(t, bytes.Equal(n.data, read(t, x, p)), "our read of %s", p)
		}
	}
	sort.Strings(want)
	if len(want) == 0 {
		return
	}
	require.Equal(t, want, mlist(t, img))
	out := t.TempDir()
	cmd := exec.Command("mcopy", "-s", "-n", "-i", img, "::*", out+"/")
	cmd.Env = mtoolsEnv()
	msg, err := cmd.CombinedOutput()
	require.NoError(t, err, "mcopy -s: %s", msg)
	for p, n := range all {
		if n.dir {
			continue
		}
		got, err := os.ReadFile(filepath.Join(out, p))
		require.NoError(t, err)
		require.True(t, bytes.Equal(n.data, got), "mtools read of %s: %d bytes, want %d", p, len(got), len(n.data))
	}
}

func workloadSeed() int64 {
	if s := os.Getenv("VFAT_SEED"); s != "" {
		v, err := strconv.ParseInt(s, 10, 64)
		if err == nil {
			return v
		}
	}
	return time.Now().UnixNano()
}

func TestRandomWorkload(t *testing.T) {
	need(t, "fsck.fat", "mcopy", "mdir")
	cases := []struct {
		name string
		img  func(t testing.TB) string
		ops  int
		dirs int // the directory cache's bound
	}{
		{"fat32-512", mkfsFat(40<<20, "-F", "32", "-s", "1"), 2400, maxCachedDirs},
		{"fat16-tiny-cache", ourFormat(20<<20, 0, 0), 1200, 2},
		{"fat12-small", mkfsFat(1200<<10, "-r", "64"), 1200, maxCachedDirs},
	}
	seed := workloadSeed()
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			runWorkload(t, c.img(t), c.ops, seed+int64(i), c.dirs)
		})
	}
}

var _ = fmt.Sprint
