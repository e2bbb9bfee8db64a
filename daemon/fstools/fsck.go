package fstools

import (
	"syscall"

	"goguestfs/daemon/errno"
	"goguestfs/daemon/fs"
)

// onCopy runs tool (as argv0 with args, which name the memfd by memPath;
// see runTool for withStdout) on a copy of dev in a memfd and writes back
// to dev the blocks it changed, when it exited (with any status); a tool
// killed by a signal changes nothing on dev. A device set read-only fails
// with EROFS first.
func onCopy(dev fs.Device, tool, argv0 string, args []string, withStdout bool) (result, error) {
	name := devName(dev)
	if err := checkWritable(name, dev); err != nil {
		return result{}, err
	}
	path, err := toolPath(name, tool)
	if err != nil {
		return result{}, err
	}
	mem, err := newMem(name, dev.Size())
	if err != nil {
		return result{}, err
	}
	defer mem.Close()
	copied, err := copyIn(name, dev, mem)
	if err != nil {
		return result{}, err
	}
	res, err := runTool(name, path, argv0, args, mem, withStdout)
	if err != nil {
		return res, err
	}
	return res, writeBack(name, dev, mem, copied)
}

// checkers maps a filesystem type to the program that checks it.
var checkers = map[string]string{
	"ext2": "e2fsck", "ext3": "e2fsck", "ext4": "e2fsck",
	"vfat": "fsck.fat", "fat": "fsck.fat", "msdos": "fsck.fat",
}

// Fsck is libguestfs's fsck: what fsck -a -t fstype runs, fsck.fstype -a
// (e2fsck for ext2/3/4, fsck.fat for vfat, fat and msdos), on a copy of
// dev whose changes are written back. It returns the checker's exit
// status, a bitmask (1: errors corrected, 2: reboot needed, 4: errors left
// uncorrected, 8: operational error...), and an error only when the
// checker could not run: ENOTSUP for a type without a checker here, EROFS
// for a device set read-only.
func Fsck(dev fs.Device, fstype string) (status int, err error) {
	tool, ok := checkers[fstype]
	if !ok {
		return 0, errno.New(syscall.ENOTSUP, "%s: no checker for %s filesystems", devName(dev), errno.Cut(fstype))
	}
	res, err := onCopy(dev, tool, "fsck."+fstype, []string{"-a", memPath}, false)
	if err != nil {
		return 0, err
	}
	return res.status, nil
}

// E2fsck is libguestfs's e2fsck: e2fsck -f, with -p when correct (repair
// what is safe without asking) or -y when forceall (answer yes to every
// question), on a copy of dev whose changes are written back. Both at once
// fail with EINVAL; so does neither, since e2fsck then wants a terminal.
// An exit status of 0 or 1 (errors corrected) is success; 2 and 4 (errors
// left) fail with EIO, 8 and above (e2fsck could not check) with EINVAL,
// each with e2fsck's output.
func E2fsck(dev fs.Device, correct, forceall bool) error {
	name := devName(dev)
	args := []string{"-f"}
	switch {
	case correct && forceall:
		return errno.New(syscall.EINVAL, "%s: only one of the options 'correct' or 'forceall' may be specified", name)
	case correct:
		args = append(args, "-p")
	case forceall:
		args = append(args, "-y")
	}
	res, err := onCopy(dev, "e2fsck", "e2fsck", append(args, memPath), true)
	switch {
	case err != nil:
		return err
	case res.status <= 1:
		return nil
	case res.status < 8:
		return toolError(syscall.EIO, name, "e2fsck", res)
	}
	return toolError(syscall.EINVAL, name, "e2fsck", res)
}
