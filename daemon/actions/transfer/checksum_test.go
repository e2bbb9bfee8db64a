package transfer_test

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"goguestfs/daemon/daemontest"
)

// cpTools are the checksum types and the host tool that prints each.
var cpTools = map[string]string{
	"crc": "cksum", "md5": "md5sum", "sha1": "sha1sum", "sha224": "sha224sum",
	"sha256": "sha256sum", "sha384": "sha384sum", "sha512": "sha512sum",
}

// TestChecksumDevice compares checksum_device with the host tools on the
// image file, for every type; 24 MiB report progress.
func TestChecksumDevice(t *testing.T) {
	raw, _ := cpRandImage(t, 24<<20)
	d := daemontest.Start(t, raw)
	for typ, tool := range cpTools {
		out, err := exec.Command(tool, raw).Output()
		require.NoError(t, err)
		var sum string
		progress, err := d.CallOpts("checksum_device", nil, &sum, strings.ToUpper(typ), "/dev/sda")
		require.NoError(t, err, typ)
		assert.Equal(t, strings.Fields(string(out))[0], sum, typ)
		cpProgress(t, progress, 24<<20)
	}
	assert.Equal(t, syscall.EINVAL, errnoOf(t, d.Call("checksum_device", nil, "sha3", "/dev/sda")))
	assert.Equal(t, syscall.ENOENT, errnoOf(t, d.Call("checksum_device", nil, "md5", "/dev/sdb")))
	assert.Equal(t, syscall.EINTR, errnoOf(t, d.CallCancelled("checksum_device", "sha512", "/dev/sda")))
}

// TestChecksumsOut builds one tree in the guest (ext4 with a vfat mounted
// beneath) and on the host, and compares checksums_out with the host
// tools run on the host tree's regular files in the same order: names
// with a newline, backslash or carriage return escaped as coreutils does,
// cksum's lines for crc, links and empty directories left out.
func TestChecksumsOut(t *testing.T) {
	img := fsImage(t, 64<<20, "mkfs.ext4", "-q", "-F")
	vfat := fsImage(t, 16<<20, "mkfs.vfat")
	d := daemontest.Start(t, img, vfat)
	require.NoError(t, d.Call("mount", nil, "/dev/sda", "/"))
	host := t.TempDir()

	mkdir := func(p string) {
		require.NoError(t, d.Call("mkdir", nil, p))
		require.NoError(t, os.Mkdir(filepath.Join(host, p), 0o755))
	}
	write := func(p string, b []byte) {
		require.NoError(t, d.Call("write", nil, p, b))
		require.NoError(t, os.WriteFile(filepath.Join(host, p), b, 0o644))
	}
	mkdir("/t")
	mkdir("/t/a")
	mkdir("/t/a/empty")
	mkdir("/t/m")
	write("/t/a/one", []byte("one\n"))
	write("/t/a.txt", []byte("dot"))
	write("/t/new\nline", []byte("n"))
	write("/t/back\\slash", []byte("b"))
	write("/t/car\rriage", []byte("r"))
	write("/t/zero", nil)
	require.NoError(t, d.Call("ln_s", nil, "a/one", "/t/link"))
	require.NoError(t, os.Symlink("a/one", filepath.Join(host, "t/link")))
	require.NoError(t, d.Call("fill_pattern", nil, "pattern", 21<<20, "/t/a/big"))
	require.NoError(t, os.WriteFile(filepath.Join(host, "t/a/big"), bytes.Repeat([]byte("pattern"), 3145729)[:21<<20], 0o644))
	require.NoError(t, d.Call("mount", nil, "/dev/sdb", "/t/m"))
	write("/t/m/onvfat", []byte("crossed"))

	var files []string
	root := filepath.Join(host, "t")
	require.NoError(t, filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err == nil && e.Type().IsRegular() {
			rel, _ := filepath.Rel(root, p)
			files = append(files, "./"+rel)
		}
		return err
	}))
	require.Len(t, files, 8)

	for typ, tool := range cpTools {
		cmd := exec.Command(tool, append([]string{"--"}, files...)...)
		cmd.Dir = root
		want, err := cmd.Output()
		require.NoError(t, err)
		sums := filepath.Join(t.TempDir(), "sums")
		f := create(t, sums)
		progress, err := d.CallOpts("checksums_out", nil, nil, typ, "/t", f)
		require.NoError(t, err, typ)
		got, err := os.ReadFile(sums)
		require.NoError(t, err)
		assert.Equal(t, string(want), string(got), typ)
		cpProgress(t, progress, 21<<20+4+3+1+1+1+7)
	}

	f := create(t, filepath.Join(t.TempDir(), "sums"))
	assert.Equal(t, syscall.EINVAL, errnoOf(t, d.Call("checksums_out", nil, "sha3", "/t", f)))
	assert.Equal(t, syscall.ENOENT, errnoOf(t, d.Call("checksums_out", nil, "md5", "/nope", f)))
	assert.Equal(t, syscall.ENOTDIR, errnoOf(t, d.Call("checksums_out", nil, "md5", "/t/zero", f)))
	assert.Equal(t, syscall.EINTR, errnoOf(t, d.CallCancelled("checksums_out", "sha256", "/t", f)))
	require.NoError(t, d.Call("umount_all", nil))
	check(t, d, img, "e2fsck", "-fn")
	check(t, d, vfat, "fsck.fat", "-n")
}
