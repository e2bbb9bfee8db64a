package file

import (
	iofs "io/fs"
	"os"
	"path"
	"sort"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"goguestfs/daemon/errno"
	vfs "goguestfs/daemon/fs"
	"goguestfs/daemon/server"
)

// Ls lists a directory's names, sorted.
func (a *Actions) Ls(c *server.Call, directory string) ([]string, error) {
	n, err := a.resolve(directory, true)
	if err != nil {
		return nil, err
	}
	ents, err := readDir(n.fs(), n.Path)
	if err != nil {
		return nil, n.wrap(err)
	}
	out := make([]string, 0, len(ents))
	for _, e := range ents {
		out = append(out, e.Name)
	}
	sort.Strings(out)
	return out, nil
}

// direntType is readdir's type letter for the type bits of a mode.
func direntType(m iofs.FileMode) byte {
	switch {
	case m.IsDir():
		return 'd'
	case m&iofs.ModeSymlink != 0:
		return 'l'
	case m&iofs.ModeCharDevice != 0:
		return 'c'
	case m&iofs.ModeDevice != 0:
		return 'b'
	case m&iofs.ModeNamedPipe != 0:
		return 'f'
	case m&iofs.ModeSocket != 0:
		return 's'
	case m.IsRegular():
		return 'r'
	}
	return 'u'
}

// Readdir lists a directory with "." and "..", inode numbers and types.
func (a *Actions) Readdir(c *server.Call, dir string) ([]server.Dirent, error) {
	n, fi, err := a.stat(dir, true)
	if err != nil {
		return nil, err
	}
	if !fi.Mode.IsDir() {
		return nil, n.fail(syscall.ENOTDIR)
	}
	ents, err := readDir(n.fs(), n.Path)
	if err != nil {
		return nil, n.wrap(err)
	}
	_, up, err := a.stat(path.Dir(n.Guest), true)
	if err != nil {
		return nil, err
	}
	out := make([]server.Dirent, 0, len(ents)+2)
	out = append(out, server.Dirent{Ino: int64(fi.Ino), Ftyp: 'd', Name: "."}, server.Dirent{Ino: int64(up.Ino), Ftyp: 'd', Name: ".."})
	for _, e := range ents {
		out = append(out, server.Dirent{Ino: int64(e.Ino), Ftyp: direntType(e.Type), Name: e.Name})
	}
	return out, nil
}

// missing reports whether err says a path is not there (or cannot be,
// since a parent is not a directory).
func missing(err error) bool {
	e := errno.Of(err)
	return e == syscall.ENOENT || e == syscall.ENOTDIR
}

// Touch creates an empty file or sets an existing one's times to now.
func (a *Actions) Touch(c *server.Call, p string) error {
	n, fi, err := a.stat(p, true)
	switch {
	case err == nil && fi.Mode.IsDir():
		return n.fail(syscall.EISDIR)
	case err == nil && !fi.Mode.IsRegular():
		return errno.New(syscall.EINVAL, "%s: not a regular file", errno.Cut(p))
	case err == nil:
		w, err := n.writer()
		if err != nil {
			return err
		}
		now := time.Now()
		return n.wrap(w.Chtimes(n.Path, now, now))
	case errno.Of(err) != syscall.ENOENT:
		return err
	}
	if n, err = a.resolve(p, true); err != nil {
		return err
	}
	if n.Slash {
		return n.fail(syscall.EISDIR)
	}
	f, err := n.openFile(os.O_WRONLY|os.O_CREATE, 0o666&^umask)
	if err != nil {
		return err
	}
	return n.wrap(f.Close())
}

// newNode resolves p, whose last component must not exist (EEXIST), for
// making something there: a directory when dir is set (only a directory
// may be made at a path ending in "/": EISDIR).
func (a *Actions) newNode(p string, dir bool) (node, vfs.Writer, error) {
	n, err := a.resolve(p, false)
	if err != nil {
		return node{}, nil, err
	}
	if n.Slash && !dir {
		return node{}, nil, n.fail(syscall.EISDIR)
	}
	if n.IsMountpoint() {
		return node{}, nil, n.fail(syscall.EEXIST)
	}
	if _, err := n.fs().Stat(n.Path); err == nil {
		return node{}, nil, n.fail(syscall.EEXIST)
	} else if errno.Of(err) != syscall.ENOENT {
		return node{}, nil, n.wrap(err)
	}
	w, err := n.writer()
	return n, w, err
}

