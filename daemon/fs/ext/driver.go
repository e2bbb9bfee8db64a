// Package ext is the ext2/ext3/ext4 filesystem driver: libext2fs 1.47.0
// through cgo, over an io_manager of our own (goio.c) that reads and writes
// the fs.Device given to Open through a bounded write-back cache, never an
// image file. Journals that need recovery are replayed in Go (package
// jbd2) at every Open. docs/notes/ext-libext2fs.md is the design note.
//
// There are three drivers, Ext2, Ext3 and Ext4, one per name vfs_type
// reports: each Probe recognises only its own type (decided from the
// features, as blkid decides), and each Open mounts any of the three, as
// the kernel's ext4 driver does. Type tells the exact type of a device.
package ext

import (
	"strconv"
	"strings"
	"syscall"

	"goguestfs/daemon/errno"
	"goguestfs/daemon/fs"
	"goguestfs/daemon/fs/ext/disk"
)

// Driver is the ext driver under one name.
type Driver struct{ name string }

// The three drivers, to register in this order.
var (
	Ext4 = &Driver{name: "ext4"}
	Ext3 = &Driver{name: "ext3"}
	Ext2 = &Driver{name: "ext2"}
)

// Name is "ext2", "ext3" or "ext4".
func (d *Driver) Name() string { return d.name }

// Probe reports whether dev holds an ext filesystem of this driver's exact
// type. Garbage is false, nil; a read error other than a short device is
// returned.
func (d *Driver) Probe(dev fs.Device) (bool, error) {
	t, err := Type(dev)
	if errno.Of(err) == syscall.EINVAL {
		return false, nil
	}
	return t == d.name, err
}

// Open mounts the ext2, ext3 or ext4 filesystem on dev.
func (d *Driver) Open(dev fs.Device, o fs.OpenOptions) (fs.FS, error) {
	f, err := Open(dev, o)
	if err != nil {
		return nil, err
	}
	return f, nil
}

// Type returns "ext2", "ext3" or "ext4" for the filesystem on dev, or an
// error with EINVAL when dev holds none (an external journal device is
// none either).
func Type(dev fs.Device) (string, error) {
	sb, err := disk.Read(dev)
	if err != nil {
		return "", errno.Wrap("device", err)
	}
	t := sb.Type()
	if t == "jbd" {
		return "", errno.New(syscall.EINVAL, "device: an external ext journal, not a filesystem")
	}
	return t, nil
}

// options is what Open understands of the mount options.
type options struct {
	readOnly    bool
	noRecovery  bool
	noUserXattr bool
	// grpid is 1 for grpid/bsdgroups, -1 for nogrpid/sysvgroups, 0 for
	// the superblock's default mount options.
	grpid int
	// data is the data= mode given, "" for the superblock's default.
	data string
	// delalloc is set once delalloc is given (the kernel's
	// EXPLICIT_DELALLOC: a later nodelalloc does not clear it).
	delalloc bool
	// journalChecksum and asyncCommit are journal_checksum and
	// journal_async_commit (which implies journal_checksum).
	journalChecksum, asyncCommit bool
	// commit is commit=N's N in seconds, 0 for the default (5).
	commit uint64
}

// flagOptions are the mount options without a value this driver takes.
// Those without a function change nothing here: they choose the kernel's
// timing, allocation, journalling or I/O (this driver writes through
// libext2fs straight to the device, with no page cache and no journal
// transactions), or checks of permissions it does not make (it acts as
// root).
var flagOptions = map[string]func(*options){
	"": nil, "defaults": nil, "rw": nil, "async": nil, "sync": nil,
	"atime": nil, "noatime": nil, "relatime": nil, "norelatime": nil, "strictatime": nil,
	"diratime": nil, "nodiratime": nil, "lazytime": nil, "nolazytime": nil,
	"dev": nil, "nodev": nil, "exec": nil, "noexec": nil, "suid": nil, "nosuid": nil,
	"acl": nil, "noacl": nil, "barrier": nil, "nobarrier": nil, "discard": nil, "nodiscard": nil,
	"nodelalloc": nil, "init_itable": nil, "noinit_itable": nil, "noquota": nil,

	"ro":                   func(o *options) { o.readOnly = true },
	"norecovery":           func(o *options) { o.noRecovery = true },
	"noload":               func(o *options) { o.noRecovery = true },
	"user_xattr":           func(o *options) { o.noUserXattr = false },
	"nouser_xattr":         func(o *options) { o.noUserXattr = true },
	"delalloc":             func(o *options) { o.delalloc = true },
	"journal_checksum":     func(o *options) { o.journalChecksum = true },
	"journal_async_commit": func(o *options) { o.asyncCommit, o.journalChecksum = true, true },
	"grpid":                func(o *options) { o.grpid = 1 },
	"bsdgroups":            func(o *options) { o.grpid = 1 },
	"nogrpid":              func(o *options) { o.grpid = -1 },
	"sysvgroups":           func(o *options) { o.grpid = -1 },
}

