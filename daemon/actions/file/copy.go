package file

import (
	"bytes"
	"io"
	iofs "io/fs"
	"os"
	"path"
	"strings"
	"syscall"

	"goguestfs/daemon/errno"
	vfs "goguestfs/daemon/fs"
	"goguestfs/daemon/server"
)

// copyChunk is how much a copy reads and writes at a time.
const copyChunk = 1 << 20

// copyMode is which cp a copy is.
type copyMode int

const (
	// cpPlain is cp: a file; a new one gets its source's permission bits
	// less the umask, an existing one keeps its own.
	cpPlain copyMode = iota
	// cpRecursive is cp -rP: trees, symbolic links as links, special
	// files as special files.
	cpRecursive
	// cpArchive is cp -a: cp -rP keeping modes, owners, times and
	// extended attributes.
	cpArchive
)

// copier copies files and trees across the namespace.
type copier struct {
	a     *Actions
	c     *server.Call
	mode  copyMode
	buf   []byte
	zeros []byte
}

// newCopier returns a copier of the given mode for call c.
func (a *Actions) newCopier(c *server.Call, mode copyMode) *copier {
	return &copier{a: a, c: c, mode: mode, buf: make([]byte, copyChunk), zeros: make([]byte, copyChunk)}
}

// lstatNode describes n without following it; exists is false (and the
// error nil) when nothing is there.
func lstatNode(n node) (fi vfs.FileInfo, exists bool, err error) {
	fi, err = n.fs().Stat(n.Path)
	switch {
	case err == nil:
		return fi, true, nil
	case errno.Of(err) == syscall.ENOENT:
		return fi, false, nil
	}
	return fi, false, n.wrap(err)
}

// within reports whether the canonical guest path p is dir or beneath it.
func within(p, dir string) bool {
	return p == dir || dir == "/" || strings.HasPrefix(p, dir+"/")
}

// copyTarget returns where cp or mv puts src given dest: into dest when
// it is a directory (following links), else dest itself.
func (a *Actions) copyTarget(src, dest string) (node, error) {
	d, fi, err := a.stat(dest, true)
	switch {
	case err == nil && fi.Mode.IsDir():
		return a.resolve(path.Join(d.Guest, path.Base(path.Clean(src))), false)
	case err != nil && errno.Of(err) != syscall.ENOENT:
		return node{}, err
	}
	return a.resolve(dest, false)
}

// permOf is the mode a copy creates a file with: the source's permission
// bits less the umask (and a directory's sticky bit, which mkdir keeps),
// or for cp -a its whole mode (set again once the file is written).
func (cp *copier) permOf(fi vfs.FileInfo) iofs.FileMode {
	if cp.mode == cpArchive {
		return fi.Mode & (iofs.ModePerm | iofs.ModeSetuid | iofs.ModeSetgid | iofs.ModeSticky)
	}
	perm := fi.Mode.Perm() &^ umask
	if fi.Mode.IsDir() {
		perm |= fi.Mode & iofs.ModeSticky
	}
	return perm
}

// copy copies s (described by sfi) to t, by its type.
func (cp *copier) copy(s node, sfi vfs.FileInfo, t node) error {
	if err := cp.c.Cancelled(); err != nil {
		return err
	}
	var err error
	m := sfi.Mode
	switch {
	case m.IsDir():
		err = cp.dir(s, t)
	case m&iofs.ModeSymlink != 0:
		err = cp.symlink(s, sfi, t)
	case m.IsRegular() || cp.mode == cpPlain:
		err = cp.file(s, sfi, t)
	default:
		err = cp.special(s, sfi, t)
	}
	if err != nil || cp.mode != cpArchive {
		return err
	}
	return cp.attrs(s, sfi, t)
}

// file copies the file s to t: through t when it is a symbolic link to
// a file, as cp does (a dangling one is refused), truncating an existing
// file. Blocks that read as zeros are left as holes on ext.
func (cp *copier) file(s node, sfi vfs.FileInfo, t node) error {
	tfi, exists, err := lstatNode(t)
	if err != nil {
		return err
	}
	if exists && tfi.Mode&iofs.ModeSymlink != 0 {
		rt, rfi, err := cp.a.stat(t.Guest, true)
		if err != nil {
			if errno.Of(err) == syscall.ENOENT {
				return errno.New(syscall.EEXIST, "%s: not writing through a dangling symbolic link", errno.Cut(t.p))
			}
			return err
		}
		t, tfi = rt, rfi
	}
	if exists {
		switch {
		case tfi.Mode.IsDir():
			return errno.New(syscall.EISDIR, "%s: cannot overwrite a directory with a non-directory", errno.Cut(t.p))
		case t.Mount == s.Mount && tfi.Ino == sfi.Ino:
			return errno.New(syscall.EINVAL, "%s and %s are the same file", errno.Cut(s.p), errno.Cut(t.p))
		}
	}
	sf, err := s.openFile(os.O_RDONLY, 0)
	if err != nil {
		return err
	}
	defer sf.Close()
	tf, err := t.openFile(os.O_WRONLY|os.O_CREATE|os.O_TRUNC, cp.permOf(sfi))
	if err != nil {
		return err
	}
	if err := cp.content(s, sf, sfi.Size, t, tf); err != nil {
		tf.Close()
		return err
	}
	return t.wrap(tf.Close())
}

