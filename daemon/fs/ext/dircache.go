package ext

// #include <stdlib.h>
// #include "ops.h"
import "C"

import (
	"encoding/binary"
	"unsafe"
)

// maxCachedNames bounds the names the directory cache holds; past it the
// cache starts again empty.
const maxCachedNames = 1 << 20

// dirCache holds the names of the directories that lookups read, so that
// a lookup costs a map access: libext2fs's own lookup reads the whole
// directory every time, above all for a name that is not there, which is
// every create. Every change to a directory's names goes through this
// driver, which keeps the cache in step (add, remove, forget), and a
// failed change empties it. Used with the filesystem's mutex held.
type dirCache struct {
	dirs  map[C.ext2_ino_t]map[string]C.ext2_ino_t
	names int
}

// reset empties the cache.
func (c *dirCache) reset() {
	c.dirs = nil
	c.names = 0
}

// add records that dir holds name (ino), when dir is cached.
func (c *dirCache) add(dir C.ext2_ino_t, name string, ino C.ext2_ino_t) {
	if m, ok := c.dirs[dir]; ok {
		if _, had := m[name]; !had {
			c.names++
		}
		m[name] = ino
	}
}

// remove records that dir no longer holds name.
func (c *dirCache) remove(dir C.ext2_ino_t, name string) {
	if m, ok := c.dirs[dir]; ok {
		if _, had := m[name]; had {
			delete(m, name)
			c.names--
		}
	}
}

// forget drops the directory dir (removed, or replaced).
func (c *dirCache) forget(dir C.ext2_ino_t) {
	c.names -= len(c.dirs[dir])
	delete(c.dirs, dir)
}

// loadDir reads the directory dir into the cache and returns its names
// (the first entry of a name a corrupt directory holds twice, as
// libext2fs's lookup finds it; none that cannot be a file name, badName),
// or false when it cannot be read.
func (f *FS) loadDir(dir C.ext2_ino_t) (map[string]C.ext2_ino_t, bool) {
	if m, ok := f.dc.dirs[dir]; ok {
		return m, true
	}
	var buf *C.char
	var n C.size_t
	if e := C.e2_readdir(f.fs, dir, &buf, &n); e != 0 {
		return nil, false
	}
	defer C.e2_free_mem(unsafe.Pointer(buf))
	raw := unsafe.Slice((*byte)(unsafe.Pointer(buf)), int(n))
	m := map[string]C.ext2_ino_t{}
	for len(raw) >= 6 {
		l := int(raw[5])
		if len(raw) < 6+l {
			break
		}
		name := string(raw[6 : 6+l])
		if _, dup := m[name]; !dup && !badName(name) {
			m[name] = C.ext2_ino_t(binary.NativeEndian.Uint32(raw))
		}
		raw = raw[6+l:]
	}
	if f.dc.names+len(m) > maxCachedNames {
		f.dc.reset()
	}
	if f.dc.dirs == nil {
		f.dc.dirs = map[C.ext2_ino_t]map[string]C.ext2_ino_t{}
	}
	f.dc.dirs[dir] = m
	f.dc.names += len(m)
	return m, true
}
