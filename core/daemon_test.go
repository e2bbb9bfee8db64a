package core

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// daemonDir holds the guestfsd built for these tests.
var daemonDir string

func TestMain(m *testing.M) {
	if os.Getenv("GOGUESTFS_TEST_CALLER") != "" {
		os.Exit(callerMain())
	}
	if os.Getenv("GOGUESTFS_TEST_WRITER") != "" {
		os.Exit(writerMain())
	}
	dir, err := os.MkdirTemp("", "guestfsd-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	cmd := exec.Command("go", "build", "-o", filepath.Join(dir, DaemonName), "goguestfs/daemon/guestfsd")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building guestfsd:", err)
		os.Exit(1)
	}
	daemonDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// testEnv is the environment the test handles parse: the test-only fast
// progress rule.
func testEnv() []string { return []string{TestProgressEnv + "=50,20"} }

// newDaemonHandle returns a handle that finds the test daemon.
func newDaemonHandle(t *testing.T, env ...string) *Handle {
	t.Helper()
	h, err := New(Options{NoEnvironment: true, Environ: func() []string { return append(testEnv(), env...) }})
	require.NoError(t, err)
	h.SetErrorHandler(nil)
	require.NoError(t, h.SetPath(&daemonDir))
	t.Cleanup(h.Close)
	return h
}

// image makes a sparse raw image of size bytes in a temporary directory.
func image(t *testing.T, size int64) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "disk.img")
	f, err := os.Create(p)
	require.NoError(t, err)
	require.NoError(t, f.Truncate(size))
	require.NoError(t, f.Close())
	return p
}

func fileSHA(t *testing.T, p string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	return sha256.Sum256(b)
}

// recordEvents records the names of every event of h.
func recordEvents(t *testing.T, h *Handle, mask Event) *[]string {
	var mu sync.Mutex
	var got []string
	_, err := h.SetEventCallback(func(ev Event, _ int, buf []byte, _ []uint64) {
		mu.Lock()
		got = append(got, ev.String())
		mu.Unlock()
	}, mask, 0)
	require.NoError(t, err)
	return &got
}

func TestLaunchShutdownEvents(t *testing.T) {
	h := newDaemonHandle(t)
	got := recordEvents(t, h, EventLaunchDone|EventSubprocessQuit|EventClose)
	require.NoError(t, h.AddDriveScratch(1<<20, nil))
	require.NoError(t, h.AddDriveOpts("/dev/null", nil))
	require.NoError(t, h.Launch())
	ready, _ := h.IsReady()
	assert.True(t, ready)
	devs, err := h.ListDevices()
	require.NoError(t, err)
	assert.Equal(t, []string{"/dev/sda", "/dev/sdb"}, devs)
	size, err := h.BlockdevGetsize64("/dev/sdb")
	require.NoError(t, err)
	assert.Equal(t, int64(0), size)
	err = h.Launch()
	assert.ErrorIs(t, err, syscall.EINVAL)
	h.Close()
	assert.Equal(t, []string{"launch_done", "subprocess_quit", "close"}, *got)
}

func TestShutdownThenOnlyClose(t *testing.T) {
	h := newDaemonHandle(t)
	require.NoError(t, h.Launch())
	require.NoError(t, h.Shutdown())
	_, err := h.ListDevices()
	assert.ErrorIs(t, err, syscall.EINVAL)
	assert.Contains(t, err.Error(), "can only be closed")
	assert.ErrorIs(t, h.Launch(), syscall.EINVAL)
	assert.ErrorIs(t, h.AddDrive("/dev/null"), syscall.EINVAL)
}

func TestNotLaunched(t *testing.T) {
	h := newDaemonHandle(t)
	_, err := h.ListDevices()
	assert.ErrorIs(t, err, syscall.EINVAL)
	assert.Equal(t, "list_devices: call launch before using this function", err.Error())
}

func TestDaemonNotFound(t *testing.T) {
	h := newDaemonHandle(t)
	p := "/nonexistent/a:/nonexistent/b"
	require.NoError(t, h.SetPath(&p))
	err := h.Launch()
	require.ErrorIs(t, err, syscall.ENOENT)
	assert.Contains(t, err.Error(), "/nonexistent/a/guestfsd, /nonexistent/b/guestfsd")
	st, _ := h.GetState()
	assert.Equal(t, int(StateConfig), st)

	require.NoError(t, h.SetHV("/nonexistent/guestfsd"))
	err = h.Launch()
	require.ErrorIs(t, err, syscall.ENOENT)
	assert.Contains(t, err.Error(), "/nonexistent/guestfsd")
}

