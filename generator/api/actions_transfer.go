package api

// copyOpts are the optional arguments of the copy_*_to_* actions, in
// libguestfs's order (their bit numbers in C).
var copyOpts = []OptArg{{OInt64, "srcoffset"}, {OInt64, "destoffset"}, {OInt64, "size"}, {OBool, "sparse"}, {OBool, "append"}}

// copyLong is the description the copy_*_to_* actions share.
const copyLong = "Copy `size` bytes (default: from `srcoffset` to the end of the source) from `src` at `srcoffset` (default 0) to `dest` at `destoffset` (default 0). A destination file is created when missing and extended when short; it is truncated first unless `append` is set, which writes at its end instead (`append` with a device destination, or with `destoffset`, gives EINVAL). With `sparse` set, blocks of zeros are not written (the destination must already read as zeros there; a file destination is extended over them). A source shorter than `srcoffset + size`, or a `srcoffset` past its end, gives EINVAL, a destination device shorter than `destoffset + size` ENOSPC. A copy within one device (a partition and its disk count as one) whose destination range starts inside the source range, after its start, gives EINVAL (a forward copy would read what it wrote); so does a file copied onto itself without `append`. A device source is read after the mounted filesystems were flushed; a destination device under a mounted filesystem gives EBUSY. Reports progress; `user_cancel` stops it with EINTR, leaving the bytes copied so far."

// transferLong is what every transfer action says about host files.
const transferLong = " A FileIn or FileOut argument names a host file, which the library opens (a FileOut is created or truncated, mode 0666 less the umask); `-`, `/dev/stdin`, `/dev/stdout` and `/dev/stderr` mean the caller's own descriptors and `/dev/fd/N` descriptor N, used from its current offset. The daemon streams through the descriptor in bounded memory. Reports progress; `user_cancel` stops it with EINTR, leaving what was written so far (a partial file), as libguestfs does."

