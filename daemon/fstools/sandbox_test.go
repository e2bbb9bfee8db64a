package fstools

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"goguestfs/daemon/blockdev"
	"goguestfs/daemon/sandbox"
)

// roleEnv makes the test binary the sandboxed process of TestSandboxed.
const roleEnv = "GOGUESTFS_FSTOOLS_TEST_ROLE"

func TestMain(m *testing.M) {
	if os.Getenv(roleEnv) == "sandboxed" {
		os.Exit(sandboxedMain())
	}
	os.Exit(m.Run())
}

// sandboxedMain is the daemon's situation: it applies the sandbox with
// ExecPaths, then works on drives it holds as descriptors 3 (garbage, to
// make ext4 on), 4 (an ext2 with a block in two files, which preen mode
// cannot repair) and 5 (a damaged FAT), writing a line per step: "ok STEP
// [RESULT]" or "error STEP: MESSAGE".
func sandboxedMain() int {
	warnings, err := sandbox.Apply(sandbox.Options{Exec: ExecPaths()})
	if err != nil {
		fmt.Printf("error sandbox: %v\n", err)
		return 1
	}
	for _, w := range warnings {
		fmt.Printf("warning %s\n", w)
	}
	step := func(name string, result string, err error) {
		if err != nil {
			fmt.Printf("error %s: %s\n", name, strings.ReplaceAll(err.Error(), "\n", " | "))
			return
		}
		fmt.Printf("ok %s %s\n", name, result)
	}
	drive := func(fd int, name string) *blockdev.Drive {
		d, err := blockdev.Open(name, os.NewFile(uintptr(fd), name), nil)
		if err != nil {
			fmt.Printf("error open: %v\n", err)
			os.Exit(1)
		}
		return d
	}
	// The sandbox holds: no host file opens, no other program runs.
	_, err = os.Open("/etc/passwd")
	step("probe-open", "", expectErrno(err, syscall.EACCES))
	err = exec.Command("/usr/sbin/dumpe2fs", "-h").Run()
	step("probe-exec", "", expectErrno(err, syscall.EACCES))

	part := testPart(drive(3, "/dev/sda"))
	step("mkfs", "", MakeExt(part, ExtOptions{FSType: ptr("ext4"), Label: ptr("sandboxed")}))
	step("e2fsck", "", E2fsck(part, true, false))
	// A failure's message is e2fsck's, without the lines saying what the
	// sandbox refused it (the mount table, /dev/null).
	message := func(err error) string {
		if err == nil {
			return "no error"
		}
		return strings.ReplaceAll(err.Error(), "\n", " | ")
	}
	step("e2fsck-terminal", message(E2fsck(part, false, false)), nil)
	step("mkfs-message", message(MakeExt(part, ExtOptions{UUID: ptr("garbage")})), nil)
	m, err := Tune2fsL(part)
	step("tune2fs_l", m["Filesystem volume name"], err)
	st, err := Fsck(part, "ext4")
	step("fsck", fmt.Sprint(st), err)
	step("zerofree", "", Zerofree(part))

	damaged := &blockdev.Part{Name: "/dev/sdb1", Drive: drive(4, "/dev/sdb"), Start: partStart, Length: partLen}
	step("e2fsck-preen", message(E2fsck(damaged, true, false)), nil)
	step("e2fsck-damaged", "", E2fsck(damaged, false, true))

	fat := drive(5, "/dev/sdc")
	st, err = Fsck(fat, "vfat")
	step("fsck-vfat", fmt.Sprint(st), err)
	fmt.Println("done")
	return 0
}

// expectErrno is nil when err carries want, else an error saying what err
// was.
func expectErrno(err error, want syscall.Errno) error {
	if errors.Is(err, want) {
		return nil
	}
	return fmt.Errorf("want %v, got %v", want, err)
}