func TestErrnoFromDaemon(t *testing.T) {
	h := newDaemonHandle(t)
	require.NoError(t, h.AddDrive(image(t, 8<<20)))
	require.NoError(t, h.Launch())
	_, err := h.BlockdevGetsize64("/dev/sdz")
	require.ErrorIs(t, err, syscall.ENOENT)
	assert.Equal(t, "blockdev_getsize64: /dev/sdz: no such device", err.Error())
	require.NoError(t, h.PartInit("/dev/sda", "mbr"))
	err = h.PartDel("/dev/sda", 9)
	require.ErrorIs(t, err, syscall.ENOENT)
	assert.True(t, strings.HasPrefix(err.Error(), "part_del: /dev/sda"), err.Error())
	msg, errno, ok := h.LastError()
	assert.True(t, ok)
	assert.Equal(t, syscall.ENOENT, errno)
	assert.Equal(t, err.Error(), msg)
	// The handle is still usable after daemon errors.
	_, err = h.Debug("echo", []string{"still", "here"})
	require.NoError(t, err)
}

func TestDriveOptions(t *testing.T) {
	h := newDaemonHandle(t)
	img := image(t, 1<<20)
	s := func(v string) *string { return &v }
	for _, c := range []struct {
		opts  AddDriveOptsOpts
		errno syscall.Errno
		word  string
	}{
		{AddDriveOptsOpts{Protocol: s("nbd")}, syscall.ENOTSUP, "protocol"},
		{AddDriveOptsOpts{Server: &[]string{"x"}}, syscall.ENOTSUP, "server"},
		{AddDriveOptsOpts{Username: s("u")}, syscall.ENOTSUP, "username"},
		{AddDriveOptsOpts{Secret: s("x")}, syscall.ENOTSUP, "secret"},
		{AddDriveOptsOpts{Format: s("nonsense")}, syscall.EINVAL, "format"},
		{AddDriveOptsOpts{Cachemode: s("x")}, syscall.EINVAL, "cachemode"},
		{AddDriveOptsOpts{Discard: s("x")}, syscall.EINVAL, "discard"},
		{AddDriveOptsOpts{Blocksize: func() *int { v := 1000; return &v }()}, syscall.EINVAL, "blocksize"},
	} {
		err := h.AddDriveOpts(img, &c.opts)
		if assert.ErrorIs(t, err, c.errno, c.word) {
			assert.Contains(t, err.Error(), c.word)
		}
	}
	bs, yes := 4096, true
	require.NoError(t, h.AddDriveOpts(img, &AddDriveOptsOpts{Format: s("raw"), Iface: s("virtio"), Name: s("x"),
		Label: s("lab"), Protocol: s("file"), Cachemode: s("unsafe"), Discard: s("enable"), Copyonread: &yes, Blocksize: &bs}))
	require.NoError(t, h.Launch())
}

func TestFormatRefusals(t *testing.T) {
	dir := t.TempDir()
	qcow := filepath.Join(dir, "q.img")
	hdr := make([]byte, 1024)
	copy(hdr, "QFI\xfb")
	hdr[30] = 0x10 // virtual size 4096 (big-endian at 24)
	require.NoError(t, os.WriteFile(qcow, hdr, 0o644))
	raw := image(t, 1<<20)
	s := func(v string) *string { return &v }

	for _, c := range []struct {
		file, format string
		errno        syscall.Errno
		word         string
	}{
		{qcow, "", syscall.EINVAL, "qcow2"},
		{raw, "qcow2", syscall.EINVAL, "the file is raw"},
		{qcow, "qcow2", syscall.ENOTSUP, "not supported"},
		// A missing file is refused by add_drive itself (drives_test.go).
	} {
		h := newDaemonHandle(t)
		o := &AddDriveOptsOpts{}
		if c.format != "" {
			o.Format = s(c.format)
		}
		require.NoError(t, h.AddDriveOpts(c.file, o))
		err := h.Launch()
		if assert.ErrorIs(t, err, c.errno, c.file) {
			assert.Contains(t, err.Error(), c.word)
		}
		st, _ := h.GetState()
		assert.Equal(t, int(StateConfig), st)
	}
	// With format=raw the qcow2-looking file is taken as raw.
	h := newDaemonHandle(t)
	require.NoError(t, h.AddDriveOpts(qcow, &AddDriveOptsOpts{Format: s("raw")}))
	require.NoError(t, h.Launch())

	f, err := h.DiskFormat(qcow)
	require.NoError(t, err)
	assert.Equal(t, "qcow2", f)
	vs, err := h.DiskVirtualSize(qcow)
	require.NoError(t, err)
	assert.Equal(t, int64(4096), vs)
	bf, err := h.DiskHasBackingFile(qcow)
	require.NoError(t, err)
	assert.False(t, bf)
}

