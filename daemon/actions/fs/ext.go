package fs

import (
	"sort"
	"syscall"

	"goguestfs/daemon/devices"
	"goguestfs/daemon/errno"
	"goguestfs/daemon/fstools"
	"goguestfs/daemon/server"
)

// makeExt is mkfs of ext2, ext3 or ext4: mke2fs -t fstype -F with mkfs's
// options.
func (a *Actions) makeExt(c *server.Call, fstype string, d *devices.Device, o *server.MkfsOptsOpts) error {
	if o.Sectorsize != nil {
		return errno.New(syscall.EINVAL, "%s: sectorsize applies to vfat only", d.Name)
	}
	eo, err := fstools.MkfsOptions{Blocksize: o.Blocksize, Features: o.Features, Inode: o.Inode, Label: o.Label}.Ext(fstype)
	if err != nil {
		return errno.Wrap(d.Name, err)
	}
	return fstools.MakeExt(d, eo)
}

// Mke2fs runs mke2fs with libguestfs's options.
func (a *Actions) Mke2fs(c *server.Call, d *devices.Device, o *server.Mke2fsOpts) error {
	if err := a.busy(d); err != nil {
		return err
	}
	return fstools.MakeExt(d, fstools.ExtOptions{
		BlocksCount: o.Blockscount, BlockSize: o.Blocksize, FragSize: o.Fragsize,
		BlocksPerGroup: o.Blockspergroup, NumberOfGroups: o.Numberofgroups, BytesPerInode: o.Bytesperinode,
		InodeSize: o.Inodesize, JournalSize: o.Journalsize, NumberOfInodes: o.Numberofinodes,
		StrideSize: o.Stridesize, StripeWidth: o.Stripewidth, MaxOnlineResize: o.Maxonlineresize,
		ReservedBlocksPercentage: o.Reservedblockspercentage, MMPUpdateInterval: o.Mmpupdateinterval,
		JournalDevice: o.Journaldevice, Label: o.Label, LastMountedDir: o.Lastmounteddir,
		CreatorOS: o.Creatoros, FSType: o.Fstype, UsageType: o.Usagetype, UUID: o.UUID,
		ForceCreate: o.Forcecreate, WriteSBAndGroupOnly: o.Writesbandgrouponly,
		LazyITableInit: o.Lazyitableinit, LazyJournalInit: o.Lazyjournalinit, TestFS: o.Testfs,
		Discard: o.Discard, QuotaType: o.Quotatype, Extent: o.Extent, FileType: o.Filetype,
		FlexBG: o.Flexbg, HasJournal: o.Hasjournal, JournalDev: o.Journaldev, LargeFile: o.Largefile,
		Quota: o.Quota, ResizeInode: o.Resizeinode, SparseSuper: o.Sparsesuper, UninitBG: o.Uninitbg,
	})
}

// Fsck runs the real checker and returns its status.
func (a *Actions) Fsck(c *server.Call, fstype string, d *devices.Device) (int, error) {
	if err := a.busy(d); err != nil {
		return 0, err
	}
	status, err := fstools.Fsck(d, fstype)
	return status, err
}

// E2fsck runs e2fsck -f.
func (a *Actions) E2fsck(c *server.Call, d *devices.Device, o *server.E2fsckOpts) error {
	if err := a.busy(d); err != nil {
		return err
	}
	return fstools.E2fsck(d, o.Correct != nil && *o.Correct, o.Forceall != nil && *o.Forceall)
}

// Zerofree zeroes the free blocks of an ext filesystem.
func (a *Actions) Zerofree(c *server.Call, d *devices.Device) error {
	if err := a.busy(d); err != nil {
		return err
	}
	return fstools.Zerofree(d)
}

// Tune2fsL returns the superblock's fields as tune2fs -l prints them. A
// mounted filesystem is synced first, so that the superblock is current.
func (a *Actions) Tune2fsL(c *server.Call, d *devices.Device) ([][2]string, error) {
	if m := a.ns.ByDevice(d.Name); m != nil {
		if err := m.FS.Sync(); err != nil {
			return nil, errno.Wrap(d.Name, err)
		}
	}
	fields, err := fstools.Tune2fsL(d)
	if err != nil {
		return nil, err
	}
	return sortedPairs(fields), nil
}

// sortedPairs returns a map as key/value pairs in key order.
func sortedPairs(m map[string]string) [][2]string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([][2]string, 0, len(keys))
	for _, k := range keys {
		out = append(out, [2]string{k, m[k]})
	}
	return out
}