// numberOptions are the mount options with a number (a u32, in C's
// notation: 0x1f, 017) this driver takes; none changes how it writes
// (commit= is checked against the journal, checkOptions).
var numberOptions = map[string]bool{
	"commit": true, "barrier": true, "init_itable": true, "max_batch_time": true,
	"min_batch_time": true, "stripe": true, "resuid": true, "resgid": true,
}

// quotaOptions are refused: this driver does not keep quota files.
var quotaOptions = map[string]bool{
	"quota": true, "usrquota": true, "grpquota": true, "prjquota": true,
	"usrjquota": true, "grpjquota": true, "jqfmt": true,
}

// maxCommit is the kernel's largest commit interval, INT_MAX/HZ seconds
// (HZ 1000, the strictest).
const maxCommit = (1<<31 - 1) / 1000

// parseOptions reads the mount options, as ext4 takes them (a later
// option overrides an earlier one); what depends on the filesystem is
// checked by checkOptions.
func parseOptions(o fs.OpenOptions) (options, error) {
	r := options{readOnly: o.ReadOnly}
	for _, opt := range strings.Split(o.Options, ",") {
		key, val, hasVal := strings.Cut(opt, "=")
		if set, ok := flagOptions[opt]; ok {
			if set != nil {
				set(&r)
			}
			continue
		}
		switch {
		case quotaOptions[key]:
			return r, errno.New(syscall.EINVAL, "mount option %q: quotas are not kept by the ext driver", errno.Cut(opt))
		case opt == "errors=continue" || opt == "errors=remount-ro" || opt == "errors=panic":
		case opt == "data=ordered" || opt == "data=writeback" || opt == "data=journal":
			r.data = val
		case hasVal && numberOptions[key]:
			n, err := parseU32(val)
			if err != nil || (key == "commit" && n > maxCommit) || ((key == "resuid" || key == "resgid") && n == 1<<32-1) {
				return r, errno.New(syscall.EINVAL, "mount option %q: bad value", errno.Cut(opt))
			}
			if key == "commit" {
				r.commit = n
			}
		default:
			return r, errno.New(syscall.EINVAL, "mount option %q: not understood by the ext driver", errno.Cut(opt))
		}
	}
	if r.noRecovery && !r.readOnly {
		return r, errno.New(syscall.EINVAL, "mount option norecovery (noload): needs a read-only mount")
	}
	return r, nil
}

// parseU32 reads a number as the kernel's kstrtouint with base 0 does.
func parseU32(s string) (uint64, error) {
	s = strings.TrimPrefix(s, "+")
	base := 10
	switch {
	case strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X"):
		s, base = s[2:], 16
	case len(s) > 1 && s[0] == '0':
		s, base = s[1:], 8
	}
	if s == "" || strings.ContainsAny(s, "+-_") {
		return 0, syscall.EINVAL
	}
	return strconv.ParseUint(s, base, 32)
}

// Default mount options of s_default_mount_opts (EXT2_DEFM_*, EXT3_DEFM_*),
// and the kernel's default commit interval.
const (
	defmBSDGroups     = 0x0002
	defmJModeMask     = 0x0060
	defmJModeData     = 0x0020
	defmJModeOrder    = 0x0040
	defmJModeWBack    = 0x0060
	defaultCommitSecs = 5
)

// checkOptions refuses, as ext4_fill_super does, journalling options on a
// filesystem without a journal (journal_checksum, journal_async_commit,
// a commit interval or a data= mode other than the default) and with one
// journal_async_commit in data=ordered mode and data=journal with
// delalloc. It returns whether new inodes get their directory's group
// (grpid, or bsdgroups in the superblock's default mount options).
func (o options) checkOptions(sb *disk.Superblock) (grpid bool, err error) {
	defData := map[uint32]string{defmJModeData: "journal", defmJModeOrder: "ordered", defmJModeWBack: "writeback"}[sb.DefaultMountOpts&defmJModeMask]
	if sb.Compat&disk.CompatHasJournal == 0 {
		switch {
		case o.asyncCommit:
			return false, errno.New(syscall.EINVAL, "mount option journal_async_commit: the filesystem has no journal")
		case o.journalChecksum:
			return false, errno.New(syscall.EINVAL, "mount option journal_checksum: the filesystem has no journal")
		case o.commit != 0 && o.commit != defaultCommitSecs:
			return false, errno.New(syscall.EINVAL, "mount option commit=%d: the filesystem has no journal", o.commit)
		case o.data != "" && o.data != defData:
			return false, errno.New(syscall.EINVAL, "mount option data=%s: the filesystem has no journal", o.data)
		}
	} else {
		data := o.data
		if data == "" {
			data = defData
		}
		if data == "" {
			data = "ordered"
		}
		switch {
		case o.asyncCommit && data == "ordered":
			return false, errno.New(syscall.EINVAL, "mount option journal_async_commit: not in data=ordered mode")
		case o.delalloc && data == "journal":
			return false, errno.New(syscall.EINVAL, "mount options data=journal and delalloc: not both")
		}
	}
	switch o.grpid {
	case 1:
		return true, nil
	case -1:
		return false, nil
	}
	return sb.DefaultMountOpts&defmBSDGroups != 0, nil
}
