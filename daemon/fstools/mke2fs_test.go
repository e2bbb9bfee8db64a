package fstools

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"goguestfs/daemon/devices"
	"goguestfs/daemon/parttable"
)

// TestMakeExtOverGarbage makes each type on a partition (unaligned at both
// ends) of a drive full of random bytes: e2fsck -fn must find the result
// clean (it would not with old bytes left in the inode tables, see
// TestUnzeroedHolesAreCaught is the control of TestMakeExtOverGarbage: the
// same mke2fs runs with only the memfd's data copied to the garbage, the
// holes left as they were, are what e2fsck -fn finds broken. (With group
// descriptor checksums, as ext4 has by default, e2fsck trusts the count of
// unused inodes and does not read the garbage; the kernel would.)
func TestUnzeroedHolesAreCaught(t *testing.T) {
	for _, args := range [][]string{{"-t", "ext2"}, {"-t", "ext3"}, {"-t", "ext4", "-O", "^metadata_csum,^uninit_bg"}} {
		t.Run(args[1], func(t *testing.T) {
			p := testImage(t, diskSize, true)
			d := openDrive(t, p, false)
			part := testPart(d)
			mem, err := newMem("/dev/sda1", part.Size())
			require.NoError(t, err)
			defer mem.Close()
			path, err := toolPath("/dev/sda1", "mke2fs")
			require.NoError(t, err)
			res, err := runTool("/dev/sda1", path, "mke2fs", append(args, memPath), mem, false)
			require.NoError(t, err)
			require.Equal(t, 0, res.status, res.output)
			buf := make([]byte, ioSize)
			for pos := int64(0); pos < part.Size(); {
				data, err := seekData(mem, pos, part.Size())
				require.NoError(t, err)
				if data >= part.Size() {
					break
				}
				hole, err := unix.Seek(int(mem.Fd()), data, unix.SEEK_HOLE)
				require.NoError(t, err)
				for off := data; off < hole; {
					b := buf[:min(int64(len(buf)), hole-off)]
					_, err := mem.ReadAt(b, off)
					require.NoError(t, err)
					_, err = part.WriteAt(b, off)
					require.NoError(t, err)
					off += int64(len(b))
				}
				pos = hole
			}
			out, st := host(t, "e2fsck", "-fn", saveDev(t, part))
			assert.NotEqual(t, 0, st, "e2fsck found nothing wrong: %s", out)

			// MakeExt with the same options on the same garbage is clean.
			o := ExtOptions{FSType: ptr(args[1])}
			if len(args) > 2 {
				o.Features = ptr(args[3])
			}
			require.NoError(t, MakeExt(part, o))
			requireClean(t, saveDev(t, part))
		})
	}
}

