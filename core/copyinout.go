package core

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// This file holds copy_in and copy_out, which libguestfs implements in the
// library over tar_in and tar_out: the host side of the tar stream is made
// (or unpacked) here by a goroutine at the other end of a pipe, where
// libguestfs runs the host's tar.

// copyBuffer is the size of the buffer a copy's goroutine moves file
// contents with.
const copyBuffer = 256 << 10

// copyIn copies the host file or directory localpath, recursively, into
// the guest directory remotedir under its last name, as a tar stream
// unpacked by tar_in. The caller holds the handle lock.
func (h *Handle) copyIn(localpath, remotedir string) error {
	if _, err := os.Stat(localpath); err != nil {
		return errorf(errnoOf(err), "source %s does not exist (or cannot be read): %v", localpath, unwrapPath(err))
	}
	isDir, err := h.isDir(remotedir)
	if err != nil {
		return err
	}
	if !isDir {
		return errorf(syscall.ENOTDIR, "target %s is not a directory", remotedir)
	}
	abs, err := filepath.Abs(localpath)
	if err != nil {
		return errorf(errnoOf(err), "%s: %v", localpath, err)
	}
	// Host devices and sockets are refused before anything is sent.
	if err := checkCopyable(abs); err != nil {
		return err
	}
	r, w, err := os.Pipe()
	if err != nil {
		return errorf(errnoOf(err), "pipe: %v", err)
	}
	done := make(chan error, 1)
	go func() {
		err := writeTree(w, abs)
		w.Close()
		done <- err
	}()
	err = h.tarInOpts(fmt.Sprintf("/dev/fd/%d", r.Fd()), remotedir, &TarInOptsOpts{})
	// A writer blocked on the pipe gets EPIPE once the read end is
	// closed, so the goroutine always ends.
	r.Close()
	werr := <-done
	if werr != nil && !errors.Is(werr, syscall.EPIPE) {
		return werr
	}
	return err
}

// unwrapPath returns the error inside an *fs.PathError (which names the
// path again).
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// checkCopyable refuses, with EINVAL, a tree at root (not following
// links) holding a device or a socket, which tar_in would not get.
func checkCopyable(root string) error {
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return errorf(errnoOf(err), "%s: %v", p, unwrapPath(err))
		}
		return copyableType(p, d.Type())
	})
}

// copyableType refuses a host device or socket at p.
func copyableType(p string, m fs.FileMode) error {
	switch {
	case m&fs.ModeDevice != 0:
		return errorf(syscall.EINVAL, "%s: host device files cannot be copied in", p)
	case m&fs.ModeSocket != 0:
		return errorf(syscall.EINVAL, "%s: host sockets cannot be copied in", p)
	case m&fs.ModeIrregular != 0:
		return errorf(syscall.EINVAL, "%s: unknown file type", p)
	}
	return nil
}

// hostInode identifies a host file for hard links.
type hostInode struct{ dev, ino uint64 }

// writeTree writes the tree at the absolute host path root to w as a tar
// archive whose members are named after root's last component (the root
// directory's contents are named as they are).
func writeTree(w io.Writer, root string) error {
	tw := tar.NewWriter(w)
	base := filepath.Base(root)
	if root == "/" {
		base = "."
	}
	links := map[hostInode]string{}
	buf := make([]byte, copyBuffer)
	err := filepath.Walk(root, func(p string, fi fs.FileInfo, err error) error {
		if err != nil {
			return errorf(errnoOf(err), "%s: %v", p, unwrapPath(err))
		}
		rel, _ := filepath.Rel(root, p)
		name := path.Join(base, filepath.ToSlash(rel))
		return writeMember(tw, p, name, fi, links, buf)
	})
	if err != nil {
		return err
	}
	if err := tw.Close(); err != nil {
		return errorf(errnoOf(err), "tar stream: %v", err)
	}
	return nil
}

