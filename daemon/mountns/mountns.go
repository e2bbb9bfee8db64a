// Package mountns is the daemon's namespace of mounted filesystems (design
// section 5): "/" first, other filesystems on existing directories of
// mounted ones, and the resolution of guest paths across them. A guest path
// is resolved component by component: the mount holding each prefix is the
// one with the longest mountpoint, symbolic links are followed across
// mounts (an absolute target starts again at the guest's "/", never the
// host's), ".." never climbs above "/", and more than 40 links give ELOOP.
//
// The namespace is not safe for concurrent use: the daemon serves one call
// at a time.
package mountns

import (
	iofs "io/fs"
	"path"
	"sort"
	"strings"
	"syscall"

	"goguestfs/daemon/devices"
	"goguestfs/daemon/errno"
	"goguestfs/daemon/fs"
)

// MaxSymlinks is the number of symbolic links a resolution may follow.
const MaxSymlinks = 40

// Mount is one mounted filesystem.
type Mount struct {
	// Point is the mountpoint, a canonical guest path ("/", "/boot").
	Point string
	// Device is the name of the mounted device ("/dev/sda1").
	Device string
	// Type is the driver's name ("ext4").
	Type string
	// FS is the mounted filesystem.
	FS fs.FS
	// ReadOnly is true for mount_ro (or a driver that forced it).
	ReadOnly bool
	// Dev numbers the mount for st_dev: unique while the namespace lives.
	Dev uint64
}

// NS is the namespace. The zero value is empty and ready.
type NS struct {
	mounts  []*Mount // in mount order
	nextDev uint64
}

// Mounts returns the mounts in the order they were mounted.
func (ns *NS) Mounts() []*Mount { return append([]*Mount(nil), ns.mounts...) }

// ByDevice returns the mount of device name, or nil.
func (ns *NS) ByDevice(name string) *Mount {
	for _, m := range ns.mounts {
		if m.Device == name {
			return m
		}
	}
	return nil
}

// ByPoint returns the mount whose mountpoint is the canonical path p, or nil.
func (ns *NS) ByPoint(p string) *Mount {
	for _, m := range ns.mounts {
		if m.Point == p {
			return m
		}
	}
	return nil
}

// holder returns the mount holding the canonical guest path p (the one with
// the longest mountpoint that is p or a parent of it), or nil when nothing
// is mounted at "/".
func (ns *NS) holder(p string) *Mount {
	var best *Mount
	for _, m := range ns.mounts {
		if under(p, m.Point) && (best == nil || len(m.Point) > len(best.Point)) {
			best = m
		}
	}
	return best
}

// under reports whether the canonical path p is dir or beneath it.
func under(p, dir string) bool {
	return p == dir || dir == "/" || strings.HasPrefix(p, dir+"/")
}

// rel returns p relative to the root of m's filesystem.
func rel(m *Mount, p string) string {
	if m.Point == "/" {
		return p
	}
	if p == m.Point {
		return "/"
	}
	return p[len(m.Point):]
}

// errNotMounted is the error of any path while "/" is not mounted.
func errNotMounted(p string) error {
	return errno.New(syscall.ENOENT, "%s: no filesystem is mounted on /", errno.Cut(p))
}

// Add mounts fsys at mountpoint (a guest path, resolved: "/" or an existing
// directory, after symbolic links). It fails with EBUSY when device is
// mounted already or something is mounted at that point, with EINVAL for a
// relative mountpoint, ENOENT/ENOTDIR when the directory is missing. The
// caller closes fsys when Add fails.
func (ns *NS) Add(mountpoint, device, typ string, fsys fs.FS, readOnly bool) (*Mount, error) {
	if ns.ByDevice(device) != nil {
		return nil, errno.New(syscall.EBUSY, "%s: already mounted", device)
	}
	point, err := ns.Check(mountpoint)
	if err != nil {
		return nil, err
	}
	ns.nextDev++
	m := &Mount{Point: point, Device: device, Type: typ, FS: fsys, ReadOnly: readOnly, Dev: ns.nextDev}
	ns.mounts = append(ns.mounts, m)
	return m, nil
}