// TestMakeExtOptions checks that the options reach the filesystem, read
// back with dumpe2fs -h.
func TestMakeExtOptions(t *testing.T) {
	p := testImage(t, diskSize, false)
	d := openDrive(t, p, false)
	part := testPart(d)
	const uuid = "01234567-89ab-cdef-0123-456789abcdef"
	require.NoError(t, MakeExt(part, ExtOptions{
		FSType:                   ptr("ext4"),
		BlockSize:                ptr[int64](2048),
		InodeSize:                ptr[int64](512),
		Label:                    ptr("mylabel"),
		UUID:                     ptr(uuid),
		LastMountedDir:           ptr("/mnt/x"),
		CreatorOS:                ptr("hurd"),
		ReservedBlocksPercentage: ptr(7),
		NumberOfInodes:           ptr[int64](5000),
		JournalSize:              ptr[int64](4),
		StrideSize:               ptr[int64](4),
		StripeWidth:              ptr[int64](8),
		TestFS:                   ptr(true),
		FlexBG:                   ptr(false),
		Quota:                    ptr(true),
		LazyJournalInit:          ptr(false),
		QuotaType:                ptr(true),
	}))
	region := saveDev(t, part)
	requireClean(t, region)
	sb := superblock(t, region)
	assert.Equal(t, "mylabel", sb["Filesystem volume name"])
	assert.Equal(t, uuid, sb["Filesystem UUID"])
	assert.Equal(t, "/mnt/x", sb["Last mounted on"])
	assert.Equal(t, "Hurd", sb["Filesystem OS type"])
	assert.Equal(t, "2048", sb["Block size"])
	assert.Equal(t, "512", sb["Inode size"])
	assert.Equal(t, "4992", sb["Inode count"])
	assert.Equal(t, "4", sb["RAID stride"], "the -E options are all passed, not only the last")
	assert.Equal(t, "8", sb["RAID stripe width"])
	assert.Contains(t, sb["Filesystem flags"], "test_filesystem")
	assert.Equal(t, "4096k", sb["Total journal size"])
	assert.Contains(t, features(sb), "quota")
	assert.NotContains(t, features(sb), "flex_bg")
	var blocks, reserved int64
	fmt.Sscan(sb["Block count"], &blocks)
	fmt.Sscan(sb["Reserved block count"], &reserved)
	assert.Equal(t, blocks*7/100, reserved)

	// Features on and off, blocks count, groups.
	require.NoError(t, MakeExt(part, ExtOptions{
		FSType:         ptr("ext2"),
		BlocksCount:    ptr[int64](20000),
		BlockSize:      ptr[int64](1024),
		BlocksPerGroup: ptr[int64](4096),
		HasJournal:     ptr(true),
		Extent:         ptr(true),
		FlexBG:         ptr(true),
		NumberOfGroups: ptr[int64](4),
		FileType:       ptr(false),
		ResizeInode:    ptr(false),
		SparseSuper:    ptr(false),
		LargeFile:      ptr(true),
		UninitBG:       ptr(true),
		UsageType:      ptr("small"),
		Discard:        ptr(true),
		LazyITableInit: ptr(true),
		ForceCreate:    ptr(true),
	}))
	region = saveDev(t, part)
	requireClean(t, region)
	sb = superblock(t, region)
	assert.Equal(t, "20000", sb["Block count"])
	assert.Equal(t, "4096", sb["Blocks per group"])
	assert.Equal(t, "1024", sb["Block size"])
	f := features(sb)
	for _, want := range []string{"has_journal", "extent", "flex_bg", "large_file", "uninit_bg"} {
		assert.Contains(t, f, want)
	}
	for _, not := range []string{"filetype", "resize_inode", "sparse_super"} {
		assert.NotContains(t, f, not)
	}
	assert.Equal(t, "4", sb["Flex block group size"])
	// What is past the filesystem's 20000 blocks is zero too.
	b := readDev(t, part)
	assert.Equal(t, make([]byte, len(b)-20000*1024), b[20000*1024:])

	// mkfs's options.
	mo, err := MkfsOptions{Blocksize: ptr(4096), Inode: ptr(128), Label: ptr("data"), Features: ptr("^has_journal,^metadata_csum")}.Ext("ext4")
	require.NoError(t, err)
	require.NoError(t, MakeExt(part, mo))
	region = saveDev(t, part)
	requireClean(t, region)
	sb = superblock(t, region)
	assert.Equal(t, "data", sb["Filesystem volume name"])
	assert.Equal(t, "4096", sb["Block size"])
	assert.Equal(t, "128", sb["Inode size"])
	assert.NotContains(t, features(sb), "has_journal")
	assert.NotContains(t, features(sb), "metadata_csum")
	assert.Contains(t, features(sb), "extent", "ext4 asked for")

	// An external journal device (journaldev: no host path needed).
	require.NoError(t, MakeExt(part, ExtOptions{JournalDev: ptr(true), BlockSize: ptr[int64](4096)}))
	sb = superblock(t, saveDev(t, part))
	assert.Contains(t, features(sb), "journal_dev")
}

// TestMakeExtArgs checks the mapping of options to mke2fs's arguments
// where the result is not visible on the filesystem.
func TestMakeExtArgs(t *testing.T) {
	before, after, err := ExtOptions{
		FragSize: ptr[int64](4096), BytesPerInode: ptr[int64](8192), MMPUpdateInterval: ptr(10),
		MaxOnlineResize: ptr[int64](1000000), WriteSBAndGroupOnly: ptr(true), ForceCreate: ptr(true),
		TestFS: ptr(false), Discard: ptr(false), LazyITableInit: ptr(false), JournalDev: ptr(false),
		Quota: ptr(false), BlocksCount: ptr[int64](100),
	}.args("/dev/sda1")
	require.NoError(t, err)
	assert.Equal(t, []string{"-f", "4096", "-F", "-i", "8192", "-S",
		"-E", "mmp_update_interval=10,resize=1000000,lazy_itable_init=0,nodiscard",
		"-O", "^journal_dev", "-O", "^quota"}, before)
	assert.Equal(t, []string{"100"}, after)

	// -S without discard given: nodiscard; forcecreate false: no -F.
	before, _, err = ExtOptions{WriteSBAndGroupOnly: ptr(true), ForceCreate: ptr(true)}.args("/dev/sda1")
	require.NoError(t, err)
	assert.Equal(t, []string{"-F", "-S", "-E", "nodiscard"}, before)
	before, _, err = ExtOptions{ForceCreate: ptr(false), WriteSBAndGroupOnly: ptr(false)}.args("/dev/sda1")
	require.NoError(t, err)
	assert.Empty(t, before)
}