func TestDiskCreate(t *testing.T) {
	h := newDaemonHandle(t)
	dir := t.TempDir()
	p := filepath.Join(dir, "a.img")
	full := "full"
	require.NoError(t, h.DiskCreate(p, "raw", 1<<20, &DiskCreateOpts{Preallocation: &full}))
	st, err := os.Stat(p)
	require.NoError(t, err)
	assert.Equal(t, int64(1<<20), st.Size())
	assert.Equal(t, int64(1<<20), st.Sys().(*syscall.Stat_t).Blocks*512)
	f, err := h.DiskFormat(p)
	require.NoError(t, err)
	assert.Equal(t, "raw", f)
	n, err := h.DiskVirtualSize(p)
	require.NoError(t, err)
	assert.Equal(t, int64(1<<20), n)

	assert.ErrorIs(t, h.DiskCreate(p, "qcow2", 1<<20, nil), syscall.ENOTSUP)
	assert.ErrorIs(t, h.DiskCreate(p, "raw", 1000, nil), syscall.EINVAL)
	bf := "x"
	err = h.DiskCreate(p, "raw", 1<<20, &DiskCreateOpts{Backingfile: &bf})
	require.ErrorIs(t, err, syscall.EINVAL)
	assert.Contains(t, err.Error(), "backingfile")
	bad := "maybe"
	assert.ErrorIs(t, h.DiskCreate(p, "raw", 1<<20, &DiskCreateOpts{Preallocation: &bad}), syscall.EINVAL)
}

func TestCanonicalDeviceName(t *testing.T) {
	h := newDaemonHandle(t)
	for in, want := range map[string]string{"/dev/vda1": "/dev/sda1", "/dev/hdb": "/dev/sdb", "/dev/xvdc3": "/dev/sdc3", "/dev/sda": "/dev/sda", "/dev/mapper/x": "/dev/mapper/x"} {
		got, err := h.CanonicalDeviceName(in)
		require.NoError(t, err)
		assert.Equal(t, want, got, in)
	}
}

func TestReadonlyDriveOverlay(t *testing.T) {
	img := image(t, 16<<20)
	// Give the image an MBR with one partition first.
	{
		h := newDaemonHandle(t)
		require.NoError(t, h.AddDrive(img))
		require.NoError(t, h.Launch())
		require.NoError(t, h.PartDisk("/dev/sda", "mbr"))
		h.Close()
	}
	before := fileSHA(t, img)
	h := newDaemonHandle(t)
	require.NoError(t, h.AddDriveRO(img))
	require.NoError(t, h.Launch())
	n, err := h.PwriteDevice("/dev/sda", []byte("hello, overlay"), 1<<20+3)
	require.NoError(t, err)
	assert.Equal(t, 14, n)
	b, err := h.PreadDevice("/dev/sda", 14, 1<<20+3)
	require.NoError(t, err)
	assert.Equal(t, "hello, overlay", string(b))
	require.NoError(t, h.PartDel("/dev/sda", 1))
	parts, err := h.PartList("/dev/sda")
	require.NoError(t, err)
	assert.Empty(t, parts)
	require.NoError(t, h.Sync())
	h.Close()
	assert.Equal(t, before, fileSHA(t, img), "the read-only image changed")
}