// content copies the open file sf of s (size bytes, or more when it grew)
// into tf of t in bounded chunks. On ext, blocks of zeros are not written
// but left as holes.
func (cp *copier) content(s node, sf vfs.File, size int64, t node, tf vfs.File) error {
	holes := strings.HasPrefix(t.Mount.Type, "ext")
	bs := 4096
	if fi, err := tf.Stat(); err == nil && fi.Blksize > 0 && copyChunk%fi.Blksize == 0 {
		bs = int(fi.Blksize)
	}
	var off int64
	for {
		if err := cp.c.Cancelled(); err != nil {
			return err
		}
		k, err := sf.ReadAt(cp.buf, off)
		if err != nil && err != io.EOF {
			return s.wrap(err)
		}
		// Write the runs of blocks that are not all zeros (all of it
		// where there are no holes).
		for i := 0; i < k; {
			j := k
			if holes {
				for i < k && bytes.Equal(cp.buf[i:min(i+bs, k)], cp.zeros[:min(bs, k-i)]) {
					i += bs
				}
				for j = i; j < k && !bytes.Equal(cp.buf[j:min(j+bs, k)], cp.zeros[:min(bs, k-j)]); j += bs {
				}
				j = min(j, k)
			}
			if i < j {
				if _, werr := tf.WriteAt(cp.buf[i:j], off+int64(i)); werr != nil {
					return t.wrap(werr)
				}
			}
			i = j
		}
		off += int64(k)
		if size > 0 {
			cp.c.Progress(uint64(min(off, size)), uint64(size))
		}
		if err == io.EOF || k == 0 {
			break
		}
	}
	if holes {
		return t.wrap(tf.Truncate(off))
	}
	return nil
}

// dir copies the directory s into t, created when missing and merged
// into when it is a directory already.
func (cp *copier) dir(s node, t node) error {
	tfi, exists, err := lstatNode(t)
	if err != nil {
		return err
	}
	if exists && !tfi.Mode.IsDir() {
		return errno.New(syscall.ENOTDIR, "%s: cannot overwrite a non-directory with a directory", errno.Cut(t.p))
	}
	if !exists {
		sfi, err := s.fs().Stat(s.Path)
		if err != nil {
			return s.wrap(err)
		}
		w, err := t.writer()
		if err != nil {
			return err
		}
		if err := w.Mkdir(t.Path, cp.permOf(sfi)); err != nil {
			return t.wrap(err)
		}
	}
	ents, err := readDir(s.fs(), s.Path)
	if err != nil {
		return s.wrap(err)
	}
	for _, e := range ents {
		sc := cp.a.entryAt(s, e.Name)
		scfi, err := sc.fs().Stat(sc.Path)
		if err != nil {
			return sc.wrap(err)
		}
		if err := cp.copy(sc, scfi, cp.a.entryAt(t, e.Name)); err != nil {
			return err
		}
	}
	return nil
}

// replaceable removes a non-directory at t for a new link or special
// file, as cp does; a directory there is EISDIR.
func (cp *copier) replaceable(s node, sfi vfs.FileInfo, t node) (vfs.Writer, error) {
	tfi, exists, err := lstatNode(t)
	if err != nil {
		return nil, err
	}
	w, err := t.writer()
	if err != nil {
		return nil, err
	}
	if exists {
		switch {
		case tfi.Mode.IsDir():
			return nil, errno.New(syscall.EISDIR, "%s: cannot overwrite a directory with a non-directory", errno.Cut(t.p))
		case t.Mount == s.Mount && tfi.Ino == sfi.Ino:
			return nil, errno.New(syscall.EINVAL, "%s and %s are the same file", errno.Cut(s.p), errno.Cut(t.p))
		}
		if err := w.Remove(t.Path); err != nil {
			return nil, t.wrap(err)
		}
	}
	return w, nil
}

