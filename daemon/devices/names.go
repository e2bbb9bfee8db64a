// Package devices names and resolves the daemon's devices: the device-name
// parser the library shares (/dev/sda, /dev/sda1, and the aliases /dev/hdX,
// /dev/vdX, /dev/xvdX), the set of drives passed at launch, resolution of a
// name to a whole disk or a partition, and the read-only guard that
// blockdev_setro sets.
package devices

import (
	"strconv"
	"strings"
	"syscall"

	"goguestfs/daemon/errno"
)

// Name is a parsed device name: drive Index (sda is 0) and partition Part
// (0 for the whole disk).
type Name struct {
	Index int
	Part  int
}

// MaxIndex is the largest drive index a name can have (/dev/sdzzz).
const MaxIndex = 26 + 26*26 + 26*26*26 - 1

// MaxPartnum is the largest partition number a name can have.
const MaxPartnum = 1 << 16

// DiskName returns the name of drive index i: /dev/sda ... /dev/sdz,
// /dev/sdaa, ...
func DiskName(i int) string {
	s := ""
	for i++; i > 0; i = (i - 1) / 26 {
		s = string(rune('a'+(i-1)%26)) + s
	}
	return "/dev/sd" + s
}

// Disk returns the name of the whole disk, e.g. "/dev/sda".
func (n Name) Disk() string { return DiskName(n.Index) }

// String returns the canonical name, e.g. "/dev/sda1".
func (n Name) String() string {
	if n.Part == 0 {
		return n.Disk()
	}
	return n.Disk() + strconv.Itoa(n.Part)
}

// aliasPrefixes are the disk prefixes after /dev/, longest first; every one
// names the same drives as sd.
var aliasPrefixes = []string{"xvd", "sd", "hd", "vd"}

// Parse parses a device name. A name outside /dev/ is EINVAL; a /dev/ name
// that is no disk or partition name (/dev/sda0, /dev/sda1p1, /dev/foo) is
// ENOENT, "no such device". Parse does not know which drives exist.
func Parse(s string) (Name, error) {
	rest, ok := strings.CutPrefix(s, "/dev/")
	if !ok {
		return Name{}, errno.New(syscall.EINVAL, "%s: not a device name (device names start with /dev/)", errno.Cut(s))
	}
	noDevice := func() (Name, error) { return Name{}, errno.New(syscall.ENOENT, "%s: no such device", errno.Cut(s)) }
	found := false
	for _, p := range aliasPrefixes {
		if r, ok := strings.CutPrefix(rest, p); ok {
			rest, found = r, true
			break
		}
	}
	if !found {
		return noDevice()
	}
	i := 0
	for i < len(rest) && rest[i] >= 'a' && rest[i] <= 'z' {
		i++
	}
	letters, digits := rest[:i], rest[i:]
	if letters == "" || len(letters) > 3 {
		return noDevice()
	}
	index := 0
	for _, c := range letters {
		index = index*26 + int(c-'a') + 1
	}
	n := Name{Index: index - 1}
	if digits == "" {
		return n, nil
	}
	if digits[0] == '0' {
		return noDevice()
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return noDevice()
		}
	}
	p, err := strconv.Atoi(digits)
	if err != nil || p > MaxPartnum {
		return noDevice()
	}
	n.Part = p
	return n, nil
}

// Canonical returns the canonical form of a device name (/dev/vda1 gives
// /dev/sda1), or s itself when it is no disk or partition name, as
// libguestfs's canonical_device_name does.
func Canonical(s string) string {
	n, err := Parse(s)
	if err != nil {
		return s
	}
	return n.String()
}
