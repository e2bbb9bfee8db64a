package ext

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"goguestfs/daemon/fs"
)

// mnode is a file, directory or symbolic link of the model; hard links
// share one.
type mnode struct {
	kind   byte // 'f', 'd', 'l'
	data   []byte
	target string
	perm   os.FileMode
	uid    uint32
	xattrs map[string]string
}

type model struct {
	nodes map[string]*mnode
	r     *rand.Rand
}

func (m *model) pick(kinds string) string {
	var c []string
	for p, n := range m.nodes {
		if strings.IndexByte(kinds, n.kind) >= 0 {
			c = append(c, p)
		}
	}
	if len(c) == 0 {
		return ""
	}
	sort.Strings(c)
	return c[m.r.IntN(len(c))]
}

func (m *model) newName(dir string) string {
	return path.Join(dir, "n"+strconv.Itoa(m.r.IntN(100000))+strings.Repeat("x", m.r.IntN(40)))
}

func (m *model) empty(dir string) bool {
	for p := range m.nodes {
		if strings.HasPrefix(p, dir+"/") {
			return false
		}
	}
	return true
}

func TestRandomWorkload(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("EXT_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	t.Logf("seed %d (EXT_SEED=%d replays it)", seed, seed)
	for _, args := range [][]string{
		{"-t", "ext4", "-b", "1024"},
		{"-t", "ext4", "-O", "inline_data"},
		{"-t", "ext3", "-b", "4096"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			im := mkfs(t, 48<<10, args...)
			m := &model{nodes: map[string]*mnode{"/": {kind: 'd'}}, r: rand.New(rand.NewPCG(seed, 0))}
			f, done := im.open(fs.OpenOptions{})
			const ops = 3000
			for i := 1; i <= ops; i++ {
				step(t, f, m)
				if i%750 == 0 {
					require.NoError(t, f.Close())
					done()
					im.fsck()
					f, done = im.open(fs.OpenOptions{})
				}
			}
			require.NoError(t, f.Close())
			done()
			im.fsck()
			f, done = im.open(fs.OpenOptions{ReadOnly: true})
			defer done()
			compare(t, im, f, m)
			t.Logf("%d paths compared", len(m.nodes))
		})
	}
}

