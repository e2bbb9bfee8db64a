package vfat

import (
	"bytes"
	"encoding/binary"
	"io"
	iofs "io/fs"
	"os"
	"os/exec"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"goguestfs/daemon/errno"
	"goguestfs/daemon/fs"
	"goguestfs/daemon/fs/vfat/layout"
)

type imgCase struct {
	name string
	make func(t testing.TB) string
	typ  int
}

func ourFormat(size int64, fatType, spc int) func(t testing.TB) string {
	return func(t testing.TB) string {
		img := newImage(t, size)
		m, err := layout.NewMkfs(size, fatType, spc, layout.NoName, 0xCAFE1234)
		require.NoError(t, err)
		require.NoError(t, format(openDev(t, img), m, time.Now()))
		return img
	}
}

func mkfsFat(size int64, args ...string) func(t testing.TB) string {
	return func(t testing.TB) string { return mkfsImage(t, size, args...) }
}

var imgCases = []imgCase{
	{"mkfs-fat12", mkfsFat(4 << 20), 12},
	{"mkfs-fat16", mkfsFat(40 << 20), 16},
	{"mkfs-fat32", mkfsFat(40<<20, "-F", "32", "-s", "1"), 32},
	{"mkfs-fat32-4k-sectors", mkfsFat(300<<20, "-F", "32", "-S", "4096"), 32},
	{"mkfs-fat16-2k-sectors", mkfsFat(60<<20, "-F", "16", "-S", "2048"), 16},
	{"ours-fat12", ourFormat(2<<20, 0, 0), 12},
	{"ours-fat16", ourFormat(20<<20, 0, 0), 16},
	{"ours-fat32", ourFormat(600<<20, 0, 0), 32},
}

func write(t *testing.T, x *FS, path string, data []byte) {
	t.Helper()
	h, err := x.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	require.NoError(t, err, path)
	_, err = h.WriteAt(data, 0)
	require.NoError(t, err, path)
	require.NoError(t, h.Close())
}

func read(t *testing.T, x *FS, path string) []byte {
	t.Helper()
	h, err := x.OpenFile(path, os.O_RDONLY, 0)
	require.NoError(t, err, path)
	defer h.Close()
	st, err := h.Stat()
	require.NoError(t, err)
	b := make([]byte, st.Size)
	n, err := h.ReadAt(b, 0)
	if err != io.EOF {
		require.NoError(t, err)
	}
	return b[:n]
}

func isErrno(t *testing.T, want syscall.Errno, err error, msg ...any) {
	t.Helper()
	require.Error(t, err, msg...)
	assert.Equal(t, want, errno.Of(err), append([]any{"%v"}, err)...)
}

func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7) + seed + byte(i>>9)
	}
	return b
}

