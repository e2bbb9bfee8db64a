package ext

import (
	"container/list"
	"errors"
	"fmt"
	"io"
	"sort"
	"sync"
	"syscall"

	"goguestfs/daemon/blockdev"
	"goguestfs/daemon/fs"
)

// cacheBlock is the cache's unit; entries are keyed by their byte offset,
// so libext2fs changing its channel block size needs no flush.
const cacheBlock = 4096

// cacheBlocks bounds the cache: 16 MiB per filesystem.
const cacheBlocks = 4096

type centry struct {
	off   int64
	data  []byte
	dirty bool
}

// cachedDev is the device under one filesystem's io channel, behind a
// bounded LRU write-back cache. It never reads or writes past the device's
// end. Its lock is its own: callbacks run under the filesystem's mutex and
// must not take it.
type cachedDev struct {
	mu      sync.Mutex
	dev     fs.Device
	size    int64
	max     int
	lru     *list.List // of *centry, most recent first
	entries map[int64]*list.Element
}

func newCachedDev(dev fs.Device, max int) *cachedDev {
	return &cachedDev{dev: dev, size: dev.Size(), max: max, lru: list.New(), entries: map[int64]*list.Element{}}
}

// ReadAt reads through the cache (it lets the journal replay share it).
func (c *cachedDev) ReadAt(p []byte, off int64) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.rw(p, off, false); err != nil {
		return 0, err
	}
	return len(p), nil
}

// WriteAt writes into the cache; Flush writes it back.
func (c *cachedDev) WriteAt(p []byte, off int64) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.rw(p, off, true); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Zero writes n zero bytes at off.
func (c *cachedDev) Zero(off, n int64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	z := make([]byte, min(n, 64<<10))
	for n > 0 {
		k := min(n, int64(len(z)))
		if err := c.rw(z[:k], off, true); err != nil {
			return err
		}
		off += k
		n -= k
	}
	return nil
}

// Flush writes back every dirty block in offset order, then flushes the
// device when it can (a Drive's or a partition's drive's Flush, or a Sync
// method).
func (c *cachedDev) Flush() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.writeback(); err != nil {
		return err
	}
	switch d := c.dev.(type) {
	case *blockdev.Part:
		return d.Drive.Flush()
	case interface{ Flush() error }:
		return d.Flush()
	case interface{ Sync() error }:
		return d.Sync()
	}
	return nil
}

// Drop empties the cache, after writing back what is dirty.
func (c *cachedDev) Drop() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.writeback(); err != nil {
		return err
	}
	c.lru.Init()
	c.entries = map[int64]*list.Element{}
	return nil
}

func (c *cachedDev) writeback() error {
	var dirty []*centry
	for _, el := range c.entries {
		if e := el.Value.(*centry); e.dirty {
			dirty = append(dirty, e)
		}
	}
	sort.Slice(dirty, func(a, b int) bool { return dirty[a].off < dirty[b].off })
	for _, e := range dirty {
		if err := c.store(e); err != nil {
			return err
		}
	}
	return nil
}

func (c *cachedDev) store(e *centry) error {
	if _, err := c.dev.WriteAt(e.data, e.off); err != nil {
		return err
	}
	e.dirty = false
	return nil
}

// get returns the cache entry at the aligned offset off; whole is set when
// the caller overwrites all of it, so it need not be read.
func (c *cachedDev) get(off int64, whole bool) (*centry, error) {
	if el, ok := c.entries[off]; ok {
		c.lru.MoveToFront(el)
		return el.Value.(*centry), nil
	}
	// An evicted entry is reused, so that streaming through a full
	// cache makes no garbage (the daemon's memory stays flat).
	var e *centry
	for c.lru.Len() >= c.max {
		el := c.lru.Back()
		e = el.Value.(*centry)
		if e.dirty {
			if err := c.store(e); err != nil {
				return nil, err
			}
		}
		c.lru.Remove(el)
		delete(c.entries, e.off)
	}
	if n := min(cacheBlock, c.size-off); e == nil || int64(len(e.data)) != n {
		e = &centry{data: make([]byte, n)}
	}
	e.off, e.dirty = off, false
	if !whole {
		n, err := c.dev.ReadAt(e.data, off)
		if err != nil && !(errors.Is(err, io.EOF) && n == len(e.data)) {
			return nil, err
		}
	}
	c.entries[off] = c.lru.PushFront(e)
	return e, nil
}

func (c *cachedDev) rw(p []byte, off int64, write bool) error {
	if off < 0 || off > c.size || int64(len(p)) > c.size-off {
		return fmt.Errorf("%d bytes at %d are outside the device (%d bytes): %w", len(p), off, c.size, syscall.EIO)
	}
	for len(p) > 0 {
		boff := off &^ (cacheBlock - 1)
		in := int(off - boff)
		n := min(len(p), cacheBlock-in)
		e, err := c.get(boff, write && in == 0 && (n == cacheBlock || boff+int64(n) == c.size))
		if err != nil {
			return err
		}
		if write {
			copy(e.data[in:], p[:n])
			e.dirty = true
		} else {
			copy(p[:n], e.data[in:])
		}
		p = p[n:]
		off += int64(n)
	}
	return nil
}
