package transfer_test

import (
	"bytes"
	stdgzip "compress/gzip"
	"crypto/rand"
	"io"
	mrand "math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	kgzip "github.com/klauspost/compress/gzip"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"goguestfs/daemon/daemontest"
)

// cpMixed returns n bytes of mixed content, as a disk holds: in each 1 MiB,
// three quarters of words of text and a quarter of random bytes.
func cpMixed(n int) []byte {
	words := strings.Fields("the quick brown fox jumps over a lazy dog while libguestfs copies files " +
		"between devices and directories of ext4 and vfat filesystems in bounded memory")
	r := mrand.New(mrand.NewPCG(1, 2))
	var b bytes.Buffer
	for b.Len() < n {
		end := b.Len() + 768<<10
		for b.Len() < end {
			b.WriteString(words[r.IntN(len(words))])
			b.WriteByte(" \n"[r.IntN(2)])
		}
		junk := make([]byte, 256<<10)
		rand.Read(junk)
		b.Write(junk)
	}
	return b.Bytes()[:n]
}

// benchGzip compresses 64 MiB of mixed content at level 6 per iteration
// with the writer that newWriter makes.
func benchGzip(b *testing.B, newWriter func(io.Writer) (io.WriteCloser, error)) {
	data := cpMixed(64 << 20)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	var size int
	for range b.N {
		var out countWriter
		w, err := newWriter(&out)
		require.NoError(b, err)
		for i := 0; i < len(data); i += 1 << 20 {
			_, err = w.Write(data[i:min(i+1<<20, len(data))])
			require.NoError(b, err)
		}
		require.NoError(b, w.Close())
		size = int(out)
	}
	b.ReportMetric(float64(size)/float64(len(data)), "ratio")
}

// countWriter counts the bytes written to it.
type countWriter int

// Write counts p.
func (c *countWriter) Write(p []byte) (int, error) { *c += countWriter(len(p)); return len(p), nil }

// BenchmarkGzipStdlib is compress/gzip at level 6.
func BenchmarkGzipStdlib(b *testing.B) {
	benchGzip(b, func(w io.Writer) (io.WriteCloser, error) { return stdgzip.NewWriterLevel(w, 6) })
}

// BenchmarkGzipKlauspost is github.com/klauspost/compress/gzip at level 6
// (what compress_out uses).
func BenchmarkGzipKlauspost(b *testing.B) {
	benchGzip(b, func(w io.Writer) (io.WriteCloser, error) { return kgzip.NewWriterLevel(w, 6) })
}

// TestCompressOut compresses guest files and checks the output with the
// host's gzip: the original bytes at every level, progress for 24 MiB, a
// pipe as the destination, and the refusals.
func TestCompressOut(t *testing.T) {
	img := fsImage(t, 96<<20, "mkfs.ext4", "-q", "-F")
	data := cpMixed(24 << 20)
	raw := filepath.Join(t.TempDir(), "data")
	require.NoError(t, os.WriteFile(raw, data, 0o644))
	d := daemontest.Start(t, img, raw)
	require.NoError(t, d.Call("mount", nil, "/dev/sda", "/"))
	require.NoError(t, d.Call("write", nil, "/small", data[:100000]))
	require.NoError(t, d.Call("copy_device_to_file", nil, "/dev/sdb", "/big"))
	require.Equal(t, sha(data), cpSum(t, d, "/big"))

	zfile := filepath.Join(t.TempDir(), "big.gz")
	progress, err := d.CallOpts("compress_out", nil, nil, "gzip", "/big", create(t, zfile))
	require.NoError(t, err)
	cpProgress(t, progress, 24<<20)
	out, err := exec.Command("gzip", "-t", zfile).CombinedOutput()
	require.NoError(t, err, "%s", out)
	unz, err := exec.Command("zcat", zfile).Output()
	require.NoError(t, err)
	assert.Equal(t, sha(data), sha(unz))

	var sizes []int64
	for _, level := range []int{1, 6, 9} {
		z := filepath.Join(t.TempDir(), "small.gz")
		_, err := d.CallOpts("compress_out", map[int]any{0: level}, nil, "gzip", "/small", create(t, z))
		require.NoError(t, err)
		unz, err := exec.Command("zcat", z).Output()
		require.NoError(t, err)
		assert.Equal(t, data[:100000], unz, "level %d", level)
		fi, err := os.Stat(z)
		require.NoError(t, err)
		sizes = append(sizes, fi.Size())
	}
	assert.GreaterOrEqual(t, sizes[0], sizes[2], "level 9 compresses at least as well as level 1")

	// An empty file, to a pipe.
	require.NoError(t, d.Call("touch", nil, "/empty"))
	r, w, err := os.Pipe()
	require.NoError(t, err)
	defer r.Close()
	got := make(chan []byte)
	go func() {
		zr, err := stdgzip.NewReader(r)
		if err != nil {
			got <- nil
			return
		}
		b, _ := io.ReadAll(zr)
		got <- append([]byte{}, b...)
	}()
	require.NoError(t, d.Call("compress_out", nil, "gzip", "/empty", w))
	w.Close()
	assert.Equal(t, []byte{}, <-got)

	f := create(t, filepath.Join(t.TempDir(), "x.gz"))
	for _, c := range []struct {
		ctype string
		level any
		file  string
		want  syscall.Errno
	}{
		{"xz", nil, "/small", syscall.ENOTSUP},
		{"bzip2", nil, "/small", syscall.ENOTSUP},
		{"compress", nil, "/small", syscall.ENOTSUP},
		{"lzop", nil, "/small", syscall.ENOTSUP},
		{"zip", nil, "/small", syscall.EINVAL},
		{"gzip", 0, "/small", syscall.EINVAL},
		{"gzip", 10, "/small", syscall.EINVAL},
		{"gzip", -1, "/small", syscall.EINVAL},
		{"gzip", nil, "/nope", syscall.ENOENT},
		{"gzip", nil, "/", syscall.EISDIR},
	} {
		opts := map[int]any{}
		if c.level != nil {
			opts[0] = c.level
		}
		_, err := d.CallOpts("compress_out", opts, nil, c.ctype, c.file, f)
		assert.Equal(t, c.want, errnoOf(t, err), "%s %v %s: %v", c.ctype, c.level, c.file, err)
	}
	assert.Equal(t, syscall.EINTR, errnoOf(t, d.CallCancelled("compress_out", "gzip", "/big", f)))
	check(t, d, img, "e2fsck", "-fn")
}
