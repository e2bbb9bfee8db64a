package vfat

import (
	"encoding/binary"
	"syscall"

	"goguestfs/daemon/errno"
	"goguestfs/daemon/fs/vfat/layout"
)

// The FAT is held in memory as the raw bytes of the first FAT; changed
// sectors are marked and written to every FAT copy by Sync.

func (f *FS) fatGet(c uint32) uint32 {
	switch f.g.FATType {
	case layout.FAT12:
		off := c * 3 / 2
		v := uint32(f.fat[off]) | uint32(f.fat[off+1])<<8
		if c&1 != 0 {
			return v >> 4
		}
		return v & 0xFFF
	case layout.FAT16:
		return uint32(binary.LittleEndian.Uint16(f.fat[2*c:]))
	default:
		return binary.LittleEndian.Uint32(f.fat[4*c:]) & 0x0FFFFFFF
	}
}

func (f *FS) fatSet(c, v uint32) {
	var off, n uint32
	switch f.g.FATType {
	case layout.FAT12:
		off, n = c*3/2, 2
		v &= 0xFFF
		if c&1 != 0 {
			f.fat[off] = f.fat[off]&0x0F | byte(v<<4)
			f.fat[off+1] = byte(v >> 4)
		} else {
			f.fat[off] = byte(v)
			f.fat[off+1] = f.fat[off+1]&0xF0 | byte(v>>8)
		}
	case layout.FAT16:
		off, n = 2*c, 2
		binary.LittleEndian.PutUint16(f.fat[off:], uint16(v))
	default:
		off, n = 4*c, 4
		old := binary.LittleEndian.Uint32(f.fat[off:])
		binary.LittleEndian.PutUint32(f.fat[off:], old&0xF0000000|v&0x0FFFFFFF)
	}
	ss := uint32(f.g.SectorSize)
	f.dirtyFAT[off/ss] = true
	f.dirtyFAT[(off+n-1)/ss] = true
}

// eoc is the end-of-chain mark written; isEOC accepts any.
func (f *FS) eoc() uint32 {
	switch f.g.FATType {
	case layout.FAT12:
		return 0xFFF
	case layout.FAT16:
		return 0xFFFF
	}
	return 0x0FFFFFFF
}

func (f *FS) isEOC(v uint32) bool {
	switch f.g.FATType {
	case layout.FAT12:
		return v >= 0xFF8
	case layout.FAT16:
		return v >= 0xFFF8
	}
	return v >= 0x0FFFFFF8
}

func (f *FS) maxCluster() uint32 { return f.g.ClusterCount + 1 }

func (f *FS) validCluster(c uint32) bool { return c >= 2 && c <= f.maxCluster() }

// chain returns the clusters of the chain starting at first, EIO for a
// chain that leaves the FAT, reaches a free or bad cluster, or loops.
func (f *FS) chain(first uint32) ([]uint32, error) {
	if first == 0 {
		return nil, nil
	}
	var out []uint32
	c := first
	for {
		if !f.validCluster(c) {
			return nil, errno.New(syscall.EIO, "corrupt FAT: cluster %d out of range", c)
		}
		if uint32(len(out)) >= f.g.ClusterCount {
			return nil, errno.New(syscall.EIO, "corrupt FAT: cluster chain from %d loops", first)
		}
		out = append(out, c)
		v := f.fatGet(c)
		if f.isEOC(v) {
			return out, nil
		}
		if !f.validCluster(v) {
			return nil, errno.New(syscall.EIO, "corrupt FAT: cluster %d links to %#x", c, v)
		}
		c = v
	}
}

// alloc takes n free clusters, linked in a chain ending in EOC, and links
// the chain after last (0 for a new chain). It takes all or none: ENOSPC.
func (f *FS) alloc(n int, last uint32) ([]uint32, error) {
	if n <= 0 {
		return nil, nil
	}
	if uint64(n) > uint64(f.free) {
		return nil, errno.New(syscall.ENOSPC, "no space left on device")
	}
	out := make([]uint32, 0, n)
	c := f.next
	if !f.validCluster(c) {
		c = 2
	}
	for scanned := uint32(0); scanned < f.g.ClusterCount && len(out) < n; scanned++ {
		if f.fatGet(c) == 0 {
			out = append(out, c)
		}
		c++
		if c > f.maxCluster() {
			c = 2
		}
	}
	if len(out) < n {
		// The free count was wrong: recount and refuse.
		f.countFree()
		return nil, errno.New(syscall.ENOSPC, "no space left on device")
	}
	for i, c := range out {
		if i+1 < len(out) {
			f.fatSet(c, out[i+1])
		} else {
			f.fatSet(c, f.eoc())
		}
	}
	if last != 0 {
		f.fatSet(last, out[0])
	}
	f.free -= uint32(n)
	f.next = out[len(out)-1] + 1
	if f.next > f.maxCluster() {
		f.next = 2
	}
	f.fsinfoDirty = true
	return out, nil
}

// freeChain frees the clusters cs.
func (f *FS) freeChain(cs []uint32) {
	f.dropFreed(cs)
	for _, c := range cs {
		f.fatSet(c, 0)
		f.free++
	}
	if len(cs) > 0 {
		f.fsinfoDirty = true
	}
}

func (f *FS) countFree() {
	var n uint32
	for c := uint32(2); c <= f.maxCluster(); c++ {
		if f.fatGet(c) == 0 {
			n++
		}
	}
	f.free = n
	f.fsinfoDirty = true
}

// flushFAT writes the changed FAT sectors to every copy and the FSInfo.
func (f *FS) flushFAT() error {
	ss := f.g.SectorSize
	for s := range f.dirtyFAT {
		b := f.fat[int64(s)*ss : int64(s+1)*ss]
		for i := 0; i < f.g.NumFATs; i++ {
			if err := f.writeAt(b, f.g.FATStart+int64(i)*f.g.FATSize+int64(s)*ss); err != nil {
				return err
			}
		}
		delete(f.dirtyFAT, s)
	}
	if f.fsinfoDirty && f.g.FSInfoSector != 0 {
		b := make([]byte, ss)
		off := f.g.FSInfoSector * ss
		if err := f.readAt(b, off); err != nil {
			return err
		}
		layout.EncodeFSInfo(b, f.free, f.next)
		if err := f.writeAt(b, off); err != nil {
			return err
		}
	}
	f.fsinfoDirty = false
	return nil
}