// mkdir makes the directory p with perm.
func (a *Actions) mkdir(p string, perm iofs.FileMode) error {
	n, w, err := a.newNode(p, true)
	if err != nil {
		return err
	}
	return n.wrap(w.Mkdir(n.Path, perm))
}

// Mkdir makes a directory, mode 0755.
func (a *Actions) Mkdir(c *server.Call, p string) error { return a.mkdir(p, 0o777&^umask) }

// MkdirMode makes a directory with mode (less the umask).
func (a *Actions) MkdirMode(c *server.Call, p string, mode int) error {
	perm, err := modeBits(mode)
	if err != nil {
		return err
	}
	return a.mkdir(p, perm&^umask)
}

// MkdirP makes a directory and its missing parents. Each prefix is
// resolved as given, so ".." after a symbolic link climbs from its target.
func (a *Actions) MkdirP(c *server.Call, p string) error {
	cur := ""
	for _, comp := range splitPath(p) {
		cur += "/" + comp
		n, fi, err := a.stat(cur, true)
		switch {
		case err == nil && fi.Mode.IsDir():
			continue
		case err == nil:
			return n.fail(syscall.EEXIST)
		case errno.Of(err) != syscall.ENOENT:
			return err
		}
		if err := a.mkdir(cur, 0o777&^umask); err != nil && errno.Of(err) != syscall.EEXIST {
			return err
		}
	}
	return nil
}

// splitPath returns the non-empty components of a path.
func splitPath(p string) []string {
	var out []string
	for _, c := range strings.Split(p, "/") {
		if c != "" {
			out = append(out, c)
		}
	}
	return out
}

// removeFile removes the non-directory at p; ignoreMissing is rm -f.
func (a *Actions) removeFile(p string, ignoreMissing bool) error {
	n, err := a.resolve(p, false)
	if err != nil {
		if ignoreMissing && errno.Of(err) == syscall.ENOENT {
			return nil
		}
		return err
	}
	fi, err := n.fs().Stat(n.Path)
	switch {
	case err != nil && ignoreMissing && errno.Of(err) == syscall.ENOENT:
		return nil
	case err != nil:
		return n.wrap(err)
	case fi.Mode.IsDir():
		return n.fail(syscall.EISDIR)
	}
	w, err := n.writer()
	if err != nil {
		return err
	}
	return n.wrap(w.Remove(n.Path))
}

// Rm removes a file.
func (a *Actions) Rm(c *server.Call, p string) error { return a.removeFile(p, false) }

// RmF removes a file; a missing one is not an error.
func (a *Actions) RmF(c *server.Call, p string) error { return a.removeFile(p, true) }

// lastDot returns the last component of p as given ("." or ".." matter:
// the kernel refuses to remove or rename through them).
func lastDot(p string) string {
	comps := splitPath(p)
	if len(comps) == 0 {
		return ""
	}
	if c := comps[len(comps)-1]; c == "." || c == ".." {
		return c
	}
	return ""
}

// RmRf removes a file or a directory tree; a missing path is not an error.
func (a *Actions) RmRf(c *server.Call, p string) error {
	if lastDot(p) != "" {
		return errno.New(syscall.EINVAL, "%s: refusing to remove '.' or '..'", errno.Cut(p))
	}
	n, err := a.resolve(p, false)
	if err != nil {
		if errno.Of(err) == syscall.ENOENT {
			return nil
		}
		return err
	}
	if n.Guest == "/" {
		return errno.New(syscall.EINVAL, "%s: cannot remove the root directory", errno.Cut(p))
	}
	fi, err := n.fs().Stat(n.Path)
	if err != nil {
		if errno.Of(err) == syscall.ENOENT {
			return nil
		}
		return n.wrap(err)
	}
	if err := n.notMountpoint(); err != nil {
		return err
	}
	if b := a.ns.Beneath(n.Guest); len(b) > 0 {
		return errno.New(syscall.EBUSY, "%s: %s is mounted beneath it", errno.Cut(p), b[0].Point)
	}
	w, err := n.writer()
	if err != nil {
		return err
	}
	return n.wrap(removeTree(n.fs(), w, n.Path, fi.Mode.IsDir()))
}

