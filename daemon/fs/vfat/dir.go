package vfat

import (
	"bytes"
	"sort"
	"strings"
	"syscall"

	"goguestfs/daemon/errno"
	"goguestfs/daemon/fs/vfat/layout"
)

// node is a file or directory: its short entry and where it lives.
type node struct {
	pos  int64 // device offset of the short entry; -1 for the root
	de   layout.DirEntry
	name string

	chain   []uint32 // the cluster chain, once loaded
	loaded  bool
	opens   int
	removed bool // its entry is gone; clusters freed at the last close
}

func (n *node) isDir() bool { return n.de.Attr&layout.AttrDir != 0 }

// maxDirSlots is FAT's limit on a directory's entries.
const maxDirSlots = 65536

// dir is a directory's raw entries, loaded whole.
type dir struct {
	n        *node
	fixed    bool // the FAT12/16 root region
	clusters []uint32
	data     []byte

	ents   []dent // parsed entries, valid while parsed is set
	parsed bool
}

// dirKey is a directory's key in the cache: its first cluster, 0 for the
// fixed root.
func (f *FS) dirKey(n *node) uint32 {
	if n.pos == -1 && f.g.FATType != layout.FAT32 {
		return 0
	}
	return n.de.FirstClus
}

// maxCachedDirs and maxCacheBytes bound the directory cache.
const (
	maxCachedDirs = 256
	maxCacheBytes = 32 << 20
)

// loadDir returns a directory's entries, from the cache when it holds
// them. The cache stays coherent: every device write goes through
// writeAt, which patches the cached directories it overlaps, and freeing
// a cluster drops the directory that owned it.
func (f *FS) loadDir(n *node) (*dir, error) {
	key := f.dirKey(n)
	if d, ok := f.dcache[key]; ok {
		d.n = n
		return d, nil
	}
	d, err := f.readDir(n)
	if err != nil {
		return nil, err
	}
	if len(f.dcache) >= f.maxDirs || f.cacheBytes+int64(len(d.data)) > maxCacheBytes {
		f.dcache = map[uint32]*dir{}
		f.owner = map[uint32]owned{}
		f.cacheBytes = 0
	}
	f.dcache[key] = d
	f.cacheBytes += int64(len(d.data))
	for i, c := range d.clusters {
		f.owner[c] = owned{d, i}
	}
	return d, nil
}

// owned is a cluster of a cached directory: the directory and the
// cluster's index in it.
type owned struct {
	d   *dir
	idx int
}

func (f *FS) dropDir(d *dir) {
	found := false
	for k, x := range f.dcache {
		if x == d {
			delete(f.dcache, k)
			found = true
		}
	}
	if !found {
		return
	}
	for _, c := range d.clusters {
		if f.owner[c].d == d {
			delete(f.owner, c)
		}
	}
	f.cacheBytes -= int64(len(d.data))
}

// patchCache copies a device write into the cached directories it
// overlaps.
func (f *FS) patchCache(b []byte, off int64, except *dir) {
	if len(f.dcache) == 0 {
		return
	}
	end := off + int64(len(b))
	cp := func(d *dir, dstart int64, base int64, n int64) {
		lo, hi := max(off, base), min(end, base+n)
		if lo >= hi || d == except {
			return
		}
		at := dstart + lo - base
		if hi-lo == 32 && at%32 == 0 && d.parsed && bytes.Equal(d.data[at:at+11], b[lo-off:lo-off+11]) {
			// A short entry's fields, its name unchanged: keep the parse.
			if k := d.entAt(int(at / 32)); k >= 0 {
				copy(d.data[at:at+32], b[lo-off:hi-off])
				d.ents[k].de = layout.ParseDirEntry(d.data[at : at+32])
				return
			}
		}
		copy(d.data[at:dstart+hi-base], b[lo-off:hi-off])
		d.parsed = false
	}
	if r, ok := f.dcache[0]; ok && r.fixed {
		cp(r, 0, f.g.RootStart, int64(len(r.data)))
	}
	if end <= f.g.DataStart {
		return
	}
	cl := f.g.ClusterSize
	c0 := uint32((max(off, f.g.DataStart)-f.g.DataStart)/cl) + 2
	c1 := uint32((end-1-f.g.DataStart)/cl) + 2
	for c := c0; c <= c1 && c >= c0; c++ {
		if o, ok := f.owner[c]; ok {
			cp(o.d, int64(o.idx)*cl, f.g.ClusterOffset(c), cl)
		}
	}
}

// dropFreed drops the cached directories owning freed clusters.
func (f *FS) dropFreed(cs []uint32) {
	if len(f.owner) == 0 {
		return
	}
	for _, c := range cs {
		if o, ok := f.owner[c]; ok {
			f.dropDir(o.d)
		}
	}
}