func TestReadWriteCheckers(t *testing.T) {
	need(t, "fsck.fat", "mcopy", "mdir")
	long := strings.Repeat("x", 240) + ".long"
	files := map[string][]byte{
		"/readme.txt":                     []byte("lower"),
		"/CAPS.TXT":                       []byte("upper"),
		"/Mixed.Txt":                      []byte("mixed"),
		"/a long file name with spaces.c": pattern(10000, 1),
		"/héllo wörld.txt":                []byte("unicode"),
		"/a+b,c;d=e.g":                    []byte("replaced chars"),
		"/.hidden":                        []byte("dot"),
		"/" + long:                        []byte("255"),
		"/Dir/Sub/deep.bin":               pattern(70000, 2),
		"/Dir/empty":                      nil,
		"/EFI/BOOT/BOOTX64.EFI":           pattern(5000, 3),
	}
	for _, c := range imgCases {
		t.Run(c.name, func(t *testing.T) {
			img := c.make(t)
			x := mount(t, img, false)
			assert.Equal(t, c.typ, x.g.FATType)
			for _, d := range []string{"/Dir", "/Dir/Sub", "/EFI", "/EFI/BOOT"} {
				require.NoError(t, x.Mkdir(d, 0o755))
			}
			for p, data := range files {
				write(t, x, p, data)
			}
			// Case-insensitive lookup, case preserved.
			assert.Equal(t, []byte("mixed"), read(t, x, "/MIXED.TXT"))
			assert.Equal(t, pattern(70000, 2), read(t, x, "/dir/SUB/Deep.Bin"))
			st, err := x.Stat("/mixed.txt")
			require.NoError(t, err)
			assert.Equal(t, "Mixed.Txt", st.Name)
			assert.Equal(t, iofs.FileMode(0755), st.Mode)
			st, err = x.Stat("/Dir")
			require.NoError(t, err)
			assert.True(t, st.Mode.IsDir())
			assert.EqualValues(t, 3, st.Nlink)
			require.NoError(t, x.Close())
			fsck(t, img)

			var want []string
			for p, data := range files {
				want = append(want, p)
				assert.Equal(t, string(data), string(mcat(t, img, p)), p)
			}
			want = append(want, "/Dir/", "/Dir/Sub/", "/EFI/", "/EFI/BOOT/")
			sort.Strings(want)
			if data := mcat(t, img, "/readme.txt"); assert.Equal(t, []byte("lower"), data) {
				assert.Equal(t, want, mlist(t, img))
			}

			// Short names: 8.3 lower-case names stored with the NT flags,
			// others with an upper-case alias.
			x = mount(t, img, true)
			d, err := x.loadDir(x.root)
			require.NoError(t, err)
			shorts := map[string]string{}
			for _, e := range x.entries(d) {
				shorts[e.name] = string(e.de.Name[:])
			}
			assert.Equal(t, "README  TXT", shorts["readme.txt"])
			assert.Equal(t, "MIXED   TXT", shorts["Mixed.Txt"])
			assert.Equal(t, "ALONGF~1C  ", shorts["a long file name with spaces.c"])
			assert.Equal(t, "A_B_C_~1G  ", shorts["a+b,c;d=e.g"])
			assert.Equal(t, "HIDDEN~1   ", shorts[".hidden"])
			assert.Equal(t, "H_LLOW~1TXT", shorts["héllo wörld.txt"])
			require.NoError(t, x.Close())
		})
	}
}

func TestMtoolsWrittenRead(t *testing.T) {
	need(t, "mcopy", "mmd")
	img := mkfsImage(t, 8<<20)
	src := t.TempDir() + "/src.bin"
	data := pattern(123457, 9)
	require.NoError(t, os.WriteFile(src, data, 0o644))
	mcmd(t, "mmd", "-i", img, "::/Some Dir")
	mcmd(t, "mcopy", "-i", img, src, "::/Some Dir/The Data File.bin")
	mcmd(t, "mcopy", "-i", img, src, "::/SHORT.BIN")
	x := mount(t, img, true)
	assert.Equal(t, data, read(t, x, "/some dir/the data file.BIN"))
	assert.Equal(t, data, read(t, x, "/short.bin"))
	ents, err := x.ReadDir("/")
	require.NoError(t, err)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name)
	}
	assert.ElementsMatch(t, []string{"Some Dir", "SHORT.BIN"}, names)
	require.NoError(t, x.Close())
}

func TestShortNameTails(t *testing.T) {
	need(t, "fsck.fat", "mdir")
	img := mkfsImage(t, 4<<20)
	x := mount(t, img, false)
	for i := 1; i <= 14; i++ {
		write(t, x, "/longfilename"+string(rune('a'+i))+".txt", []byte{byte(i)})
	}
	d, err := x.loadDir(x.root)
	require.NoError(t, err)
	seen := map[string]bool{}
	for i, e := range x.entries(d) {
		s := string(e.de.Name[:])
		assert.False(t, seen[s], s)
		seen[s] = true
		if i < 9 {
			assert.Equal(t, "LONGFI~"+string(rune('1'+i))+"TXT", s)
		} else {
			assert.Regexp(t, `^LO[0-9A-F]{4}~[1-8]TXT$`, s)
		}
	}
	require.NoError(t, x.Close())
	fsck(t, img)
	assert.Len(t, mlist(t, img), 14)
}