func TestBlockdevActions(t *testing.T) {
	img := image(t, 8<<20)
	h := newDaemonHandle(t)
	require.NoError(t, h.AddDrive(img))
	require.NoError(t, h.AddDriveScratch(2<<20, nil))
	require.NoError(t, h.Launch())
	idx, err := h.DeviceIndex("/dev/sdb")
	require.NoError(t, err)
	assert.Equal(t, 1, idx)
	ss, _ := h.BlockdevGetss("/dev/sda")
	assert.Equal(t, 512, ss)
	sz, _ := h.BlockdevGetsz("/dev/sda")
	assert.Equal(t, int64(8<<20/512), sz)
	bsz, _ := h.BlockdevGetbsz("/dev/sda")
	assert.Equal(t, 4096, bsz)

	require.NoError(t, h.BlockdevSetro("/dev/sda"))
	ro, _ := h.BlockdevGetro("/dev/sda")
	assert.True(t, ro)
	_, err = h.PwriteDevice("/dev/sda", []byte("x"), 0)
	assert.ErrorIs(t, err, syscall.EROFS)
	assert.ErrorIs(t, h.PartInit("/dev/sda", "gpt"), syscall.EROFS)
	require.NoError(t, h.BlockdevSetrw("/dev/sda"))
	require.NoError(t, h.BlockdevFlushbufs("/dev/sda"))

	// Writes at the end are cut short; past it they fail.
	n, err := h.PwriteDevice("/dev/sda", []byte("abcd"), 8<<20-2)
	require.NoError(t, err)
	assert.Equal(t, 2, n)
	_, err = h.PwriteDevice("/dev/sda", []byte("abcd"), 8<<20)
	assert.ErrorIs(t, err, syscall.ENOSPC)
	b, err := h.PreadDevice("/dev/sda", 10, 8<<20-2)
	require.NoError(t, err)
	assert.Equal(t, "ab", string(b))

	_, err = h.PwriteDevice("/dev/sda", []byte("data"), 4096)
	require.NoError(t, err)
	require.NoError(t, h.ZeroDevice("/dev/sda"))
	b, _ = h.PreadDevice("/dev/sda", 4, 4096)
	assert.Equal(t, make([]byte, 4), b)
	require.NoError(t, h.PartDisk("/dev/sda", "gpt"))
	require.NoError(t, h.Zero("/dev/sda"))
	_, err = h.PartList("/dev/sda")
	assert.Error(t, err)

	// Partitions are devices too.
	require.NoError(t, h.PartDisk("/dev/sdb", "mbr"))
	parts, err := h.ListPartitions()
	require.NoError(t, err)
	assert.Equal(t, []string{"/dev/sdb1"}, parts)
	psz, err := h.BlockdevGetsize64("/dev/sdb1")
	require.NoError(t, err)
	pl, _ := h.PartList("/dev/sdb")
	assert.Equal(t, pl[0].PartSize, psz)
	_, err = h.PwriteDevice("/dev/sdb1", []byte("in part"), 0)
	require.NoError(t, err)
	b, _ = h.PreadDevice("/dev/sdb", 7, pl[0].PartStart)
	assert.Equal(t, "in part", string(b))
	_, err = h.BlockdevGetsize64("/dev/sdb2")
	assert.ErrorIs(t, err, syscall.ENOENT)
	dev, _ := h.PartToDev("/dev/sdb1")
	assert.Equal(t, "/dev/sdb", dev)
	pn, _ := h.PartToPartnum("/dev/sdb1")
	assert.Equal(t, 1, pn)
	_, err = h.PartToDev("/dev/sdb")
	assert.ErrorIs(t, err, syscall.EINVAL)
}

// sfdiskJSON is the part of `sfdisk --json` the tests compare.
type sfdiskJSON struct {
	PartitionTable struct {
		Label      string `json:"label"`
		Partitions []struct {
			Node  string `json:"node"`
			Start int64  `json:"start"`
			Size  int64  `json:"size"`
		} `json:"partitions"`
	} `json:"partitiontable"`
}

// checkImage runs the real checkers on img and compares sfdisk's view with
// what part_list reported.
func checkImage(t *testing.T, img string, gpt bool, parts []Partition) {
	t.Helper()
	out, err := exec.Command("sfdisk", "--verify", img).CombinedOutput()
	require.NoError(t, err, "sfdisk --verify: %s", out)
	assert.Contains(t, string(out), "No errors detected", "sfdisk --verify: %s", out)
	if gpt {
		out, err := exec.Command("sgdisk", "-v", img).CombinedOutput()
		require.NoError(t, err, "sgdisk -v: %s", out)
		assert.Contains(t, string(out), "No problems found", "sgdisk -v: %s", out)
	}
	js, err := exec.Command("sfdisk", "--json", img).Output()
	require.NoError(t, err)
	var j sfdiskJSON
	require.NoError(t, json.Unmarshal(js, &j))
	want := map[int32][2]int64{}
	for _, p := range parts {
		want[p.PartNum] = [2]int64{p.PartStart / 512, p.PartSize / 512}
	}
	got := map[int32][2]int64{}
	for _, p := range j.PartitionTable.Partitions {
		var n int32
		fmt.Sscanf(p.Node[len(img):], "%d", &n)
		got[n] = [2]int64{p.Start, p.Size}
	}
	assert.Equal(t, want, got, "sfdisk --json vs part_list")
}