// removeTree removes p of fsys, and everything beneath it when it is a
// directory.
func removeTree(fsys vfs.FS, w vfs.Writer, p string, dir bool) error {
	if dir {
		ents, err := readDir(fsys, p)
		if err != nil {
			return err
		}
		for _, e := range ents {
			if err := removeTree(fsys, w, path.Join(p, e.Name), e.Type.IsDir()); err != nil {
				return err
			}
		}
	}
	return w.Remove(p)
}

// Rmdir removes an empty directory.
func (a *Actions) Rmdir(c *server.Call, p string) error {
	switch lastDot(p) {
	case ".":
		return errno.New(syscall.EINVAL, "%s: cannot remove '.'", errno.Cut(p))
	case "..":
		return errno.New(syscall.ENOTEMPTY, "%s: cannot remove '..'", errno.Cut(p))
	}
	n, fi, err := a.stat(p, false)
	if err != nil {
		return err
	}
	if !fi.Mode.IsDir() {
		return n.fail(syscall.ENOTDIR)
	}
	if err := n.notMountpoint(); err != nil {
		return err
	}
	w, err := n.writer()
	if err != nil {
		return err
	}
	return n.wrap(w.Remove(n.Path))
}

// sameMount refuses a two-path operation across mounts.
func sameMount(from, to node) error {
	if from.Mount != to.Mount {
		return errno.New(syscall.EXDEV, "%s: %s is on another filesystem", errno.Cut(from.p), errno.Cut(to.p))
	}
	return nil
}

// Rename renames within one filesystem.
func (a *Actions) Rename(c *server.Call, oldpath, newpath string) error {
	for _, p := range []string{oldpath, newpath} {
		if lastDot(p) != "" {
			return errno.New(syscall.EBUSY, "%s: cannot rename '.' or '..'", errno.Cut(p))
		}
	}
	from, _, err := a.stat(oldpath, false)
	if err != nil {
		return err
	}
	to, err := a.resolve(newpath, false)
	if err != nil {
		return err
	}
	if err := sameMount(from, to); err != nil {
		return err
	}
	if err := from.notMountpoint(); err != nil {
		return err
	}
	if err := to.notMountpoint(); err != nil {
		return err
	}
	if b := a.ns.Beneath(from.Guest); len(b) > 0 {
		return errno.New(syscall.EBUSY, "%s: %s is mounted beneath it", errno.Cut(oldpath), b[0].Point)
	}
	w, err := from.writer()
	if err != nil {
		return err
	}
	return from.wrap(w.Rename(from.Path, to.Path))
}

// linkName is where ln puts a link named linkname to target: into
// linkname when it is a directory, as ln does.
func (a *Actions) linkName(target, linkname string) string {
	if _, fi, err := a.stat(linkname, true); err == nil && fi.Mode.IsDir() {
		return path.Join(linkname, path.Base(target))
	}
	return linkname
}

// replace removes an existing non-directory at p for ln -f.
func (a *Actions) replace(p string) error {
	n, fi, err := a.stat(p, false)
	if err != nil {
		if errno.Of(err) == syscall.ENOENT {
			return nil
		}
		return err
	}
	if fi.Mode.IsDir() {
		return n.fail(syscall.EISDIR)
	}
	w, err := n.writer()
	if err != nil {
		return err
	}
	return n.wrap(w.Remove(n.Path))
}

// hardLink makes linkname a hard link to target.
func (a *Actions) hardLink(target, linkname string, force bool) error {
	if !path.IsAbs(target) {
		return errno.New(syscall.EINVAL, "%s: target must be an absolute path", errno.Cut(target))
	}
	t, fi, err := a.stat(target, false)
	if err != nil {
		return err
	}
	if fi.Mode.IsDir() {
		return t.fail(syscall.EPERM)
	}
	if force {
		// As libguestfs's ln_f: unlink(2), whatever it says, then link(2).
		_ = a.replace(linkname)
	}
	l, w, err := a.newNode(linkname, false)
	if err != nil {
		return err
	}
	if err := sameMount(t, l); err != nil {
		return err
	}
	return l.wrap(w.Link(t.Path, l.Path))
}

// Ln makes a hard link.
func (a *Actions) Ln(c *server.Call, target, linkname string) error {
	return a.hardLink(target, linkname, false)
}

// LnF makes a hard link, replacing an existing file.
func (a *Actions) LnF(c *server.Call, target, linkname string) error {
	return a.hardLink(target, linkname, true)
}