// symlink copies the symbolic link s as a link with its target.
func (cp *copier) symlink(s node, sfi vfs.FileInfo, t node) error {
	sw, ok := s.fs().(vfs.Writer)
	if !ok {
		return s.fail(syscall.EIO)
	}
	target, err := sw.Readlink(s.Path)
	if err != nil {
		return s.wrap(err)
	}
	w, err := cp.replaceable(s, sfi, t)
	if err != nil {
		return err
	}
	return t.wrap(w.Symlink(target, t.Path))
}

// special copies a device, FIFO or socket as a special file of its type.
func (cp *copier) special(s node, sfi vfs.FileInfo, t node) error {
	mk, ok := t.fs().(vfs.Mknoder)
	if !ok {
		return errno.New(syscall.EPERM, "%s: the filesystem has no special files", errno.Cut(t.p))
	}
	if _, err := cp.replaceable(s, sfi, t); err != nil {
		return err
	}
	typ := sfi.Mode & (iofs.ModeDevice | iofs.ModeCharDevice | iofs.ModeNamedPipe | iofs.ModeSocket)
	return t.wrap(mk.Mknod(t.Path, typ|cp.permOf(sfi), sfi.Rdev))
}

// ignoredByArchive reports the errors cp -a lets pass when it keeps
// owners (a filesystem without them refuses) and extended attributes (a
// filesystem without them, or without that namespace).
func ignoredByArchive(err error) bool {
	switch errno.Of(err) {
	case syscall.EPERM, syscall.EINVAL, syscall.ENOTSUP, syscall.ENODATA, syscall.ENOSPC, syscall.E2BIG, syscall.ERANGE, syscall.EACCES:
		return true
	}
	return false
}

// attrs gives t the owner, extended attributes, mode and times of s
// (described by sfi), in that order since a change of owner clears the
// set-ID bits; a link keeps only its owner and attributes.
func (cp *copier) attrs(s node, sfi vfs.FileInfo, t node) error {
	w, err := t.writer()
	if err != nil {
		return err
	}
	link := sfi.Mode&iofs.ModeSymlink != 0
	var cerr error
	if !link {
		cerr = w.Chown(t.Path, int(sfi.Uid), int(sfi.Gid))
	} else if l, ok := w.(vfs.Lchowner); ok {
		cerr = l.Lchown(t.Path, int(sfi.Uid), int(sfi.Gid))
	}
	if cerr != nil && !ignoredByArchive(cerr) {
		return t.wrap(cerr)
	}
	if err := cp.xattrs(s, link, t); err != nil {
		return err
	}
	if link {
		return nil
	}
	if err := w.Chmod(t.Path, cp.permOf(sfi)); err != nil {
		return t.wrap(err)
	}
	return t.wrap(w.Chtimes(t.Path, sfi.Atime, sfi.Mtime))
}

// attrStore is a filesystem's extended attributes, of files (following
// links) or of links themselves.
type attrStore interface {
	list(p string) ([]string, error)
	get(p, name string) ([]byte, error)
	set(p, name string, v []byte) error
}

// fileAttrs and linkAttrs are the attrStores of an Xattrer and of a
// LinkXattrer.
type (
	fileAttrs struct{ x vfs.Xattrer }
	linkAttrs struct{ x vfs.LinkXattrer }
)

// list lists the names of p's attributes.
func (f fileAttrs) list(p string) ([]string, error) { return f.x.ListXattrs(p) }

// get returns the value of p's attribute name.
func (f fileAttrs) get(p, name string) ([]byte, error) { return f.x.GetXattr(p, name) }

// set sets p's attribute name to v.
func (f fileAttrs) set(p, name string, v []byte) error { return f.x.SetXattr(p, name, v) }

// list lists the names of the link p's attributes.
func (l linkAttrs) list(p string) ([]string, error) { return l.x.LListXattrs(p) }

// get returns the value of the link p's attribute name.
func (l linkAttrs) get(p, name string) ([]byte, error) { return l.x.LGetXattr(p, name) }

// set sets the link p's attribute name to v.
func (l linkAttrs) set(p, name string, v []byte) error { return l.x.LSetXattr(p, name, v) }

// attrsOf returns the attrStore of fsys for files or (link) links, or nil
// when it has no extended attributes.
func attrsOf(fsys vfs.FS, link bool) attrStore {
	if link {
		if x, ok := fsys.(vfs.LinkXattrer); ok {
			return linkAttrs{x}
		}
		return nil
	}
	if x, ok := fsys.(vfs.Xattrer); ok {
		return fileAttrs{x}
	}
	return nil
}