func TestPartitionScenarioMBR(t *testing.T) {
	img := image(t, 64<<20)
	h := newDaemonHandle(t)
	require.NoError(t, h.AddDrive(img))
	require.NoError(t, h.Launch())
	require.NoError(t, h.PartInit("/dev/sda", "msdos"))
	require.NoError(t, h.PartAdd("/dev/sda", "p", 2048, 20479))
	require.NoError(t, h.PartAdd("/dev/sda", "e", 20480, 100000))
	require.NoError(t, h.PartAdd("/dev/sda", "l", 22528, 40959))
	require.NoError(t, h.PartAdd("/dev/sda", "l", 43008, 60000))
	require.NoError(t, h.PartSetBootable("/dev/sda", 1, true))
	require.NoError(t, h.PartSetMBRID("/dev/sda", 5, 0x83))
	typ, _ := h.PartGetParttype("/dev/sda")
	assert.Equal(t, "msdos", typ)
	boot, _ := h.PartGetBootable("/dev/sda", 1)
	assert.True(t, boot)
	id, _ := h.PartGetMBRID("/dev/sda", 5)
	assert.Equal(t, 0x83, id)
	parts, err := h.PartList("/dev/sda")
	require.NoError(t, err)
	var nums []int32
	for _, p := range parts {
		nums = append(nums, p.PartNum)
	}
	assert.Equal(t, []int32{1, 2, 5, 6}, nums)
	lp, _ := h.ListPartitions()
	assert.Equal(t, []string{"/dev/sda1", "/dev/sda2", "/dev/sda5", "/dev/sda6"}, lp)
	require.NoError(t, h.Shutdown())
	checkImage(t, img, false, parts)
}

func TestPartitionScenarioGPT(t *testing.T) {
	img := image(t, 64<<20)
	h := newDaemonHandle(t)
	require.NoError(t, h.AddDrive(img))
	require.NoError(t, h.Launch())
	require.NoError(t, h.PartInit("/dev/sda", "gpt"))
	require.NoError(t, h.PartAdd("/dev/sda", "p", 2048, 40959))
	require.NoError(t, h.PartAdd("/dev/sda", "p", 40960, -34))
	require.NoError(t, h.PartSetName("/dev/sda", 1, "boot"))
	require.NoError(t, h.PartSetGPTType("/dev/sda", 1, "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"))
	name, _ := h.PartGetName("/dev/sda", 1)
	assert.Equal(t, "boot", name)
	gt, _ := h.PartGetGPTType("/dev/sda", 1)
	assert.Equal(t, "C12A7328-F81F-11D2-BA4B-00A0C93EC93B", gt)
	guid, err := h.PartGetGPTGuid("/dev/sda", 2)
	require.NoError(t, err)
	assert.Len(t, guid, 36)
	require.NoError(t, h.PartDel("/dev/sda", 2))
	require.NoError(t, h.PartAdd("/dev/sda", "p", 40960, 80000))
	typ, _ := h.PartGetParttype("/dev/sda")
	assert.Equal(t, "gpt", typ)
	parts, err := h.PartList("/dev/sda")
	require.NoError(t, err)
	require.Len(t, parts, 2)
	h.Close()
	checkImage(t, img, true, parts)

	// Grow the image, then move the backup GPT to the new end.
	require.NoError(t, os.Truncate(img, 96<<20))
	h = newDaemonHandle(t)
	require.NoError(t, h.AddDrive(img))
	require.NoError(t, h.Launch())
	require.NoError(t, h.PartExpandGPT("/dev/sda"))
	require.NoError(t, h.PartAdd("/dev/sda", "p", 80001+2047-(80001+2047)%2048, -34))
	parts, err = h.PartList("/dev/sda")
	require.NoError(t, err)
	h.Close()
	checkImage(t, img, true, parts)
}