// Check resolves mountpoint as Add does and returns the canonical point,
// or why nothing can be mounted there, without changing the namespace:
// the caller checks before it opens a filesystem, so that a mount that
// fails writes nothing to the device.
func (ns *NS) Check(mountpoint string) (string, error) {
	if !strings.HasPrefix(mountpoint, "/") {
		return "", errno.New(syscall.EINVAL, "%s: mountpoint must be an absolute path", errno.Cut(mountpoint))
	}
	point := "/"
	if path.Clean(mountpoint) != "/" {
		if len(ns.mounts) == 0 {
			return "", errno.New(syscall.ENOENT, "%s: mount / first", errno.Cut(mountpoint))
		}
		loc, err := ns.Resolve(mountpoint, true)
		if err != nil {
			return "", err
		}
		fi, err := loc.Mount.FS.Stat(loc.Path)
		if err != nil {
			return "", relabel(err, mountpoint)
		}
		if !fi.Mode.IsDir() {
			return "", errno.New(syscall.ENOTDIR, "%s: not a directory", errno.Cut(mountpoint))
		}
		point = loc.Guest
	}
	if ns.ByPoint(point) != nil {
		return "", errno.New(syscall.EBUSY, "%s: a filesystem is mounted there already", point)
	}
	if b := ns.Beneath(point); len(b) > 0 {
		return "", errno.New(syscall.EBUSY, "%s: %s is mounted beneath it", point, b[0].Point)
	}
	return point, nil
}

// Find returns the mount named by what, a mounted device or a mountpoint
// (a guest path, resolved), or EINVAL when nothing is mounted there.
func (ns *NS) Find(what string) (*Mount, error) {
	if m := ns.ByDevice(what); m != nil {
		return m, nil
	}
	if strings.HasPrefix(what, "/") && len(ns.mounts) > 0 {
		if m := ns.ByPoint(path.Clean(what)); m != nil {
			return m, nil
		}
		if loc, err := ns.Resolve(what, true); err == nil && loc.Path == "/" {
			return loc.Mount, nil
		}
	}
	return nil, errno.New(syscall.EINVAL, "%s: not mounted", errno.Cut(what))
}

// Remove takes m out of the namespace (the caller closes its FS first). A
// mount with others beneath it gives EBUSY and stays.
func (ns *NS) Remove(m *Mount) error {
	for _, o := range ns.mounts {
		if o != m && under(o.Point, m.Point) {
			return errno.New(syscall.EBUSY, "%s: %s is mounted beneath it", m.Point, o.Point)
		}
	}
	for i, o := range ns.mounts {
		if o == m {
			ns.mounts = append(ns.mounts[:i], ns.mounts[i+1:]...)
			return nil
		}
	}
	return errno.New(syscall.EINVAL, "%s: not mounted", m.Point)
}

// DeepestFirst returns the mounts ordered for unmounting: every mount
// before the one it is mounted on.
func (ns *NS) DeepestFirst() []*Mount {
	ms := ns.Mounts()
	sort.SliceStable(ms, func(i, j int) bool { return len(split(ms[i].Point)) > len(split(ms[j].Point)) })
	return ms
}

// Beneath returns the mounts whose mountpoints are strictly beneath the
// canonical guest path p.
func (ns *NS) Beneath(p string) []*Mount {
	var out []*Mount
	for _, m := range ns.mounts {
		if m.Point != p && under(m.Point, p) {
			out = append(out, m)
		}
	}
	return out
}

// Loc is a resolved guest path.
type Loc struct {
	// Guest is the canonical guest path: absolute, no symbolic link in
	// any component but (when not followed) the last, no "." or "..".
	Guest string
	// Mount holds the path and Path is it relative to Mount's root.
	Mount *Mount
	Path  string
	// Slash is set when the path ended in "/" and names nothing yet: only
	// a directory may be made there (EISDIR for anything else).
	Slash bool
}

