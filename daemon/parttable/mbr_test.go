package parttable

import (
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestMBRPrimaries(t *testing.T) {
	im := newImage(t, 64*MiB)
	d := im.dev
	require.NoError(t, d.PartInit("mbr"))
	pt, err := d.PartGetParttype()
	require.NoError(t, err)
	require.Equal(t, "msdos", pt)
	require.Empty(t, im.check(t))

	require.NoError(t, d.PartAdd("p", 2048, 4095))
	require.NoError(t, d.PartAdd("primary", 4096, 8191))
	require.NoError(t, d.PartAdd("p", 8192, 16383))
	requireErrno(t, d.PartAdd("p", 16000, 20000), syscall.EINVAL, "overlap partition 3")
	requireErrno(t, d.PartAdd("p", 30000, 20000), syscall.EINVAL, "bad sector range")
	requireErrno(t, d.PartAdd("p", 0, 100), syscall.EINVAL, "sector 0")
	requireErrno(t, d.PartAdd("p", 20000, 200000), syscall.EINVAL, "beyond the last usable sector")
	requireErrno(t, d.PartAdd("p", -5, 100), syscall.EINVAL, "bad sector range")
	requireErrno(t, d.PartAdd("x", 20000, 30000), syscall.EINVAL, "unknown partition type")
	require.NoError(t, d.PartAdd("p", 16384, -1))
	list := im.check(t)
	require.Len(t, list, 4)
	require.Equal(t, Partition{PartNum: 4, PartStart: 16384 * 512, PartEnd: 64*uint64(MiB) - 1, PartSize: 64*uint64(MiB) - 16384*512}, list[3])
	requireErrno(t, d.PartAdd("p", 100, 200), syscall.ENOSPC, "4 primary")

	requireErrno(t, d.PartDel(9), syscall.ENOENT, "/dev/sda9: no such partition")
	require.Equal(t, "/dev/sda9: no such partition", d.PartDel(9).Error())
	requireErrno(t, d.PartDel(0), syscall.EINVAL, ">= 1")
	require.NoError(t, d.PartDel(2))
	requireErrno(t, d.PartDel(2), syscall.ENOENT, "/dev/sda2")
	list = im.check(t)
	require.Len(t, list, 3)
	require.NoError(t, d.PartAdd("p", 4096, 6000)) // reuses slot 2
	list = im.check(t)
	require.Equal(t, int32(2), list[1].PartNum)
	s, e := sectors(list[1])
	require.Equal(t, [2]int64{4096, 6000}, [2]int64{s, e})
}

func TestMBRLogicals(t *testing.T) {
	im := newImage(t, 256*MiB)
	d := im.dev
	require.NoError(t, d.PartInit("msdos"))
	requireErrno(t, d.PartAdd("l", 4096, 8191), syscall.EINVAL, "no extended partition")
	require.NoError(t, d.PartAdd("p", 2048, 206847))
	require.NoError(t, d.PartAdd("e", 206848, -1))
	requireErrno(t, d.PartAdd("e", 300000, 400000), syscall.EINVAL, "already an extended")
	im.check(t)
	requireErrno(t, d.PartAdd("l", 206848, 210000), syscall.EINVAL, "not inside the extended")
	requireErrno(t, d.PartAdd("l", 100000, 210000), syscall.EINVAL, "not inside the extended")
	requireErrno(t, d.PartAdd("p", 300000, 300100), syscall.EINVAL, "overlap partition 2")

	starts := []int64{208896, 260096, 311296, 362496, 413696}
	for _, s := range starts {
		require.NoError(t, d.PartAdd("l", s, s+40959))
		im.check(t)
	}
	requireErrno(t, d.PartAdd("l", 250000, 260096), syscall.EINVAL, "overlap partition 6")
	// A logical partition right after another leaves no sector for its EBR.
	requireErrno(t, d.PartAdd("l", 208896+40960, 208896+40960+10), syscall.EINVAL, "no sector for its EBR")
	list := im.check(t)
	require.Len(t, list, 7)
	for i, s := range starts {
		require.Equal(t, int32(5+i), list[2+i].PartNum)
		a, _ := sectors(list[2+i])
		require.Equal(t, s, a)
	}

	// Delete a logical in the middle: the later ones are renumbered.
	require.NoError(t, d.PartDel(6))
	list = im.check(t)
	require.Len(t, list, 6)
	for i, s := range []int64{208896, 311296, 362496, 413696} {
		a, _ := sectors(list[2+i])
		require.Equal(t, int32(5+i), list[2+i].PartNum)
		require.Equal(t, s, a)
	}
	// Delete the first logical: the chain must start over at the extended start.
	require.NoError(t, d.PartDel(5))
	list = im.check(t)
	require.Len(t, list, 5)
	a, _ := sectors(list[2])
	require.Equal(t, int64(311296), a)
	// Add one before all others, and one in the gap left by the deletions.
	require.NoError(t, d.PartAdd("l", 206850, 220000))
	require.NoError(t, d.PartAdd("l", 260096, 300000))
	list = im.check(t)
	require.Len(t, list, 7)
	a, _ = sectors(list[2])
	require.Equal(t, int64(206850), a)
	a, _ = sectors(list[3])
	require.Equal(t, int64(260096), a)
	// Delete the last logical.
	require.NoError(t, d.PartDel(9))
	im.check(t)

	// Logical partition type readback by sfdisk.
	require.NoError(t, d.PartSetMbrId(6, 0x07))
	out, code := run(t, "sfdisk", "--part-type", im.path, "6")
	require.Equal(t, 0, code, out)
	require.Equal(t, "7", strings.TrimSpace(out))
	id, err := d.PartGetMbrId(6)
	require.NoError(t, err)
	require.Equal(t, 7, id)
	im.check(t)

	// Deleting the extended partition removes every logical one.
	require.NoError(t, d.PartDel(2))
	list = im.check(t)
	require.Len(t, list, 1)
	require.NoError(t, d.PartAdd("e", 206848, 400000))
	list = im.check(t)
	require.Len(t, list, 2)
	require.NoError(t, d.PartAdd("l", 206849, 400000))
	list = im.check(t)
	require.Len(t, list, 3)
}

func TestMBRBootableAndID(t *testing.T) {
	im := newImage(t, 64*MiB)
	d := im.dev
	require.NoError(t, d.PartInit("msdos"))
	require.NoError(t, d.PartAdd("p", 2048, 10000))
	require.NoError(t, d.PartAdd("e", 10001, 60000))
	require.NoError(t, d.PartAdd("l", 10100, 20000))

	bootable := func(n int) bool {
		b, err := d.PartGetBootable(n)
		require.NoError(t, err)
		return b
	}
	require.False(t, bootable(1))
	require.False(t, bootable(5))
	require.NoError(t, d.PartSetBootable(5, true))
	require.True(t, bootable(5))
	im.check(t)
	out, code := run(t, "sfdisk", "--dump", im.path)
	require.Equal(t, 0, code)
	require.Regexp(t, `disk.img5 : .*bootable`, out)
	// Setting the flag on 1 clears it on 5, as parted does.
	require.NoError(t, d.PartSetBootable(1, true))
	require.True(t, bootable(1))
	require.False(t, bootable(5))
	out, _ = run(t, "sfdisk", "--dump", im.path)
	require.Regexp(t, `disk.img1 : .*bootable`, out)
	require.NotRegexp(t, `disk.img5 : .*bootable`, out)
	im.check(t)
	require.NoError(t, d.PartSetBootable(1, false))
	require.False(t, bootable(1))
	out, _ = run(t, "sfdisk", "--dump", im.path)
	require.NotContains(t, out, "bootable")
	requireErrno(t, d.PartSetBootable(3, true), syscall.ENOENT, "/dev/sda3")

	id, err := d.PartGetMbrId(1)
	require.NoError(t, err)
	require.Equal(t, 0x83, id)
	id, err = d.PartGetMbrId(2)
	require.NoError(t, err)
	require.Equal(t, 0x05, id)
	require.NoError(t, d.PartSetMbrId(1, 0x0c))
	require.NoError(t, d.PartSetMbrId(2, 0x0f))
	out, _ = run(t, "sfdisk", "--part-type", im.path, "1")
	require.Equal(t, "c", strings.TrimSpace(out))
	out, _ = run(t, "sfdisk", "--part-type", im.path, "2")
	require.Equal(t, "f", strings.TrimSpace(out))
	im.check(t)
	requireErrno(t, d.PartSetMbrId(1, 256), syscall.EINVAL, "out of range")
	requireErrno(t, d.PartSetMbrId(1, -1), syscall.EINVAL, "out of range")
	requireErrno(t, d.PartSetMbrId(1, 0), syscall.EINVAL, "out of range")
	requireErrno(t, d.PartSetMbrId(1, 0x05), syscall.EINVAL, "extended")
	requireErrno(t, d.PartSetMbrId(2, 0x83), syscall.EINVAL, "extended")
	requireErrno(t, d.PartSetMbrId(4, 0x83), syscall.ENOENT, "/dev/sda4: no such partition")

	// GPT-only actions fail on MBR.
	requireErrno(t, d.PartSetName(1, "x"), syscall.EINVAL, "not a GPT")
	_, err = d.PartGetName(1)
	requireErrno(t, err, syscall.EINVAL, "/dev/sda1: not a GPT")
	_, err = d.PartGetGptType(1)
	requireErrno(t, err, syscall.EINVAL, "not a GPT")
	_, err = d.PartGetGptGuid(1)
	requireErrno(t, err, syscall.EINVAL, "not a GPT")
	requireErrno(t, d.PartSetGptType(1, LinuxFilesystemGUID), syscall.EINVAL, "not a GPT")
	requireErrno(t, d.PartExpandGpt(), syscall.EINVAL, "not a GPT")
	im.check(t)
}

// TestMBRReadSfdiskChain reads an extended partition written by sfdisk
// itself, whose EBRs sit 2048 sectors before each logical partition.
func TestMBRReadSfdiskChain(t *testing.T) {
	im := newImage(t, 64*MiB)
	requireTools(t)
	script := "label: dos\nstart=2048,size=10M\nstart=30000,type=5\nstart=32768,size=5M\nstart=50000,size=5M\nstart=70000,size=5M\n"
	out, err := sfdiskScript(im.path, script)
	require.NoError(t, err, out)
	list := im.check(t)
	require.Len(t, list, 5)
	require.NoError(t, im.dev.PartDel(6))
	list = im.check(t)
	require.Len(t, list, 4)
	require.NoError(t, im.dev.PartAdd("l", 45000, 60000))
	list = im.check(t)
	require.Len(t, list, 5)
	a, _ := sectors(list[3])
	require.Equal(t, int64(45000), a)
}
