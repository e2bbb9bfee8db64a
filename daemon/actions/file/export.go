package file

import (
	"bufio"
	iofs "io/fs"
	"os"
	"path"
	"sort"

	vfs "goguestfs/daemon/fs"
	"goguestfs/daemon/hostio"
	"goguestfs/daemon/server"
)

// This file is the part of the file group that the transfer group builds
// on: guest paths resolved through the namespace, with errors that name
// the caller's path.

// OpenFile resolves the guest path p, following symbolic links, and opens
// the regular file there with os.OpenFile's flags (a new file gets perm
// less the daemon's umask). A read-only mount refuses write flags with
// EROFS, a directory gives EISDIR, a special file EINVAL.
func (a *Actions) OpenFile(p string, flag int, perm iofs.FileMode) (vfs.File, error) {
	n, err := a.resolve(p, true)
	if err != nil {
		return nil, err
	}
	return n.openFile(flag, perm&^umask)
}

// StatPath describes the guest path p, following a final symbolic link when
// follow is set.
func (a *Actions) StatPath(p string, follow bool) (vfs.FileInfo, error) {
	_, fi, err := a.stat(p, follow)
	return fi, err
}

// Entry is one file met by Walk.
type Entry struct {
	// Rel is the path relative to the walked directory, without a
	// leading "/" ("" for the directory itself).
	Rel string
	// Info describes the file, a symbolic link itself (never followed).
	Info vfs.FileInfo
	// FS and Path are the filesystem holding the file and its path
	// there, for the driver's capabilities (Readlink, xattrs, OpenFile):
	// the root of a filesystem mounted beneath the walked directory is
	// that filesystem's "/".
	FS   vfs.FS
	Path string
}

// Walk calls fn for the directory p (following links to it) and then for
// everything below it, depth first, a directory before its contents,
// crossing the mounts beneath it and never following a symbolic link.
// With sorted set the entries of each directory come in byte order of
// their names, else in the directory's own order. When fn returns
// skipDir true for a directory, its contents are not walked. Walk checks
// for the call's cancellation between directories; an error of fn ends
// the walk and is returned.
func (a *Actions) Walk(c *server.Call, p string, sorted bool, fn func(e Entry) (skipDir bool, err error)) error {
	root, fi, err := a.statDir(p)
	if err != nil {
		return err
	}
	var walk func(d node, rel string, fi vfs.FileInfo) error
	walk = func(d node, rel string, fi vfs.FileInfo) error {
		skip, err := fn(Entry{Rel: rel, Info: fi, FS: d.fs(), Path: d.Path})
		if err != nil || skip || !fi.Mode.IsDir() {
			return err
		}
		if err := c.Cancelled(); err != nil {
			return err
		}
		ents, err := readDir(d.fs(), d.Path)
		if err != nil {
			return d.wrap(err)
		}
		if sorted {
			sort.Slice(ents, func(i, j int) bool { return ents[i].Name < ents[j].Name })
		}
		for _, e := range ents {
			n := a.entryAt(d, e.Name)
			efi, err := n.fs().Stat(n.Path)
			if err != nil {
				return n.wrap(err)
			}
			if err := walk(n, path.Join(rel, e.Name), efi); err != nil {
				return err
			}
		}
		return nil
	}
	return walk(root, "", fi)
}

// Find0 writes every path below a directory, relative to it, each followed
// by a NUL, to the host file files, in the directories' own order (a
// directory before its contents), as find -print0 does.
func (a *Actions) Find0(c *server.Call, directory string, files *os.File) error {
	w, err := hostio.NewWriter(files, "files", c.Cancelled)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	err = a.Walk(c, directory, false, func(e Entry) (bool, error) {
		if e.Rel == "" {
			return false, nil
		}
		bw.WriteString(e.Rel)
		return false, bw.WriteByte(0)
	})
	if err == nil {
		err = bw.Flush()
	}
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	return err
}
