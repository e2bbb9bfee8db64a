package vfat

import (
	"fmt"

	"goguestfs/daemon/blockdev"
	"goguestfs/daemon/errno"
	"goguestfs/daemon/fs"
)

var _ fs.FreeSpaceZeroer = (*FS)(nil)

// zeroWindow is the span of the data area scanned between two progress
// reports and cancellation checks.
const zeroWindow = 64 << 20

// ZeroFreeSpace makes every free cluster (FAT entry 0) read as zeros on
// the device (blockdev.Zero: holes where the device can punch them),
// after writing the FAT: clusters in use, bad clusters and the clusters
// of removed files still open are never touched, nor the reserved
// sectors, the FATs or a FAT12/16 root directory. progress gets clusters
// scanned of the filesystem's clusters; cancelled is checked every 64 MiB
// scanned.
func (f *FS) ZeroFreeSpace(progress func(done, total uint64), cancelled func() error) error {
	if err := f.check(true); err != nil {
		return err
	}
	if err := f.flushFAT(); err != nil {
		return err
	}
	total := uint64(f.g.ClusterCount)
	window := uint32(max(zeroWindow/f.g.ClusterSize, 1))
	end := f.g.TotalSectors * f.g.SectorSize
	progress(0, total)
	for w := uint32(2); w <= f.maxCluster(); w += window {
		if err := cancelled(); err != nil {
			return err
		}
		last := min(w+window-1, f.maxCluster())
		for c := w; c <= last; {
			if f.fatGet(c) != 0 {
				c++
				continue
			}
			s := c
			for c <= last && f.fatGet(c) == 0 {
				c++
			}
			off := f.g.ClusterOffset(s)
			n := min(int64(c-s)*f.g.ClusterSize, end-off)
			if err := blockdev.Zero(f.dev, off, n); err != nil {
				return errno.Wrap(fmt.Sprintf("zeroing free clusters %d-%d", s, c-1), err)
			}
		}
		progress(uint64(last-1), total)
	}
	return nil
}
