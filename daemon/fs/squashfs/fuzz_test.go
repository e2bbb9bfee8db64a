package squashfs

import (
	"testing"

	"goguestfs/daemon/fs"
	"goguestfs/daemon/fs/fstest"
)

// exercise walks everything x shows, reading at most limit bytes of each
// file; it must never panic or hang.
func exercise(x *FS, limit int64) {
	fstest.Exercise(x, limit, func(c string) { x.LListXattrs(c) })
}

// FuzzOpenWalk mounts mutated copies of the committed images, walks them
// and reads every file (up to 1 MiB).
func FuzzOpenWalk(f *testing.F) {
	for _, n := range compressors {
		f.Add(seed(f, n))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fstest.OpenEach(Driver{}, data, []string{""}, func(x fs.FS) { exercise(x.(*FS), 1<<20) })
	})
}
