package transfer

import (
	"archive/tar"
	"bufio"
	"errors"
	"io"
	iofs "io/fs"
	"os"
	"path"
	"syscall"

	"github.com/klauspost/compress/gzip"
	"golang.org/x/sys/unix"

	"goguestfs/daemon/actions/file"
	"goguestfs/daemon/errno"
	vfs "goguestfs/daemon/fs"
	"goguestfs/daemon/hostio"
	"goguestfs/daemon/server"
)

// TarOutOpts writes the guest directory directory to the host file
// tarfile as a tar archive, as tar -cf - . run there.
func (a *Actions) TarOutOpts(c *server.Call, directory string, tarfile *os.File, opts *server.TarOutOptsOpts) error {
	gz, err := tarGzip(opts.Compress)
	if err != nil {
		return err
	}
	var excludes []string
	if opts.Excludes != nil {
		excludes = *opts.Excludes
	}
	for _, p := range excludes {
		if _, err := path.Match(p, ""); err != nil {
			return errno.New(syscall.EINVAL, "%s: bad exclude pattern", errno.Cut(p))
		}
	}
	fi, err := a.files.StatPath(directory, true)
	if err != nil {
		return err
	}
	if !fi.Mode.IsDir() {
		return errno.New(syscall.ENOTDIR, "%s: not a directory", errno.Cut(directory))
	}
	p := &packer{a: a, c: c, excludes: excludes, xattrs: opts.Xattrs != nil && *opts.Xattrs,
		links: map[inode]string{}, buf: make([]byte, tarChunk)}
	// The total of the progress is the content to archive, found by a
	// first walk that only reads the directories.
	if err := a.files.Walk(c, directory, true, func(e file.Entry) (bool, error) {
		skip, keep := p.excluded(e)
		if keep && e.Info.Mode.IsRegular() {
			p.total += uint64(e.Info.Size)
		}
		return skip, nil
	}); err != nil {
		return err
	}
	w, err := hostio.NewWriter(tarfile, "tarfile", c.Cancelled)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, tarBuffer)
	var out io.Writer = bw
	var z *gzip.Writer
	if gz {
		z = gzip.NewWriter(bw)
		out = z
	}
	p.tw = tar.NewWriter(out)
	err = a.files.Walk(c, directory, true, p.entry)
	if err == nil {
		err = p.tw.Close()
	}
	if err == nil && z != nil {
		err = z.Close()
	}
	if err == nil {
		err = bw.Flush()
	}
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return archiveWriteErr(err)
	}
	c.Progress(p.done, p.total)
	return nil
}

// archiveWriteErr keeps the errno of a host file's or the call's error;
// anything else (a member the format cannot hold) is EINVAL.
func archiveWriteErr(err error) error {
	var e *errno.Error
	if errors.As(err, &e) {
		return err
	}
	return errno.New(syscall.EINVAL, "tarfile: %v", err)
}

// inode identifies a file for hard links.
type inode struct {
	fs  vfs.FS
	ino uint64
}

// packer writes the members of one archive.
type packer struct {
	a        *Actions
	c        *server.Call
	tw       *tar.Writer
	excludes []string
	xattrs   bool
	links    map[inode]string
	buf      []byte
	done     uint64
	total    uint64
}

// excluded reports whether e is left out (keep false) and, for a
// directory, skipped whole (skip true).
func (p *packer) excluded(e file.Entry) (skip, keep bool) {
	if e.Rel == "" {
		return false, true
	}
	base := path.Base(e.Rel)
	for _, pat := range p.excludes {
		full, _ := path.Match(pat, e.Rel)
		last, _ := path.Match(pat, base)
		if full || last {
			return e.Info.Mode.IsDir(), false
		}
	}
	return false, true
}

