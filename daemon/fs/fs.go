// Package fs is the contract between the daemon and its filesystem
// drivers, in the shape of database/sql/driver: a small required interface
// (Driver: probe and open; FS: stat, read a directory, open a file, sync,
// close), optional capabilities that the daemon finds by type assertion
// (Formatter, Writer, Readlinker, Lchowner, Mknoder, Labeler, StatFSer, Xattrer,
// LinkXattrer, DataFile, FreeSpaceZeroer), and a registry that each
// driver joins from its init function with Register.
//
// A driver lives in its own package, daemon/fs/<name>, with its on-disk
// structures in a subpackage. Of this module it imports only this package,
// the block layer (package blockdev) and the error rule (package errno),
// never the server, the action groups or the protocol (a test checks): it
// reads and writes a Device, never an image
// file, so that overlays, NBD drives and LVM volumes work underneath
// without it knowing. Paths given to an FS are absolute, cleaned and
// relative to the filesystem's root ("/", "/etc/fstab"); a driver resolves
// them itself, never following a symbolic link out of the filesystem.
// Errors carry a syscall.Errno (ENOENT, ENOTDIR, EISDIR, EEXIST, ENOSPC,
// EROFS, EINVAL, EIO for a corrupt filesystem) and name the object, not the
// action.
package fs

import (
	"io"
	"io/fs"
	"time"

	"goguestfs/daemon/blockdev"
)

// Device is what a driver reads and writes: a whole disk or partition of
// the daemon's block layer.
type Device = blockdev.Dev

// Driver is one filesystem type. Its methods may be called concurrently
// for different devices.
type Driver interface {
	// Name is the filesystem type as vfs_type reports it: "ext4", "vfat".
	Name() string
	// Probe reports whether dev holds this filesystem, reading only its
	// superblock. It must not fail on garbage: that is false, nil.
	Probe(dev Device) (bool, error)
	// Open mounts the filesystem on dev. With o.ReadOnly set the FS must
	// refuse every change with EROFS and write nothing to dev.
	Open(dev Device, o OpenOptions) (FS, error)
}

// OpenOptions are the options of Driver.Open.
type OpenOptions struct {
	// ReadOnly is mount_ro: no change reaches the device.
	ReadOnly bool
	// Options is the mount_options string, which a driver may parse
	// ("subvol=root" for btrfs) and must refuse with EINVAL when it does
	// not understand it.
	Options string
}

// FS is one mounted filesystem. The daemon serializes calls on one FS.
type FS interface {
	// Stat describes path without following a final symbolic link.
	Stat(path string) (FileInfo, error)
	// ReadDir lists the directory path, without "." and "..", in the
	// directory's own order.
	ReadDir(path string) ([]DirEntry, error)
	// OpenFile opens the file path with os.OpenFile's flags (O_RDONLY,
	// O_WRONLY, O_RDWR, O_CREATE, O_EXCL, O_TRUNC, O_APPEND) and, for a
	// new file, permission bits perm. A read-only FS refuses write flags
	// with EROFS.
	OpenFile(path string, flag int, perm fs.FileMode) (File, error)
	// Sync writes everything changed so far to the device.
	Sync() error
	// Close syncs and releases the filesystem; the FS is unusable after.
	Close() error
}

// File is an open file of an FS.
type File interface {
	io.ReaderAt
	io.WriterAt
	// Stat describes the open file.
	Stat() (FileInfo, error)
	// Truncate sets the file's size.
	Truncate(size int64) error
	// Close releases the file (its changes stay until FS.Sync or Close).
	Close() error
}

// FileInfo is what Stat returns: the fields of libguestfs's statns.
type FileInfo struct {
	Name                string
	Mode                fs.FileMode
	Size                int64
	Ino                 uint64
	Nlink               uint64
	Uid, Gid            uint32
	Rdev                uint64
	Blocks              int64 // 512-byte blocks allocated
	Blksize             int64
	Atime, Mtime, Ctime time.Time
}