// xattrs copies the extended attributes of s to t where both
// filesystems have them (those of a link itself for a link).
func (cp *copier) xattrs(s node, link bool, t node) error {
	sx, tx := attrsOf(s.fs(), link), attrsOf(t.fs(), link)
	if sx == nil || tx == nil {
		return nil
	}
	names, err := sx.list(s.Path)
	if err != nil {
		if ignoredByArchive(err) {
			return nil
		}
		return s.wrap(err)
	}
	for _, name := range names {
		v, err := sx.get(s.Path, name)
		if err != nil {
			if ignoredByArchive(err) {
				continue
			}
			return s.wrap(err)
		}
		if err := tx.set(t.Path, name, v); err != nil && !ignoredByArchive(err) {
			return t.wrap(err)
		}
	}
	return nil
}

// Cp copies a file (following links) to dest, or into dest when it is a
// directory, as cp does.
func (a *Actions) Cp(c *server.Call, src string, dest string) error {
	s, sfi, err := a.stat(src, true)
	if err != nil {
		return err
	}
	if sfi.Mode.IsDir() {
		return errno.New(syscall.EISDIR, "%s: is a directory (use cp_r)", errno.Cut(src))
	}
	t, err := a.copyTarget(src, dest)
	if err != nil {
		return err
	}
	return a.newCopier(c, cpPlain).copy(s, sfi, t)
}

// CpA copies a file or tree as cp -a does.
func (a *Actions) CpA(c *server.Call, src string, dest string) error {
	return a.copyTree(c, src, dest, cpArchive)
}

// CpR copies a file or tree as cp -rP does.
func (a *Actions) CpR(c *server.Call, src string, dest string) error {
	return a.copyTree(c, src, dest, cpRecursive)
}

// copyTree copies src (not following a final link) to dest, or into dest
// when it is a directory; a directory cannot be copied into itself.
func (a *Actions) copyTree(c *server.Call, src, dest string, mode copyMode) error {
	s, sfi, err := a.stat(src, false)
	if err != nil {
		return err
	}
	t, err := a.copyTarget(src, dest)
	if err != nil {
		return err
	}
	if sfi.Mode.IsDir() && within(t.Guest, s.Guest) {
		if tfi, exists, err := lstatNode(t); err == nil && exists && !tfi.Mode.IsDir() {
			return errno.New(syscall.ENOTDIR, "%s: cannot overwrite a non-directory with a directory", errno.Cut(t.p))
		}
		return errno.New(syscall.EINVAL, "%s: cannot copy a directory into itself, %s", errno.Cut(src), errno.Cut(t.Guest))
	}
	return a.newCopier(c, mode).copy(s, sfi, t)
}

// Mv moves src to dest, or into dest when it is a directory: a rename on
// one filesystem; across filesystems a copy keeping modes, owners and
// times (and replacing what was there) and the removal of src.
func (a *Actions) Mv(c *server.Call, src string, dest string) error {
	s, sfi, err := a.stat(src, false)
	if err != nil {
		return err
	}
	if err := s.notMountpoint(); err != nil {
		return err
	}
	t, err := a.copyTarget(src, dest)
	if err != nil {
		return err
	}
	switch {
	case t.Guest == s.Guest:
		return errno.New(syscall.EINVAL, "%s and %s are the same file", errno.Cut(src), errno.Cut(t.Guest))
	case sfi.Mode.IsDir() && within(t.Guest, s.Guest):
		return errno.New(syscall.EINVAL, "%s: cannot move a directory into itself, %s", errno.Cut(src), errno.Cut(t.Guest))
	}
	if b := a.ns.Beneath(s.Guest); len(b) > 0 {
		return errno.New(syscall.EBUSY, "%s: %s is mounted beneath it", errno.Cut(src), b[0].Point)
	}
	if t.Mount == s.Mount {
		return a.Rename(c, s.Guest, t.Guest)
	}
	if err := t.notMountpoint(); err != nil {
		return err
	}
	tfi, exists, err := lstatNode(t)
	if err != nil {
		return err
	}
	if exists {
		switch {
		case sfi.Mode.IsDir() && !tfi.Mode.IsDir():
			return t.fail(syscall.ENOTDIR)
		case !sfi.Mode.IsDir() && tfi.Mode.IsDir():
			return t.fail(syscall.EISDIR)
		}
		w, err := t.writer()
		if err != nil {
			return err
		}
		if err := w.Remove(t.Path); err != nil {
			return t.wrap(err)
		}
	}
	if err := a.newCopier(c, cpArchive).copy(s, sfi, t); err != nil {
		if _, there, _ := lstatNode(t); there {
			_ = a.RmRf(c, t.Guest) // as mv, leave no partial copy; the copy's error is the one to report
		}
		return err
	}
	return a.RmRf(c, s.Guest)
}