func TestErrors(t *testing.T) {
	need(t, "fsck.fat")
	img := mkfsImage(t, 4<<20)
	x := mount(t, img, false)
	require.NoError(t, x.Mkdir("/d", 0o755))
	write(t, x, "/d/f", []byte("x"))
	write(t, x, "/file", []byte("y"))
	for _, bad := range []string{"/a*b", "/a?", "/a:b", "/a<b", "/a>b", "/a|b", "/a\"b", "/a\\b", "/a\x01b", "/trailing ", "/..."} {
		_, err := x.OpenFile(bad, os.O_CREATE|os.O_WRONLY, 0o644)
		isErrno(t, syscall.EINVAL, err, bad)
		isErrno(t, syscall.EINVAL, x.Mkdir(bad, 0o755), bad)
	}
	_, err := x.OpenFile("/"+strings.Repeat("n", 256), os.O_CREATE|os.O_WRONLY, 0o644)
	isErrno(t, syscall.ENAMETOOLONG, err)
	// Trailing dots are dropped, as Linux does.
	write(t, x, "/dotted.", []byte("z"))
	assert.Equal(t, []byte("z"), read(t, x, "/dotted"))

	isErrno(t, syscall.EEXIST, x.Mkdir("/d", 0o755))
	isErrno(t, syscall.EEXIST, x.Mkdir("/FILE", 0o755))
	_, err = x.OpenFile("/File", os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	isErrno(t, syscall.EEXIST, err)
	isErrno(t, syscall.ENOTEMPTY, x.Remove("/d"))
	_, err = x.OpenFile("/d", os.O_WRONLY, 0)
	isErrno(t, syscall.EISDIR, err)
	_, err = x.OpenFile("/file/x", os.O_CREATE|os.O_WRONLY, 0o644)
	isErrno(t, syscall.ENOTDIR, err)
	_, err = x.Stat("/file/x")
	isErrno(t, syscall.ENOTDIR, err)
	_, err = x.ReadDir("/file")
	isErrno(t, syscall.ENOTDIR, err)
	_, err = x.Stat("/nope")
	isErrno(t, syscall.ENOENT, err)
	isErrno(t, syscall.ENOENT, x.Remove("/nope"))
	isErrno(t, syscall.ENOENT, x.Mkdir("/nope/x", 0o755))
	isErrno(t, syscall.EPERM, x.Symlink("file", "/link"))
	isErrno(t, syscall.EPERM, x.Link("/file", "/link"))
	_, err = x.Readlink("/file")
	isErrno(t, syscall.EINVAL, err)
	isErrno(t, syscall.EPERM, x.Chown("/file", 1000, 1000))
	require.NoError(t, x.Chown("/file", 0, -1))
	isErrno(t, syscall.EISDIR, x.Rename("/file", "/d"))
	isErrno(t, syscall.ENOTDIR, x.Rename("/d", "/file"))
	isErrno(t, syscall.EINVAL, x.Rename("/d", "/d/sub"))
	isErrno(t, syscall.EISDIR, x.Rename("/dotted", "/d"))
	h, err := x.OpenFile("/file", os.O_RDWR, 0)
	require.NoError(t, err)
	_, err = h.WriteAt([]byte("x"), 1<<32-1)
	isErrno(t, syscall.EFBIG, err)
	isErrno(t, syscall.EFBIG, h.Truncate(1<<32))
	require.NoError(t, h.Close())
	require.NoError(t, x.Chmod("/file", 0o444))
	st, err := x.Stat("/file")
	require.NoError(t, err)
	assert.Equal(t, iofs.FileMode(0555), st.Mode)
	require.NoError(t, x.Chmod("/file", 0o644))
	require.NoError(t, x.Close())
	fsck(t, img)

	// Read-only: every change is EROFS and nothing is written.
	before, err := os.ReadFile(img)
	require.NoError(t, err)
	x = mount(t, img, true)
	_, err = x.OpenFile("/file", os.O_RDWR, 0)
	isErrno(t, syscall.EROFS, err)
	_, err = x.OpenFile("/new", os.O_CREATE|os.O_WRONLY, 0o644)
	isErrno(t, syscall.EROFS, err)
	_, err = x.OpenFile("/file", os.O_RDONLY|os.O_TRUNC, 0)
	isErrno(t, syscall.EROFS, err)
	isErrno(t, syscall.EROFS, x.Mkdir("/n", 0o755))
	isErrno(t, syscall.EROFS, x.Remove("/file"))
	isErrno(t, syscall.EROFS, x.Rename("/file", "/g"))
	isErrno(t, syscall.EROFS, x.Chmod("/file", 0))
	isErrno(t, syscall.EROFS, x.Chtimes("/file", time.Now(), time.Now()))
	isErrno(t, syscall.EROFS, x.SetLabel("X"))
	isErrno(t, syscall.EROFS, x.SetUUID("1234-5678"))
	isErrno(t, syscall.EROFS, x.Symlink("a", "/b"))
	assert.Equal(t, []byte("y"), read(t, x, "/file"))
	require.NoError(t, x.Close())
	after, err := os.ReadFile(img)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(before, after), "a read-only mount wrote")

	_, err = Driver{}.Open(openDev(t, img), fs.OpenOptions{Options: "bogus=1"})
	isErrno(t, syscall.EINVAL, err)
}