// transferActions move data between host files and the guest, and between
// the guest's devices and files (the transfer group).
var transferActions = []Action{
	{Name: "upload", Ret: Ret{Kind: RErr}, Args: []Arg{{FileIn, "filename"}, {DevOrPath, "remotefilename"}},
		Daemon: true, Group: "transfer", Progress: true, Cancellable: true, ProcNr: 137,
		Shortdesc: "upload a file from the local machine",
		Longdesc:  "Copy the host file `filename` to `remotefilename`: a guest file is created (mode 0644) or truncated, a device (`/dev/...`) overwritten from its start (EBUSY while a filesystem on it, or on a partition of it, is mounted; ENOSPC, before anything is written, when the host file is longer than the device). Holes of a regular host file (SEEK_DATA/SEEK_HOLE) stay holes in a guest file. A file larger than its filesystem allows gives EFBIG (vfat: 4 GiB - 1)." + transferLong},
	{Name: "download", Ret: Ret{Kind: RErr}, Args: []Arg{{DevOrPath, "remotefilename"}, {FileOut, "filename"}},
		Daemon: true, Group: "transfer", Progress: true, Cancellable: true, ProcNr: 138,
		Shortdesc: "download a file to the local machine",
		Longdesc:  "Copy the guest file or device `remotefilename` to the host file `filename` (a device after the mounted filesystems were flushed, so that it holds what they wrote). Unallocated ranges of a guest file stay holes in a regular host file." + transferLong},
	{Name: "upload_offset", Ret: Ret{Kind: RErr}, Args: []Arg{{FileIn, "filename"}, {DevOrPath, "remotefilename"}, {Int64, "offset"}},
		Daemon: true, Group: "transfer", Progress: true, Cancellable: true, ProcNr: 139,
		Shortdesc: "upload a file from the local machine with offset",
		Longdesc:  "Write the host file `filename` into `remotefilename` starting at byte `offset`, without truncating it: a missing guest file is created with a hole before `offset`. The whole host file is written unless an error occurs. A negative offset gives EINVAL." + transferLong},
	{Name: "download_offset", Ret: Ret{Kind: RErr}, Args: []Arg{{DevOrPath, "remotefilename"}, {FileOut, "filename"}, {Int64, "offset"}, {Int64, "size"}},
		Daemon: true, Group: "transfer", Progress: true, Cancellable: true, ProcNr: 140,
		Shortdesc: "download a file to the local machine with offset and size",
		Longdesc:  "Copy `size` bytes of `remotefilename` starting at `offset` to the host file `filename`. Fewer bytes when the file ends first; a negative offset or size gives EINVAL." + transferLong},
	{Name: "fill", Ret: Ret{Kind: RErr}, Args: []Arg{{Int, "c"}, {Int, "len"}, {Pathname, "path"}},
		Daemon: true, Group: "transfer", Progress: true, Cancellable: true, ProcNr: 141,
		Shortdesc: "fill a file with octets",
		Longdesc:  "Create (or truncate) the file `path` and write `len` bytes of value `c` (0 to 255) to it. A `c` of 0 writes real zero blocks, not a hole, as libguestfs does. EINVAL for `c` out of range or a negative `len`. Reports progress; `user_cancel` stops it with EINTR."},
	{Name: "fill_pattern", Ret: Ret{Kind: RErr}, Args: []Arg{{String, "pattern"}, {Int, "len"}, {Pathname, "path"}},
		Daemon: true, Group: "transfer", Progress: true, Cancellable: true, ProcNr: 142,
		Shortdesc: "fill a file with a repeating pattern of bytes",
		Longdesc:  "Create (or truncate) the file `path` and write `len` bytes to it: `pattern` repeated, the last copy cut short. EINVAL for an empty pattern or a negative `len`. Reports progress; `user_cancel` stops it with EINTR."},
	{Name: "fill_dir", Ret: Ret{Kind: RErr}, Args: []Arg{{Pathname, "dir"}, {Int, "nr"}},
		Daemon: true, Group: "transfer", Progress: true, Cancellable: true, ProcNr: 143,
		Shortdesc: "fill a directory with empty files",
		Longdesc:  "Create `nr` empty files in the directory `dir`, named `00000000` to `nr - 1`, eight digits padded with zeros, as libguestfs does. An existing name gives EEXIST. Reports progress; `user_cancel` stops it with EINTR, leaving the files made so far."},
	{Name: "copy_device_to_device", Ret: Ret{Kind: RErr}, Args: []Arg{{Device, "src"}, {Device, "dest"}}, OptArgs: copyOpts,
		Daemon: true, Group: "transfer", Progress: true, Cancellable: true, ProcNr: 144,
		Shortdesc: "copy from source device to destination device",
		Longdesc:  copyLong},
	{Name: "copy_device_to_file", Ret: Ret{Kind: RErr}, Args: []Arg{{Device, "src"}, {Pathname, "dest"}}, OptArgs: copyOpts,
		Daemon: true, Group: "transfer", Progress: true, Cancellable: true, ProcNr: 145,
		Shortdesc: "copy from source device to destination file",
		Longdesc:  copyLong},
	{Name: "copy_file_to_device", Ret: Ret{Kind: RErr}, Args: []Arg{{Pathname, "src"}, {Device, "dest"}}, OptArgs: copyOpts,
		Daemon: true, Group: "transfer", Progress: true, Cancellable: true, ProcNr: 146,
		Shortdesc: "copy from source file to destination device",
		Longdesc:  copyLong},
	{Name: "copy_file_to_file", Ret: Ret{Kind: RErr}, Args: []Arg{{Pathname, "src"}, {Pathname, "dest"}}, OptArgs: copyOpts,
		Daemon: true, Group: "transfer", Progress: true, Cancellable: true, ProcNr: 147,
		Shortdesc: "copy from source file to destination file",
		Longdesc:  copyLong},
	{Name: "tar_in", Ret: Ret{Kind: RErr}, Args: []Arg{{FileIn, "tarfile"}, {Pathname, "directory"}}, BindingOptArgs: "tar_in_opts",
		Shortdesc: "unpack tarfile to directory",
		Longdesc:  "`tar_in_opts` with no optional arguments (the C name; Python and Ruby take the optional arguments here)."},
	{Name: "tar_in_opts", Ret: Ret{Kind: RErr}, Args: []Arg{{FileIn, "tarfile"}, {Pathname, "directory"}}, OptArgs: []OptArg{{OString, "compress"}, {OBool, "xattrs"}},
		Daemon: true, Group: "transfer", Progress: true, Cancellable: true, ProcNr: 148,
		Shortdesc: "unpack tarfile to directory",
		Longdesc:  "Unpack the host tar file `tarfile` (ustar, pax or GNU format) into the guest directory `directory`, as `tar -xf` run as root: owners (by number), modes, times, symbolic and hard links, devices and FIFOs are restored, existing files replaced. `compress` is `gzip` for a gzip-compressed archive (absent or `none` for none; other methods give ENOTSUP). With `xattrs`, the members' extended attributes (pax `SCHILY.xattr.*`) are set too. A member that would land outside `directory` (an absolute name, `..`, a hard link to outside, or a path through a symbolic link) is refused with EINVAL before anything of it is written; members before it stay. Progress counts the bytes read of the archive." + transferLong},
	{Name: "tar_out", Ret: Ret{Kind: RErr}, Args: []Arg{{Pathname, "directory"}, {FileOut, "tarfile"}}, BindingOptArgs: "tar_out_opts",
		Shortdesc: "pack directory into tarfile",
		Longdesc:  "`tar_out_opts` with no optional arguments (the C name; Python and Ruby take the optional arguments here)."},
	{Name: "tar_out_opts", Ret: Ret{Kind: RErr}, Args: []Arg{{Pathname, "directory"}, {FileOut, "tarfile"}}, OptArgs: []OptArg{{OString, "compress"}, {OBool, "numericowner"}, {OStringList, "excludes"}, {OBool, "xattrs"}},
		Daemon: true, Group: "transfer", Progress: true, Cancellable: true, ProcNr: 149,
		Shortdesc: "pack directory into tarfile",
		Longdesc:  "Write the contents of the guest directory `directory` to the host file `tarfile` as a tar archive (GNU format, as `tar -cf - .` run in the directory: names start with `./`), sorted by name, with owners, modes, times, symbolic and hard links and special files. `compress` `gzip` compresses it (absent or `none`: none; other methods give ENOTSUP). Owners are numbers, as the guest's user names are not known here (`numericowner` is accepted for compatibility). `excludes` are shell patterns (as in `glob`) matched against each member's name without its leading `./` and against its last component; matching directories are skipped whole. With `xattrs` extended attributes are stored as pax `SCHILY.xattr.*` records. Mounts beneath `directory` are included." + transferLong},
	{Name: "checksum_device", Ret: Ret{Kind: RString}, Args: []Arg{{String, "csumtype"}, {Device, "device"}},
		Daemon: true, Group: "transfer", Progress: true, Cancellable: true, ProcNr: 150,
		Shortdesc: "compute MD5, SHAx or CRC checksum of the contents of a device",
		Longdesc:  "Return the checksum of the whole device (read after the mounted filesystems were flushed), as `checksum` does for a file (`crc`, `md5`, `sha1`, `sha224`, `sha256`, `sha384`, `sha512`). Reports progress; `user_cancel` stops it with EINTR."},
	{Name: "checksums_out", Ret: Ret{Kind: RErr}, Args: []Arg{{String, "csumtype"}, {Pathname, "directory"}, {FileOut, "sumsfile"}},
		Daemon: true, Group: "transfer", Progress: true, Cancellable: true, ProcNr: 151,
		Shortdesc: "compute MD5, SHAx or CRC checksum of files in a directory",
		Longdesc:  "Write to the host file `sumsfile` one line per regular file beneath `directory` (symbolic links not followed, mounts crossed), sorted by name, in the format of coreutils' `sha256sum` and friends: the checksum, two spaces, and the path relative to `directory` starting with `./` (`crc` lines are `cksum`'s: checksum, size, path). A name holding a newline, carriage return or backslash is escaped as coreutils 9 does (`\\n`, `\\r`, `\\\\`) and its line starts with a backslash; `crc` lines are never escaped, as `cksum` prints them." + transferLong},
	{Name: "compress_out", Ret: Ret{Kind: RErr}, Args: []Arg{{String, "ctype"}, {Pathname, "file"}, {FileOut, "zfile"}}, OptArgs: []OptArg{{OInt, "level"}},
		Daemon: true, Group: "transfer", Progress: true, Cancellable: true, ProcNr: 152,
		Shortdesc: "output compressed file",
		Longdesc:  "Compress the guest file `file` with `ctype` and write the result to the host file `zfile`. `ctype` `gzip` is supported, with `level` 1 (fastest) to 9 (best, the default 6); libguestfs's other methods (`compress`, `bzip2`, `lzop`, `xz`) give ENOTSUP, anything else EINVAL." + transferLong},
	{Name: "zero_free_space", Ret: Ret{Kind: RErr}, Args: []Arg{{Pathname, "directory"}},
		Daemon: true, Group: "transfer", Progress: true, Cancellable: true, ProcNr: 153,
		Shortdesc: "zero free space in a filesystem",
		Longdesc:  "Make every free block of the filesystem mounted read-write at (or holding) `directory` read as zeros, without touching its files, so that the image compresses and sparsifies well: free blocks become holes in the image where the drive allows it. Works on ext2/3/4 and vfat; a read-only mount gives EROFS. Reports progress; `user_cancel` stops it with EINTR."},
}

