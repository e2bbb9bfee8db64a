package fstools

import (
	"strconv"
	"strings"
	"syscall"

	"goguestfs/daemon/errno"
	"goguestfs/daemon/fs"
)

// ExtOptions are the optional arguments of MakeExt: those of libguestfs's
// mke2fs, by its names, and Features for mkfs's (see MkfsOptions). A nil
// field is an argument not given; each given one becomes an mke2fs flag as
// libguestfs's daemon/ext2.c (do_mke2fs) makes it, except where noted and
// for -E: libguestfs passes one -E per option, of which mke2fs keeps only
// the last; MakeExt joins them into one.
type ExtOptions struct {
	BlocksCount     *int64 // blockscount: the filesystem's size in blocks (mke2fs's last argument)
	BlockSize       *int64 // blocksize: -b
	FragSize        *int64 // fragsize: -f
	BlocksPerGroup  *int64 // blockspergroup: -g
	NumberOfGroups  *int64 // numberofgroups: -G (the flex_bg group size)
	BytesPerInode   *int64 // bytesperinode: -i
	InodeSize       *int64 // inodesize: -I
	JournalSize     *int64 // journalsize: -J size= (MiB)
	NumberOfInodes  *int64 // numberofinodes: -N
	StrideSize      *int64 // stridesize: -E stride=
	StripeWidth     *int64 // stripewidth: -E stripe_width=
	MaxOnlineResize *int64 // maxonlineresize: -E resize=
	// ReservedBlocksPercentage is reservedblockspercentage: -m.
	ReservedBlocksPercentage *int
	// MMPUpdateInterval is mmpupdateinterval: -E mmp_update_interval=.
	MMPUpdateInterval *int
	// JournalDevice is journaldevice, an external journal on another
	// device (-J device=): refused with ENOTSUP, since mke2fs would have
	// to open that device by name.
	JournalDevice  *string
	Label          *string // label: -L; more than 16 bytes is EINVAL (mke2fs would cut it)
	LastMountedDir *string // lastmounteddir: -M; more than 64 bytes is EINVAL (ditto)
	CreatorOS      *string // creatoros: -o
	FSType         *string // fstype: -t, one of ext2, ext3, ext4
	UsageType      *string // usagetype: -T
	UUID           *string // uuid: -U
	ForceCreate    *bool   // forcecreate: -F when true
	// WriteSBAndGroupOnly is writesbandgrouponly: -S when true, to
	// rewrite the superblocks and group descriptors of a damaged
	// filesystem and keep the rest (then run E2fsck). mke2fs then runs on
	// a copy of the device, with -E nodiscard (a discard would zero the
	// copy, as it does a device that can discard), and the blocks it
	// changed are written back. It needs ForceCreate (mke2fs asks for a
	// confirmation otherwise) and the filesystem's parameters, for
	// metadata_csum its UUID too.
	WriteSBAndGroupOnly *bool
	LazyITableInit      *bool // lazyitableinit: -E lazy_itable_init=0/1
	LazyJournalInit     *bool // lazyjournalinit: -E lazy_journal_init=0/1
	TestFS              *bool // testfs: -E test_fs when true
	// TestBadBlocks is mke2fs -c (a scan for bad blocks, with the
	// badblocks program on the device by name): refused with ENOTSUP
	// when true. The copy it would scan is memory, which has none.
	TestBadBlocks *bool
	Discard       *bool // discard: -E discard or -E nodiscard
	// QuotaType is quotatype, which libguestfs accepts and ignores (a
	// boolean cannot name mke2fs's -E quotatype= list); so does MakeExt.
	QuotaType *bool
	// The feature switches: -O name or -O ^name.
	Extent      *bool // extent
	FileType    *bool // filetype
	FlexBG      *bool // flexbg: -O flex_bg (libguestfs passes "flexbg", which mke2fs refuses)
	HasJournal  *bool // hasjournal: has_journal
	JournalDev  *bool // journaldev: journal_dev (make an external journal device)
	LargeFile   *bool // largefile: large_file
	Quota       *bool // quota
	ResizeInode *bool // resizeinode: resize_inode
	SparseSuper *bool // sparsesuper: sparse_super
	UninitBG    *bool // uninitbg: uninit_bg
	// Features is mkfs's features argument: -O as given.
	Features *string
}

// maxLabel and maxLastMounted are the sizes of the superblock's fields.
const (
	maxLabel       = 16
	maxLastMounted = 64
)

// MkfsOptions are the optional arguments of libguestfs's mkfs that apply
// to ext2/3/4 (its sectorsize applies to ufs only), typed as mkfs_opts's.
type MkfsOptions struct {
	Blocksize *int    // blocksize: -b, a power of 2
	Features  *string // features: -O as given
	Inode     *int    // inode: -I, the inode size
	Label     *string // label: -L
}

