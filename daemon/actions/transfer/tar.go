package transfer

import (
	"strings"
	"syscall"

	"goguestfs/daemon/errno"
)

// This file holds what tar_in and tar_out share: the compression methods
// and the checks on member names.

// tarChunk is how much of a member's content is copied at a time; the
// call's cancellation is checked between chunks.
const tarChunk = 1 << 20

// tarBuffer is the size of the buffer between the archive and its host
// file.
const tarBuffer = 512 << 10

// xattrPrefix starts the pax records that hold extended attributes, as
// GNU tar and star write them.
const xattrPrefix = "SCHILY.xattr."

// tarGzip reports whether the compress option asks for gzip: absent and
// "none" are no compression, libguestfs's other methods ENOTSUP, anything
// else EINVAL.
func tarGzip(compress *string) (bool, error) {
	if compress == nil {
		return false, nil
	}
	switch *compress {
	case "", "none":
		return false, nil
	case "gzip":
		return true, nil
	case "compress", "bzip2", "xz", "lzop", "lzma", "zstd":
		return false, errno.New(syscall.ENOTSUP, "compression %q is not supported (only gzip)", *compress)
	}
	return false, errno.New(syscall.EINVAL, "%s: unknown compression method", errno.Cut(*compress))
}

// memberPath splits a member name (or a hard link's target) into its
// components beneath the directory, refusing with EINVAL an absolute
// name and one with a ".." component. "." and empty components are
// dropped: no components is the directory itself.
func memberPath(name string) ([]string, error) {
	if strings.HasPrefix(name, "/") {
		return nil, errno.New(syscall.EINVAL, "%s: absolute member name refused", errno.Cut(name))
	}
	var comps []string
	for _, c := range strings.Split(name, "/") {
		switch c {
		case "", ".":
			continue
		case "..":
			return nil, errno.New(syscall.EINVAL, "%s: member name with \"..\" refused", errno.Cut(name))
		}
		comps = append(comps, c)
	}
	return comps, nil
}