// progressHandle returns a launched handle and a recorder of its PROGRESS
// events.
func progressEvents(t *testing.T, h *Handle, onProgress func([]uint64)) *[][]uint64 {
	var got [][]uint64
	_, err := h.SetEventCallback(func(ev Event, _ int, _ []byte, array []uint64) {
		got = append(got, append([]uint64(nil), array...))
		if onProgress != nil {
			onProgress(array)
		}
	}, EventProgress, 0)
	require.NoError(t, err)
	return &got
}

func TestDebugProgress(t *testing.T) {
	h := newDaemonHandle(t)
	require.NoError(t, h.Launch())
	got := progressEvents(t, h, nil)
	r, err := h.Debug("progress", []string{"1"})
	require.NoError(t, err)
	assert.Equal(t, "ok", r)
	require.NotEmpty(t, *got)
	last := (*got)[len(*got)-1]
	assert.Equal(t, last[3], last[2], "final position == total")
	for _, a := range *got {
		assert.Equal(t, uint64(2), a[0], "proc_nr of debug")
		assert.LessOrEqual(t, a[2], a[3])
	}
	// An action shorter than the delay sends none.
	*got = nil
	_, err = h.Debug("progress", []string{"0"})
	require.NoError(t, err)
	assert.Empty(t, *got)
}

func TestDebugProgressDefaultDelay(t *testing.T) {
	h, err := New(Options{NoEnvironment: true, Environ: func() []string { return nil }})
	require.NoError(t, err)
	defer h.Close()
	require.NoError(t, h.SetPath(&daemonDir))
	require.NoError(t, h.Launch())
	got := progressEvents(t, h, nil)
	// Shorter than the default 2 s delay: no events.
	_, err = h.Debug("progress", []string{"1"})
	require.NoError(t, err)
	assert.Empty(t, *got)
}

func TestUserCancel(t *testing.T) {
	h := newDaemonHandle(t)
	require.NoError(t, h.Launch())
	// Cancel from inside the progress callback (as a signal handler would).
	got := progressEvents(t, h, func([]uint64) { h.UserCancel() })
	_, err := h.Debug("progress", []string{"600"})
	require.ErrorIs(t, err, syscall.EINTR)
	assert.NotEmpty(t, *got)
	// The handle is usable, and a cancel between calls is not remembered.
	h.UserCancel()
	r, err := h.Debug("echo", []string{"a", "b"})
	require.NoError(t, err)
	assert.Equal(t, "a b", r)

	// Cancel from another goroutine.
	*got = nil
	h2 := newDaemonHandle(t)
	require.NoError(t, h2.AddDriveScratch(1<<30, nil))
	require.NoError(t, h2.Launch())
	go func() {
		time.Sleep(100 * time.Millisecond)
		h2.UserCancel()
	}()
	_, err = h2.Debug("progress", []string{"600"})
	require.ErrorIs(t, err, syscall.EINTR)
	_, err = h2.ListDevices()
	require.NoError(t, err)
}

func TestDaemonCallInsideCallbackIsBusy(t *testing.T) {
	h := newDaemonHandle(t)
	require.NoError(t, h.Launch())
	var inner error
	_, err := h.SetEventCallback(func(Event, int, []byte, []uint64) {
		if inner == nil {
			_, inner = h.ListDevices()
		}
	}, EventProgress, 0)
	require.NoError(t, err)
	_, err = h.Debug("progress", []string{"1"})
	require.NoError(t, err)
	assert.ErrorIs(t, inner, syscall.EBUSY)
}

func TestDaemonDeath(t *testing.T) {
	h := newDaemonHandle(t)
	got := recordEvents(t, h, EventSubprocessQuit|EventClose)
	require.NoError(t, h.Launch())
	pid := h.daemon.proc.Pid
	go func() {
		time.Sleep(100 * time.Millisecond)
		syscall.Kill(pid, syscall.SIGKILL)
	}()
	_, err := h.Debug("progress", []string{"600"})
	require.ErrorIs(t, err, syscall.EIO)
	assert.Contains(t, err.Error(), "signal 9")
	assert.Contains(t, err.Error(), "can only be closed")
	_, err2 := h.ListDevices()
	assert.ErrorIs(t, err2, syscall.EIO)
	h.Close()
	assert.Equal(t, []string{"subprocess_quit", "close"}, *got)
}