func (f *FS) readDir(n *node) (*dir, error) {
	d := &dir{n: n}
	if n.pos == -1 && f.g.FATType != layout.FAT32 {
		d.fixed = true
		d.data = make([]byte, f.g.RootEntries*32)
		if err := f.readAt(d.data, f.g.RootStart); err != nil {
			return nil, err
		}
		return d, nil
	}
	cs, err := f.chain(n.de.FirstClus)
	if err != nil {
		return nil, errno.Wrap(n.name, err)
	}
	if len(cs) == 0 {
		return nil, errno.New(syscall.EIO, "%s: directory without clusters", n.name)
	}
	if int64(len(cs))*f.g.ClusterSize > maxDirSlots*32 {
		return nil, errno.New(syscall.EIO, "%s: directory of %d clusters", n.name, len(cs))
	}
	d.clusters = cs
	d.data = make([]byte, int64(len(cs))*f.g.ClusterSize)
	cl := f.g.ClusterSize
	for i := 0; i < len(cs); {
		j := i + 1
		for j < len(cs) && cs[j] == cs[j-1]+1 {
			j++
		}
		if err := f.readAt(d.data[int64(i)*cl:int64(j)*cl], f.g.ClusterOffset(cs[i])); err != nil {
			return nil, err
		}
		i = j
	}
	return d, nil
}

// slotPos is the device offset of slot i.
func (f *FS) slotPos(d *dir, i int) int64 {
	off := int64(i) * 32
	if d.fixed {
		return f.g.RootStart + off
	}
	cl := f.g.ClusterSize
	return f.g.ClusterOffset(d.clusters[off/cl]) + off%cl
}

// writeDir writes slots [from, to) of d.
func (f *FS) writeDir(d *dir, from, to int) error {
	for i := from; i < to; {
		j := i + 1
		for j < to && f.slotPos(d, j) == f.slotPos(d, j-1)+32 {
			j++
		}
		if err := f.writeRaw(d.data[i*32:j*32], f.slotPos(d, i)); err != nil {
			return err
		}
		f.patchCache(d.data[i*32:j*32], f.slotPos(d, i), d)
		i = j
	}
	return nil
}

// dent is one entry of a directory.
type dent struct {
	name       string // the long name, else the short one
	short      string
	de         layout.DirEntry
	start, idx int // first slot (a long-name part) and the short entry's slot
	pos        int64
}

func (d *dir) slots() int { return len(d.data) / 32 }

// labelSlot is the slot of the volume label entry, -1 if none.
func (d *dir) labelSlot() int {
	for i := 0; i < d.slots(); i++ {
		b := d.data[i*32:]
		if b[0] == layout.EntryEnd {
			break
		}
		if b[0] != layout.EntryDeleted && b[11] != layout.AttrLFN && b[11]&(layout.AttrVolume|layout.AttrDir) == layout.AttrVolume {
			return i
		}
	}
	return -1
}

// entries lists d's files and directories (no ".", "..", label).
func (f *FS) entries(d *dir) []dent {
	if !d.parsed {
		d.ents, d.parsed = f.parseEntries(d), true
	}
	return d.ents
}

func (f *FS) parseEntries(d *dir) []dent {
	var out []dent
	var lfn []uint16
	lfnStart, want := -1, 0
	var sum uint8
	for i := 0; i < d.slots(); i++ {
		b := d.data[i*32 : i*32+32]
		if b[0] == layout.EntryEnd {
			break
		}
		if b[0] == layout.EntryDeleted {
			lfnStart = -1
			continue
		}
		if b[11]&layout.AttrValidMask == layout.AttrLFN {
			ord, s, u := layout.LFNPart(b)
			switch {
			case ord&0x40 != 0 && ord&0x3F >= 1 && ord&0x3F <= 20:
				want = int(ord & 0x3F)
				lfn = make([]uint16, want*layout.LFNChars)
				lfnStart, sum = i, s
				copy(lfn[(want-1)*layout.LFNChars:], u[:])
				want--
			case lfnStart >= 0 && int(ord) == want && s == sum && want > 0:
				copy(lfn[(want-1)*layout.LFNChars:], u[:])
				want--
			default:
				lfnStart = -1
			}
			continue
		}
		de := layout.ParseDirEntry(b)
		start := i
		long := ""
		if lfnStart >= 0 && want == 0 && layout.Checksum(de.Name) == sum {
			long = layout.LFNString(lfn)
			start = lfnStart
		}
		lfnStart = -1
		if de.Attr&layout.AttrVolume != 0 || de.Name[0] == '.' {
			continue
		}
		e := dent{short: de.ShortDisplay(), de: de, start: start, idx: i, pos: f.slotPos(d, i)}
		e.name = e.short
		if long != "" {
			e.name = long
		}
		out = append(out, e)
	}
	return out
}

