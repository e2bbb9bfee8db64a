package fstest

import (
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"goguestfs/daemon/errno"
	"goguestfs/daemon/fs"
)

// ReadlinkFS is an FS with symbolic links.
type ReadlinkFS interface {
	fs.FS
	fs.Readlinker
}

// Entry is one file as the driver shows it: what Stat says, a link's
// target, and the SHA-256 of a regular file's contents ("EIO" for a file
// whose Stat fails with EIO).
type Entry struct {
	FI     fs.FileInfo
	Target string
	Sum    string
}

// Walk lists every file of x by path, reading each regular file whole.
func Walk(t testing.TB, x ReadlinkFS) map[string]Entry {
	t.Helper()
	out := map[string]Entry{}
	var rec func(p string)
	rec = func(p string) {
		ents, err := x.ReadDir(p)
		require.NoError(t, err, "ReadDir %s", p)
		for _, e := range ents {
			c := path.Join(p, e.Name)
			fi, err := x.Stat(c)
			if err != nil && errno.Of(err) == syscall.EIO {
				out[c] = Entry{Sum: "EIO"}
				continue
			}
			require.NoError(t, err, "Stat %s", c)
			require.Equal(t, e.Type, fi.Mode.Type(), "%s: ReadDir and Stat disagree on the type", c)
			en := Entry{FI: fi}
			switch {
			case fi.Mode.IsDir():
				rec(c)
			case fi.Mode&os.ModeSymlink != 0:
				en.Target, err = x.Readlink(c)
				require.NoError(t, err)
			case fi.Mode.IsRegular():
				h, err := x.OpenFile(c, os.O_RDONLY, 0)
				require.NoError(t, err, "open %s", c)
				s := sha256.New()
				_, err = io.Copy(s, io.NewSectionReader(h, 0, fi.Size+1))
				require.NoError(t, err, "read %s", c)
				require.NoError(t, h.Close())
				en.Sum = fmt.Sprintf("%x", s.Sum(nil))
			}
			out[c] = en
		}
	}
	rec("/")
	return out
}

// SameKeys fails the test now unless want and got list the same paths.
func SameKeys[V, W any](t testing.TB, want map[string]V, got map[string]W) {
	t.Helper()
	var missing, extra []string
	for k := range want {
		if _, ok := got[k]; !ok {
			missing = append(missing, k)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			extra = append(extra, k)
		}
	}
	require.Empty(t, missing, "paths the driver does not show")
	require.Empty(t, extra, "paths the driver shows and the tool does not")
}

// Exercise is for fuzzing and damaged images: it asks x's StatFS, walks
// everything x shows (at most 5000 entries, 12 directories deep), reading
// at most limit bytes of each file, calls each (if not nil) on every path
// Stat accepts, and closes x. It must never panic or hang.
func Exercise(x ReadlinkFS, limit int64, each func(path string)) {
	if s, ok := x.(fs.StatFSer); ok {
		s.StatFS()
	}
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
			if each != nil {
				each(c)
			}
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
