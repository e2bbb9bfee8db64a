package vfat

import (
	iofs "io/fs"
	"syscall"
	"time"

	"goguestfs/daemon/errno"
	"goguestfs/daemon/fs/vfat/layout"
)

// Mkdir makes a directory with its "." and ".." entries.
func (f *FS) Mkdir(path string, perm iofs.FileMode) error {
	if err := f.check(true); err != nil {
		return err
	}
	p, d, name, err := f.resolveParent(path)
	if err != nil {
		if errno.Of(err) == syscall.EINVAL && path == "/" {
			return errno.New(syscall.EEXIST, "/: file exists")
		}
		return err
	}
	if _, ok := f.find(d, name); ok {
		return errno.New(syscall.EEXIST, "%s: file exists", errno.Cut(path))
	}
	if _, err := layout.CheckName(name); err != nil {
		return errno.New(errno.Of(err), "%s: invalid FAT name", errno.Cut(path))
	}
	cs, err := f.alloc(1, 0)
	if err != nil {
		return errno.Wrap(errno.Cut(path), err)
	}
	c := cs[0]
	now := f.now()
	buf := make([]byte, f.g.ClusterSize)
	dot := newEntry(now, layout.AttrDir, c)
	dot.Name = [11]byte{'.', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' '}
	dot.Encode(buf)
	parent := p.de.FirstClus
	if p.pos < 0 {
		parent = 0
	}
	dotdot := newEntry(now, layout.AttrDir, parent)
	dotdot.Name = [11]byte{'.', '.', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' '}
	dotdot.Encode(buf[32:])
	if err := f.writeAt(buf, f.g.ClusterOffset(c)); err != nil {
		return err
	}
	if _, _, err := f.addEntry(d, name, newEntry(now, layout.AttrDir, c), -1); err != nil {
		f.freeChain(cs)
		return err
	}
	return nil
}

// Remove removes a file or an empty directory, freeing its clusters.
func (f *FS) Remove(path string) error {
	if err := f.check(true); err != nil {
		return err
	}
	_, d, name, err := f.resolveParent(path)
	if err != nil {
		if path == "/" {
			return errno.New(syscall.EBUSY, "/: the root directory")
		}
		return err
	}
	e, ok := f.find(d, name)
	if !ok {
		return errno.New(syscall.ENOENT, "%s: no such file or directory", errno.Cut(path))
	}
	n := f.nodeOf(e)
	if n.isDir() {
		empty, err := f.isEmpty(n)
		if err != nil {
			return err
		}
		if !empty {
			return errno.New(syscall.ENOTEMPTY, "%s: directory not empty", errno.Cut(path))
		}
	}
	return f.removeEntry(d, e, n)
}

// removeEntry deletes e (node n) from d and frees its clusters, or marks
// an open file to free them at its last close.
func (f *FS) removeEntry(d *dir, e dent, n *node) error {
	var cs []uint32
	if n.opens == 0 {
		var err error
		if cs, err = f.chain(e.de.FirstClus); err != nil {
			return errno.Wrap(e.name, err)
		}
	}
	if err := f.delEntry(d, e); err != nil {
		return err
	}
	if n.opens > 0 {
		n.removed = true
		delete(f.nodes, n.pos)
		f.orphans[n] = true
		return nil
	}
	f.freeChain(cs)
	return nil
}