// IsMountpoint reports whether the location is the root of its mount.
func (l Loc) IsMountpoint() bool { return l.Path == "/" }

// Resolve resolves the guest path p. Every component but the last must
// exist (ENOENT) and be a directory (ENOTDIR) once links are followed; the
// last need not exist, and is followed when it is a symbolic link and
// follow is set.
func (ns *NS) Resolve(p string, follow bool) (Loc, error) {
	if len(ns.mounts) == 0 {
		return Loc{}, errNotMounted(p)
	}
	if !strings.HasPrefix(p, "/") {
		return Loc{}, errno.New(syscall.EINVAL, "%s: path must start with a / character", errno.Cut(p))
	}
	slash := strings.HasSuffix(p, "/") && len(split(p)) > 0
	if slash {
		follow = true // "link/" names the link's target, as in POSIX
	}
	cur := "/"
	todo := split(p)
	links := 0
	exists := true
	for len(todo) > 0 {
		c := todo[0]
		todo = todo[1:]
		switch c {
		case ".":
			continue
		case "..":
			cur = path.Dir(cur)
			continue
		}
		next := path.Join(cur, c)
		last := len(todo) == 0
		m := ns.holder(next)
		fi, err := m.FS.Stat(rel(m, next))
		if err != nil {
			if errno.Of(err) == syscall.ENOENT && last {
				cur, exists = next, false
				break
			}
			return Loc{}, relabel(err, p)
		}
		switch {
		case fi.Mode&iofs.ModeSymlink != 0 && (!last || follow):
			links++
			if links > MaxSymlinks {
				return Loc{}, errno.New(syscall.ELOOP, "%s: too many levels of symbolic links", errno.Cut(p))
			}
			w, ok := m.FS.(fs.Readlinker)
			if !ok {
				return Loc{}, errno.New(syscall.EIO, "%s: a symbolic link on a filesystem that cannot read links", errno.Cut(next))
			}
			target, err := w.Readlink(rel(m, next))
			if err != nil {
				return Loc{}, relabel(err, p)
			}
			if target == "" {
				return Loc{}, errno.New(syscall.ENOENT, "%s: empty symbolic link", errno.Cut(next))
			}
			if strings.HasPrefix(target, "/") {
				cur = "/"
			}
			todo = append(split(target), todo...)
		case (!last || slash) && !fi.Mode.IsDir():
			return Loc{}, errno.New(syscall.ENOTDIR, "%s: not a directory", errno.Cut(next))
		default:
			if fi.Name != "" && fi.Name != c && strings.EqualFold(fi.Name, c) {
				// A filesystem that ignores case (vfat): the canonical
				// path has the name as stored, so that mountpoints match
				// however the caller spells them.
				next = path.Join(cur, fi.Name)
			}
			cur = next
		}
	}
	m := ns.holder(cur)
	return Loc{Guest: cur, Mount: m, Path: rel(m, cur), Slash: slash && !exists}, nil
}

// split returns the non-empty components of p.
func split(p string) []string {
	var out []string
	for _, c := range strings.Split(p, "/") {
		if c != "" {
			out = append(out, c)
		}
	}
	return out
}

// relabel names the path the caller gave in a driver's error, keeping the
// errno: a driver names the path relative to its own root.
func relabel(err error, p string) error {
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		msg = msg[i+2:]
	}
	return &errno.Error{Msg: errno.Cut(p) + ": " + msg, Errno: errno.Of(err)}
}

// Busy refuses (EBUSY) a change of the device d while it, a partition of
// it, or the disk it is a partition of is mounted: writing under a mounted
// filesystem would corrupt it.
func (ns *NS) Busy(d *devices.Device) error {
	for _, m := range ns.Mounts() {
		n, err := devices.Parse(m.Device)
		if err != nil || n.Index != d.Index {
			continue
		}
		if n.Part == d.Partnum || n.Part == 0 || d.Partnum == 0 {
			return errno.New(syscall.EBUSY, "%s: %s is mounted on %s", d.Name, m.Device, m.Point)
		}
	}
	return nil
}