// TestMakeExtRefuses: options that make no sense fail before mke2fs runs,
// with EINVAL (or ENOTSUP where a host path would be needed), naming the
// device; mke2fs's own refusals fail with EINVAL and its message. The
// device is left as it was.
func TestMakeExtRefuses(t *testing.T) {
	p := testImage(t, diskSize, true)
	d := openDrive(t, p, false)
	part := testPart(d)
	before := readDev(t, d)
	for _, tc := range []struct {
		o    ExtOptions
		e    syscall.Errno
		text string
	}{
		{ExtOptions{BlockSize: ptr[int64](-1)}, syscall.EINVAL, "/dev/sda1: blocksize must be >= 0, not -1"},
		{ExtOptions{BlocksCount: ptr[int64](-5)}, syscall.EINVAL, "blockscount must be >= 0"},
		{ExtOptions{ReservedBlocksPercentage: ptr(-1)}, syscall.EINVAL, "reservedblockspercentage must be >= 0"},
		{ExtOptions{StrideSize: ptr[int64](-1)}, syscall.EINVAL, "stridesize must be >= 0"},
		{ExtOptions{FSType: ptr("xfs")}, syscall.EINVAL, "/dev/sda1: xfs: not a valid extended filesystem type"},
		{ExtOptions{Label: ptr("12345678901234567")}, syscall.EINVAL, "limited to 16 bytes"},
		{ExtOptions{LastMountedDir: ptr("/" + strings.Repeat("x", 64))}, syscall.EINVAL, "limited to 64 bytes"},
		{ExtOptions{JournalSize: ptr[int64](8), HasJournal: ptr(false)}, syscall.EINVAL, "journalsize needs a journal"},
		{ExtOptions{JournalDev: ptr(true), HasJournal: ptr(true)}, syscall.EINVAL, "cannot have a journal"},
		{ExtOptions{JournalDev: ptr(true), JournalSize: ptr[int64](8)}, syscall.EINVAL, "journalsize is for"},
		{ExtOptions{JournalDevice: ptr("/dev/sdb1")}, syscall.ENOTSUP, "/dev/sda1: journaldevice /dev/sdb1: an external journal on another device is not supported"},
		{ExtOptions{TestBadBlocks: ptr(true)}, syscall.ENOTSUP, "bad block scan"},
		{ExtOptions{BlockSize: ptr[int64](3)}, syscall.EINVAL, "/dev/sda1: mke2fs: invalid block size - 3"},
		{ExtOptions{UUID: ptr("garbage")}, syscall.EINVAL, "/dev/sda1: mke2fs: /dev/sda1: could not parse UUID: garbage"},
		{ExtOptions{NumberOfGroups: ptr[int64](4), FSType: ptr("ext2")}, syscall.EINVAL, "flex_bg size may not be specified"},
		{ExtOptions{BlocksCount: ptr[int64](1 << 20), BlockSize: ptr[int64](4096)}, syscall.EINVAL, "mke2fs:"},
	} {
		err := MakeExt(part, tc.o)
		require.Error(t, err, "%+v", tc.o)
		assert.ErrorIs(t, err, tc.e, "%v", err)
		assert.Contains(t, err.Error(), tc.text)
		assert.NotContains(t, err.Error(), memPath)
		assert.NotContains(t, err.Error(), "mke2fs 1.", "the version banner is left out")
	}
	assert.Equal(t, before, readDev(t, d), "a refused mkfs changed the device")

	for _, tc := range []struct {
		m    MkfsOptions
		t    string
		text string
	}{
		{MkfsOptions{}, "vfat", "vfat: not an ext2, ext3 or ext4 filesystem type"},
		{MkfsOptions{Blocksize: ptr(3000)}, "ext4", "blocksize 3000: must be > 0 and a power of 2"},
		{MkfsOptions{Blocksize: ptr(0)}, "ext4", "must be > 0"},
		{MkfsOptions{Inode: ptr(0)}, "ext4", "inode size must be larger than zero"},
	} {
		_, err := tc.m.Ext(tc.t)
		assert.ErrorIs(t, err, syscall.EINVAL)
		assert.ErrorContains(t, err, tc.text)
	}
	_, err := MkfsOptions{Label: ptr("12345678901234567")}.Ext("ext3")
	require.NoError(t, err, "the label is checked by MakeExt")
}

