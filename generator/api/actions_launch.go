package api

// launchActions start and stop the daemon. They run in the library.
var launchActions = []Action{
	{Name: "launch", Ret: Ret{Kind: RErr},
		Shortdesc: "start the daemon",
		Longdesc: "Start the daemon (`guestfsd`, found through `hv`, else the search path `path`) in a process of its own, pass it the drives added so far, wait until it is ready and emit LAUNCH_DONE. A handle can be launched once. " +
			"The daemon is sandboxed before it reads a byte of any image: no_new_privs and no capabilities on every thread, Landlock denying every host path, a seccomp filter refusing network sockets (unless `set_network(true)`), io_uring, bpf, ptrace, mount and namespace calls, an empty environment and no descriptors but its socket and the drives; without `set_network(true)` it also starts in a new network namespace. Where the kernel lacks Landlock or a part of it, launch emits a WARNING event saying what is missing. " +
			"Its memory is capped by `memsize` and its CPUs by `smp`. It exits, after flushing the drives, when the calling process dies."},
	{Name: "shutdown", Ret: Ret{Kind: RErr},
		Shortdesc: "flush the drives and stop the daemon",
		Longdesc:  "Flush every drive to stable storage, stop the daemon and emit SUBPROCESS_QUIT. After this the handle can only be closed. Does nothing on a handle that was never launched."},
	{Name: "kill_subprocess", Ret: Ret{Kind: RErr}, DeprecatedBy: "shutdown",
		Shortdesc: "stop the daemon",
		Longdesc:  "The same as `shutdown`, kept for compatibility with old programs."},
}

// driveOptArgs are the optional arguments of add_drive_opts, in
// libguestfs's order (which is their number in the C API).
var driveOptArgs = []OptArg{
	{OBool, "readonly"}, {OString, "format"}, {OString, "iface"}, {OString, "name"},
	{OString, "label"}, {OString, "protocol"}, {OStringList, "server"}, {OString, "username"},
	{OString, "secret"}, {OString, "cachemode"}, {OString, "discard"}, {OBool, "copyonread"},
	{OInt, "blocksize"},
}

// driveActions add drives and create or inspect disk image files. They run
// in the library.
var driveActions = []Action{
	{Name: "add_drive", Ret: Ret{Kind: RErr}, Args: []Arg{{String, "filename"}}, BindingOptArgs: "add_drive_opts",
		Shortdesc: "add a disk image",
		Longdesc:  "Add the raw disk image `filename` as the next drive, read-write. In C this is `add_drive_opts` with no optional arguments; in Python and Ruby `add_drive` takes the optional arguments of `add_drive_opts`, as in libguestfs."},
	{Name: "add_drive_opts", Ret: Ret{Kind: RErr}, Args: []Arg{{String, "filename"}}, OptArgs: driveOptArgs,
		Shortdesc: "add a disk image with options",
		Longdesc: "Add the disk image `filename` as the next drive; drives are `/dev/sda`, `/dev/sdb`, ... in the order they were added. `/dev/null` is a drive of size zero. As in libguestfs, a file that does not exist is refused here (ENOENT, `/nonexistent/dir/disk.img: No such file or directory`), and so is one that cannot be read, or written when the drive is not read-only (EACCES), or a directory (EISDIR); the file is opened at `launch`, which checks again. " +
			"`readonly`: the library opens the file read-only, so the daemon cannot modify it; writes are still allowed and go to a copy-on-write overlay kept in a temporary file in `tmpdir`, discarded at close. " +
			"`format`: only `raw` is supported. Without it, a file whose contents say qcow2, vmdk, vdi or vhdx is refused at launch; with a format other than raw, launch fails. " +
			"`iface`, `name`, `label`, `cachemode` (`writeback` or `unsafe`), `discard` (`disable`, `enable` or `besteffort`), `copyonread` and `blocksize` (512 or 4096) are checked and accepted. " +
			"`protocol` other than `file`, `server`, `username` and `secret` (remote drives) are refused with an error naming the option."},
	{Name: "add_drive_ro", Ret: Ret{Kind: RErr}, Args: []Arg{{String, "filename"}},
		Shortdesc: "add a disk image read-only",
		Longdesc:  "The same as `add_drive_opts` with `readonly` set."},
	{Name: "add_cdrom", Ret: Ret{Kind: RErr}, Args: []Arg{{String, "filename"}}, DeprecatedBy: "add_drive_ro",
		Shortdesc: "add a CD-ROM image",
		Longdesc:  "The same as `add_drive_ro`, kept for compatibility."},
	{Name: "add_drive_scratch", Ret: Ret{Kind: RErr}, Args: []Arg{{Int64, "size"}},
		OptArgs:   []OptArg{{OString, "name"}, {OString, "label"}, {OInt, "blocksize"}},
		Shortdesc: "add a temporary scratch drive",
		Longdesc:  "Add a drive of `size` bytes backed by a temporary sparse file in `tmpdir` that is removed at close. It starts filled with zeros."},
	{Name: "disk_create", Ret: Ret{Kind: RErr}, Args: []Arg{{String, "filename"}, {String, "format"}, {Int64, "size"}},
		OptArgs: []OptArg{{OString, "backingfile"}, {OString, "backingformat"}, {OString, "preallocation"},
			{OString, "compat"}, {OInt, "clustersize"}},
		Shortdesc: "create a blank disk image",
		Longdesc: "Create the disk image `filename` of `size` bytes (a multiple of 512) in `format`. Only the `raw` format is supported; other formats fail with ENOTSUP. " +
			"`preallocation` is `off` or `sparse` (the default: a sparse file) or `full` (blocks allocated). `backingfile`, `backingformat`, `compat` and `clustersize` apply to qcow2 only and are refused."},
	{Name: "disk_format", Ret: Ret{Kind: RString}, Args: []Arg{{String, "filename"}},
		Shortdesc: "detect the format of a disk image",
		Longdesc:  "Return the format of the disk image `filename` from its contents: `qcow2`, `vmdk`, `vdi`, `vhdx`, or `raw` for anything else."},
	{Name: "disk_virtual_size", Ret: Ret{Kind: RInt64}, Args: []Arg{{String, "filename"}},
		Shortdesc: "get the virtual size of a disk image",
		Longdesc:  "Return the size of the disk the image `filename` holds, in bytes: the file size for raw images, the header's size for qcow2. Other formats fail with ENOTSUP."},
	{Name: "disk_has_backing_file", Ret: Ret{Kind: RBool}, Args: []Arg{{String, "filename"}},
		Shortdesc: "does a disk image have a backing file",
		Longdesc:  "Return true if the disk image `filename` is a qcow2 image with a backing file; raw images never have one. Other formats fail with ENOTSUP."},
	{Name: "canonical_device_name", Ret: Ret{Kind: RString}, Args: []Arg{{String, "device"}},
		Shortdesc: "return the canonical device name",
		Longdesc:  "Return `device` with the libguestfs naming rules applied: `/dev/hdX`, `/dev/vdX` and `/dev/xvdX` become `/dev/sdX` (partition numbers kept). Other names are returned unchanged."},
}
