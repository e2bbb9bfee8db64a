// Package fs implements the daemon's fs group: making, mounting, labelling
// and checking filesystems, over the drivers registered with package
// daemon/fs and the namespace of package mountns, which it shares with the
// file group.
package fs

import (
	"errors"
	"fmt"
	"strings"
	"syscall"

	"goguestfs/daemon/devices"
	"goguestfs/daemon/errno"
	vfs "goguestfs/daemon/fs"
	"goguestfs/daemon/mountns"
	"goguestfs/daemon/parttable"
	"goguestfs/daemon/server"
)

// Actions is the fs group. Its state is the namespace, shared with the file
// group.
type Actions struct {
	devs *devices.Set
	ns   *mountns.NS
}

// New returns the fs group over the drives of devs and the namespace ns.
func New(devs *devices.Set, ns *mountns.NS) *Actions { return &Actions{devs: devs, ns: ns} }

var (
	_ server.FsActions = (*Actions)(nil)
	_ server.Flusher   = (*Actions)(nil)
)

// Flush writes every mounted filesystem to its device (sync, and before
// the daemon exits).
func (a *Actions) Flush() error {
	var errs []error
	for _, m := range a.ns.Mounts() {
		if err := m.FS.Sync(); err != nil {
			errs = append(errs, errno.Wrap(m.Device, err))
		}
	}
	return errors.Join(errs...)
}

// busy refuses (EBUSY) to change d while it, a partition of it, or the
// disk it is a partition of is mounted.
func (a *Actions) busy(d *devices.Device) error { return a.ns.Busy(d) }

// splitOptions takes ro and rw out of a mount option string, which every
// driver understands, and returns the rest for the driver.
func splitOptions(options string, ro bool) (string, bool) {
	var rest []string
	for _, o := range strings.Split(options, ",") {
		switch o {
		case "ro":
			ro = true
		case "rw":
			ro = false
		case "":
		default:
			rest = append(rest, o)
		}
	}
	return strings.Join(rest, ","), ro
}

// mount mounts d at point with the driver named vfstype, or the one that
// recognises d when vfstype is empty.
func (a *Actions) mount(c *server.Call, d *devices.Device, point, vfstype, options string, ro bool) error {
	if err := a.busy(d); err != nil {
		return err
	}
	if _, err := a.ns.Check(point); err != nil {
		return err
	}
	drv, err := vfs.Probe(d)
	if vfstype != "" {
		want, ok := vfs.Lookup(vfstype)
		switch {
		case !ok:
			return errno.New(syscall.EINVAL, "%s: unknown filesystem type %q", d.Name, errno.Cut(vfstype))
		case err == nil && drv.Name() != vfstype && !(vfstype == "ext4" && strings.HasPrefix(drv.Name(), "ext")):
			// As the kernel: ext4 mounts ext2 and ext3, but ext2 needs no
			// ext3/ext4 features and ext3 needs a journal.
			return errno.New(syscall.EINVAL, "%s: a %s filesystem cannot be mounted as %s", d.Name, drv.Name(), vfstype)
		}
		drv, err = want, nil
	}
	if err != nil {
		return errno.Wrap(d.Name, err)
	}
	rest, ro := splitOptions(options, ro)
	if d.ReadOnly() && !ro {
		// As mount(8) does for a write-protected device.
		c.Logf("%s: write-protected, mounting read-only", d.Name)
		ro = true
	}
	fsys, err := drv.Open(d, vfs.OpenOptions{ReadOnly: ro, Options: rest})
	if err != nil && !ro && errno.Of(err) == syscall.EROFS {
		c.Logf("%s: mounting read-only: %v", d.Name, err)
		ro = true
		fsys, err = drv.Open(d, vfs.OpenOptions{ReadOnly: true, Options: rest})
	}
	if err != nil {
		return errno.Wrap(d.Name, err)
	}
	typ := drv.Name()
	if t, ok := fsys.(interface{ Type() string }); ok {
		typ = t.Type()
	}
	if _, err := a.ns.Add(point, d.Name, typ, fsys, ro); err != nil {
		return errors.Join(err, fsys.Close())
	}
	return nil
}

// Mount mounts read-write.
func (a *Actions) Mount(c *server.Call, d *devices.Device, mountpoint string) error {
	return a.mount(c, d, mountpoint, "", "", false)
}

// MountRO mounts read-only.
func (a *Actions) MountRO(c *server.Call, d *devices.Device, mountpoint string) error {
	return a.mount(c, d, mountpoint, "", "", true)
}

// MountOptions mounts with options.
func (a *Actions) MountOptions(c *server.Call, options string, d *devices.Device, mountpoint string) error {
	return a.mount(c, d, mountpoint, "", options, false)
}

// MountVfs mounts with options and a given type.
func (a *Actions) MountVfs(c *server.Call, options, vfstype string, d *devices.Device, mountpoint string) error {
	return a.mount(c, d, mountpoint, vfstype, options, false)
}