// entAt is the index in d.ents of the entry whose short entry is slot
// idx, -1 if none.
func (d *dir) entAt(idx int) int {
	k := sort.Search(len(d.ents), func(i int) bool { return d.ents[i].idx >= idx })
	if k < len(d.ents) && d.ents[k].idx == idx {
		return k
	}
	return -1
}

// match reports whether the entry answers to name (case-insensitively,
// by its long or short name).
func (e *dent) match(name string) bool {
	return strings.EqualFold(e.name, name) || strings.EqualFold(e.short, name)
}

func (f *FS) find(d *dir, name string) (dent, bool) {
	name = layout.StripName(name)
	if name == "" {
		return dent{}, false
	}
	for _, e := range f.entries(d) {
		if e.match(name) {
			return e, true
		}
	}
	return dent{}, false
}

// nodeOf returns the open node of an entry, or a new one.
func (f *FS) nodeOf(e dent) *node {
	if n, ok := f.nodes[e.pos]; ok {
		return n
	}
	return &node{pos: e.pos, de: e.de, name: e.name}
}

func splitPath(path string) ([]string, error) {
	if path == "" || path[0] != '/' {
		return nil, errno.New(syscall.EINVAL, "%s: not an absolute path", errno.Cut(path))
	}
	var parts []string
	for _, p := range strings.Split(path[1:], "/") {
		if p != "" && p != "." {
			parts = append(parts, p)
		}
	}
	return parts, nil
}

// resolve finds path's node; with parent set, its parent directory and
// final name instead (name "" for the root).
func (f *FS) walk(parts []string) (*node, error) {
	n := f.root
	for _, p := range parts {
		if !n.isDir() {
			return nil, errno.New(syscall.ENOTDIR, "%s: not a directory", n.name)
		}
		if p == ".." {
			return nil, errno.New(syscall.EINVAL, "%s: path with ..", p)
		}
		d, err := f.loadDir(n)
		if err != nil {
			return nil, err
		}
		e, ok := f.find(d, p)
		if !ok {
			return nil, errno.New(syscall.ENOENT, "%s: no such file or directory", errno.Cut(p))
		}
		n = f.nodeOf(e)
	}
	return n, nil
}

func (f *FS) resolve(path string) (*node, error) {
	parts, err := splitPath(path)
	if err != nil {
		return nil, err
	}
	n, err := f.walk(parts)
	if err != nil {
		return nil, errno.Wrap(errno.Cut(path), stripObj(err))
	}
	return n, nil
}

// stripObj keeps an error's errno with a short message.
func stripObj(err error) error {
	return errno.New(errno.Of(err), "%s", errnoText(errno.Of(err), err))
}

func errnoText(e syscall.Errno, err error) string {
	switch e {
	case syscall.ENOENT, syscall.ENOTDIR:
		return e.Error()
	}
	return err.Error()
}

// resolveParent returns path's parent directory, loaded, and its last
// name; EINVAL for the root.
func (f *FS) resolveParent(path string) (*node, *dir, string, error) {
	parts, err := splitPath(path)
	if err != nil {
		return nil, nil, "", err
	}
	if len(parts) == 0 {
		return nil, nil, "", errno.New(syscall.EINVAL, "/: the root directory")
	}
	p, err := f.walk(parts[:len(parts)-1])
	if err != nil {
		return nil, nil, "", errno.Wrap(errno.Cut(path), stripObj(err))
	}
	if !p.isDir() {
		return nil, nil, "", errno.New(syscall.ENOTDIR, "%s: not a directory", errno.Cut(path))
	}
	d, err := f.loadDir(p)
	if err != nil {
		return nil, nil, "", err
	}
	return p, d, parts[len(parts)-1], nil
}

// slotsFor finds (or makes, growing the directory) n consecutive free
// slots in d, returning the first. ENOSPC when the fixed root or the
// filesystem is full.
func (f *FS) slotsFor(d *dir, n int) (int, error) {
	run, start := 0, 0
	total := d.slots()
	end := false
	for i := 0; i < total; i++ {
		c := d.data[i*32]
		if c == layout.EntryEnd {
			end = true
		}
		if end || c == layout.EntryDeleted {
			if run == 0 {
				start = i
			}
			run++
			if run == n {
				return start, nil
			}
		} else {
			run = 0
		}
	}
	if run == 0 {
		start = total
	}
	if d.fixed {
		return 0, errno.New(syscall.ENOSPC, "root directory full")
	}
	needSlots := start + n - total
	if start+n > maxDirSlots {
		return 0, errno.New(syscall.ENOSPC, "%s: directory full", d.n.name)
	}
	per := int(f.g.ClusterSize / 32)
	k := (needSlots + per - 1) / per
	cs, err := f.alloc(k, d.clusters[len(d.clusters)-1])
	if err != nil {
		return 0, err
	}
	for _, c := range cs {
		if err := f.zero(f.g.ClusterOffset(c), f.g.ClusterSize); err != nil {
			return 0, err
		}
	}
	if f.dcache[f.dirKey(d.n)] == d {
		for j, c := range cs {
			f.owner[c] = owned{d, len(d.clusters) + j}
		}
		f.cacheBytes += int64(k) * f.g.ClusterSize
	}
	d.clusters = append(d.clusters, cs...)
	d.data = append(d.data, make([]byte, int64(k)*f.g.ClusterSize)...)
	if n0, ok := f.nodes[d.n.pos]; ok && n0.loaded {
		n0.chain = append([]uint32(nil), d.clusters...)
	}
	return start, nil
}

