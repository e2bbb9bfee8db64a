package squashfs

import (
	"os"
	"path"
	"testing"
	"time"

	"goguestfs/daemon/fs"
)

// exercise walks everything x shows, reading at most limit bytes of each
// file; it must never panic or hang.
func exercise(x *FS, limit int64) {
	x.StatFS()
	budget := 5000
	var walk func(p string, depth int)
	walk = func(p string, depth int) {
		ents, err := x.ReadDir(p)
		if err != nil || depth > 12 {
			return
		}
		for _, e := range ents {
			if budget--; budget <= 0 {
				return
			}
			c := path.Join(p, e.Name)
			fi, err := x.Stat(c)
			if err != nil {
				continue
			}
			x.LListXattrs(c)
			switch {
			case fi.Mode.IsDir():
				walk(c, depth+1)
			case fi.Mode&os.ModeSymlink != 0:
				x.Readlink(c)
				x.Stat(c + "/x")
			default:
				if h, err := x.OpenFile(c, os.O_RDONLY, 0); err == nil {
					b := make([]byte, 64<<10)
					for off := int64(0); off < min(fi.Size, limit); off += int64(len(b)) {
						if _, err := h.ReadAt(b, off); err != nil {
							break
						}
					}
					h.Stat()
					h.Close()
				}
			}
		}
	}
	walk("/", 0)
	x.Close()
}

// FuzzOpenWalk mounts mutated copies of the committed images, walks them
// and reads every file (up to 1 MiB).
func FuzzOpenWalk(f *testing.F) {
	for _, n := range compressors {
		f.Add(seed(f, n))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		watch := time.AfterFunc(5*time.Second, func() { panic("FuzzOpenWalk: an input took over 5 s") })
		defer watch.Stop()
		dev := &memDev{b: data}
		Driver{}.Probe(dev)
		for _, o := range []string{""} {
			x, err := Driver{}.Open(dev, fs.OpenOptions{ReadOnly: true, Options: o})
			if err != nil {
				continue
			}
			exercise(x.(*FS), 1<<20)
		}
	})
}
