package parttable

import (
	"strconv"
	"strings"
)

// splitPartition splits a partition name such as "/dev/sda1" or
// "/dev/nvme0n1p2" into the device and the partition number.
func splitPartition(part string) (string, int, error) {
	bad := func(why string) (string, int, error) {
		return "", 0, invalid("%q is not a partition name: %s", part, why)
	}
	name, ok := strings.CutPrefix(part, "/dev/")
	if !ok || name == "" {
		return bad("it does not start with /dev/")
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("-_/", c)) {
			return bad("unexpected character")
		}
	}
	if strings.Contains(name, "//") || strings.HasSuffix(name, "/") || strings.HasPrefix(name, "/") {
		return bad("malformed path")
	}
	i := len(name)
	for i > 0 && name[i-1] >= '0' && name[i-1] <= '9' {
		i--
	}
	digits, base := name[i:], name[:i]
	if digits == "" {
		return bad("no partition number")
	}
	if digits[0] == '0' {
		return bad("partition numbers start at 1")
	}
	n, err := strconv.Atoi(digits)
	if err != nil || n > 1<<20 {
		return bad("partition number out of range")
	}
	// A device whose name ends in a digit separates the number with a 'p'.
	if l := len(base); l >= 2 && base[l-1] == 'p' && base[l-2] >= '0' && base[l-2] <= '9' {
		base = base[:l-1]
	} else if l == 0 || strings.ContainsRune("/-_", rune(base[l-1])) {
		return bad("no device name before the partition number")
	}
	return "/dev/" + base, n, nil
}

// PartToDev returns the device holding partition part, e.g. "/dev/sda" for
// "/dev/sda1" (part_to_dev). A whole-device name is an error.
func PartToDev(part string) (string, error) {
	dev, _, err := splitPartition(part)
	return dev, wrap("part_to_dev", "", err)
}

// PartToPartnum returns the partition number of partition part, e.g. 1 for
// "/dev/sda1" (part_to_partnum). A whole-device name is an error.
func PartToPartnum(part string) (int, error) {
	_, n, err := splitPartition(part)
	return n, wrap("part_to_partnum", "", err)
}