// addEntry writes a new entry for name (checked) in d with de's fields,
// making its short name; it returns the new entry's device offset.
func (f *FS) addEntry(d *dir, name string, de layout.DirEntry, self int64) (int64, string, error) {
	stored, err := layout.CheckName(name)
	if err != nil {
		return 0, "", errno.New(errno.Of(err), "%s: invalid FAT name", errno.Cut(name))
	}
	used := map[[11]byte]bool{}
	for i := 0; i < d.slots(); i++ {
		b := d.data[i*32:]
		if b[0] == layout.EntryEnd {
			break
		}
		if b[0] == layout.EntryDeleted || b[11]&layout.AttrValidMask == layout.AttrLFN || f.slotPos(d, i) == self {
			continue
		}
		var sn [11]byte
		copy(sn[:], b[:11])
		used[sn] = true
	}
	sn, nt, needLFN, err := layout.ShortName(stored, func(s [11]byte) bool { return used[s] })
	if err != nil {
		return 0, "", errno.New(errno.Of(err), "%s: no short name", errno.Cut(name))
	}
	de.Name = sn
	de.NTRes = de.NTRes&^(layout.CaseLowerBase|layout.CaseLowerExt) | nt
	var ents [][32]byte
	if needLFN {
		ents = layout.EncodeLFN(layout.EncodeName(stored), layout.Checksum(sn))
	}
	var se [32]byte
	de.Encode(se[:])
	ents = append(ents, se)
	i, err := f.slotsFor(d, len(ents))
	if err != nil {
		return 0, "", err
	}
	for k, e := range ents {
		copy(d.data[(i+k)*32:], e[:])
	}
	if err := f.writeDir(d, i, i+len(ents)); err != nil {
		d.parsed = false
		return 0, "", err
	}
	idx := i + len(ents) - 1
	if d.parsed {
		ne := dent{short: de.ShortDisplay(), de: de, start: i, idx: idx, pos: f.slotPos(d, idx)}
		ne.name = ne.short
		if needLFN {
			ne.name = stored
		}
		k := sort.Search(len(d.ents), func(j int) bool { return d.ents[j].idx >= idx })
		d.ents = append(d.ents, dent{})
		copy(d.ents[k+1:], d.ents[k:])
		d.ents[k] = ne
	}
	f.touchDir(d.n)
	return f.slotPos(d, idx), stored, nil
}

// delEntry marks e's slots deleted.
func (f *FS) delEntry(d *dir, e dent) error {
	for i := e.start; i <= e.idx; i++ {
		d.data[i*32] = layout.EntryDeleted
	}
	if err := f.writeDir(d, e.start, e.idx+1); err != nil {
		d.parsed = false
		return err
	}
	if d.parsed {
		if k := d.entAt(e.idx); k >= 0 {
			d.ents = append(d.ents[:k], d.ents[k+1:]...)
		} else {
			d.parsed = false
		}
	}
	f.touchDir(d.n)
	return nil
}

// touchDir sets a directory's modification time (not the root's).
func (f *FS) touchDir(n *node) {
	if n.pos < 0 {
		return
	}
	n.de.WrtDate, n.de.WrtTime, _ = layout.ToDOS(f.now())
	f.writeEntry(n)
}

// writeEntry writes n's short entry back.
func (f *FS) writeEntry(n *node) error {
	if n.pos < 0 || n.removed {
		return nil
	}
	b := make([]byte, 32)
	if err := f.readAt(b, n.pos); err != nil {
		return err
	}
	name := b[:11]
	n.de.Encode(b)
	copy(b[:11], name)
	return f.writeAt(b, n.pos)
}

// isEmpty reports whether a directory holds nothing but "." and "..".
func (f *FS) isEmpty(n *node) (bool, error) {
	d, err := f.loadDir(n)
	if err != nil {
		return false, err
	}
	return len(f.entries(d)) == 0, nil
}
