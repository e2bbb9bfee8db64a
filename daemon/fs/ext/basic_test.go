package ext

import (
	"bytes"
	"os"
	"strconv"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"goguestfs/daemon/fs"
)

var layouts = []struct {
	name string
	args []string
}{
	{"ext2-1k", []string{"-t", "ext2", "-b", "1024"}},
	{"ext3-1k", []string{"-t", "ext3", "-b", "1024"}},
	{"ext3-4k", []string{"-t", "ext3", "-b", "4096"}},
	{"ext4-1k", []string{"-t", "ext4", "-b", "1024"}},
	{"ext4-4k", []string{"-t", "ext4", "-b", "4096"}},
	{"ext4-inline", []string{"-t", "ext4", "-O", "inline_data"}},
	{"ext4-32bit-nocsum", []string{"-t", "ext4", "-O", "^metadata_csum,^64bit", "-I", "128"}},
}

func TestOperations(t *testing.T) {
	for _, l := range layouts {
		t.Run(l.name, func(t *testing.T) {
			im := mkfsAt(t, 3<<20, 32<<10, l.args...)
			f, done := im.open(fs.OpenOptions{})
			big := bytes.Repeat([]byte("hello ext via go\n"), 200000)
			require.NoError(t, f.Mkdir("/dir", 0o755))
			writeFile(t, f, "/dir/file", big, os.O_CREATE|os.O_WRONLY)
			assert.Equal(t, big, readFile(t, f, "/dir/file"))
			require.NoError(t, f.Symlink("file", "/dir/short"))
			long := string(bytes.Repeat([]byte("x/"), 200))
			require.NoError(t, f.Symlink(long, "/dir/long"))
			got, err := f.Readlink("/dir/long")
			require.NoError(t, err)
			assert.Equal(t, long, got)
			assert.Equal(t, big, readFile(t, f, "/dir/short"))
			require.NoError(t, f.Link("/dir/file", "/hard"))
			require.NoError(t, f.Chmod("/hard", 0o600))
			require.NoError(t, f.Chown("/hard", 1000, 100000))
			st, err := f.Stat("/dir/file")
			require.NoError(t, err)
			assert.Equal(t, uint64(2), st.Nlink)
			assert.Equal(t, os.FileMode(0o600), st.Mode)
			assert.Equal(t, uint32(100000), st.Gid)
			require.NoError(t, f.SetXattr("/hard", "user.test", []byte("value")))
			v, err := f.GetXattr("/dir/file", "user.test")
			require.NoError(t, err)
			assert.Equal(t, "value", string(v))
			_, err = f.GetXattr("/dir/file", "user.none")
			assert.ErrorIs(t, err, syscall.ENODATA)
			require.NoError(t, f.Mkdir("/many", 0o755))
			for i := 0; i < 300; i++ {
				writeFile(t, f, "/many/some-rather-long-file-name-"+strconv.Itoa(i), []byte(strconv.Itoa(i)), os.O_CREATE|os.O_WRONLY)
			}
			for i := 0; i < 300; i += 2 {
				require.NoError(t, f.Remove("/many/some-rather-long-file-name-"+strconv.Itoa(i)))
			}
			ents, err := f.ReadDir("/many")
			require.NoError(t, err)
			assert.Len(t, ents, 150)
			require.NoError(t, f.Rename("/dir", "/many/moved"))
			require.NoError(t, f.Rename("/hard", "/many/moved/file"))
			assert.ErrorIs(t, f.Remove("/many"), syscall.ENOTEMPTY)
			require.NoError(t, f.Close())
			done()
			raw, err := os.ReadFile(im.path)
			require.NoError(t, err)
			outside := append(append([]byte(nil), raw[:im.off]...), raw[im.off+im.size:]...)
			assert.Equal(t, bytes.Repeat([]byte{0xA5}, len(outside)), outside, "written outside the partition")
			im.fsck()
			assert.Equal(t, big, im.cat("/many/moved/file"))
			assert.Equal(t, "3", string(im.cat("/many/some-rather-long-file-name-3")))
		})
	}
}
