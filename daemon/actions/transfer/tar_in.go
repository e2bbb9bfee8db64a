package transfer

import (
	"archive/tar"
	"bufio"
	"errors"
	"io"
	iofs "io/fs"
	"os"
	"path"
	"strings"
	"syscall"

	"github.com/klauspost/compress/gzip"

	"goguestfs/daemon/errno"
	vfs "goguestfs/daemon/fs"
	"goguestfs/daemon/hostio"
	"goguestfs/daemon/mountns"
	"goguestfs/daemon/server"
)

// TarInOpts unpacks the host tar file tarfile into the guest directory
// directory, as tar -xf run there as root, refusing members that would
// land outside it.
func (a *Actions) TarInOpts(c *server.Call, tarfile *os.File, directory string, opts *server.TarInOptsOpts) error {
	gz, err := tarGzip(opts.Compress)
	if err != nil {
		return err
	}
	fi, err := a.files.StatPath(directory, true)
	if err != nil {
		return err
	}
	if !fi.Mode.IsDir() {
		return errno.New(syscall.ENOTDIR, "%s: not a directory", errno.Cut(directory))
	}
	root, err := a.files.Realpath(c, directory)
	if err != nil {
		return err
	}
	r, err := hostio.NewReader(tarfile, "tarfile", c.Cancelled)
	if err != nil {
		return err
	}
	err = a.untar(c, r, root, gz, opts.Xattrs != nil && *opts.Xattrs)
	if cerr := r.Close(); err == nil {
		err = cerr
	}
	return err
}

// progressReader reports the bytes read of the archive as the call's
// progress, when the archive's size is known.
type progressReader struct {
	r     *hostio.Reader
	c     *server.Call
	total int64
}

// Read reads from the archive and reports the position.
func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if p.total >= 0 {
		p.c.Progress(uint64(min(p.r.Pos(), p.total)), uint64(p.total))
	}
	return n, err
}

// archiveErr is an error reading the archive: an error of the host file
// or the call (cancellation) as it is, a malformed archive EINVAL.
func archiveErr(err error) error {
	var e *errno.Error
	if errors.As(err, &e) {
		return err
	}
	return errno.New(syscall.EINVAL, "tarfile: %v", err)
}

// untar extracts the archive read from r into the canonical guest
// directory root.
func (a *Actions) untar(c *server.Call, r *hostio.Reader, root string, gz, xattrs bool) error {
	total, ok := r.Size()
	if !ok {
		total = -1
	}
	var src io.Reader = bufio.NewReaderSize(&progressReader{r: r, c: c, total: total}, tarBuffer)
	if gz {
		z, err := gzip.NewReader(src)
		if err != nil {
			return archiveErr(err)
		}
		src = z
	}
	x := &extractor{a: a, c: c, root: root, xattrs: xattrs, buf: make([]byte, tarChunk)}
	tr := tar.NewReader(src)
	var err error
	for {
		if err = c.Cancelled(); err != nil {
			break
		}
		var h *tar.Header
		h, err = tr.Next()
		if err == io.EOF {
			// Read what follows the end of the archive (a record's
			// padding; for gzip, the trailer whose checksum is checked).
			err = x.drain(src)
			break
		}
		if err != nil {
			err = archiveErr(err)
			break
		}
		if err = x.member(h, tr); err != nil {
			break
		}
	}
	// Directories get their attributes once their contents are in, as
	// tar does, also when a member failed.
	if derr := x.finishDirs(); err == nil {
		err = derr
	}
	return err
}

// extractor unpacks the members of one archive.
type extractor struct {
	a      *Actions
	c      *server.Call
	root   string
	xattrs bool
	buf    []byte
	// dirs are the directory members, whose owners, modes and times are
	// set at the end, in reverse order (contents before their directory).
	dirs []pendingDir
}

// pendingDir is a directory member extracted at p, the inode ino (of
// the mount m) there when it was extracted.
type pendingDir struct {
	p   string
	h   *tar.Header
	ino uint64
	m   *mountns.Mount
}

// pending records the directory member h extracted at p (the root, whose
// links are followed, when root is set).
func (x *extractor) pending(p string, h *tar.Header, root bool) error {
	loc, fi, err := x.dirAt(p, root)
	if err != nil {
		return err
	}
	x.dirs = append(x.dirs, pendingDir{p: p, h: h, ino: fi.Ino, m: loc.Mount})
	return nil
}

// dirAt returns where p is and what is there, not following a final link
// unless follow is set.
func (x *extractor) dirAt(p string, follow bool) (mountns.Loc, vfs.FileInfo, error) {
	loc, err := x.a.ns.Resolve(p, follow)
	if err != nil {
		return mountns.Loc{}, vfs.FileInfo{}, err
	}
	fi, err := x.a.files.StatPath(p, follow)
	return loc, fi, err
}

// drain reads the rest of the stream after the end of the archive.
func (x *extractor) drain(src io.Reader) error {
	for {
		if err := x.c.Cancelled(); err != nil {
			return err
		}
		_, err := src.Read(x.buf)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return archiveErr(err)
		}
	}
}