// symlink makes linkname a symbolic link to target.
func (a *Actions) symlink(target, linkname string, force bool) error {
	if target == "" {
		return errno.New(syscall.ENOENT, "%s: empty symbolic link target", errno.Cut(linkname))
	}
	linkname = a.linkName(target, linkname)
	if force {
		if err := a.replace(linkname); err != nil {
			return err
		}
	}
	l, w, err := a.newNode(linkname, false)
	if err != nil {
		return err
	}
	return l.wrap(w.Symlink(target, l.Path))
}

// LnS makes a symbolic link.
func (a *Actions) LnS(c *server.Call, target, linkname string) error {
	return a.symlink(target, linkname, false)
}

// LnSf makes a symbolic link, replacing an existing file.
func (a *Actions) LnSf(c *server.Call, target, linkname string) error {
	return a.symlink(target, linkname, true)
}

// Readlink returns a symbolic link's target.
func (a *Actions) Readlink(c *server.Call, p string) (string, error) {
	n, fi, err := a.stat(p, false)
	if err != nil {
		return "", err
	}
	if fi.Mode&iofs.ModeSymlink == 0 {
		return "", n.fail(syscall.EINVAL)
	}
	r, ok := n.fs().(vfs.Readlinker)
	if !ok {
		return "", n.fail(syscall.EINVAL)
	}
	t, err := r.Readlink(n.Path)
	return t, n.wrap(err)
}

// Readlinklist reads the links path/name, "" for each that is not one.
func (a *Actions) Readlinklist(c *server.Call, p string, names []string) ([]string, error) {
	out := make([]string, 0, len(names))
	for _, name := range names {
		q, err := child(p, name)
		if err != nil {
			return nil, err
		}
		t, err := a.Readlink(c, q)
		if err != nil {
			t = ""
		}
		out = append(out, t)
	}
	return out, nil
}

// Realpath returns the canonical path of an existing file.
func (a *Actions) Realpath(c *server.Call, p string) (string, error) {
	n, _, err := a.stat(p, true)
	if err != nil {
		return "", err
	}
	return n.Guest, nil
}

// existing resolves p, following a final link, and returns what is there
// with its filesystem's Writer, for changing its attributes.
func (a *Actions) existing(p string) (node, vfs.Writer, error) {
	n, _, err := a.stat(p, true)
	if err != nil {
		return node{}, nil, err
	}
	w, err := n.writer()
	return n, w, err
}

// Chmod sets the permission bits.
func (a *Actions) Chmod(c *server.Call, mode int, p string) error {
	perm, err := modeBits(mode)
	if err != nil {
		return err
	}
	n, w, err := a.existing(p)
	if err != nil {
		return err
	}
	return n.wrap(w.Chmod(n.Path, perm))
}

// Chown sets owner and group, following a final link.
func (a *Actions) Chown(c *server.Call, owner, group int, p string) error {
	n, w, err := a.existing(p)
	if err != nil {
		return err
	}
	return n.wrap(w.Chown(n.Path, owner, group))
}

// Lchown sets owner and group of a final link itself.
func (a *Actions) Lchown(c *server.Call, owner, group int, p string) error {
	n, fi, err := a.stat(p, false)
	if err != nil {
		return err
	}
	w, err := n.writer()
	if err != nil {
		return err
	}
	if fi.Mode&iofs.ModeSymlink == 0 {
		return n.wrap(w.Chown(n.Path, owner, group))
	}
	l, ok := n.fs().(vfs.Lchowner)
	if !ok {
		return n.fail(syscall.EPERM)
	}
	return n.wrap(l.Lchown(n.Path, owner, group))
}

// statns converts a FileInfo of a file on n's mount.
func statns(n node, fi vfs.FileInfo) server.Statns {
	return server.Statns{
		StDev: int64(n.Mount.Dev), StIno: int64(fi.Ino), StMode: int64(vfs.UnixMode(fi.Mode)), StNlink: int64(fi.Nlink),
		StUid: int64(fi.Uid), StGid: int64(fi.Gid), StRdev: int64(fi.Rdev), StSize: fi.Size,
		StBlksize: fi.Blksize, StBlocks: fi.Blocks,
		StAtimeSec: fi.Atime.Unix(), StAtimeNsec: int64(fi.Atime.Nanosecond()),
		StMtimeSec: fi.Mtime.Unix(), StMtimeNsec: int64(fi.Mtime.Nanosecond()),
		StCtimeSec: fi.Ctime.Unix(), StCtimeNsec: int64(fi.Ctime.Nanosecond()),
	}
}