func TestDaemonIsolation(t *testing.T) {
	h := newDaemonHandle(t)
	require.NoError(t, h.AddDriveRO(image(t, 1<<20)))
	require.NoError(t, h.AddDriveScratch(1<<20, nil))
	require.NoError(t, h.SetMemsize(256))
	require.NoError(t, h.Launch())
	pid := h.daemon.proc.Pid
	status := procStatus(t, pid)
	assert.Equal(t, "1", status["NoNewPrivs"])
	myNet, _ := os.Readlink("/proc/self/ns/net")
	itsNet, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/net", pid))
	require.NoError(t, err)
	assert.NotEqual(t, myNet, itsNet, "the daemon shares the caller's network namespace")
	env, _ := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
	vars := strings.Split(strings.TrimRight(string(env), "\x00"), "\x00")
	assert.ElementsMatch(t, []string{"GOMEMLIMIT=192MiB", "GOMAXPROCS=1"}, vars)
	limits, _ := os.ReadFile(fmt.Sprintf("/proc/%d/limits", pid))
	assert.Regexp(t, `Max data size\s+268435456\s+268435456`, string(limits))
	// Descriptors: 0-2 /dev/null, the socket, 3 drive files (one overlay),
	// and what the Go runtime opens for itself (epoll, an eventfd or pipe,
	// the pidfd, its cgroup CPU limit files).
	fds, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	var files []string
	for _, fd := range fds {
		l, _ := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name()))
		if strings.HasPrefix(l, "/") && l != "/dev/null" && !strings.HasPrefix(l, "/sys/fs/cgroup/") {
			files = append(files, l)
		}
	}
	assert.Len(t, files, 3, "files open in the daemon: %v", files)
}

// TestDaemonWithoutNamespaces: where namespaces are refused, the daemon
// still runs under its seccomp filter, in the caller's network namespace.
func TestDaemonWithoutNamespaces(t *testing.T) {
	h := newDaemonHandle(t, TestNoNamespacesEnv+"=1")
	require.NoError(t, h.Launch())
	pid := h.daemon.proc.Pid
	status := procStatus(t, pid)
	assert.Equal(t, "2", status["Seccomp"], "seccomp filter mode")
	myNet, _ := os.Readlink("/proc/self/ns/net")
	itsNet, _ := os.Readlink(fmt.Sprintf("/proc/%d/ns/net", pid))
	assert.Equal(t, myNet, itsNet)
	_, err := h.Debug("echo", nil)
	require.NoError(t, err)
}

func TestNetworkOn(t *testing.T) {
	h := newDaemonHandle(t)
	require.NoError(t, h.SetNetwork(true))
	require.NoError(t, h.Launch())
	pid := h.daemon.proc.Pid
	assert.Equal(t, "2", procStatus(t, pid)["Seccomp"], "the filter is always installed")
	probe, err := h.Debug("sandbox", nil)
	require.NoError(t, err)
	assert.Regexp(t, `(?m)^socket AF_INET: ok$`, probe)
	myNet, _ := os.Readlink("/proc/self/ns/net")
	itsNet, _ := os.Readlink(fmt.Sprintf("/proc/%d/ns/net", pid))
	assert.Equal(t, myNet, itsNet)
}

// TestDaemonSandbox: from inside the daemon, host paths, network sockets,
// io_uring and signals to other processes are refused, and every thread
// has no_new_privs, the seccomp filter and no capabilities.
func TestDaemonSandbox(t *testing.T) {
	for _, env := range [][]string{nil, {TestNoNamespacesEnv + "=1"}} {
		h := newDaemonHandle(t, env...)
		require.NoError(t, h.Launch())
		probe, err := h.Debug("sandbox", nil)
		require.NoError(t, err)
		for _, want := range []string{
			`open /etc/passwd: (EACCES|EPERM)`,
			`socket AF_INET: (EAFNOSUPPORT|EPERM)`,
			`socket AF_INET6: (EAFNOSUPPORT|EPERM)`,
			`io_uring_setup: EPERM`,
			`kill 1 0: EPERM`,
			`unshare CLONE_NEWUSER: EPERM`,
			`bpf: EPERM`,
		} {
			assert.Regexp(t, "(?m)^"+want+"$", probe, "%v", env)
		}
		tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/status", h.daemon.proc.Pid))
		require.NoError(t, err)
		require.NotEmpty(t, tasks)
		for _, task := range tasks {
			b, err := os.ReadFile(task)
			require.NoError(t, err)
			st := string(b)
			assert.Regexp(t, `(?m)^NoNewPrivs:\s+1$`, st, task)
			assert.Regexp(t, `(?m)^Seccomp:\s+2$`, st, task)
			caps := []string{"CapEff", "CapPrm"}
			if os.Geteuid() == 0 || env == nil {
				// An ordinary user's daemon without a user namespace cannot
				// empty its bounding set (it says so in a WARNING), but
				// holds no capability either.
				caps = append(caps, "CapBnd")
			}
			for _, c := range caps {
				assert.Regexp(t, `(?m)^`+c+`:\s+0+$`, st, task)
			}
		}
	}
}