// member extracts one member whose content is read from body.
func (x *extractor) member(h *tar.Header, body io.Reader) error {
	switch h.Typeflag {
	case tar.TypeXGlobalHeader, 'V':
		// A pax global header or a GNU volume label: nothing to extract.
		return nil
	}
	comps, err := memberPath(h.Name)
	if err != nil {
		return err
	}
	dir := h.Typeflag == tar.TypeDir || h.Typeflag == 'D'
	if len(comps) == 0 {
		if !dir {
			return errno.New(syscall.EINVAL, "%s: a member that is not a directory names the directory itself", errno.Cut(h.Name))
		}
		return x.pending(x.root, h, true)
	}
	parent, err := x.parents(h.Name, comps[:len(comps)-1])
	if err != nil {
		return err
	}
	t := path.Join(parent, comps[len(comps)-1])
	switch {
	case dir:
		return x.dir(t, h)
	case h.Typeflag == tar.TypeLink:
		return x.hardLink(t, h)
	case h.Typeflag == tar.TypeSymlink:
		if err := x.clear(t); err != nil {
			return err
		}
		if err := x.a.files.LnS(x.c, h.Linkname, t); err != nil {
			return err
		}
	case h.Typeflag == tar.TypeChar || h.Typeflag == tar.TypeBlock || h.Typeflag == tar.TypeFifo:
		if err := x.special(t, h); err != nil {
			return err
		}
	default:
		// Regular files, contiguous files, GNU sparse files (read with
		// their holes as zeros) and unknown types, as POSIX asks.
		if err := x.file(t, h, body); err != nil {
			return err
		}
	}
	return x.attrs(t, h)
}

// parents checks (and makes, when missing) the directories comps of the
// member name beneath the root, and returns the last one's guest path.
// Each must be a real directory: a path through a symbolic link is
// refused with EINVAL, so that no member lands outside the root.
func (x *extractor) parents(name string, comps []string) (string, error) {
	p := x.root
	for _, comp := range comps {
		p = path.Join(p, comp)
		fi, err := x.a.files.StatPath(p, false)
		switch {
		case err == nil && fi.Mode.IsDir():
			continue
		case err == nil && fi.Mode&iofs.ModeSymlink != 0:
			return "", errno.New(syscall.EINVAL, "%s: member path passes through the symbolic link %s", errno.Cut(name), errno.Cut(p))
		case err == nil:
			return "", errno.New(syscall.ENOTDIR, "%s: %s is not a directory", errno.Cut(name), errno.Cut(p))
		case errno.Of(err) != syscall.ENOENT:
			return "", err
		}
		if err := x.a.files.Mkdir(x.c, p); err != nil {
			return "", err
		}
	}
	return p, nil
}

// clear removes what is at t for a non-directory member: a file, a
// symbolic link (never followed) or an empty directory.
func (x *extractor) clear(t string) error {
	fi, err := x.a.files.StatPath(t, false)
	switch {
	case err != nil && errno.Of(err) == syscall.ENOENT:
		return nil
	case err != nil:
		return err
	case fi.Mode.IsDir():
		return x.a.files.Rmdir(x.c, t)
	}
	return x.a.files.Rm(x.c, t)
}

// dir extracts a directory member at t: an existing directory is kept,
// anything else there replaced.
func (x *extractor) dir(t string, h *tar.Header) error {
	fi, err := x.a.files.StatPath(t, false)
	switch {
	case err == nil && fi.Mode.IsDir():
	case err == nil:
		if err := x.a.files.Rm(x.c, t); err != nil {
			return err
		}
		fallthrough
	case errno.Of(err) == syscall.ENOENT:
		if err := x.a.files.Mkdir(x.c, t); err != nil {
			return err
		}
	default:
		return err
	}
	return x.pending(t, h, false)
}

// hardLink extracts a hard link member at t to another member, whose
// name obeys the rules of member names.
func (x *extractor) hardLink(t string, h *tar.Header) error {
	comps, err := memberPath(h.Linkname)
	if err != nil {
		return err
	}
	if len(comps) == 0 {
		return errno.New(syscall.EINVAL, "%s: hard link to the directory itself", errno.Cut(h.Name))
	}
	parent, err := x.checkParents(h.Linkname, comps[:len(comps)-1])
	if err != nil {
		return err
	}
	target := path.Join(parent, comps[len(comps)-1])
	if target == t {
		return nil
	}
	if err := x.clear(t); err != nil {
		return err
	}
	return x.a.files.Ln(x.c, target, t)
}

// checkParents is parents for the target of a hard link, which must
// exist: nothing is made.
func (x *extractor) checkParents(name string, comps []string) (string, error) {
	p := x.root
	for _, comp := range comps {
		p = path.Join(p, comp)
		fi, err := x.a.files.StatPath(p, false)
		switch {
		case err != nil:
			return "", err
		case fi.Mode&iofs.ModeSymlink != 0:
			return "", errno.New(syscall.EINVAL, "%s: hard link target passes through the symbolic link %s", errno.Cut(name), errno.Cut(p))
		case !fi.Mode.IsDir():
			return "", errno.New(syscall.ENOTDIR, "%s: %s is not a directory", errno.Cut(name), errno.Cut(p))
		}
	}
	return p, nil
}