// statOld converts to the deprecated stat struct.
func statOld(s server.Statns) *server.Stat {
	return &server.Stat{Dev: s.StDev, Ino: s.StIno, Mode: s.StMode, Nlink: s.StNlink, Uid: s.StUid, Gid: s.StGid,
		Rdev: s.StRdev, Size: s.StSize, Blksize: s.StBlksize, Blocks: s.StBlocks,
		Atime: s.StAtimeSec, Mtime: s.StMtimeSec, Ctime: s.StCtimeSec}
}

func (a *Actions) statns(p string, follow bool) (server.Statns, error) {
	n, fi, err := a.stat(p, follow)
	if err != nil {
		return server.Statns{}, err
	}
	return statns(n, fi), nil
}

// Stat describes a file, following a final link (seconds).
func (a *Actions) Stat(c *server.Call, p string) (*server.Stat, error) {
	s, err := a.statns(p, true)
	if err != nil {
		return nil, err
	}
	return statOld(s), nil
}

// Lstat describes a file, not following a final link (seconds).
func (a *Actions) Lstat(c *server.Call, p string) (*server.Stat, error) {
	s, err := a.statns(p, false)
	if err != nil {
		return nil, err
	}
	return statOld(s), nil
}

// Statns describes a file, following a final link.
func (a *Actions) Statns(c *server.Call, p string) (*server.Statns, error) {
	s, err := a.statns(p, true)
	if err != nil {
		return nil, err
	}
	return &s, nil
}

// Lstatns describes a file, not following a final link.
func (a *Actions) Lstatns(c *server.Call, p string) (*server.Statns, error) {
	s, err := a.statns(p, false)
	if err != nil {
		return nil, err
	}
	return &s, nil
}

// Lstatnslist describes path/name for each name; a missing one has
// st_ino -1.
func (a *Actions) Lstatnslist(c *server.Call, p string, names []string) ([]server.Statns, error) {
	out := make([]server.Statns, 0, len(names))
	for _, name := range names {
		q, err := child(p, name)
		if err != nil {
			return nil, err
		}
		s, err := a.statns(q, false)
		if err != nil {
			if !missing(err) {
				return nil, err
			}
			s = server.Statns{StIno: -1}
		}
		out = append(out, s)
	}
	return out, nil
}

// test reports whether p exists and its mode satisfies is; a path that is
// not there is false.
func (a *Actions) test(p string, follow bool, is func(iofs.FileMode) bool) (bool, error) {
	_, fi, err := a.stat(p, follow)
	if err != nil {
		if missing(err) || errno.Of(err) == syscall.ELOOP {
			return false, nil
		}
		return false, err
	}
	return is(fi.Mode), nil
}

// follows returns the followsymlinks optional argument.
func follows(o *bool) bool { return o != nil && *o }

// Exists tests whether anything is at p (following links).
func (a *Actions) Exists(c *server.Call, p string) (bool, error) {
	return a.test(p, true, func(iofs.FileMode) bool { return true })
}

// IsSymlink tests for a symbolic link.
func (a *Actions) IsSymlink(c *server.Call, p string) (bool, error) {
	return a.test(p, false, func(m iofs.FileMode) bool { return m&iofs.ModeSymlink != 0 })
}

// IsFileOpts tests for a regular file.
func (a *Actions) IsFileOpts(c *server.Call, p string, o *server.IsFileOptsOpts) (bool, error) {
	return a.test(p, follows(o.Followsymlinks), iofs.FileMode.IsRegular)
}

// IsDirOpts tests for a directory.
func (a *Actions) IsDirOpts(c *server.Call, p string, o *server.IsDirOptsOpts) (bool, error) {
	return a.test(p, follows(o.Followsymlinks), iofs.FileMode.IsDir)
}

// IsBlockdevOpts tests for a block device.
func (a *Actions) IsBlockdevOpts(c *server.Call, p string, o *server.IsBlockdevOptsOpts) (bool, error) {
	return a.test(p, follows(o.Followsymlinks), func(m iofs.FileMode) bool {
		return m&iofs.ModeDevice != 0 && m&iofs.ModeCharDevice == 0
	})
}

// IsChardevOpts tests for a character device.
func (a *Actions) IsChardevOpts(c *server.Call, p string, o *server.IsChardevOptsOpts) (bool, error) {
	return a.test(p, follows(o.Followsymlinks), func(m iofs.FileMode) bool { return m&iofs.ModeCharDevice != 0 })
}