// DirEntry is one entry of a directory.
type DirEntry struct {
	Name string
	Ino  uint64
	// Type is the type bits of the entry's mode (fs.ModeDir, fs.ModeSymlink,
	// 0 for a regular file...), as the directory records it.
	Type fs.FileMode
}

// Formatter is a Driver that can make a new filesystem (mkfs).
type Formatter interface {
	Format(dev Device, o FormatOptions) error
}

// FormatOptions are mkfs's optional arguments that a Formatter honours;
// zero values mean the driver's default.
type FormatOptions struct {
	Type      string // the exact type asked for: "ext2", "ext3", "ext4", "vfat"
	Label     string
	Blocksize int
	Features  string
}

// Writer is an FS that can change its directory tree.
type Writer interface {
	Mkdir(path string, perm fs.FileMode) error
	// Remove removes a file, a symbolic link or an empty directory.
	Remove(path string) error
	Rename(from, to string) error
	Symlink(target, path string) error
	Link(existing, path string) error
	Chmod(path string, perm fs.FileMode) error
	Chown(path string, uid, gid int) error
	Chtimes(path string, atime, mtime time.Time) error
	Readlinker
}

// Readlinker is an FS with symbolic links: Readlink returns a link's
// target. Read-only drivers implement it alone; every Writer has it.
type Readlinker interface {
	Readlink(path string) (string, error)
}

// Lchowner is a Writer that can change the owner of a symbolic link itself;
// Writer.Chown follows a final link.
type Lchowner interface {
	Lchown(path string, uid, gid int) error
}

// Mknoder is an FS that makes special files: mode holds the type
// (fs.ModeDevice, with fs.ModeCharDevice for a character device,
// fs.ModeNamedPipe, fs.ModeSocket) and the permission bits; rdev is the
// device number (unix.Mkdev) for devices.
type Mknoder interface {
	Mknod(path string, mode fs.FileMode, rdev uint64) error
}

// Labeler is an FS with a label and a UUID that can be read and set.
type Labeler interface {
	Label() (string, error)
	SetLabel(label string) error
	UUID() (string, error)
	SetUUID(uuid string) error
}

// StatFS is what statvfs returns.
type StatFS struct {
	Bsize, Frsize         int64
	Blocks, Bfree, Bavail uint64
	Files, Ffree, Favail  uint64
	Fsid, Flag, Namemax   uint64
}

// StatFSer is an FS that reports its usage.
type StatFSer interface {
	StatFS() (StatFS, error)
}

// Xattrer is an FS with extended attributes.
type Xattrer interface {
	ListXattrs(path string) ([]string, error)
	GetXattr(path, name string) ([]byte, error)
	SetXattr(path, name string, value []byte) error
	RemoveXattr(path, name string) error
}

// LinkXattrer is an Xattrer that reaches the attributes of a symbolic link
// itself; Xattrer's methods follow a final link.
type LinkXattrer interface {
	LListXattrs(path string) ([]string, error)
	LGetXattr(path, name string) ([]byte, error)
	LSetXattr(path, name string, value []byte) error
	LRemoveXattr(path, name string) error
}

// DataFile is a File that knows where its data is, so that transfers
// keep holes: NextData returns the first range [start, end) at or after
// off that may hold data (every byte of the file outside such ranges
// reads as zeros), or io.EOF when no data follows off before the file's
// end. Ranges may be larger than the data (whole blocks, or the rest of
// the file when the driver cannot tell), never smaller.
type DataFile interface {
	NextData(off int64) (start, end int64, err error)
}

// FreeSpaceZeroer is a Writer whose free space can be made to read as
// zeros (zero_free_space): every block the filesystem does not use is
// zeroed on the device (blockdev.Zero, which punches holes where it can),
// files untouched. progress is called with blocks done and total as it
// goes; cancelled is checked as often, and its error ends the work early
// (what was zeroed stays zeroed, the filesystem stays consistent).
type FreeSpaceZeroer interface {
	ZeroFreeSpace(progress func(done, total uint64), cancelled func() error) error
}