// TestSandboxed runs MakeExt, E2fsck, Tune2fsL, Fsck and Zerofree in a
// process confined by sandbox.Apply with ExecPaths, on drives passed as
// descriptors; the host's checkers then find the results clean.
func TestSandboxed(t *testing.T) {
	exe, err := os.Executable()
	require.NoError(t, err)

	blank := testImage(t, diskSize, true)
	damaged := testImage(t, diskSize, false)
	dd := openDrive(t, damaged, false)
	dp := testPart(dd)
	require.NoError(t, MakeExt(dp, ExtOptions{FSType: ptr("ext2")}))
	corrupt(t, dp, "write /etc/services f1", "write /etc/passwd f2", "set_inode_field <12> links_count 5")
	corrupt(t, dp, "set_inode_field /f2 block[0] "+firstBlock(t, saveDev(t, dp), "/f1"))
	_, st := host(t, "e2fsck", "-fn", saveDev(t, dp))
	require.NotEqual(t, 0, st)
	fat := filepath.Join(t.TempDir(), "fat.img")
	require.NoError(t, os.WriteFile(fat, nil, 0o644))
	require.NoError(t, os.Truncate(fat, 32<<20))
	out, st := host(t, "mkfs.fat", "-F", "16", fat)
	require.Equal(t, 0, st, out)
	boot := make([]byte, 512)
	ff, err := os.OpenFile(fat, os.O_RDWR, 0)
	require.NoError(t, err)
	_, err = ff.ReadAt(boot, 0)
	require.NoError(t, err)
	_, err = ff.WriteAt([]byte{0xff, 0xff}, int64(binary.LittleEndian.Uint16(boot[14:]))*512+100*2)
	require.NoError(t, err)
	require.NoError(t, ff.Close())

	var files []*os.File
	for _, p := range []string{blank, damaged, fat} {
		f, err := os.OpenFile(p, os.O_RDWR, 0)
		require.NoError(t, err)
		defer f.Close()
		files = append(files, f)
	}
	cmd := exec.Command(exe)
	cmd.Env = []string{roleEnv + "=sandboxed"}
	cmd.Dir = "/"
	cmd.ExtraFiles = files
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	results := map[string]string{}
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		line := sc.Text()
		t.Log(line)
		kind, rest, _ := strings.Cut(line, " ")
		switch kind {
		case "ok":
			name, result, _ := strings.Cut(rest, " ")
			results[name] = result
		case "error":
			t.Errorf("sandboxed: %s", rest)
		case "warning":
			t.Logf("sandbox warning: %s", rest)
		case "done":
			results["done"] = ""
		}
	}
	require.NoError(t, cmd.Wait(), "stderr: %s", stderr.String())
	assert.Empty(t, stderr.String())
	require.Contains(t, results, "done")
	assert.Equal(t, "sandboxed", results["tune2fs_l"])
	assert.Equal(t, "0", results["fsck"])
	assert.Equal(t, "/dev/sda1: e2fsck: need terminal for interactive repairs", results["e2fsck-terminal"])
	assert.Equal(t, "/dev/sda1: mke2fs: /dev/sda1: could not parse UUID: garbage", results["mkfs-message"])
	preen := results["e2fsck-preen"]
	assert.Contains(t, preen, "/dev/sdb1: e2fsck: /dev/sdb1: ")
	assert.Contains(t, preen, "UNEXPECTED INCONSISTENCY")
	for _, not := range []string{"mounted", "/dev/null", memPath} {
		assert.NotContains(t, preen, not)
	}
	assert.Equal(t, "1", results["fsck-vfat"])
	for _, s := range []string{"probe-open", "probe-exec", "mkfs", "e2fsck", "zerofree", "e2fsck-damaged"} {
		assert.Contains(t, results, s)
	}

	requireClean(t, saveDev(t, testPart(openDrive(t, blank, false))))
	requireClean(t, saveDev(t, dp))
	out, st = host(t, "fsck.fat", "-n", fat)
	assert.Equal(t, 0, st, out)
}
