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
	smallImgs [2][]byte
)

// small is testdata/small.img.gz (or, with nocsum, small-nocsum.img.gz,
// where a mutation is not stopped by a checksum): a 256 KiB ext4 (1 KiB
// blocks, inline_data, no journal) made by mke2fs -d with files,
// directories and fast and slow symbolic links.
func small(t testing.TB, nocsum bool) []byte {
	smallOnce.Do(func() {
		for i, name := range []string{"testdata/small.img.gz", "testdata/small-nocsum.img.gz"} {
			f, err := os.Open(name)
			if err != nil {
				t.Fatal(err)
			}
			z, err := gzip.NewReader(f)
			if err != nil {
				t.Fatal(err)
			}
			if smallImgs[i], err = io.ReadAll(z); err != nil {
				t.Fatal(err)
			}
			f.Close()
		}
	})
	if nocsum {
		return smallImgs[1]
	}
	return smallImgs[0]
}

// FuzzOpenWalk XORs mask into one of the two small images' metadata
// (from the superblock on) and opens and walks the result: errors are
// fine, a crash or a hang is not.
func FuzzOpenWalk(f *testing.F) {
	f.Add(false, []byte{})
	f.Add(true, append(make([]byte, 0x38), 0x01)) // superblock magic
	f.Fuzz(func(t *testing.T, nocsum bool, mask []byte) {
		img := append(memDev(nil), small(t, nocsum)...)
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
	for _, nocsum := range []bool{false, true} {
		x, err := Open(append(memDev(nil), small(t, nocsum)...), fs.OpenOptions{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		checkSmall(t, x)
		x.Close()
	}
}

func checkSmall(t *testing.T, x *FS) {
	if got := readFile(t, x, "/dir/link"); !bytes.Equal(got, []byte("hello\n")) {
		t.Fatalf("/dir/link reads %q", got)
	}
	if got := readFile(t, x, "/dir/sub/c"); !bytes.Equal(got, []byte("deep\n")) {
		t.Fatalf("/dir/sub/c reads %q", got)
	}
}