// IsFifoOpts tests for a FIFO.
func (a *Actions) IsFifoOpts(c *server.Call, p string, o *server.IsFifoOptsOpts) (bool, error) {
	return a.test(p, follows(o.Followsymlinks), func(m iofs.FileMode) bool { return m&iofs.ModeNamedPipe != 0 })
}

// IsSocketOpts tests for a socket.
func (a *Actions) IsSocketOpts(c *server.Call, p string, o *server.IsSocketOptsOpts) (bool, error) {
	return a.test(p, follows(o.Followsymlinks), func(m iofs.FileMode) bool { return m&iofs.ModeSocket != 0 })
}

// Filesize returns a file's size.
func (a *Actions) Filesize(c *server.Call, p string) (int64, error) {
	_, fi, err := a.stat(p, true)
	if err != nil {
		return 0, err
	}
	return fi.Size, nil
}

// writeAt opens p with flag (creating it 0644 when O_CREATE is in flag),
// writes content at off (at the end with O_APPEND) and closes it.
func (a *Actions) writeAt(p string, flag int, content []byte, off int64) error {
	n, err := a.resolve(p, true)
	if err != nil {
		return err
	}
	f, err := n.openFile(flag&^os.O_APPEND, 0o666&^umask)
	if err != nil {
		return err
	}
	if flag&os.O_APPEND != 0 {
		fi, err := f.Stat()
		if err != nil {
			f.Close()
			return n.wrap(err)
		}
		off = fi.Size
	}
	if len(content) > 0 {
		if _, err := f.WriteAt(content, off); err != nil {
			f.Close()
			return n.wrap(err)
		}
	}
	return n.wrap(f.Close())
}

// Write makes a file hold content.
func (a *Actions) Write(c *server.Call, p string, content []byte) error {
	return a.writeAt(p, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, content, 0)
}

// WriteAppend appends content to a file, creating it.
func (a *Actions) WriteAppend(c *server.Call, p string, content []byte) error {
	return a.writeAt(p, os.O_WRONLY|os.O_CREATE|os.O_APPEND, content, 0)
}

// Pwrite writes content at offset of an existing file.
func (a *Actions) Pwrite(c *server.Call, p string, content []byte, offset int64) (int, error) {
	if offset < 0 {
		return 0, errno.New(syscall.EINVAL, "%s: negative offset %d", errno.Cut(p), offset)
	}
	if err := a.writeAt(p, os.O_WRONLY, content, offset); err != nil {
		return 0, err
	}
	return len(content), nil
}