// special makes a device or FIFO member at t.
func (x *extractor) special(t string, h *tar.Header) error {
	typ := syscall.S_IFIFO
	switch h.Typeflag {
	case tar.TypeChar:
		typ = syscall.S_IFCHR
	case tar.TypeBlock:
		typ = syscall.S_IFBLK
	}
	if err := x.clear(t); err != nil {
		return err
	}
	return x.a.files.Mknod(x.c, typ|int(h.Mode&0o7777), int(h.Devmajor), int(h.Devminor), t)
}

// file writes a regular member's content to a new file at t. Chunks of
// zeros are left as holes.
func (x *extractor) file(t string, h *tar.Header, body io.Reader) error {
	if err := x.clear(t); err != nil {
		return err
	}
	f, err := x.a.files.OpenFile(t, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	err = x.content(t, f, body)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = errno.Wrap(errno.Cut(t), cerr)
	}
	return err
}

// content copies body into f, the file at t.
func (x *extractor) content(t string, f interface {
	WriteAt([]byte, int64) (int, error)
	Truncate(int64) error
}, body io.Reader) error {
	var off int64
	hole := false
	for {
		if err := x.c.Cancelled(); err != nil {
			return err
		}
		n, err := io.ReadFull(body, x.buf)
		if n > 0 {
			chunk := x.buf[:n]
			if allZero(chunk) {
				hole = true
			} else {
				if _, werr := f.WriteAt(chunk, off); werr != nil {
					return errno.Wrap(errno.Cut(t), werr)
				}
				hole = false
			}
			off += int64(n)
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			return archiveErr(err)
		}
	}
	if hole {
		if err := f.Truncate(off); err != nil {
			return errno.Wrap(errno.Cut(t), err)
		}
	}
	return nil
}

// ownerIgnored reports a chown error that tar as root lets pass: a
// filesystem without owners (vfat) refuses other owners with EPERM, and
// libguestfs runs tar with --no-same-owner there.
func ownerIgnored(err error) bool {
	e := errno.Of(err)
	return e == syscall.EPERM || e == syscall.ENOTSUP
}

// attrs gives the non-directory member at t the owner, extended
// attributes, mode and time of its header, in that order (a change of
// owner clears the set-ID bits). A symbolic link keeps only its owner and
// attributes.
func (x *extractor) attrs(t string, h *tar.Header) error {
	link := h.Typeflag == tar.TypeSymlink
	if err := x.a.files.Lchown(x.c, h.Uid, h.Gid, t); err != nil && !ownerIgnored(err) {
		return err
	}
	if err := x.setXattrs(t, h); err != nil {
		return err
	}
	if link {
		return nil
	}
	if err := x.a.files.Chmod(x.c, int(h.Mode&0o7777), t); err != nil {
		return err
	}
	return x.times(t, h)
}

// times sets the member's modification time (and its access time when
// the archive has one).
func (x *extractor) times(t string, h *tar.Header) error {
	at, ansec := int64(0), int64(-2) // UTIME_OMIT
	if !h.AccessTime.IsZero() {
		at, ansec = h.AccessTime.Unix(), int64(h.AccessTime.Nanosecond())
	}
	return x.a.files.Utimens(x.c, t, at, ansec, h.ModTime.Unix(), int64(h.ModTime.Nanosecond()))
}

// setXattrs sets the member's extended attributes (pax SCHILY.xattr.*)
// when asked to; a filesystem without them (ENOTSUP) is let pass, as tar
// only warns.
func (x *extractor) setXattrs(t string, h *tar.Header) error {
	if !x.xattrs {
		return nil
	}
	for k, v := range h.PAXRecords {
		name, ok := strings.CutPrefix(k, xattrPrefix)
		if !ok || name == "" {
			continue
		}
		if err := x.a.files.Lsetxattr(x.c, name, v, len(v), t); err != nil && errno.Of(err) != syscall.ENOTSUP {
			return err
		}
	}
	return nil
}

// finishDirs sets the owners, attributes, modes and times of the
// directory members, the deepest first. It returns the first error.
func (x *extractor) finishDirs() error {
	var first error
	for i := len(x.dirs) - 1; i >= 0; i-- {
		d := x.dirs[i]
		// A later member may have replaced the directory (by a symbolic
		// link to outside, say): as GNU tar, its attributes are then not
		// set, since Chmod would follow the link.
		loc, fi, err := x.dirAt(d.p, d.p == x.root)
		if err != nil || !fi.Mode.IsDir() || fi.Ino != d.ino || loc.Mount != d.m {
			continue
		}
		err = x.a.files.Lchown(x.c, d.h.Uid, d.h.Gid, d.p)
		if err != nil && ownerIgnored(err) {
			err = nil
		}
		if err == nil {
			err = x.setXattrs(d.p, d.h)
		}
		if err == nil {
			err = x.a.files.Chmod(x.c, int(d.h.Mode&0o7777), d.p)
		}
		if err == nil {
			err = x.times(d.p, d.h)
		}
		if err != nil && first == nil {
			first = err
		}
	}
	return first
}
