// Package jbd2 replays an ext3/ext4 (JBD2) journal in pure Go, written from
// the on-disk format (docs/notes/ext-libext2fs.md §7): three passes (scan,
// revoke, replay) over descriptor, commit and revoke blocks, with the
// checksum v1, v2 and v3 variants. It refuses what it cannot replay safely
// (fast commits, unknown features, checksum failures) rather than guess.
package jbd2

import (
	"encoding/binary"
	"hash/crc32"
)

var be = binary.BigEndian

// Block types and feature and tag flag bits (kernel-jbd.h).
const (
	magic = 0xC03B3998

	typeDescriptor = 1
	typeCommit     = 2
	typeSuperV1    = 3
	typeSuperV2    = 4
	typeRevoke     = 5

	compatChecksum = 0x1

	incRevoke      = 0x1
	inc64Bit       = 0x2
	incAsyncCommit = 0x4
	incCsumV2      = 0x8
	incCsumV3      = 0x10
	incFastCommit  = 0x20
	incKnown       = incRevoke | inc64Bit | incAsyncCommit | incCsumV2 | incCsumV3 | incFastCommit

	tagEscape   = 1
	tagSameUUID = 2
	tagLastTag  = 8

	crc32cType = 4
)

// Journal superblock field offsets.
const (
	sbBlocksize    = 0x0C
	sbMaxlen       = 0x10
	sbFirst        = 0x14
	sbSequence     = 0x18
	sbStart        = 0x1C
	sbCompat       = 0x24
	sbIncompat     = 0x28
	sbROCompat     = 0x2C
	sbUUID         = 0x30
	sbNrUsers      = 0x40
	sbChecksumType = 0x50
	sbChecksum     = 0xFC
	sbLen          = 1024
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// crc32c is ext2fs_crc32c_le: CRC32C without the pre- and post-inversion.
func crc32c(c uint32, p []byte) uint32 { return ^crc32.Update(^c, castagnoli, p) }

var crcBETable = func() (t [256]uint32) {
	for i := range t {
		c := uint32(i) << 24
		for k := 0; k < 8; k++ {
			if c&0x80000000 != 0 {
				c = c<<1 ^ 0x04C11DB7
			} else {
				c <<= 1
			}
		}
		t[i] = c
	}
	return
}()

// crc32BE is the kernel's crc32_be (MSB first, no final xor): checksum v1.
func crc32BE(c uint32, p []byte) uint32 {
	for _, b := range p {
		c = c<<8 ^ crcBETable[byte(c>>24)^b]
	}
	return c
}
