package vfat

import (
	"bytes"
	"os"
	"testing"
	"time"

	"goguestfs/daemon/fs"
	"goguestfs/daemon/fs/vfat/layout"
)

// fuzzDevSize is the device the fuzzed bytes are laid on (zero-padded):
// small images keep the fuzzer fast.
const fuzzDevSize = 160 << 10

func fuzzDev(data []byte) *memDev {
	b := make([]byte, fuzzDevSize)
	copy(b, data)
	return &memDev{b: b}
}

// seedImage is a small FAT12 image with long names, a subdirectory and
// files of a few clusters, trimmed of its trailing zeros.
func seedImage(tb testing.TB, fatType int) []byte {
	size := int64(fuzzDevSize)
	m, err := layout.NewMkfs(size, fatType, 0, [11]byte{'S', 'E', 'E', 'D', ' ', ' ', ' ', ' ', ' ', ' ', ' '}, 0x12345678)
	if err != nil {
		tb.Fatal(err)
	}
	dev := &memDev{b: make([]byte, size)}
	if err := format(dev, m, time.Date(2024, 1, 2, 3, 4, 6, 0, time.UTC)); err != nil {
		tb.Fatal(err)
	}
	x, err := open(dev, false)
	if err != nil {
		tb.Fatal(err)
	}
	x.now = func() time.Time { return time.Date(2024, 1, 2, 3, 4, 6, 0, time.UTC) }
	x.Mkdir("/EFI", 0o755)
	x.Mkdir("/EFI/BOOT", 0o755)
	for i, p := range []string{"/EFI/BOOT/BOOTX64.EFI", "/a long file name.txt", "/readme.txt", "/EFI/Mixed Case Name"} {
		h, err := x.OpenFile(p, os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			tb.Fatal(err)
		}
		h.WriteAt(bytes.Repeat([]byte{byte('a' + i)}, 700*i+10), 0)
		h.Close()
	}
	x.Close()
	return bytes.TrimRight(dev.b, "\x00")
}

// exercise walks everything the image holds, reading each file, and
// with write set changes a few things; it must never panic or hang.
func exercise(dev fs.Device, write bool) {
	Driver{}.Probe(dev)
	x, err := Driver{}.Open(dev, fs.OpenOptions{ReadOnly: !write})
	if err != nil {
		return
	}
	v := x.(*FS)
	v.Label()
	v.UUID()
	v.StatFS()
	budget := 2000
	var walk func(p string, depth int)
	walk = func(p string, depth int) {
		if depth > 6 || budget <= 0 {
			return
		}
		ents, err := x.ReadDir(p)
		if err != nil {
			return
		}
		for _, e := range ents {
			budget--
			if budget <= 0 {
				return
			}
			c := p + "/" + e.Name
			if p == "/" {
				c = "/" + e.Name
			}
			if _, err := x.Stat(c); err != nil {
				continue
			}
			if e.Type.IsDir() {
				walk(c, depth+1)
				continue
			}
			if h, err := x.OpenFile(c, os.O_RDONLY, 0); err == nil {
				h.ReadAt(make([]byte, 4096), 0)
				h.Close()
			}
			if write {
				if h, err := x.OpenFile(c, os.O_RDWR, 0); err == nil {
					h.WriteAt([]byte("fuzz"), 100)
					h.Truncate(50)
					h.Close()
				}
			}
		}
	}
	walk("/", 0)
	if write {
		if h, err := x.OpenFile("/new file.txt", os.O_CREATE|os.O_RDWR, 0o644); err == nil {
			h.WriteAt(make([]byte, 3000), 0)
			h.Close()
		}
		v.Mkdir("/New Dir", 0o755)
		v.Rename("/new file.txt", "/New Dir/moved")
		v.Rename("/EFI", "/New Dir/EFI")
		v.Remove("/readme.txt")
		v.SetLabel("FUZZ")
		v.Sync()
	}
	x.Close()
}

func addSeeds(f *testing.F) {
	f.Add(seedImage(f, 12))
	f.Add([]byte{})
	f.Add(make([]byte, 512))
}

// FuzzOpen mounts mutated images read-only and walks them.
func FuzzOpen(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > fuzzDevSize {
			data = data[:fuzzDevSize]
		}
		watch := time.AfterFunc(5*time.Second, func() { panic("FuzzOpen: an input took over 5 s") })
		defer watch.Stop()
		exercise(fuzzDev(data), false)
	})
}

// FuzzWalk mounts mutated images read-write, walks them and changes them.
func FuzzWalk(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > fuzzDevSize {
			data = data[:fuzzDevSize]
		}
		watch := time.AfterFunc(5*time.Second, func() { panic("FuzzWalk: an input took over 5 s") })
		defer watch.Stop()
		exercise(fuzzDev(data), true)
	})
}