// Ext returns the options that mkfs for fstype (ext2, ext3 or ext4) gives
// MakeExt, after mkfs's own checks (libguestfs daemon/mkfs.c): mke2fs -t
// fstype -F, with -b, -O, -I and -L as given. A bad value fails with
// EINVAL.
func (m MkfsOptions) Ext(fstype string) (ExtOptions, error) {
	if !isExt(fstype) {
		return ExtOptions{}, errno.New(syscall.EINVAL, "%s: not an ext2, ext3 or ext4 filesystem type", errno.Cut(fstype))
	}
	if b := m.Blocksize; b != nil && (*b <= 0 || *b&(*b-1) != 0) {
		return ExtOptions{}, errno.New(syscall.EINVAL, "blocksize %d: must be > 0 and a power of 2", *b)
	}
	if i := m.Inode; i != nil && *i <= 0 {
		return ExtOptions{}, errno.New(syscall.EINVAL, "inode %d: the inode size must be larger than zero", *i)
	}
	force := true
	return ExtOptions{
		FSType:      &fstype,
		ForceCreate: &force,
		BlockSize:   wide(m.Blocksize),
		Features:    m.Features,
		InodeSize:   wide(m.Inode),
		Label:       m.Label,
	}, nil
}

// superOnly reports whether mke2fs -S is asked for.
func (o ExtOptions) superOnly() bool {
	return o.WriteSBAndGroupOnly != nil && *o.WriteSBAndGroupOnly
}

// wide returns v as an *int64.
func wide(v *int) *int64 {
	if v == nil {
		return nil
	}
	x := int64(*v)
	return &x
}

// isExt reports whether t is an ext filesystem type mke2fs makes.
func isExt(t string) bool { return t == "ext2" || t == "ext3" || t == "ext4" }