// procStatus returns the fields of /proc/PID/status.
func procStatus(t *testing.T, pid int) map[string]string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	require.NoError(t, err)
	m := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if ok {
			m[k] = strings.TrimSpace(v)
		}
	}
	return m
}

func TestVerboseApplianceEvents(t *testing.T) {
	h := newDaemonHandle(t)
	require.NoError(t, h.SetVerbose(true))
	var lines []string
	_, err := h.SetEventCallback(func(ev Event, _ int, buf []byte, _ []uint64) {
		lines = append(lines, string(buf))
	}, EventAppliance, 0)
	require.NoError(t, err)
	// Take the LIBRARY messages too, so that nothing goes to stderr.
	_, err = h.SetEventCallback(func(Event, int, []byte, []uint64) {}, EventLibrary, 0)
	require.NoError(t, err)
	require.NoError(t, h.Launch())
	require.NotEmpty(t, lines)
	assert.Contains(t, lines[0], "guestfsd started")
}

func TestSmallMemsizeAndPgroup(t *testing.T) {
	h := newDaemonHandle(t)
	require.NoError(t, h.SetMemsize(MinMemsize))
	require.NoError(t, h.SetSMP(2))
	require.NoError(t, h.SetPgroup(true))
	require.NoError(t, h.AddDriveScratch(64<<20, nil))
	require.NoError(t, h.Launch())
	pid := h.daemon.proc.Pid
	pgid, err := syscall.Getpgid(pid)
	require.NoError(t, err)
	assert.Equal(t, pid, pgid, "the daemon has a process group of its own")
	// Largest transfers, repeatedly, under the smallest memory limit.
	buf := make([]byte, 4<<20)
	for i := range buf {
		buf[i] = byte(i)
	}
	for i := 0; i < 10; i++ {
		n, err := h.PwriteDevice("/dev/sda", buf, int64(i)*(4<<20))
		require.NoError(t, err)
		require.Equal(t, len(buf), n)
		b, err := h.PreadDevice("/dev/sda", len(buf), int64(i)*(4<<20))
		require.NoError(t, err)
		require.Equal(t, buf, b)
	}
	require.NoError(t, h.ZeroDevice("/dev/sda"))
}

func TestBrokenDaemons(t *testing.T) {
	dir := t.TempDir()
	for name, script := range map[string]string{
		"exits":     "#!/bin/sh\nexit 3\n",
		"garbage":   "#!/bin/sh\nprintf '\\000\\000\\000\\003\\377\\377\\377' >&3\nsleep 30\n",
		"oversized": "#!/bin/sh\nprintf '\\177\\377\\377\\377' >&3\nsleep 30\n",
	} {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(dir, name)
			require.NoError(t, os.WriteFile(p, []byte(script), 0o755))
			h := newDaemonHandle(t)
			require.NoError(t, h.SetHV(p))
			require.NoError(t, h.AddDriveScratch(1<<20, nil))
			err := h.Launch()
			require.ErrorIs(t, err, syscall.EIO)
			assert.Contains(t, err.Error(), "no hello")
			st, _ := h.GetState()
			assert.Equal(t, int(StateConfig), st)
			// A failed launch can be retried, scratch drive included.
			require.NoError(t, h.SetHV(""))
			require.NoError(t, h.Launch())
			sz, err := h.BlockdevGetsize64("/dev/sda")
			require.NoError(t, err)
			assert.Equal(t, int64(1<<20), sz)
		})
	}
}