// writeMember writes the member name for the host file p (described by
// fi, not following a link).
func writeMember(tw *tar.Writer, p, name string, fi fs.FileInfo, links map[hostInode]string, buf []byte) error {
	if err := copyableType(p, fi.Mode()); err != nil {
		return err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return errorf(syscall.EINVAL, "%s: no file status", p)
	}
	h := &tar.Header{
		Name:    name,
		Mode:    int64(st.Mode & 0o7777),
		Uid:     int(st.Uid),
		Gid:     int(st.Gid),
		ModTime: time.Unix(st.Mtim.Unix()),
		Format:  tar.FormatPAX,
	}
	m := fi.Mode()
	regular := false
	switch {
	case m.IsDir():
		h.Typeflag = tar.TypeDir
		if name != "." {
			h.Name += "/"
		}
	case m&fs.ModeSymlink != 0:
		target, err := os.Readlink(p)
		if err != nil {
			return errorf(errnoOf(err), "%s: %v", p, unwrapPath(err))
		}
		h.Typeflag, h.Linkname = tar.TypeSymlink, target
	case m&fs.ModeNamedPipe != 0:
		h.Typeflag = tar.TypeFifo
	default:
		key := hostInode{uint64(st.Dev), st.Ino}
		if first, ok := links[key]; ok && st.Nlink > 1 {
			h.Typeflag, h.Linkname = tar.TypeLink, first
			break
		}
		if st.Nlink > 1 {
			links[key] = name
		}
		h.Typeflag, h.Size = tar.TypeReg, st.Size
		regular = true
	}
	if err := tw.WriteHeader(h); err != nil {
		return errorf(errnoOf(err), "%s: %v", p, err)
	}
	if !regular {
		return nil
	}
	f, err := os.Open(p)
	if err != nil {
		return errorf(errnoOf(err), "%s: %v", p, unwrapPath(err))
	}
	defer f.Close()
	n, err := io.CopyBuffer(tw, io.LimitReader(f, h.Size), buf)
	if err != nil {
		return errorf(errnoOf(err), "%s: %v", p, unwrapPath(err))
	}
	if n < h.Size {
		return errorf(syscall.EIO, "%s: file shrank while being copied", p)
	}
	return nil
}

// copyOut copies the guest file or directory remotepath, recursively, into
// the host directory localdir under its last name: a file with download,
// a directory by unpacking tar_out's stream. The caller holds the handle
// lock.
func (h *Handle) copyOut(remotepath, localdir string) error {
	fi, err := os.Stat(localdir)
	if err != nil {
		return errorf(errnoOf(err), "target %s is not a directory: %v", localdir, unwrapPath(err))
	}
	if !fi.IsDir() {
		return errorf(syscall.ENOTDIR, "target %s is not a directory", localdir)
	}
	base := path.Base(remotepath)
	if base == "/" {
		base = "."
	}
	isFile, err := h.isFile(remotepath)
	if err != nil {
		return err
	}
	if isFile {
		return h.download(remotepath, filepath.Join(localdir, base))
	}
	isDir, err := h.isDir(remotepath)
	if err != nil {
		return err
	}
	if !isDir {
		return errorf(syscall.EINVAL, "%s is not a file or directory", remotepath)
	}
	target := filepath.Join(localdir, base)
	if err := os.Mkdir(target, 0o777); err != nil && !errors.Is(err, fs.ErrExist) {
		return errorf(errnoOf(err), "%s: %v", target, unwrapPath(err))
	}
	r, w, err := os.Pipe()
	if err != nil {
		return errorf(errnoOf(err), "pipe: %v", err)
	}
	done := make(chan error, 1)
	go func() {
		err := extractTree(r, target)
		// Closing the read end makes the daemon's writes fail (EPIPE)
		// when the extraction stopped early.
		r.Close()
		done <- err
	}()
	err = h.tarOutOpts(remotepath, fmt.Sprintf("/dev/fd/%d", w.Fd()), &TarOutOptsOpts{})
	w.Close()
	xerr := <-done
	switch {
	case xerr != nil && (err == nil || errors.Is(err, syscall.EPIPE)):
		return xerr
	case err != nil:
		return err
	}
	return nil
}

// hostDir is a directory member whose attributes are set at the end, and
// the directory made for it (to see whether a later member replaced it).
type hostDir struct {
	p  string
	h  *tar.Header
	fi fs.FileInfo
}

// hostExtractor unpacks a tar stream into a host directory.
type hostExtractor struct {
	root  string
	root0 bool // running as root: owners are restored
	dirs  []hostDir
	buf   []byte
}

// extractTree unpacks the tar stream read from r into the host directory
// root, refusing members that would land outside it.
func extractTree(r io.Reader, root string) error {
	x := &hostExtractor{root: root, root0: os.Geteuid() == 0, buf: make([]byte, copyBuffer)}
	tr := tar.NewReader(r)
	var err error
	for {
		var h *tar.Header
		h, err = tr.Next()
		if err == io.EOF {
			// Read the rest, so that the daemon's writes never block.
			_, err = io.CopyBuffer(io.Discard, r, x.buf)
			break
		}
		if err != nil {
			err = errorf(syscall.EIO, "tar stream: %v", err)
			break
		}
		if err = x.member(h, tr); err != nil {
			break
		}
	}
	for i := len(x.dirs) - 1; i >= 0; i-- {
		d := x.dirs[i]
		// A later member may have replaced the directory (by a symbolic
		// link to outside, say): as GNU tar, its attributes are then not
		// set, since chmod would follow the link.
		if fi, lerr := os.Lstat(d.p); lerr != nil || !fi.IsDir() || !os.SameFile(fi, d.fi) {
			continue
		}
		if derr := x.attrs(d.p, d.h); err == nil {
			err = derr
		}
	}
	return err
}

// hostErr is an *Error naming p, from an os error.
func hostErr(p string, err error) error {
	return errorf(errnoOf(err), "%s: %v", p, unwrapPath(err))
}