// hostCopyActions are the library's own actions that copy trees between
// the host and the guest over tar_in and tar_out.
var hostCopyActions = []Action{
	{Name: "copy_in", Ret: Ret{Kind: RErr}, Args: []Arg{{String, "localpath"}, {Pathname, "remotedir"}},
		Shortdesc: "copy local files or directories into an image",
		Longdesc:  "Copy the host file or directory `localpath`, recursively, into the guest directory `remotedir`, under its own last name, as libguestfs does: the library makes a tar stream of it (regular files, directories, symbolic links, FIFOs; owners, modes and times) and unpacks it with `tar_in`. Names are bytes, so names that are not UTF-8 arrive unchanged. Host devices and sockets are refused. Reports `tar_in`'s progress; `user_cancel` stops it."},
	{Name: "copy_out", Ret: Ret{Kind: RErr}, Args: []Arg{{Pathname, "remotepath"}, {String, "localdir"}},
		Shortdesc: "copy remote files or directories out of an image",
		Longdesc:  "Copy the guest file or directory `remotepath`, recursively, into the existing host directory `localdir`, under its own last name, as libguestfs does: a regular file with `download`, a directory by unpacking `tar_out`'s stream on the host (modes and times kept; owners only when running as root; device nodes are skipped). Member names that would escape `localdir` are refused. Reports progress; `user_cancel` stops it."},
}