// unmount closes m's filesystem and takes it out of the namespace.
func (a *Actions) unmount(m *mountns.Mount) error {
	if b := a.ns.Beneath(m.Point); len(b) > 0 {
		return errno.New(syscall.EBUSY, "%s: %s is mounted beneath it", m.Point, b[0].Point)
	}
	closeErr := m.FS.Close()
	if err := a.ns.Remove(m); err != nil {
		return err
	}
	return errno.Wrap(m.Device, closeErr)
}

// UmountOpts unmounts a mountpoint or a mounted device.
func (a *Actions) UmountOpts(c *server.Call, pathordevice string, opts *server.UmountOptsOpts) error {
	what := pathordevice
	if strings.HasPrefix(what, "/dev/") {
		what = devices.Canonical(what)
	}
	m, err := a.ns.Find(what)
	if err != nil {
		return err
	}
	return a.unmount(m)
}

// UmountAll unmounts everything, the deepest mounts first.
func (a *Actions) UmountAll(c *server.Call) error {
	var errs []error
	for _, m := range a.ns.DeepestFirst() {
		errs = append(errs, a.unmount(m))
	}
	return errors.Join(errs...)
}

// Mounts lists the mounted devices.
func (a *Actions) Mounts(c *server.Call) ([]string, error) {
	out := []string{}
	for _, m := range a.ns.Mounts() {
		out = append(out, m.Device)
	}
	return out, nil
}

// Mountpoints maps each mounted device to its mountpoint.
func (a *Actions) Mountpoints(c *server.Call) ([][2]string, error) {
	out := [][2]string{}
	for _, m := range a.ns.Mounts() {
		out = append(out, [2]string{m.Device, m.Point})
	}
	return out, nil
}

// extendedTypes are the MBR type bytes of extended partitions, which hold
// logical partitions rather than a filesystem.
var extendedTypes = map[int]bool{0x05: true, 0x0f: true, 0x85: true}

// ListFilesystems probes every partition, and every whole disk without a
// partition table.
func (a *Actions) ListFilesystems(c *server.Call) ([][2]string, error) {
	out := [][2]string{}
	for _, drive := range a.devs.Drives() {
		t := parttable.New(drive.Name, drive)
		parts, err := t.PartList()
		if err != nil {
			d, err := a.devs.Resolve(drive.Name)
			if err != nil {
				return nil, err
			}
			out = append(out, [2]string{d.Name, a.typeOr(d, "unknown")})
			continue
		}
		msdos := false
		if pt, err := t.PartGetParttype(); err == nil && pt == "msdos" {
			msdos = true
		}
		for _, p := range parts {
			if msdos {
				if id, err := t.PartGetMbrId(int(p.PartNum)); err == nil && extendedTypes[id] {
					continue
				}
			}
			d, err := a.devs.Resolve(fmt.Sprintf("%s%d", drive.Name, p.PartNum))
			if err != nil {
				return nil, err
			}
			out = append(out, [2]string{d.Name, a.typeOr(d, "unknown")})
		}
	}
	return out, nil
}

// typeOr returns the type of the filesystem on d (the mounted one's when it
// is mounted), or unknown when no driver recognises it.
func (a *Actions) typeOr(d *devices.Device, unknown string) string {
	if m := a.ns.ByDevice(d.Name); m != nil {
		return m.Type
	}
	drv, err := vfs.Probe(d)
	if err != nil {
		return unknown
	}
	return drv.Name()
}

// VfsType returns the type, or "" when unknown.
func (a *Actions) VfsType(c *server.Call, d *devices.Device) (string, error) {
	return a.typeOr(d, ""), nil
}

// withFS runs fn on the filesystem on d: the mounted one, or d opened for
// the call (read-only unless write) and closed after.
func (a *Actions) withFS(d *devices.Device, write bool, fn func(vfs.FS) error) error {
	if m := a.ns.ByDevice(d.Name); m != nil {
		if write && m.ReadOnly {
			return errno.New(syscall.EROFS, "%s: mounted read-only on %s", d.Name, m.Point)
		}
		return fn(m.FS)
	}
	drv, err := vfs.Probe(d)
	if err != nil {
		return errno.Wrap(d.Name, err)
	}
	fsys, err := drv.Open(d, vfs.OpenOptions{ReadOnly: !write})
	if err != nil {
		return errno.Wrap(d.Name, err)
	}
	return errors.Join(fn(fsys), errno.Wrap(d.Name, fsys.Close()))
}

// labeler returns fsys's Labeler, or ENOTSUP naming d.
func labeler(d *devices.Device, fsys vfs.FS) (vfs.Labeler, error) {
	l, ok := fsys.(vfs.Labeler)
	if !ok {
		return nil, errno.New(syscall.ENOTSUP, "%s: this filesystem has no label or UUID", d.Name)
	}
	return l, nil
}