func TestRenameAndTimes(t *testing.T) {
	need(t, "fsck.fat", "mcopy", "mdir")
	img := mkfsImage(t, 40<<20, "-F", "32", "-s", "1")
	x := mount(t, img, false)
	require.NoError(t, x.Mkdir("/a", 0o755))
	require.NoError(t, x.Mkdir("/a/b", 0o755))
	require.NoError(t, x.Mkdir("/c", 0o755))
	write(t, x, "/a/b/f.txt", []byte("moved"))
	write(t, x, "/c/old", []byte("replaced"))
	require.NoError(t, x.Rename("/a/b", "/c/B2"))           // a directory to another parent
	require.NoError(t, x.Rename("/c/B2/f.txt", "/c/old"))   // replace a file
	require.NoError(t, x.Rename("/c/old", "/c/Old"))        // a change of case
	require.NoError(t, x.Rename("/a", "/A-renamed-longer")) // a long name
	assert.Equal(t, []byte("moved"), read(t, x, "/c/old"))
	mt := time.Date(2021, 3, 4, 5, 6, 8, 0, time.UTC)
	require.NoError(t, x.Chtimes("/c/Old", mt, mt))
	st, err := x.Stat("/c/OLD")
	require.NoError(t, err)
	assert.Equal(t, "Old", st.Name)
	assert.True(t, mt.Equal(st.Mtime), "%v", st.Mtime)
	assert.True(t, time.Date(2021, 3, 4, 0, 0, 0, 0, time.UTC).Equal(st.Atime), "%v", st.Atime)
	require.NoError(t, x.Close())
	fsck(t, img)
	assert.Equal(t, []string{"/A-renamed-longer/", "/c/", "/c/B2/", "/c/Old"}, mlist(t, img))
	assert.Equal(t, []byte("moved"), mcat(t, img, "/c/Old"))
	// ".." of the moved directory names its new parent.
	x = mount(t, img, true)
	n, err := x.resolve("/c/B2")
	require.NoError(t, err)
	c, err := x.resolve("/c")
	require.NoError(t, err)
	d, err := x.loadDir(n)
	require.NoError(t, err)
	assert.Equal(t, c.de.FirstClus, layout.ParseDirEntry(d.data[32:]).FirstClus)
	require.NoError(t, x.Close())
}

