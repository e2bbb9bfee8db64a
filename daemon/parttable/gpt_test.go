package parttable

import (
	"fmt"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

var uniqueRE = regexp.MustCompile(`Partition unique GUID: ([0-9A-F-]{36})`)

func TestGPTScenario(t *testing.T) {
	im := newImage(t, 512*MiB)
	d := im.dev
	require.NoError(t, d.PartInit("gpt"))
	pt, err := d.PartGetParttype()
	require.NoError(t, err)
	require.Equal(t, "gpt", pt)
	require.Empty(t, im.check(t))

	require.NoError(t, d.PartAdd("p", 2048, 206847))
	require.NoError(t, d.PartAdd("primary", 206848, 411647))
	require.NoError(t, d.PartAdd("p", 411648, 616447))
	require.NoError(t, d.PartAdd("p", 616448, -1))
	requireErrno(t, d.PartAdd("l", 100, 200), syscall.EINVAL, "only on MBR")
	requireErrno(t, d.PartAdd("e", 100, 200), syscall.EINVAL, "only on MBR")
	requireErrno(t, d.PartAdd("p", 10, 2000), syscall.EINVAL, "first usable sector 34")
	requireErrno(t, d.PartAdd("p", 100, 2048), syscall.EINVAL, "overlap partition 1")
	requireErrno(t, d.PartAdd("p", 100, 1048576), syscall.EINVAL, "beyond the last usable sector")
	requireErrno(t, d.PartAdd("p", 1000, 999), syscall.EINVAL, "bad sector range")
	list := im.check(t)
	require.Len(t, list, 4)
	lastUsable := 512*MiB/512 - 34
	require.Equal(t, uint64(lastUsable+1)*512-1, list[3].PartEnd)

	// Types: default, set, readback with sgdisk.
	typ, err := d.PartGetGptType(1)
	require.NoError(t, err)
	require.Equal(t, LinuxFilesystemGUID, typ)
	esp := "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"
	require.NoError(t, d.PartSetGptType(2, strings.ToLower(esp)))
	typ, err = d.PartGetGptType(2)
	require.NoError(t, err)
	require.Equal(t, esp, typ)
	require.Contains(t, im.sgdiskInfo(t, 2), "Partition GUID code: "+esp)
	out, _ := run(t, "sfdisk", "--part-type", im.path, "2")
	require.Equal(t, esp, strings.TrimSpace(out))
	for _, bad := range []string{"", "xyz", "C12A7328F81F11D2BA4B00A0C93EC93B", "C12A7328-F81F-11D2-BA4B-00A0C93EC93G",
		"{C12A7328-F81F-11D2-BA4B-00A0C93EC93B}", "C12A7328-F81F-11D2-BA4B00-A0C93EC93B",
		"00000000-0000-0000-0000-000000000000"} {
		requireErrno(t, d.PartSetGptType(2, bad), syscall.EINVAL, "/dev/sda2")
	}
	requireErrno(t, d.PartSetGptType(7, esp), syscall.ENOENT, "/dev/sda7: no such partition")

	// Unique GUIDs: distinct, and what sgdisk reports.
	seen := map[string]bool{}
	for n := 1; n <= 4; n++ {
		g, err := d.PartGetGptGuid(n)
		require.NoError(t, err)
		m := uniqueRE.FindStringSubmatch(im.sgdiskInfo(t, n))
		require.NotNil(t, m)
		require.Equal(t, m[1], g)
		require.False(t, seen[g])
		seen[g] = true
	}

	// Names, including non-ASCII and characters outside the BMP.
	names := map[int]string{1: "boot", 2: "Système EFI", 3: "データ 😀", 4: strings.Repeat("ß", 36)}
	for n, name := range names {
		require.NoError(t, d.PartSetName(n, name))
	}
	for n, name := range names {
		got, err := d.PartGetName(n)
		require.NoError(t, err)
		require.Equal(t, name, got)
		out, _ := run(t, "sfdisk", "--part-label", im.path, fmt.Sprint(n))
		require.Equal(t, name, strings.TrimSpace(out))
		// sgdisk 1.0.9 mangles characters outside the BMP when printing
		// (it showed "\xf0\xff\x98\x80" for U+1F600), so only BMP names are
		// compared with it.
		if !strings.ContainsRune(name, '😀') {
			require.Contains(t, im.sgdiskInfo(t, n), "Partition name: '"+name+"'")
		}
	}
	requireErrno(t, d.PartSetName(1, strings.Repeat("a", 37)), syscall.EINVAL, "maximum is 36")
	requireErrno(t, d.PartSetName(1, strings.Repeat("😀", 19)), syscall.EINVAL, "maximum is 36")
	requireErrno(t, d.PartSetName(1, "a\x00b"), syscall.EINVAL, "NUL")
	requireErrno(t, d.PartSetName(1, "\xff"), syscall.EINVAL, "UTF-8")
	require.NoError(t, d.PartSetName(1, ""))
	got, err := d.PartGetName(1)
	require.NoError(t, err)
	require.Equal(t, "", got)

	// Bootable: legacy BIOS bootable attribute.
	require.NoError(t, d.PartSetBootable(3, true))
	b, err := d.PartGetBootable(3)
	require.NoError(t, err)
	require.True(t, b)
	require.Contains(t, im.sgdiskInfo(t, 3), "Attribute flags: 0000000000000004")
	out, _ = run(t, "sfdisk", "--part-attrs", im.path, "3")
	require.Equal(t, "LegacyBIOSBootable", strings.TrimSpace(out))
	require.NoError(t, d.PartSetBootable(3, false))
	require.Contains(t, im.sgdiskInfo(t, 3), "Attribute flags: 0000000000000000")
	im.check(t)

	// MBR-only actions fail on GPT.
	requireErrno(t, d.PartSetMbrId(1, 0x83), syscall.EINVAL, "/dev/sda1: not an MBR")
	_, err = d.PartGetMbrId(1)
	requireErrno(t, err, syscall.EINVAL, "not an MBR")

	// Delete, then the next add takes the first free entry.
	require.NoError(t, d.PartDel(2))
	requireErrno(t, d.PartDel(2), syscall.ENOENT, "/dev/sda2: no such partition")
	requireErrno(t, d.PartDel(129), syscall.ENOENT, "no such partition")
	list = im.check(t)
	require.Len(t, list, 3)
	require.NoError(t, d.PartAdd("p", 300000, 400000))
	list = im.check(t)
	require.Equal(t, int32(2), list[1].PartNum)
	typ, err = d.PartGetGptType(2)
	require.NoError(t, err)
	require.Equal(t, LinuxFilesystemGUID, typ)
}

func TestGPTFullTable(t *testing.T) {
	im := newImage(t, 64*MiB)
	d := im.dev
	require.NoError(t, d.PartInit("efi"))
	for i := int64(0); i < 128; i++ {
		require.NoError(t, d.PartAdd("p", 2048+i*100, 2048+i*100+99))
	}
	requireErrno(t, d.PartAdd("p", 100000, 100100), syscall.ENOSPC, "all 128 partition table entries")
	list := im.check(t)
	require.Len(t, list, 128)
	require.NoError(t, d.PartDel(77))
	require.NoError(t, d.PartAdd("p", 100000, 100100))
	list = im.check(t)
	require.Equal(t, int32(77), list[76].PartNum)
	s, _ := sectors(list[76])
	require.Equal(t, int64(100000), s)
}

func TestPartDisk(t *testing.T) {
	for _, tc := range []struct {
		parttype, label string
		last            int64
	}{
		{"msdos", "msdos", 256*MiB/512 - 1},
		{"mbr", "msdos", 256*MiB/512 - 1},
		{"gpt", "gpt", 256*MiB/512 - 34},
	} {
		t.Run(tc.parttype, func(t *testing.T) {
			im := newImage(t, 256*MiB)
			require.NoError(t, im.dev.PartDisk(tc.parttype))
			pt, err := im.dev.PartGetParttype()
			require.NoError(t, err)
			require.Equal(t, tc.label, pt)
			list := im.check(t)
			require.Equal(t, []Partition{{PartNum: 1, PartStart: 2048 * 512, PartEnd: uint64(tc.last+1)*512 - 1,
				PartSize: uint64(tc.last-2048+1) * 512}}, list)
		})
	}
	im := newImage(t, 256*MiB)
	requireErrno(t, im.dev.PartDisk("sun"), syscall.EINVAL, "/dev/sda: unknown partition type")
	small := newImage(t, 512*1024)
	requireErrno(t, small.dev.PartDisk("gpt"), syscall.ENOSPC, "/dev/sda: disk of 1024 sectors is too small")
	requireErrno(t, small.dev.PartDisk("msdos"), syscall.ENOSPC, "/dev/sda: disk of 1024 sectors is too small")
}

func TestPartInitSwitchesLabel(t *testing.T) {
	im := newImage(t, 128*MiB)
	d := im.dev
	requireErrno(t, d.PartInit("bsd"), syscall.EINVAL, "/dev/sda: unknown partition type")
	require.NoError(t, d.PartDisk("gpt"))
	im.check(t)
	require.NoError(t, d.PartInit("msdos"))
	require.Empty(t, im.check(t))
	out, code := run(t, "sgdisk", "-v", im.path)
	require.Equal(t, 0, code, out)
	require.NotContains(t, out, "EFI PART", out)
	require.NoError(t, d.PartAdd("p", 2048, 4095))
	im.check(t)
	require.NoError(t, d.PartInit("gpt"))
	require.Empty(t, im.check(t))
}

func TestPartExpandGpt(t *testing.T) {
	im := newImage(t, 64*MiB)
	d := im.dev
	require.NoError(t, d.PartInit("gpt"))
	require.NoError(t, d.PartAdd("p", 2048, 40000))
	require.NoError(t, d.PartSetName(1, "keep me"))
	guid1, err := d.PartGetGptGuid(1)
	require.NoError(t, err)
	im.check(t)

	require.NoError(t, im.f.Truncate(1*GiB))
	out, _ := run(t, "sgdisk", "-v", im.path)
	require.NotContains(t, out, "No problems found", "sgdisk should notice the misplaced backup:\n%s", out)
	// Before expansion the old usable area still applies.
	requireErrno(t, d.PartAdd("p", 200000, 300000), syscall.EINVAL, "beyond the last usable sector")

	require.NoError(t, d.PartExpandGpt())
	im.check(t)
	require.NoError(t, d.PartAdd("p", 200000, -1))
	list := im.check(t)
	require.Equal(t, uint64(GiB/512-34+1)*512-1, list[1].PartEnd)
	name, err := d.PartGetName(1)
	require.NoError(t, err)
	require.Equal(t, "keep me", name)
	g, err := d.PartGetGptGuid(1)
	require.NoError(t, err)
	require.Equal(t, guid1, g)
	// Idempotent.
	require.NoError(t, d.PartExpandGpt())
	im.check(t)
	out, _ = run(t, "sgdisk", "-p", im.path)
	require.Contains(t, out, fmt.Sprintf("last usable sector is %d", GiB/512-34))

	// Shrinking below a partition's end cannot be expanded into.
	require.NoError(t, im.f.Truncate(512*MiB))
	requireErrno(t, d.PartExpandGpt(), syscall.EIO, "/dev/sda: no valid GPT")
}

func TestGPTRepairsBackup(t *testing.T) {
	im := newImage(t, 64*MiB)
	d := im.dev
	require.NoError(t, d.PartInit("gpt"))
	require.NoError(t, d.PartAdd("p", 2048, 20000))
	// Smash the backup header: the primary still serves, a write repairs it.
	_, err := im.f.WriteAt(make([]byte, 512), 64*MiB-512)
	require.NoError(t, err)
	out, _ := run(t, "sgdisk", "-v", im.path)
	require.Contains(t, out, "Backup header: ERROR", out)
	out, _ = run(t, "sfdisk", "--verify", im.path)
	require.Contains(t, out, "backup GPT table is corrupt", out)
	list, err := d.PartList()
	require.NoError(t, err)
	require.Len(t, list, 1)
	require.NoError(t, d.PartSetName(1, "repaired"))
	im.check(t)
	// Same with the primary header and entries gone.
	_, err = im.f.WriteAt(make([]byte, 33*512), 512)
	require.NoError(t, err)
	name, err := d.PartGetName(1)
	require.NoError(t, err)
	require.Equal(t, "repaired", name)
	require.NoError(t, d.PartSetBootable(1, true))
	im.check(t)
}

// TestGPTReadSgdisk works on a table written by sgdisk itself.
func TestGPTReadSgdisk(t *testing.T) {
	im := newImage(t, 128*MiB)
	requireTools(t)
	out, code := run(t, "sgdisk", "-o", "-n", "1:2048:+10M", "-c", "1:EFI", "-t", "1:EF00",
		"-n", "3:0:+20M", "-c", "3:Ünïcode", "-A", "3:set:2", im.path)
	require.Equal(t, 0, code, out)
	list := im.check(t)
	require.Len(t, list, 2)
	require.Equal(t, int32(3), list[1].PartNum)
	typ, err := im.dev.PartGetGptType(1)
	require.NoError(t, err)
	require.Equal(t, "C12A7328-F81F-11D2-BA4B-00A0C93EC93B", typ)
	name, err := im.dev.PartGetName(3)
	require.NoError(t, err)
	require.Equal(t, "Ünïcode", name)
	b, err := im.dev.PartGetBootable(3)
	require.NoError(t, err)
	require.True(t, b)
	require.NoError(t, im.dev.PartAdd("p", 100000, -1))
	require.NoError(t, im.dev.PartDel(1))
	list = im.check(t)
	require.Len(t, list, 2)
	require.Equal(t, []int32{2, 3}, []int32{list[0].PartNum, list[1].PartNum}) // number order, not disk order
	require.Contains(t, im.sgdiskInfo(t, 3), "Partition name: 'Ünïcode'")
}