func step(t *testing.T, f *FS, m *model) {
	r := m.r
	switch op := r.IntN(15); op {
	case 0, 1: // create
		p := m.newName(m.pick("d"))
		if m.nodes[p] != nil {
			return
		}
		h, err := f.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
		require.NoError(t, err, p)
		require.NoError(t, h.Close())
		m.nodes[p] = &mnode{kind: 'f', perm: 0o644, xattrs: map[string]string{}}
	case 2, 3: // pwrite, append
		p := m.pick("f")
		if p == "" {
			return
		}
		n := m.nodes[p]
		data := bytes.Repeat([]byte{byte('a' + r.IntN(26))}, 1+r.IntN(20000))
		flag := os.O_WRONLY
		off := int64(r.IntN(len(n.data) + 5000))
		if op == 3 {
			flag |= os.O_APPEND
			off = int64(len(n.data))
		}
		h, err := f.OpenFile(p, flag, 0)
		require.NoError(t, err, p)
		_, err = h.WriteAt(data, off)
		require.NoError(t, err, p)
		require.NoError(t, h.Close())
		if int(off)+len(data) > len(n.data) {
			n.data = append(n.data, make([]byte, int(off)+len(data)-len(n.data))...)
		}
		copy(n.data[off:], data)
	case 4: // truncate
		p := m.pick("f")
		if p == "" {
			return
		}
		n := m.nodes[p]
		size := r.IntN(len(n.data)*3/2 + 100)
		h, err := f.OpenFile(p, os.O_WRONLY, 0)
		require.NoError(t, err, p)
		require.NoError(t, h.Truncate(int64(size)), p)
		require.NoError(t, h.Close())
		if size < len(n.data) {
			n.data = n.data[:size]
		} else {
			n.data = append(n.data, make([]byte, size-len(n.data))...)
		}
	case 5: // rename
		from := m.pick("fdl")
		if from == "" || from == "/" {
			return
		}
		dir := m.pick("d")
		if dir == from || strings.HasPrefix(dir, from+"/") {
			return
		}
		to := m.newName(dir)
		if m.nodes[from].kind == 'f' && r.IntN(2) == 0 {
			if p := m.pick("f"); p != "" {
				to = p
			}
		}
		if old := m.nodes[to]; old != nil && (old.kind != 'f' || m.nodes[from].kind != 'f') {
			return
		}
		require.NoError(t, f.Rename(from, to), "%s -> %s", from, to)
		if m.nodes[to] == m.nodes[from] {
			return
		}
		for p, n := range m.nodes {
			if p == from || strings.HasPrefix(p, from+"/") {
				delete(m.nodes, p)
				m.nodes[to+strings.TrimPrefix(p, from)] = n
			}
		}
	case 6: // link
		from := m.pick("f")
		to := m.newName(m.pick("d"))
		if from == "" || m.nodes[to] != nil {
			return
		}
		require.NoError(t, f.Link(from, to))
		m.nodes[to] = m.nodes[from]
	case 7: // remove
		p := m.pick("fl")
		if p == "" {
			return
		}
		require.NoError(t, f.Remove(p))
		delete(m.nodes, p)
	case 8: // mkdir
		p := m.newName(m.pick("d"))
		if m.nodes[p] != nil {
			return
		}
		require.NoError(t, f.Mkdir(p, 0o755))
		m.nodes[p] = &mnode{kind: 'd', perm: 0o755}
	case 9: // rmdir
		p := m.pick("d")
		if p == "/" || !m.empty(p) {
			return
		}
		require.NoError(t, f.Remove(p))
		delete(m.nodes, p)
	case 10: // symlink
		p := m.newName(m.pick("d"))
		if m.nodes[p] != nil {
			return
		}
		target := strings.Repeat("t/", 1+r.IntN(100))
		require.NoError(t, f.Symlink(target, p))
		m.nodes[p] = &mnode{kind: 'l', target: target}
	case 11: // chmod
		p := m.pick("fd")
		if p == "" || p == "/" {
			return
		}
		perm := os.FileMode(r.IntN(0o1000))
		if m.nodes[p].kind == 'd' {
			perm |= 0o700
		}
		require.NoError(t, f.Chmod(p, perm))
		m.nodes[p].perm = perm
	case 12: // chown
		p := m.pick("f")
		if p == "" {
			return
		}
		uid := uint32(r.IntN(100000))
		require.NoError(t, f.Chown(p, int(uid), -1))
		m.nodes[p].uid = uid
	case 13, 14: // setxattr, removexattr
		p := m.pick("f")
		if p == "" {
			return
		}
		n := m.nodes[p]
		name := "user.k" + strconv.Itoa(r.IntN(4))
		if op == 14 && n.xattrs[name] != "" {
			require.NoError(t, f.RemoveXattr(p, name))
			delete(n.xattrs, name)
			return
		}
		v := strings.Repeat("v", 1+r.IntN(200))
		require.NoError(t, f.SetXattr(p, name, []byte(v)))
		n.xattrs[name] = v
	}
}

// compare checks every path of the model, with debugfs for file contents.
func compare(t *testing.T, im *image, f *FS, m *model) {
	var walk func(string)
	seen := map[string]bool{}
	walk = func(dir string) {
		ents, err := f.ReadDir(dir)
		require.NoError(t, err)
		for _, e := range ents {
			p := path.Join(dir, e.Name)
			if p == "/lost+found" {
				continue
			}
			seen[p] = true
			if e.Type.IsDir() {
				walk(p)
			}
		}
	}
	walk("/")
	for p, n := range m.nodes {
		if p == "/" {
			continue
		}
		require.True(t, seen[p], "%s is missing", p)
		st, err := f.Stat(p)
		require.NoError(t, err)
		switch n.kind {
		case 'f':
			assert.Equal(t, n.perm, st.Mode, p)
			assert.Equal(t, n.uid, st.Uid, p)
			assert.True(t, bytes.Equal(n.data, im.cat(p)), "contents of %s", p)
			names, err := f.ListXattrs(p)
			require.NoError(t, err)
			assert.Len(t, names, len(n.xattrs), p)
			for k, v := range n.xattrs {
				got, err := f.GetXattr(p, k)
				require.NoError(t, err)
				assert.Equal(t, v, string(got))
			}
		case 'd':
			assert.Equal(t, n.perm|os.ModeDir, st.Mode, p)
		case 'l':
			got, err := f.Readlink(p)
			require.NoError(t, err)
			assert.Equal(t, n.target, got)
		}
	}
	assert.Len(t, seen, len(m.nodes)-1)
}
