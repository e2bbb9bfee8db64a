package file

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"hash"
	"io"
	"strconv"
	"strings"
	"syscall"

	"goguestfs/daemon/errno"
)

// Hash is a running checksum of one of the checksum actions' types (crc,
// md5, sha1, sha224, sha256, sha384, sha512): the bytes written to it are
// summed.
type Hash interface {
	io.Writer
	// Sum returns the checksum of what was written as the coreutils tool
	// prints it: hexadecimal for md5sum and sha*sum, the decimal CRC for
	// cksum (without the size cksum prints after it).
	Sum() string
}

// NewHash returns an empty Hash of csumtype (case-insensitive), EINVAL for
// an unknown type.
func NewHash(csumtype string) (Hash, error) {
	var h hash.Hash
	switch strings.ToLower(csumtype) {
	case "crc":
		return &cksum{}, nil
	case "md5":
		h = md5.New()
	case "sha1":
		h = sha1.New()
	case "sha224":
		h = sha256.New224()
	case "sha256":
		h = sha256.New()
	case "sha384":
		h = sha512.New384()
	case "sha512":
		h = sha512.New()
	default:
		return nil, errno.New(syscall.EINVAL, "%s: unknown checksum type, expecting crc|md5|sha1|sha224|sha256|sha384|sha512", errno.Cut(csumtype))
	}
	return hexHash{h}, nil
}

// hexHash is a cryptographic hash summed as md5sum and sha*sum print it.
type hexHash struct{ hash.Hash }

// Sum returns the hash in lower-case hexadecimal.
func (h hexHash) Sum() string { return hex.EncodeToString(h.Hash.Sum(nil)) }

// Sum returns the checksum in decimal, as cksum prints it.
func (h *cksum) Sum() string { return strconv.FormatUint(uint64(h.value()), 10) }