// args returns mke2fs's arguments before the device, and after it (the
// blocks count), or EINVAL/ENOTSUP for options it cannot take. Where
// libguestfs passes several -E options (of which mke2fs keeps only the
// last), they are joined into one.
func (o ExtOptions) args(name string) (before, after []string, err error) {
	fail := func(e syscall.Errno, format string, a ...any) {
		if err == nil {
			err = errno.New(e, "%s: "+format, append([]any{name}, a...)...)
		}
	}
	if o.JournalDevice != nil {
		fail(syscall.ENOTSUP, "journaldevice %s: an external journal on another device is not supported", errno.Cut(*o.JournalDevice))
	}
	if o.TestBadBlocks != nil && *o.TestBadBlocks {
		fail(syscall.ENOTSUP, "testbadblocks: a bad block scan (mke2fs -c) is not supported")
	}
	if o.FSType != nil && !isExt(*o.FSType) {
		fail(syscall.EINVAL, "%s: not a valid extended filesystem type", errno.Cut(*o.FSType))
	}
	if o.Label != nil && len(*o.Label) > maxLabel {
		fail(syscall.EINVAL, "label %q: ext2/3/4 labels are limited to %d bytes", errno.Cut(*o.Label), maxLabel)
	}
	if o.LastMountedDir != nil && len(*o.LastMountedDir) > maxLastMounted {
		fail(syscall.EINVAL, "lastmounteddir %q: limited to %d bytes", errno.Cut(*o.LastMountedDir), maxLastMounted)
	}
	if o.superOnly() {
		if o.ForceCreate == nil || !*o.ForceCreate {
			fail(syscall.EINVAL, "writesbandgrouponly needs forcecreate (mke2fs -S asks for a confirmation)")
		}
		if o.Discard != nil && *o.Discard {
			fail(syscall.EINVAL, "writesbandgrouponly keeps the filesystem's data, which discard would destroy")
		}
	}
	if o.JournalSize != nil && o.HasJournal != nil && !*o.HasJournal {
		fail(syscall.EINVAL, "journalsize needs a journal, but hasjournal is false")
	}
	if o.JournalDev != nil && *o.JournalDev {
		if o.HasJournal != nil && *o.HasJournal {
			fail(syscall.EINVAL, "journaldev makes an external journal device, which cannot have a journal (hasjournal)")
		}
		if o.JournalSize != nil {
			fail(syscall.EINVAL, "journaldev makes an external journal device, whose size is the device's (journalsize is for a journal inside a filesystem)")
		}
	}

	var a, ext []string
	num := func(flag, opt string, v *int64, prefix string) {
		switch {
		case v == nil:
		case *v < 0:
			fail(syscall.EINVAL, "%s must be >= 0, not %d", opt, *v)
		case flag == "-E":
			ext = append(ext, prefix+strconv.FormatInt(*v, 10))
		default:
			a = append(a, flag, prefix+strconv.FormatInt(*v, 10))
		}
	}
	str := func(flag string, v *string) {
		if v != nil {
			a = append(a, flag, *v)
		}
	}
	flag := func(f string, v *bool) {
		if v != nil && *v {
			a = append(a, f)
		}
	}
	extSwitch := func(v *bool, on, off string) {
		switch {
		case v == nil:
		case *v:
			ext = append(ext, on)
		case off != "":
			ext = append(ext, off)
		}
	}
	feature := func(v *bool, name string) {
		switch {
		case v == nil:
		case *v:
			a = append(a, "-O", name)
		default:
			a = append(a, "-O", "^"+name)
		}
	}

	num("-b", "blocksize", o.BlockSize, "")
	num("-f", "fragsize", o.FragSize, "")
	flag("-F", o.ForceCreate)
	num("-g", "blockspergroup", o.BlocksPerGroup, "")
	num("-G", "numberofgroups", o.NumberOfGroups, "")
	num("-i", "bytesperinode", o.BytesPerInode, "")
	num("-I", "inodesize", o.InodeSize, "")
	num("-J", "journalsize", o.JournalSize, "size=")
	str("-L", o.Label)
	num("-m", "reservedblockspercentage", wide(o.ReservedBlocksPercentage), "")
	str("-M", o.LastMountedDir)
	num("-N", "numberofinodes", o.NumberOfInodes, "")
	str("-o", o.CreatorOS)
	flag("-S", o.WriteSBAndGroupOnly)
	str("-t", o.FSType)
	str("-T", o.UsageType)
	str("-U", o.UUID)
	num("-E", "mmpupdateinterval", wide(o.MMPUpdateInterval), "mmp_update_interval=")
	num("-E", "stridesize", o.StrideSize, "stride=")
	num("-E", "stripewidth", o.StripeWidth, "stripe_width=")
	num("-E", "maxonlineresize", o.MaxOnlineResize, "resize=")
	extSwitch(o.LazyITableInit, "lazy_itable_init=1", "lazy_itable_init=0")
	extSwitch(o.LazyJournalInit, "lazy_journal_init=1", "lazy_journal_init=0")
	extSwitch(o.TestFS, "test_fs", "")
	extSwitch(o.Discard, "discard", "nodiscard")
	if o.superOnly() && o.Discard == nil {
		ext = append(ext, "nodiscard")
	}
	if len(ext) > 0 {
		a = append(a, "-E", strings.Join(ext, ","))
	}
	feature(o.Extent, "extent")
	feature(o.FileType, "filetype")
	feature(o.FlexBG, "flex_bg")
	feature(o.HasJournal, "has_journal")
	feature(o.JournalDev, "journal_dev")
	feature(o.LargeFile, "large_file")
	feature(o.Quota, "quota")
	feature(o.ResizeInode, "resize_inode")
	feature(o.SparseSuper, "sparse_super")
	feature(o.UninitBG, "uninit_bg")
	str("-O", o.Features)
	if o.BlocksCount != nil {
		if *o.BlocksCount < 0 {
			fail(syscall.EINVAL, "blockscount must be >= 0, not %d", *o.BlocksCount)
		}
		after = []string{strconv.FormatInt(*o.BlocksCount, 10)}
	}
	if err != nil {
		return nil, nil, err
	}
	return a, after, nil
}

// MakeExt makes an ext2, ext3 or ext4 filesystem on dev with mke2fs and
// the options o (libguestfs's mke2fs, and mkfs through MkfsOptions.Ext).
// mke2fs runs on an empty memfd the size of dev; then the memfd's data is
// copied to dev and every other byte of dev made to read as zero, so that
// dev holds exactly what mke2fs made (nothing of what was there before).
// With WriteSBAndGroupOnly it runs on a copy of dev instead and changes
// only what it rewrote. Options that make no sense fail with EINVAL before
// mke2fs runs, those that would need a host path with ENOTSUP; mke2fs's
// own refusal fails with EINVAL and its message. A device set read-only
// fails with EROFS.
func MakeExt(dev fs.Device, o ExtOptions) error {
	name := devName(dev)
	before, after, err := o.args(name)
	if err != nil {
		return err
	}
	args := append(append(before, memPath), after...)
	if o.superOnly() {
		res, err := onCopy(dev, "mke2fs", "mke2fs", args, false)
		if err == nil && res.status != 0 {
			err = toolError(syscall.EINVAL, name, "mke2fs", res)
		}
		return err
	}
	if err := checkWritable(name, dev); err != nil {
		return err
	}
	path, err := toolPath(name, "mke2fs")
	if err != nil {
		return err
	}
	mem, err := newMem(name, dev.Size())
	if err != nil {
		return err
	}
	defer mem.Close()
	res, err := runTool(name, path, "mke2fs", args, mem, false)
	if err != nil {
		return err
	}
	if res.status != 0 {
		return toolError(syscall.EINVAL, name, "mke2fs", res)
	}
	return copyOut(name, dev, mem)
}
