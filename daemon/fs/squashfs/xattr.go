package squashfs

import (
	"encoding/binary"
	"syscall"

	"goguestfs/daemon/errno"
	"goguestfs/daemon/fs/squashfs/layout"
)

// maxXattrBytes bounds the attributes of one inode.
const maxXattrBytes = 16 << 20

type xattr struct {
	name  string
	value []byte
}

// xattrsOf reads the extended attributes of the loaded node n, in the
// order mksquashfs stored them.
func (f *FS) xattrsOf(obj string, n *node) ([]xattr, error) {
	if n.in.Xattr == layout.NoXattr || f.xattrs == nil {
		return nil, nil
	}
	e, err := f.entry(f.xattrs, n.in.Xattr, 16, "xattr id")
	if err != nil {
		return nil, errno.Wrap(errno.Cut(obj), err)
	}
	id := layout.ParseXattrID(e)
	if id.Count > maxXattrBytes/8 {
		return nil, errno.New(syscall.EIO, "%s: %d extended attributes", errno.Cut(obj), id.Count)
	}
	blk, off := layout.Ref(id.Ref)
	st := &stream{f: f, pos: int64(f.xstart + blk), off: off}
	le := binary.LittleEndian
	bad := func(err error) error {
		if err != nil {
			return errno.Wrap(errno.Cut(obj), err)
		}
		return errno.New(syscall.EIO, "%s: corrupt extended attributes", errno.Cut(obj))
	}
	var out []xattr
	for i := uint32(0); i < id.Count; i++ {
		h, err := st.read(4)
		if err != nil {
			return nil, bad(err)
		}
		typ, nl := le.Uint16(h), int(le.Uint16(h[2:]))
		name, err := st.read(nl)
		if err != nil {
			return nil, bad(err)
		}
		h, err = st.read(4)
		if err != nil {
			return nil, bad(err)
		}
		vl := le.Uint32(h)
		if vl > maxXattrBytes {
			return nil, bad(nil)
		}
		v, err := st.read(int(vl))
		if err != nil {
			return nil, bad(err)
		}
		if typ&layout.XattrOutOfLine != 0 {
			if vl != 8 {
				return nil, bad(nil)
			}
			vb, vo := layout.Ref(le.Uint64(v))
			vs := &stream{f: f, pos: int64(f.xstart + vb), off: vo}
			h, err := vs.read(4)
			if err != nil {
				return nil, bad(err)
			}
			if n := le.Uint32(h); n > maxXattrBytes {
				return nil, bad(nil)
			} else if v, err = vs.read(int(n)); err != nil {
				return nil, bad(err)
			}
		}
		prefix, ok := layout.XattrPrefix(typ)
		if !ok {
			continue
		}
		out = append(out, xattr{name: prefix + string(name), value: v})
	}
	return out, nil
}

func (f *FS) xattrList(p string, follow bool) (xs []xattr, err error) {
	defer recoverEIO(&err, p)
	n, err := f.resolve(p, follow)
	if err != nil {
		return nil, err
	}
	return f.xattrsOf(p, n)
}

func names(xs []xattr) []string {
	out := make([]string, 0, len(xs))
	for _, x := range xs {
		out = append(out, x.name)
	}
	return out
}

func value(p, name string, xs []xattr) ([]byte, error) {
	for _, x := range xs {
		if x.name == name {
			return x.value, nil
		}
	}
	return nil, errno.New(syscall.ENODATA, "%s: no attribute %s", errno.Cut(p), errno.Cut(name))
}

// ListXattrs lists the extended attributes of p, following a final link.
func (f *FS) ListXattrs(p string) ([]string, error) {
	xs, err := f.xattrList(p, true)
	if err != nil {
		return nil, err
	}
	return names(xs), nil
}

// GetXattr returns the attribute name of p (ENODATA when it has none),
// following a final link.
func (f *FS) GetXattr(p, name string) ([]byte, error) {
	xs, err := f.xattrList(p, true)
	if err != nil {
		return nil, err
	}
	return value(p, name, xs)
}

// LListXattrs lists the extended attributes of p itself.
func (f *FS) LListXattrs(p string) ([]string, error) {
	xs, err := f.xattrList(p, false)
	if err != nil {
		return nil, err
	}
	return names(xs), nil
}

// LGetXattr returns the attribute name of p itself.
func (f *FS) LGetXattr(p, name string) ([]byte, error) {
	xs, err := f.xattrList(p, false)
	if err != nil {
		return nil, err
	}
	return value(p, name, xs)
}

// SetXattr is EROFS.
func (f *FS) SetXattr(p, _ string, _ []byte) error { return f.erofs(p) }

// RemoveXattr is EROFS.
func (f *FS) RemoveXattr(p, _ string) error { return f.erofs(p) }

// LSetXattr is EROFS.
func (f *FS) LSetXattr(p, _ string, _ []byte) error { return f.erofs(p) }

// LRemoveXattr is EROFS.
func (f *FS) LRemoveXattr(p, _ string) error { return f.erofs(p) }

func (f *FS) erofs(p string) error {
	if err := f.check(); err != nil {
		return err
	}
	return pathErr(p, syscall.EROFS)
}