func TestTruncateHolesAppend(t *testing.T) {
	need(t, "fsck.fat", "mcopy")
	img := mkfsImage(t, 4<<20)
	x := mount(t, img, false)
	h, err := x.OpenFile("/f", os.O_RDWR|os.O_CREATE, 0o644)
	require.NoError(t, err)
	_, err = h.WriteAt([]byte("end"), 10000)
	require.NoError(t, err)
	want := append(make([]byte, 10000), "end"...)
	require.NoError(t, h.Truncate(5000))
	want = want[:5000]
	require.NoError(t, h.Truncate(9000))
	want = append(want, make([]byte, 4000)...)
	require.NoError(t, h.Close())
	h, err = x.OpenFile("/f", os.O_WRONLY|os.O_APPEND, 0)
	require.NoError(t, err)
	_, err = h.WriteAt([]byte("tail"), 0)
	require.NoError(t, err)
	want = append(want, "tail"...)
	require.NoError(t, h.Close())
	assert.Equal(t, want, read(t, x, "/f"))
	h, err = x.OpenFile("/f", os.O_RDONLY, 0)
	require.NoError(t, err)
	_, err = h.WriteAt([]byte("x"), 0)
	isErrno(t, syscall.EBADF, err)
	require.NoError(t, h.Close())
	require.NoError(t, x.Close())
	fsck(t, img)
	assert.Equal(t, want, mcat(t, img, "/f"))
}

func TestFullFilesystemAndRoot(t *testing.T) {
	need(t, "fsck.fat", "mcopy")
	img := mkfsImage(t, 2<<20)
	x := mount(t, img, false)
	write(t, x, "/keep", []byte("kept"))
	st0, err := x.StatFS()
	require.NoError(t, err)
	// The fixed root is full at 512 entries.
	var n int
	for n = 0; n < 1000; n++ {
		h, err := x.OpenFile("/r"+itoa(n), os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			isErrno(t, syscall.ENOSPC, err)
			break
		}
		require.NoError(t, h.Close())
	}
	assert.Equal(t, 511, n) // 512 slots, "keep" and r0..r510 short names alone
	require.NoError(t, x.Sync())
	fsck(t, img)
	for i := 0; i < n; i++ {
		require.NoError(t, x.Remove("/r"+itoa(i)))
	}
	// Data: fill, get ENOSPC, nothing else damaged.
	require.NoError(t, x.Mkdir("/d", 0o755))
	big := pattern(300000, 5)
	var written int
	for i := 0; ; i++ {
		h, err := x.OpenFile("/d/fill"+itoa(i), os.O_CREATE|os.O_WRONLY, 0o644)
		require.NoError(t, err)
		_, err = h.WriteAt(big, 0)
		require.NoError(t, h.Close())
		if err != nil {
			isErrno(t, syscall.ENOSPC, err)
			st, _ := x.Stat("/d/fill" + itoa(i))
			assert.EqualValues(t, 0, st.Size)
			break
		}
		written++
	}
	assert.Greater(t, written, 3)
	require.NoError(t, x.Close())
	fsck(t, img)
	assert.Equal(t, []byte("kept"), mcat(t, img, "/keep"))
	assert.Equal(t, big, mcat(t, img, "/d/fill"+itoa(0)))
	x = mount(t, img, false)
	for i := 0; i <= written; i++ {
		require.NoError(t, x.Remove("/d/fill"+itoa(i)))
	}
	require.NoError(t, x.Remove("/d"))
	st1, err := x.StatFS()
	require.NoError(t, err)
	assert.Equal(t, st0.Bfree, st1.Bfree, "clusters leaked")
	require.NoError(t, x.Close())
	fsck(t, img)
}

func itoa(i int) string {
	return strings.TrimLeft(string([]byte{byte('0' + i/1000%10), byte('0' + i/100%10), byte('0' + i/10%10), byte('0' + i%10)}), "")
}