// TestReadOnly: a device set read-only (blockdev_setro) is refused with
// EROFS by everything that writes, and is not changed; tune2fs -l reads
// it.
func TestReadOnly(t *testing.T) {
	p := testImage(t, diskSize, false)
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	require.NoError(t, err)
	s := devices.NewSet()
	require.NoError(t, s.Add(0, f, nil))
	t.Cleanup(func() { s.Drives()[0].Close() })
	drive := s.Drives()[0]
	require.NoError(t, parttable.New(drive.Name, drive).PartInit("mbr"))
	require.NoError(t, parttable.New(drive.Name, drive).PartAdd("p", 2048, 2048+65535))
	part, err := s.Resolve("/dev/sda1")
	require.NoError(t, err)
	require.NoError(t, MakeExt(part, ExtOptions{FSType: ptr("ext4")}))
	part.SetReadOnly(true)
	before := readDev(t, drive)
	err = MakeExt(part, ExtOptions{})
	assert.ErrorIs(t, err, syscall.EROFS)
	assert.ErrorContains(t, err, "/dev/sda1: ")
	assert.ErrorIs(t, E2fsck(part, true, false), syscall.EROFS)
	_, err = Fsck(part, "ext4")
	assert.ErrorIs(t, err, syscall.EROFS)
	assert.ErrorIs(t, Zerofree(part), syscall.EROFS)
	assert.ErrorIs(t, part.Zero(0, 4096), syscall.EROFS, "devices.Device.Zero keeps the guard")
	m, err := Tune2fsL(part)
	require.NoError(t, err)
	assert.Equal(t, "clean", m["Filesystem state"])
	assert.Equal(t, before, readDev(t, drive))

	// The whole disk set read-only covers its partitions.
	part.SetReadOnly(false)
	disk, err := s.Resolve("/dev/sda")
	require.NoError(t, err)
	disk.SetReadOnly(true)
	assert.ErrorIs(t, MakeExt(part, ExtOptions{}), syscall.EROFS)
	disk.SetReadOnly(false)

	// Writable again: devices.Device.Zero passes through to the drive.
	require.NoError(t, part.Zero(0, part.Size()))
	assert.Equal(t, make([]byte, part.Size()), readDev(t, part))
}

// TestMakeExtOverlay: on a drive whose file is read-only, the filesystem
// lands in the overlay and the file is not changed.
func TestMakeExtOverlay(t *testing.T) {
	p := testImage(t, diskSize, true)
	d := openDrive(t, p, true)
	before, err := os.ReadFile(p)
	require.NoError(t, err)
	part := testPart(d)
	require.NoError(t, MakeExt(part, ExtOptions{FSType: ptr("ext4"), Label: ptr("ov")}))
	after, err := os.ReadFile(p)
	require.NoError(t, err)
	assert.Equal(t, before, after, "the read-only file changed")
	sameOutside(t, before, readDev(t, d))
	region := saveDev(t, part)
	requireClean(t, region)
	assert.Equal(t, "ov", superblock(t, region)["Filesystem volume name"])
}

// TestMakeExtSuperOnly: writesbandgrouponly (mke2fs -S) rewrites the
// superblock and group descriptors of a filesystem whose primary ones are
// gone and keeps its files, which e2fsck then finds again; it runs on a
// copy of the device, with nodiscard (a discard would have zeroed it).
func TestMakeExtSuperOnly(t *testing.T) {
	part := extWithFiles(t, "ext4")
	m, err := Tune2fsL(part)
	require.NoError(t, err)
	uuid := m["Filesystem UUID"]
	before := readDev(t, part)
	// The primary superblock and group descriptors, zeroed.
	_, err = part.WriteAt(make([]byte, 3072), 1024)
	require.NoError(t, err)

	o := ExtOptions{FSType: ptr("ext4"), WriteSBAndGroupOnly: ptr(true), UUID: ptr(uuid)}
	err = MakeExt(part, o)
	assert.ErrorIs(t, err, syscall.EINVAL)
	assert.ErrorContains(t, err, "writesbandgrouponly needs forcecreate")
	o.ForceCreate = ptr(true)
	o.Discard = ptr(true)
	assert.ErrorIs(t, MakeExt(part, o), syscall.EINVAL)
	o.Discard = nil
	c := &countingDev{Dev: part}
	require.NoError(t, MakeExt(c, o))
	assert.Less(t, c.written, int64(len(before)/4), "more than the metadata was written")
	require.NoError(t, E2fsck(part, false, true))
	region := saveDev(t, part)
	requireClean(t, region)
	services, err := os.ReadFile("/etc/services")
	require.NoError(t, err)
	out, err := exec.Command("debugfs", "-R", "cat /f1", region).Output()
	require.NoError(t, err)
	assert.Equal(t, string(services), string(out), "the file did not survive")
}