// VfsLabel returns the label; a device without a filesystem, or with one
// that has none, gives "".
func (a *Actions) VfsLabel(c *server.Call, d *devices.Device) (string, error) {
	if a.typeOr(d, "") == "" {
		return "", nil
	}
	var label string
	err := a.withFS(d, false, func(fsys vfs.FS) error {
		l, ok := fsys.(vfs.Labeler)
		if !ok {
			return nil
		}
		var err error
		label, err = l.Label()
		return err
	})
	return label, err
}

// VfsUUID returns the UUID, "" when the filesystem has none.
func (a *Actions) VfsUUID(c *server.Call, d *devices.Device) (string, error) {
	if a.typeOr(d, "") == "" {
		return "", nil
	}
	var uuid string
	err := a.withFS(d, false, func(fsys vfs.FS) error {
		l, ok := fsys.(vfs.Labeler)
		if !ok {
			return nil
		}
		var err error
		uuid, err = l.UUID()
		return err
	})
	return uuid, err
}

// SetLabel sets the label.
func (a *Actions) SetLabel(c *server.Call, d *devices.Device, label string) error {
	return a.withFS(d, true, func(fsys vfs.FS) error {
		l, err := labeler(d, fsys)
		if err != nil {
			return err
		}
		return errno.Wrap(d.Name, l.SetLabel(label))
	})
}

// SetUUID sets the UUID.
func (a *Actions) SetUUID(c *server.Call, d *devices.Device, uuid string) error {
	return a.withFS(d, true, func(fsys vfs.FS) error {
		l, err := labeler(d, fsys)
		if err != nil {
			return err
		}
		return errno.Wrap(d.Name, l.SetUUID(uuid))
	})
}

// isExt refuses a device that does not hold an ext filesystem.
func (a *Actions) isExt(d *devices.Device) error {
	if t := a.typeOr(d, ""); !strings.HasPrefix(t, "ext") {
		return errno.New(syscall.EINVAL, "%s: not an ext2/ext3/ext4 filesystem", d.Name)
	}
	return nil
}

// SetE2label sets an ext label.
func (a *Actions) SetE2label(c *server.Call, d *devices.Device, label string) error {
	if err := a.isExt(d); err != nil {
		return err
	}
	return a.SetLabel(c, d, label)
}

// GetE2label returns an ext label.
func (a *Actions) GetE2label(c *server.Call, d *devices.Device) (string, error) {
	if err := a.isExt(d); err != nil {
		return "", err
	}
	return a.VfsLabel(c, d)
}

// stRdonly is statvfs's ST_RDONLY flag.
const stRdonly = 1

// Statvfs reports the usage of the filesystem holding path.
func (a *Actions) Statvfs(c *server.Call, path string) (*server.Statvfs, error) {
	loc, err := a.ns.Resolve(path, true)
	if err != nil {
		return nil, err
	}
	if _, err := loc.Mount.FS.Stat(loc.Path); err != nil {
		return nil, errno.Wrap(errno.Cut(path), err)
	}
	s, ok := loc.Mount.FS.(vfs.StatFSer)
	if !ok {
		return nil, errno.New(syscall.ENOTSUP, "%s: the %s filesystem reports no statistics", errno.Cut(path), loc.Mount.Type)
	}
	st, err := s.StatFS()
	if err != nil {
		return nil, errno.Wrap(errno.Cut(path), err)
	}
	flag := int64(st.Flag)
	if loc.Mount.ReadOnly {
		flag |= stRdonly
	}
	return &server.Statvfs{Bsize: st.Bsize, Frsize: st.Frsize, Blocks: int64(st.Blocks), Bfree: int64(st.Bfree),
		Bavail: int64(st.Bavail), Files: int64(st.Files), Ffree: int64(st.Ffree), Favail: int64(st.Favail),
		Fsid: int64(st.Fsid), Flag: flag, Namemax: int64(st.Namemax)}, nil
}

// Blkid returns TYPE, USAGE and, where the filesystem has them, LABEL and
// UUID, in blkid's spelling; nothing for a device no driver recognises.
func (a *Actions) Blkid(c *server.Call, d *devices.Device) ([][2]string, error) {
	typ := a.typeOr(d, "")
	if typ == "" {
		return [][2]string{}, nil
	}
	var label, uuid string
	if err := a.withFS(d, false, func(fsys vfs.FS) error {
		l, ok := fsys.(vfs.Labeler)
		if !ok {
			return nil
		}
		var err error
		if label, err = l.Label(); err != nil {
			return err
		}
		uuid, err = l.UUID()
		return err
	}); err != nil {
		return nil, err
	}
	out := [][2]string{}
	if label != "" {
		out = append(out, [2]string{"LABEL", label})
	}
	if uuid != "" {
		out = append(out, [2]string{"UUID", uuid})
	}
	return append(out, [2]string{"TYPE", typ}, [2]string{"USAGE", "filesystem"}), nil
}