func TestDirectoryGrowth(t *testing.T) {
	need(t, "fsck.fat", "mdir")
	img := mkfsImage(t, 40<<20, "-F", "32", "-s", "1")
	x := mount(t, img, false)
	st0, _ := x.StatFS()
	require.NoError(t, x.Mkdir("/big", 0o755))
	for i := 0; i < 300; i++ {
		write(t, x, "/big/a rather long file name number "+itoa(i)+".data", []byte(itoa(i)))
	}
	n, err := x.resolve("/big")
	require.NoError(t, err)
	cs, err := x.chain(n.de.FirstClus)
	require.NoError(t, err)
	assert.Greater(t, len(cs), 50)
	require.NoError(t, x.Sync())
	fsck(t, img)
	assert.Len(t, mlist(t, img), 301)
	for i := 0; i < 300; i += 2 {
		require.NoError(t, x.Remove("/big/A RATHER long file name number "+itoa(i)+".data"))
	}
	ents, err := x.ReadDir("/big")
	require.NoError(t, err)
	assert.Len(t, ents, 150)
	for i := 1; i < 300; i += 2 {
		require.NoError(t, x.Remove("/big/a rather long file name number "+itoa(i)+".data"))
	}
	require.NoError(t, x.Remove("/big"))
	st1, _ := x.StatFS()
	assert.Equal(t, st0.Bfree, st1.Bfree)
	require.NoError(t, x.Close())
	fsck(t, img)
}

func TestLabelUUID(t *testing.T) {
	need(t, "fsck.fat", "mlabel")
	for _, args := range [][]string{{"-F", "12"}, {"-F", "32", "-n", "OLD"}} {
		img := mkfsImage(t, 40<<20, append(args, "-i", "DEADBEEF")...)
		x := mount(t, img, false)
		u, err := x.UUID()
		require.NoError(t, err)
		assert.Equal(t, "DEAD-BEEF", u)
		require.NoError(t, x.SetLabel("NEW LABEL"))
		require.NoError(t, x.SetUUID("0123-ABCD"))
		isErrno(t, syscall.EINVAL, x.SetUUID("xyz"))
		isErrno(t, syscall.EINVAL, x.SetLabel("far too long a label"))
		isErrno(t, syscall.EINVAL, x.SetLabel("a*b"))
		l, err := x.Label()
		require.NoError(t, err)
		assert.Equal(t, "NEW LABEL", l)
		require.NoError(t, x.Close())
		fsck(t, img)
		cmd := exec.Command("mlabel", "-i", img, "-s", "::")
		cmd.Env = mtoolsEnv()
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s", out)
		assert.Contains(t, string(out), "NEW LABEL")
		if out, err := exec.Command("blkid", "-o", "export", img).CombinedOutput(); err == nil {
			assert.Contains(t, string(out), "UUID=0123-ABCD")
			assert.Contains(t, string(out), `LABEL=NEW\ LABEL`)
		}
		x = mount(t, img, false)
		require.NoError(t, x.SetLabel(""))
		l, _ = x.Label()
		assert.Equal(t, "", l)
		require.NoError(t, x.Close())
		fsck(t, img)
	}
}