// entry writes the member for e.
func (p *packer) entry(e file.Entry) (bool, error) {
	skip, keep := p.excluded(e)
	if !keep {
		return skip, nil
	}
	if err := p.c.Cancelled(); err != nil {
		return false, err
	}
	fi := e.Info
	h := &tar.Header{
		Name:    "./" + e.Rel,
		Mode:    int64(vfs.UnixMode(fi.Mode) & 0o7777),
		Uid:     int(fi.Uid),
		Gid:     int(fi.Gid),
		ModTime: fi.Mtime,
		Format:  tar.FormatGNU,
	}
	regular := false
	m := fi.Mode
	switch {
	case m.IsDir():
		h.Typeflag = tar.TypeDir
		if e.Rel != "" {
			h.Name += "/"
		}
	case m&iofs.ModeSymlink != 0:
		r, ok := e.FS.(vfs.Readlinker)
		if !ok {
			return false, errno.New(syscall.EIO, "%s: symbolic link on a filesystem without them", errno.Cut(h.Name))
		}
		target, err := r.Readlink(e.Path)
		if err != nil {
			return false, errno.Wrap(errno.Cut(h.Name), err)
		}
		h.Typeflag, h.Linkname = tar.TypeSymlink, target
	case m&iofs.ModeSocket != 0:
		// GNU tar: "socket ignored".
		return false, nil
	case m&iofs.ModeNamedPipe != 0:
		h.Typeflag = tar.TypeFifo
	case m&iofs.ModeDevice != 0:
		h.Typeflag = tar.TypeBlock
		if m&iofs.ModeCharDevice != 0 {
			h.Typeflag = tar.TypeChar
		}
		h.Devmajor, h.Devminor = int64(unix.Major(fi.Rdev)), int64(unix.Minor(fi.Rdev))
	case m.IsRegular():
		key := inode{e.FS, fi.Ino}
		if first, ok := p.links[key]; ok && fi.Nlink > 1 {
			h.Typeflag, h.Linkname = tar.TypeLink, first
			p.done += uint64(fi.Size)
		} else {
			if fi.Nlink > 1 {
				p.links[key] = h.Name
			}
			h.Typeflag, h.Size = tar.TypeReg, fi.Size
			regular = true
		}
	default:
		return false, nil
	}
	if p.xattrs {
		if err := p.xattrRecords(e, h); err != nil {
			return false, err
		}
	}
	if err := p.tw.WriteHeader(h); err != nil {
		return false, archiveWriteErr(err)
	}
	if regular {
		return false, p.content(e, h)
	}
	return false, nil
}

// xattrRecords stores the extended attributes of e (of a symbolic link
// itself) as pax records; the archive is then in pax format.
func (p *packer) xattrRecords(e file.Entry, h *tar.Header) error {
	var list func(string) ([]string, error)
	var get func(string, string) ([]byte, error)
	if x, ok := e.FS.(vfs.LinkXattrer); ok {
		list, get = x.LListXattrs, x.LGetXattr
	} else if x, ok := e.FS.(vfs.Xattrer); ok && e.Info.Mode&iofs.ModeSymlink == 0 {
		list, get = x.ListXattrs, x.GetXattr
	} else {
		h.Format = tar.FormatPAX
		return nil
	}
	h.Format = tar.FormatPAX
	names, err := list(e.Path)
	if err != nil {
		if errno.Of(err) == syscall.ENOTSUP {
			return nil
		}
		return errno.Wrap(errno.Cut(h.Name), err)
	}
	for _, name := range names {
		v, err := get(e.Path, name)
		if err != nil {
			if errno.Of(err) == syscall.ENODATA {
				continue
			}
			return errno.Wrap(errno.Cut(h.Name), err)
		}
		if h.PAXRecords == nil {
			h.PAXRecords = map[string]string{}
		}
		h.PAXRecords[xattrPrefix+name] = string(v)
	}
	return nil
}

// content writes the regular file e's h.Size bytes.
func (p *packer) content(e file.Entry, h *tar.Header) error {
	f, err := e.FS.OpenFile(e.Path, os.O_RDONLY, 0)
	if err != nil {
		return errno.Wrap(errno.Cut(h.Name), err)
	}
	defer f.Close()
	var off int64
	for off < h.Size {
		if err := p.c.Cancelled(); err != nil {
			return err
		}
		b := p.buf[:min(int64(len(p.buf)), h.Size-off)]
		n, err := f.ReadAt(b, off)
		if n < len(b) {
			if err == nil || err == io.EOF {
				return errno.New(syscall.EIO, "%s: file shrank while being archived", errno.Cut(h.Name))
			}
			return errno.Wrap(errno.Cut(h.Name), err)
		}
		if _, err := p.tw.Write(b); err != nil {
			return archiveWriteErr(err)
		}
		off += int64(n)
		p.done += uint64(n)
		p.c.Progress(p.done, p.total)
	}
	return nil
}
