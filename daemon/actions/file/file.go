// Package file implements the daemon's file group: files and directories
// of the mounted filesystems, at guest paths resolved through the
// namespace of package mountns (shared with the fs group). Each action
// resolves its paths, finds the mount holding each, and calls that
// filesystem's driver through the daemon/fs contract; a capability the
// driver lacks gives the errno Linux gives on such a filesystem (EPERM for
// links on vfat, ENOTSUP for extended attributes).
package file

import (
	iofs "io/fs"
	"os"
	"path"
	"strings"
	"syscall"

	"goguestfs/daemon/errno"
	vfs "goguestfs/daemon/fs"
	"goguestfs/daemon/mountns"
)

// Actions is the file group over the namespace it shares with the fs group.
type Actions struct {
	ns *mountns.NS
}

// New returns the file group over ns.
func New(ns *mountns.NS) *Actions { return &Actions{ns: ns} }

// umask is the daemon's umask, libguestfs's default.
const umask = 0o022

// maxMessage bounds what one call returns (the protocol's message limit,
// less room for the reply's framing).
const maxMessage = 8<<20 - 4096

// node is a resolved path: where it is and what is there.
type node struct {
	mountns.Loc
	// p is the path as the caller gave it, for messages.
	p string
}

// fs returns the filesystem holding the node.
func (n node) fs() vfs.FS { return n.Mount.FS }

// resolve resolves p, following a final symbolic link when follow is set.
func (a *Actions) resolve(p string, follow bool) (node, error) {
	loc, err := a.ns.Resolve(p, follow)
	if err != nil {
		return node{}, err
	}
	return node{Loc: loc, p: p}, nil
}

// stat resolves p and describes what is there (ENOENT when nothing is).
func (a *Actions) stat(p string, follow bool) (node, vfs.FileInfo, error) {
	n, err := a.resolve(p, follow)
	if err != nil {
		return node{}, vfs.FileInfo{}, err
	}
	fi, err := n.fs().Stat(n.Path)
	if err != nil {
		return node{}, vfs.FileInfo{}, n.wrap(err)
	}
	return n, fi, nil
}

// wrap names the caller's path in a driver's error, keeping its errno.
func (n node) wrap(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		msg = msg[i+2:]
	}
	return &errno.Error{Msg: errno.Cut(n.p) + ": " + msg, Errno: errno.Of(err)}
}

// fail returns an error with errno e naming the node.
func (n node) fail(e syscall.Errno) error {
	return &errno.Error{Msg: errno.Cut(n.p) + ": " + e.Error(), Errno: e}
}

// writable refuses a change on a read-only mount.
func (n node) writable() error {
	if n.Mount.ReadOnly {
		return n.fail(syscall.EROFS)
	}
	return nil
}

// writer returns the node's filesystem as a Writer, or EROFS for a
// read-only mount or a driver that cannot change its tree.
func (n node) writer() (vfs.Writer, error) {
	if err := n.writable(); err != nil {
		return nil, err
	}
	w, ok := n.fs().(vfs.Writer)
	if !ok {
		return nil, n.fail(syscall.EROFS)
	}
	return w, nil
}

// notMountpoint refuses to remove or rename the root of a mount.
func (n node) notMountpoint() error {
	if n.IsMountpoint() {
		return errno.New(syscall.EBUSY, "%s: a filesystem is mounted there", errno.Cut(n.p))
	}
	return nil
}

// child returns path/name for the *list actions, refusing a name that is
// not one component.
func child(dir, name string) (string, error) {
	if name == "" || strings.Contains(name, "/") {
		return "", errno.New(syscall.EINVAL, "%s: not a name in a directory", errno.Cut(name))
	}
	return path.Join(dir, name), nil
}

// openFile opens the file at n with os.OpenFile's flags.
func (n node) openFile(flag int, perm iofs.FileMode) (vfs.File, error) {
	if flag&(os.O_WRONLY|os.O_RDWR|os.O_CREATE|os.O_TRUNC|os.O_APPEND) != 0 {
		if err := n.writable(); err != nil {
			return nil, err
		}
	}
	if n.Slash {
		return nil, n.fail(syscall.EISDIR) // "new/": only a directory may be made
	}
	f, err := n.fs().OpenFile(n.Path, flag, perm)
	if err != nil {
		return nil, n.wrap(err)
	}
	return f, nil
}

// modeBits checks a mode argument: permission bits only.
func modeBits(mode int) (iofs.FileMode, error) {
	if mode < 0 {
		return 0, errno.New(syscall.EINVAL, "mode %d is negative", mode)
	}
	return vfs.ModeFromUnix(uint32(mode) & 0o7777), nil
}

// readDir lists the directory p of fsys, refusing (EIO) a listing with a
// name no directory can hold ("", ".", "..", or one with "/" or NUL): a
// hostile image must not make a walk or a copy reach outside the tree.
// Every listing of the file group goes through it, whatever the driver.
func readDir(fsys vfs.FS, p string) ([]vfs.DirEntry, error) {
	ents, err := fsys.ReadDir(p)
	if err != nil {
		return nil, err
	}
	for _, e := range ents {
		if e.Name == "" || e.Name == "." || e.Name == ".." || strings.ContainsAny(e.Name, "/\x00") {
			return nil, errno.New(syscall.EIO, "%s: corrupt directory entry %q", errno.Cut(p), errno.Cut(e.Name))
		}
	}
	return ents, nil
}