func TestCorruptImages(t *testing.T) {
	img := mkfsImage(t, 4<<20)
	x := mount(t, img, false)
	write(t, x, "/f", pattern(20000, 1))
	require.NoError(t, x.Mkdir("/d", 0o755))
	n, err := x.resolve("/f")
	require.NoError(t, err)
	first := n.de.FirstClus
	require.NoError(t, x.Close())
	good, err := os.ReadFile(img)
	require.NoError(t, err)

	// A boot sector claiming more sectors than the device: EINVAL.
	b := append([]byte(nil), good...)
	binary.LittleEndian.PutUint16(b[19:], 0)
	binary.LittleEndian.PutUint32(b[32:], 1<<20)
	_, err = Driver{}.Open(&memDev{b: b}, fs.OpenOptions{})
	isErrno(t, syscall.EINVAL, err)
	// A truncated device.
	_, err = Driver{}.Open(&memDev{b: good[:1<<20]}, fs.OpenOptions{})
	isErrno(t, syscall.EINVAL, err)
	// Garbage: not FAT, probe false.
	ok, err := Driver{}.Probe(&memDev{b: make([]byte, 4096)})
	require.NoError(t, err)
	assert.False(t, ok)
	ok, err = Driver{}.Probe(&memDev{b: good})
	require.NoError(t, err)
	assert.True(t, ok)
	for _, mut := range []func(b []byte){
		func(b []byte) { b[11], b[12] = 0, 3 }, // 768-byte sectors
		func(b []byte) { b[13] = 3 },           // 3 sectors a cluster
		func(b []byte) { b[16] = 0 },           // no FATs
		func(b []byte) { b[22], b[23] = 0, 0 }, // no FAT size
		func(b []byte) { b[17], b[18] = 0, 0 }, // no root entries
		func(b []byte) { b[14], b[15] = 0, 0 }, // no reserved sectors
		func(b []byte) { b[22], b[23] = 1, 0 }, // a FAT too small for its clusters
	} {
		c := append([]byte(nil), good...)
		mut(c)
		_, err = Driver{}.Open(&memDev{b: c}, fs.OpenOptions{})
		isErrno(t, syscall.EINVAL, err)
	}
	// A FAT loop: EIO, not a hang.
	c := append([]byte(nil), good...)
	x2, err := Driver{}.Open(&memDev{b: c}, fs.OpenOptions{})
	require.NoError(t, err)
	fx := x2.(*FS)
	cs, err := fx.chain(first)
	require.NoError(t, err)
	fx.fatSet(cs[len(cs)-1], cs[1])
	require.NoError(t, fx.Close())
	x2, err = Driver{}.Open(&memDev{b: c}, fs.OpenOptions{})
	require.NoError(t, err)
	h0, err := x2.OpenFile("/f", os.O_RDONLY, 0)
	if err == nil {
		h0.Close()
		h, _ := x2.OpenFile("/f", os.O_RDONLY, 0)
		_, err = h.ReadAt(make([]byte, 100), 0)
		h.Close()
	}
	isErrno(t, syscall.EIO, err)
	h, err := x2.OpenFile("/f", os.O_RDWR, 0)
	require.NoError(t, err)
	isErrno(t, syscall.EIO, h.Truncate(0))
	require.NoError(t, h.Close())
	isErrno(t, syscall.EIO, x2.(*FS).Remove("/f"))
	require.NoError(t, x2.Close())
}

func TestRemoveOpenFile(t *testing.T) {
	need(t, "fsck.fat", "mdir")
	img := mkfsImage(t, 4<<20)
	x := mount(t, img, false)
	st0, err := x.StatFS()
	require.NoError(t, err)
	write(t, x, "/victim", pattern(9000, 4))
	h, err := x.OpenFile("/victim", os.O_RDWR, 0)
	require.NoError(t, err)
	require.NoError(t, x.Remove("/victim"))
	_, err = x.Stat("/victim")
	isErrno(t, syscall.ENOENT, err)
	// The open handle still reads and writes its data.
	b := make([]byte, 9000)
	_, err = h.ReadAt(b, 0)
	require.NoError(t, err)
	assert.Equal(t, pattern(9000, 4), b)
	_, err = h.WriteAt([]byte("more"), 9000)
	require.NoError(t, err)
	write(t, x, "/victim", []byte("new one"))
	require.NoError(t, h.Close())
	require.NoError(t, x.Remove("/victim"))
	st1, err := x.StatFS()
	require.NoError(t, err)
	assert.Equal(t, st0.Bfree, st1.Bfree)
	// Removed while open at the filesystem's close: freed too.
	write(t, x, "/other", pattern(5000, 1))
	h, err = x.OpenFile("/other", os.O_RDONLY, 0)
	require.NoError(t, err)
	require.NoError(t, x.Remove("/other"))
	require.NoError(t, x.Close())
	fsck(t, img)
	assert.Empty(t, mlist(t, img))
}