// safePath returns the host path of a member (or hard link target) name
// beneath the root, checking (and, when mk is set, making) its parent
// directories: each must be a real directory. An absolute name, one with
// "..", or one through a symbolic link is refused with EINVAL. The empty
// path is the root itself.
func (x *hostExtractor) safePath(name string, mk bool) (string, error) {
	if strings.HasPrefix(name, "/") {
		return "", errorf(syscall.EINVAL, "%s: absolute member name refused", name)
	}
	var comps []string
	for _, c := range strings.Split(name, "/") {
		switch c {
		case "", ".":
			continue
		case "..":
			return "", errorf(syscall.EINVAL, "%s: member name with \"..\" refused", name)
		}
		comps = append(comps, c)
	}
	p := x.root
	for i, c := range comps {
		p = filepath.Join(p, c)
		if i == len(comps)-1 {
			break
		}
		fi, err := os.Lstat(p)
		switch {
		case err == nil && fi.IsDir():
			continue
		case err == nil && fi.Mode()&fs.ModeSymlink != 0:
			return "", errorf(syscall.EINVAL, "%s: member path passes through the symbolic link %s", name, p)
		case err == nil:
			return "", errorf(syscall.ENOTDIR, "%s: %s is not a directory", name, p)
		case !errors.Is(err, fs.ErrNotExist) || !mk:
			return "", hostErr(p, err)
		}
		if err := os.Mkdir(p, 0o755); err != nil {
			return "", hostErr(p, err)
		}
	}
	return p, nil
}

// clearHostPath removes a non-directory (or an empty directory) at p,
// never following a symbolic link.
func clearHostPath(p string) error {
	fi, err := os.Lstat(p)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return hostErr(p, err)
	case fi.IsDir():
		if err := unix.Rmdir(p); err != nil {
			return hostErr(p, err)
		}
		return nil
	}
	if err := os.Remove(p); err != nil {
		return hostErr(p, err)
	}
	return nil
}

// member extracts one member, its content read from body.
func (x *hostExtractor) member(h *tar.Header, body io.Reader) error {
	if h.Typeflag == tar.TypeXGlobalHeader {
		return nil
	}
	p, err := x.safePath(h.Name, true)
	if err != nil {
		return err
	}
	if p == x.root && h.Typeflag != tar.TypeDir {
		return errorf(syscall.EINVAL, "%s: a member that is not a directory names the directory itself", h.Name)
	}
	switch h.Typeflag {
	case tar.TypeDir:
		if fi, err := os.Lstat(p); err == nil && !fi.IsDir() {
			if err := os.Remove(p); err != nil {
				return hostErr(p, err)
			}
		}
		if err := os.Mkdir(p, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
			return hostErr(p, err)
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return hostErr(p, err)
		}
		x.dirs = append(x.dirs, hostDir{p, h, fi})
		return nil
	case tar.TypeChar, tar.TypeBlock:
		// Device nodes are skipped, as a tar run by a user fails them.
		return nil
	case tar.TypeSymlink:
		if err := clearHostPath(p); err != nil {
			return err
		}
		if err := os.Symlink(h.Linkname, p); err != nil {
			return hostErr(p, err)
		}
	case tar.TypeLink:
		target, err := x.safePath(h.Linkname, false)
		if err != nil {
			return err
		}
		if target == p {
			return nil
		}
		if err := clearHostPath(p); err != nil {
			return err
		}
		if err := os.Link(target, p); err != nil {
			return hostErr(p, err)
		}
		return nil
	case tar.TypeFifo:
		if err := clearHostPath(p); err != nil {
			return err
		}
		if err := unix.Mkfifo(p, 0o600); err != nil {
			return hostErr(p, err)
		}
	default:
		if err := x.file(p, body); err != nil {
			return err
		}
	}
	return x.attrs(p, h)
}

// file writes a regular member's content to a new file at p.
func (x *hostExtractor) file(p string, body io.Reader) error {
	if err := clearHostPath(p); err != nil {
		return err
	}
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL|unix.O_NOFOLLOW, 0o600)
	if err != nil {
		return hostErr(p, err)
	}
	_, err = io.CopyBuffer(f, body, x.buf)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return hostErr(p, err)
	}
	return nil
}

// attrs gives the host file at p the owner (as root only), mode and
// times of its member; a symbolic link gets its owner and times.
func (x *hostExtractor) attrs(p string, h *tar.Header) error {
	if x.root0 {
		if err := os.Lchown(p, h.Uid, h.Gid); err != nil {
			return hostErr(p, err)
		}
	}
	if h.Typeflag != tar.TypeSymlink {
		if err := unix.Chmod(p, uint32(h.Mode&0o7777)); err != nil {
			return hostErr(p, err)
		}
	}
	ts := []unix.Timespec{{Nsec: unix.UTIME_OMIT}, unix.NsecToTimespec(h.ModTime.UnixNano())}
	if err := unix.UtimesNanoAt(unix.AT_FDCWD, p, ts, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return hostErr(p, err)
	}
	return nil
}