// Rename moves from to to, replacing a file or an empty directory there.
func (f *FS) Rename(from, to string) error {
	if err := f.check(true); err != nil {
		return err
	}
	sp, sd, sname, err := f.resolveParent(from)
	if err != nil {
		return err
	}
	se, ok := f.find(sd, sname)
	if !ok {
		return errno.New(syscall.ENOENT, "%s: no such file or directory", errno.Cut(from))
	}
	src := f.nodeOf(se)
	parts, err := splitPath(to)
	if err != nil {
		return err
	}
	if len(parts) == 0 {
		return errno.New(syscall.EBUSY, "/: the root directory")
	}
	// The target's ancestors must not include the source directory.
	dp := f.root
	for _, p := range parts[:len(parts)-1] {
		if !dp.isDir() {
			return errno.New(syscall.ENOTDIR, "%s: not a directory", errno.Cut(to))
		}
		dd, err := f.loadDir(dp)
		if err != nil {
			return err
		}
		e, ok := f.find(dd, p)
		if !ok {
			return errno.New(syscall.ENOENT, "%s: no such file or directory", errno.Cut(to))
		}
		dp = f.nodeOf(e)
		if src.isDir() && e.pos == se.pos {
			return errno.New(syscall.EINVAL, "%s: a directory cannot move into itself", errno.Cut(to))
		}
	}
	if !dp.isDir() {
		return errno.New(syscall.ENOTDIR, "%s: not a directory", errno.Cut(to))
	}
	dname := parts[len(parts)-1]
	stored, err := layout.CheckName(dname)
	if err != nil {
		return errno.New(errno.Of(err), "%s: invalid FAT name", errno.Cut(to))
	}
	dd, err := f.loadDir(dp)
	if err != nil {
		return err
	}
	sameDir := sp.pos == dp.pos
	te, exists := f.find(dd, dname)
	if exists && te.pos == se.pos {
		if se.name == stored {
			return nil
		}
		exists = false // a change of case: rewrite the entry
	}
	if exists {
		tn := f.nodeOf(te)
		switch {
		case src.isDir() && !tn.isDir():
			return errno.New(syscall.ENOTDIR, "%s: not a directory", errno.Cut(to))
		case !src.isDir() && tn.isDir():
			return errno.New(syscall.EISDIR, "%s: is a directory", errno.Cut(to))
		case tn.isDir():
			empty, err := f.isEmpty(tn)
			if err != nil {
				return err
			}
			if !empty {
				return errno.New(syscall.ENOTEMPTY, "%s: directory not empty", errno.Cut(to))
			}
		}
		if err := f.removeEntry(dd, te, tn); err != nil {
			return err
		}
	}
	de := se.de
	if n, ok := f.nodes[se.pos]; ok {
		de = n.de
	}
	pos, name, err := f.addEntry(dd, dname, de, se.pos)
	if err != nil {
		return err
	}
	if sameDir {
		sd = dd
	}
	// Find the source again: its slots are where they were.
	var cur dent
	found := false
	for _, e := range f.entries(sd) {
		if e.pos == se.pos {
			cur, found = e, true
			break
		}
	}
	if !found {
		return errno.New(syscall.EIO, "%s: entry lost during rename", errno.Cut(from))
	}
	if err := f.delEntry(sd, cur); err != nil {
		return err
	}
	if n, ok := f.nodes[se.pos]; ok {
		delete(f.nodes, se.pos)
		n.pos, n.name = pos, name
		f.nodes[pos] = n
	}
	if src.isDir() && !sameDir {
		parent := dp.de.FirstClus
		if dp.pos < 0 {
			parent = 0
		}
		b := make([]byte, 32)
		off := f.g.ClusterOffset(de.FirstClus) + 32
		if f.validCluster(de.FirstClus) {
			if err := f.readAt(b, off); err != nil {
				return err
			}
			if b[0] == '.' && b[1] == '.' {
				e := layout.ParseDirEntry(b)
				e.FirstClus = parent
				e.Encode(b)
				if err := f.writeAt(b, off); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// Symlink is EPERM: FAT has no symbolic links.
func (f *FS) Symlink(target, path string) error {
	if err := f.check(true); err != nil {
		return err
	}
	return errno.New(syscall.EPERM, "%s: FAT has no symbolic links", errno.Cut(path))
}

// Link is EPERM: FAT has no hard links.
func (f *FS) Link(existing, path string) error {
	if err := f.check(true); err != nil {
		return err
	}
	return errno.New(syscall.EPERM, "%s: FAT has no hard links", errno.Cut(path))
}

// Readlink is EINVAL (nothing is a link), ENOENT for a missing path.
func (f *FS) Readlink(path string) (string, error) {
	if err := f.check(false); err != nil {
		return "", err
	}
	if _, err := f.resolve(path); err != nil {
		return "", err
	}
	return "", errno.New(syscall.EINVAL, "%s: not a symbolic link", errno.Cut(path))
}

// Chmod sets a file's read-only attribute when perm has no owner write
// bit and clears it otherwise; a directory's mode does not change.
func (f *FS) Chmod(path string, perm iofs.FileMode) error {
	if err := f.check(true); err != nil {
		return err
	}
	n, err := f.resolve(path)
	if err != nil {
		return err
	}
	if n.isDir() || n.pos < 0 {
		return nil
	}
	if perm&0200 == 0 {
		n.de.Attr |= layout.AttrReadOnly
	} else {
		n.de.Attr &^= layout.AttrReadOnly
	}
	return f.writeEntry(n)
}

// Chown accepts only root's uid and gid (or -1), as Linux's vfat with
// its default uid=0,gid=0; anything else is EPERM.
func (f *FS) Chown(path string, uid, gid int) error {
	if err := f.check(true); err != nil {
		return err
	}
	if _, err := f.resolve(path); err != nil {
		return err
	}
	if (uid != -1 && uid != 0) || (gid != -1 && gid != 0) {
		return errno.New(syscall.EPERM, "%s: FAT files belong to root", errno.Cut(path))
	}
	return nil
}

// Chtimes sets the access date and the modification time.
func (f *FS) Chtimes(path string, atime, mtime time.Time) error {
	if err := f.check(true); err != nil {
		return err
	}
	n, err := f.resolve(path)
	if err != nil {
		return err
	}
	if n.pos < 0 {
		return nil
	}
	if !atime.IsZero() {
		n.de.AccDate, _, _ = layout.ToDOS(atime)
	}
	if !mtime.IsZero() {
		n.de.WrtDate, n.de.WrtTime, _ = layout.ToDOS(mtime)
	}
	return f.writeEntry(n)
}

// freeOrphan frees the clusters of a removed file at its last close (or
// at the filesystem's close), as Linux does for an unlinked open file.
func (f *FS) freeOrphan(n *node) error {
	if !f.orphans[n] {
		return nil
	}
	delete(f.orphans, n)
	if f.closed || f.ro {
		return nil
	}
	cs := n.chain
	if !n.loaded {
		var err error
		if cs, err = f.chain(n.de.FirstClus); err != nil {
			return errno.Wrap(n.name, err)
		}
	}
	f.freeChain(cs)
	n.chain, n.loaded = nil, true
	return nil
}