func TestRegisteredAndProbe(t *testing.T) {
	d, ok := fs.Lookup("vfat")
	require.True(t, ok)
	assert.Equal(t, "vfat", d.Name())
	_, isFormatter := d.(fs.Formatter)
	assert.True(t, isFormatter)
	// Other filesystems and partition tables are not FAT.
	if _, err := exec.LookPath("mkfs.ext4"); err == nil {
		img := newImage(t, 8<<20)
		out, err := exec.Command("mkfs.ext4", "-q", "-F", img).CombinedOutput()
		require.NoError(t, err, "%s", out)
		ok, err := d.Probe(openDev(t, img))
		require.NoError(t, err)
		assert.False(t, ok, "ext4 probed as vfat")
	}
	if _, err := exec.LookPath("sfdisk"); err == nil {
		img := newImage(t, 8<<20)
		cmd := exec.Command("sfdisk", "-q", img)
		cmd.Stdin = strings.NewReader("label: dos\n,,c\n")
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s", out)
		ok, err := d.Probe(openDev(t, img))
		require.NoError(t, err)
		assert.False(t, ok, "an MBR probed as vfat")
	}
	x, err := d.Open(openDev(t, mkfsImage(t, 4<<20)), fs.OpenOptions{Options: "ro,utf8"})
	require.NoError(t, err)
	isErrno(t, syscall.EROFS, x.(fs.Writer).Mkdir("/x", 0o755))
	require.NoError(t, x.Close())
}

// TestReadDirCorruptNames: a long name can encode "/" (U+002F) or be "."
// or "..", a short name can hold "/" or NUL bytes; such an entry fails
// ReadDir with EIO naming the directory, whose other names still resolve.
func TestReadDirCorruptNames(t *testing.T) {
	utf16le := func(s string) []byte {
		var b []byte
		for _, r := range s {
			b = append(b, byte(r), 0)
		}
		return b
	}
	for _, c := range []struct {
		name     string
		old, new []byte
	}{
		{"Mixed Name.t", utf16le("Mixed"), utf16le("Mi/ed")},
		{"Mixed Name.t", utf16le("Mix"), append(utf16le(".."), 0, 0)},
		{"Mixed Name.t", utf16le("Mi"), append(utf16le("."), 0, 0)},
		{"ABCQZX.TXT", []byte("ABCQZX  TXT"), []byte("AB/QZX  TXT")},
		{"ABCQZX.TXT", []byte("ABCQZX  TXT"), []byte("AB\x00QZX  TXT")},
	} {
		img := mkfsImage(t, 4<<20)
		x := mount(t, img, false)
		require.NoError(t, x.Mkdir("/victim", 0o755))
		write(t, x, "/victim/keep", []byte("k"))
		write(t, x, "/victim/"+c.name, []byte("x"))
		require.NoError(t, x.Close())
		raw, err := os.ReadFile(img)
		require.NoError(t, err)
		require.Equal(t, 1, bytes.Count(raw, c.old), "%q", c.old)
		require.NoError(t, os.WriteFile(img, bytes.Replace(raw, c.old, c.new, 1), 0o644))

		x = mount(t, img, false)
		_, err = x.ReadDir("/victim")
		if assert.Error(t, err, "%q", c.new) {
			isErrno(t, syscall.EIO, err)
			assert.Contains(t, err.Error(), "/victim: corrupt directory entry")
		}
		_, err = x.ReadDir("/")
		assert.NoError(t, err)
		assert.Equal(t, []byte("k"), read(t, x, "/victim/keep"))
		require.NoError(t, x.Remove("/victim/keep"))
		isErrno(t, syscall.ENOTEMPTY, x.Remove("/victim"))
		require.NoError(t, x.Close())
	}
}