// truncate sets an existing file's size.
func (a *Actions) truncate(p string, size int64) error {
	if size < 0 {
		return errno.New(syscall.EINVAL, "%s: negative size %d", errno.Cut(p), size)
	}
	n, err := a.resolve(p, true)
	if err != nil {
		return err
	}
	f, err := n.openFile(os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if err := f.Truncate(size); err != nil {
		f.Close()
		return n.wrap(err)
	}
	return n.wrap(f.Close())
}

// Truncate empties a file.
func (a *Actions) Truncate(c *server.Call, p string) error { return a.truncate(p, 0) }

// TruncateSize sets a file's size.
func (a *Actions) TruncateSize(c *server.Call, p string, size int64) error {
	return a.truncate(p, size)
}

// zeroChunk is the unit allocate writes.
const zeroChunk = 1 << 20

// Allocate makes p a file of size zero bytes, allocated.
func (a *Actions) Allocate(c *server.Call, p string, size int64) error {
	if size < 0 {
		return errno.New(syscall.EINVAL, "%s: negative length %d", errno.Cut(p), size)
	}
	n, err := a.resolve(p, true)
	if err != nil {
		return err
	}
	f, err := n.openFile(os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o666&^umask)
	if err != nil {
		return err
	}
	zeros := make([]byte, min(size, zeroChunk))
	for off := int64(0); off < size; off += int64(len(zeros)) {
		b := zeros[:min(int64(len(zeros)), size-off)]
		if _, err := f.WriteAt(b, off); err != nil {
			f.Close()
			return n.wrap(err)
		}
	}
	return n.wrap(f.Close())
}

// utimeNow and utimeOmit are utimens's special nanosecond values.
const (
	utimeNow  = -1
	utimeOmit = -2
)

// utime returns the time of (sec, nsec) for utimens; zero for UTIME_OMIT.
func utime(p string, sec, nsec int64, now time.Time) (time.Time, error) {
	switch {
	case nsec == utimeNow:
		return now, nil
	case nsec == utimeOmit:
		return time.Time{}, nil
	case nsec < 0 || nsec > 999999999:
		return time.Time{}, errno.New(syscall.EINVAL, "%s: nanoseconds %d out of range", errno.Cut(p), nsec)
	}
	return time.Unix(sec, nsec), nil
}

// Utimens sets access and modification times.
func (a *Actions) Utimens(c *server.Call, p string, atsecs, atnsecs, mtsecs, mtnsecs int64) error {
	now := time.Now()
	at, err := utime(p, atsecs, atnsecs, now)
	if err != nil {
		return err
	}
	mt, err := utime(p, mtsecs, mtnsecs, now)
	if err != nil {
		return err
	}
	n, w, err := a.existing(p)
	if err != nil {
		return err
	}
	if at.IsZero() && mt.IsZero() {
		return nil
	}
	return n.wrap(w.Chtimes(n.Path, at, mt))
}

// xattrOps are the four attribute operations on one node.
type xattrOps struct {
	list   func(string) ([]string, error)
	get    func(string, string) ([]byte, error)
	set    func(string, string, []byte) error
	remove func(string, string) error
}

// noXattrs are the attribute operations of a filesystem without extended
// attributes, as Linux's vfat: listing finds none, the rest is ENOTSUP.
var noXattrs = xattrOps{
	list: func(string) ([]string, error) { return nil, nil },
	get: func(p, _ string) ([]byte, error) {
		return nil, errno.New(syscall.ENOTSUP, "%s: %s", errno.Cut(p), syscall.ENOTSUP)
	},
	set: func(p, _ string, _ []byte) error {
		return errno.New(syscall.ENOTSUP, "%s: %s", errno.Cut(p), syscall.ENOTSUP)
	},
	remove: func(p, _ string) error { return errno.New(syscall.ENOTSUP, "%s: %s", errno.Cut(p), syscall.ENOTSUP) },
}

// xattrNode resolves p and returns the operations that reach its
// attributes: of a final symbolic link itself when follow is false.
func (a *Actions) xattrNode(p string, follow bool) (node, xattrOps, error) {
	n, fi, err := a.stat(p, follow)
	if err != nil {
		return node{}, xattrOps{}, err
	}
	if fi.Mode&iofs.ModeSymlink != 0 {
		if x, ok := n.fs().(vfs.LinkXattrer); ok {
			return n, xattrOps{x.LListXattrs, x.LGetXattr, x.LSetXattr, x.LRemoveXattr}, nil
		}
		return n, noXattrs, nil
	}
	if x, ok := n.fs().(vfs.Xattrer); ok {
		return n, xattrOps{x.ListXattrs, x.GetXattr, x.SetXattr, x.RemoveXattr}, nil
	}
	return n, noXattrs, nil
}

func (a *Actions) getxattrs(p string, follow bool) ([]server.Xattr, error) {
	n, ops, err := a.xattrNode(p, follow)
	if err != nil {
		return nil, err
	}
	names, err := ops.list(n.Path)
	if err != nil {
		return nil, n.wrap(err)
	}
	out := make([]server.Xattr, 0, len(names))
	for _, name := range names {
		v, err := ops.get(n.Path, name)
		if err != nil {
			return nil, n.wrap(err)
		}
		out = append(out, server.Xattr{Attrname: name, Attrval: v})
	}
	return out, nil
}

// Getxattrs lists the attributes, following a final link.
func (a *Actions) Getxattrs(c *server.Call, p string) ([]server.Xattr, error) {
	return a.getxattrs(p, true)
}

// Lgetxattrs lists the attributes of a final link itself.
func (a *Actions) Lgetxattrs(c *server.Call, p string) ([]server.Xattr, error) {
	return a.getxattrs(p, false)
}

func (a *Actions) getxattr(p, name string, follow bool) ([]byte, error) {
	n, ops, err := a.xattrNode(p, follow)
	if err != nil {
		return nil, err
	}
	v, err := ops.get(n.Path, name)
	return v, n.wrap(err)
}

// Getxattr returns one attribute, following a final link.
func (a *Actions) Getxattr(c *server.Call, p, name string) ([]byte, error) {
	return a.getxattr(p, name, true)
}

// Lgetxattr returns one attribute of a final link itself.
func (a *Actions) Lgetxattr(c *server.Call, p, name string) ([]byte, error) {
	return a.getxattr(p, name, false)
}

func (a *Actions) setxattr(name, val string, vallen int, p string, follow bool) error {
	if vallen < 0 || vallen > len(val) {
		return errno.New(syscall.EINVAL, "%s: vallen %d is not within the value's %d bytes", errno.Cut(p), vallen, len(val))
	}
	n, ops, err := a.xattrNode(p, follow)
	if err != nil {
		return err
	}
	if err := n.writable(); err != nil {
		return err
	}
	return n.wrap(ops.set(n.Path, name, []byte(val[:vallen])))
}

// Setxattr sets an attribute, following a final link.
func (a *Actions) Setxattr(c *server.Call, xattr, val string, vallen int, p string) error {
	return a.setxattr(xattr, val, vallen, p, true)
}

// Lsetxattr sets an attribute of a final link itself.
func (a *Actions) Lsetxattr(c *server.Call, xattr, val string, vallen int, p string) error {
	return a.setxattr(xattr, val, vallen, p, false)
}

func (a *Actions) removexattr(name, p string, follow bool) error {
	n, ops, err := a.xattrNode(p, follow)
	if err != nil {
		return err
	}
	if err := n.writable(); err != nil {
		return err
	}
	return n.wrap(ops.remove(n.Path, name))
}

// Removexattr removes an attribute, following a final link.
func (a *Actions) Removexattr(c *server.Call, xattr, p string) error {
	return a.removexattr(xattr, p, true)
}

// Lremovexattr removes an attribute of a final link itself.
func (a *Actions) Lremovexattr(c *server.Call, xattr, p string) error {
	return a.removexattr(xattr, p, false)
}

// mknod makes a special file of Unix mode (type and permission bits).
func (a *Actions) mknod(mode, major, minor int, p string) error {
	if mode < 0 || major < 0 || minor < 0 || major > 0xfff || minor > 0xfffff {
		return errno.New(syscall.EINVAL, "%s: device number %d:%d out of range (major 0-4095, minor 0-1048575)", errno.Cut(p), major, minor)
	}
	var typ iofs.FileMode
	switch uint32(mode) & syscall.S_IFMT {
	case syscall.S_IFBLK:
		typ = iofs.ModeDevice
	case syscall.S_IFCHR:
		typ = iofs.ModeDevice | iofs.ModeCharDevice
	case syscall.S_IFIFO:
		typ = iofs.ModeNamedPipe
	case syscall.S_IFSOCK:
		typ = iofs.ModeSocket
	default:
		return errno.New(syscall.EINVAL, "%s: mode %#o is not a special file type", errno.Cut(p), mode)
	}
	n, _, err := a.newNode(p, false)
	if err != nil {
		return err
	}
	m, ok := n.fs().(vfs.Mknoder)
	if !ok {
		return n.fail(syscall.EPERM)
	}
	perm := vfs.ModeFromUnix(uint32(mode)&0o7777) &^ umask
	return n.wrap(m.Mknod(n.Path, typ|perm, unix.Mkdev(uint32(major), uint32(minor))))
}

// Mknod makes a special file.
func (a *Actions) Mknod(c *server.Call, mode, devmajor, devminor int, p string) error {
	return a.mknod(mode, devmajor, devminor, p)
}

// Mkfifo makes a FIFO.
func (a *Actions) Mkfifo(c *server.Call, mode int, p string) error {
	if mode < 0 || mode&^0o7777 != 0 {
		return errno.New(syscall.EINVAL, "%s: mode %#o has type bits", errno.Cut(p), mode)
	}
	return a.mknod(mode|syscall.S_IFIFO, 0, 0, p)
}

// MknodB makes a block device.
func (a *Actions) MknodB(c *server.Call, mode, devmajor, devminor int, p string) error {
	if mode < 0 || mode&^0o7777 != 0 {
		return errno.New(syscall.EINVAL, "%s: mode %#o has type bits", errno.Cut(p), mode)
	}
	return a.mknod(mode|syscall.S_IFBLK, devmajor, devminor, p)
}

// MknodC makes a character device.
func (a *Actions) MknodC(c *server.Call, mode, devmajor, devminor int, p string) error {
	if mode < 0 || mode&^0o7777 != 0 {
		return errno.New(syscall.EINVAL, "%s: mode %#o has type bits", errno.Cut(p), mode)
	}
	return a.mknod(mode|syscall.S_IFCHR, devmajor, devminor, p)
}
