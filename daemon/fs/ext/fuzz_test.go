package ext

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path"
	"sync"
	"testing"

	"goguestfs/daemon/fs"
)

// memDev is an in-memory device.
type memDev []byte

func (m memDev) ReadAt(p []byte, off int64) (int, error) {
	if off >= int64(len(m)) {
		return 0, io.EOF
	}
	n := copy(p, m[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (m memDev) WriteAt(p []byte, off int64) (int, error) {
	if off+int64(len(p)) > int64(len(m)) {
		return 0, io.ErrShortWrite
	}
	return copy(m[off:], p), nil
}

func (m memDev) Size() int64       { return int64(len(m)) }
func (m memDev) SectorSize() int64 { return 512 }

var (
	smallOnce sync.Once
	smallImg  []byte
)

// small is testdata/small.img.gz: a 256 KiB ext4 (1 KiB blocks,
// inline_data, no journal) made by mke2fs -d with files, directories and
// fast and slow symbolic links.
func small(t testing.TB) []byte {
	smallOnce.Do(func() {
		f, err := os.Open("testdata/small.img.gz")
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		z, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		smallImg, err = io.ReadAll(z)
		if err != nil {
			t.Fatal(err)
		}
	})
	return smallImg
}

// FuzzOpenWalk XORs the input into the image's metadata (from the
// superblock on) and opens and walks the result: errors are fine, a crash
// or a hang is not.
func FuzzOpenWalk(f *testing.F) {
	f.Add([]byte{})
	f.Add(append(make([]byte, 0x38), 0x01)) // superblock magic
	f.Fuzz(func(t *testing.T, mask []byte) {
		img := append(memDev(nil), small(t)...)
		if len(mask) > 64<<10 {
			mask = mask[:64<<10]
		}
		for i, b := range mask {
			img[1024+i] ^= b
		}
		x, err := Open(img, fs.OpenOptions{ReadOnly: true})
		if err != nil {
			return
		}
		defer x.Close()
		budget := 500
		var walk func(string, int)
		walk = func(dir string, depth int) {
			ents, err := x.ReadDir(dir)
			if err != nil || depth > 8 {
				return
			}
			for _, e := range ents {
				if budget--; budget < 0 {
					return
				}
				p := path.Join(dir, e.Name)
				st, err := x.Stat(p)
				if err != nil {
					continue
				}
				_, _ = x.ListXattrs(p)
				switch {
				case st.Mode.IsDir():
					walk(p, depth+1)
				case st.Mode&os.ModeSymlink != 0:
					_, _ = x.Readlink(p)
				case st.Mode.IsRegular():
					if h, err := x.OpenFile(p, os.O_RDONLY, 0); err == nil {
						b := make([]byte, 64<<10)
						_, _ = h.ReadAt(b, 0)
						_ = h.Close()
					}
				}
			}
		}
		walk("/", 0)
		_, _ = x.StatFS()
	})
}

// TestSmallImage checks that the fuzz base image reads back as mke2fs -d
// wrote it.
func TestSmallImage(t *testing.T) {
	x, err := Open(append(memDev(nil), small(t)...), fs.OpenOptions{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if got := readFile(t, x, "/dir/link"); !bytes.Equal(got, []byte("hello\n")) {
		t.Fatalf("/dir/link reads %q", got)
	}
	if got := readFile(t, x, "/dir/sub/c"); !bytes.Equal(got, []byte("deep\n")) {
		t.Fatalf("/dir/sub/c reads %q", got)
	}
}
