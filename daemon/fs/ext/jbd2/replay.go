package jbd2

import (
	"fmt"
	"io"
	"syscall"
)

// Device is what a replay reads and writes: the filesystem's device.
type Device interface {
	io.ReaderAt
	io.WriterAt
}

// Result is what a replay did: transactions [First, End) were replayed,
// writing Blocks filesystem blocks.
type Result struct {
	First, End uint32
	Blocks     int
}

func corrupt(format string, a ...any) error {
	return fmt.Errorf("journal: "+format+" (run e2fsck): %w", append(a, syscall.EIO)...)
}

func unsupported(format string, a ...any) error {
	return fmt.Errorf("journal: "+format+" (run e2fsck): %w", append(a, syscall.EOPNOTSUPP)...)
}

type journal struct {
	dev      Device
	bs       int64
	phys     []uint64 // journal logical block -> filesystem block
	fsBlocks uint64
	sb       []byte
	compat   uint32
	incompat uint32
	first    uint32
	last     uint32
	seed     uint32
	tagBytes int
	csum     bool // checksum v2 or v3
	revoked  map[uint64]uint32
}

// Replay replays the journal whose logical blocks are the filesystem blocks
// phys, on dev with block size bs; fsBlocks bounds the blocks it may write.
// A clean journal (s_start 0) is left alone. Errors wrap EIO for a corrupt
// journal and EOPNOTSUPP for one this package does not replay (fast
// commits, unknown features, several users).
func Replay(dev Device, bs int64, phys []uint64, fsBlocks uint64) (Result, error) {
	j := &journal{dev: dev, bs: bs, phys: phys, fsBlocks: fsBlocks, revoked: map[uint64]uint32{}}
	if err := j.load(); err != nil {
		return Result{}, err
	}
	seq := be.Uint32(j.sb[sbSequence:])
	if be.Uint32(j.sb[sbStart:]) == 0 {
		return Result{First: seq, End: seq}, nil
	}
	var end uint32
	for _, p := range []pass{passScan, passRevoke} {
		if _, err := j.pass(p, &end); err != nil {
			return Result{}, err
		}
	}
	n, err := j.pass(passReplay, &end)
	if err != nil {
		return Result{}, err
	}
	be.PutUint32(j.sb[sbSequence:], end+1)
	be.PutUint32(j.sb[sbStart:], 0)
	if j.csum {
		be.PutUint32(j.sb[sbChecksum:], 0)
		be.PutUint32(j.sb[sbChecksum:], crc32c(^uint32(0), j.sb[:sbLen]))
	}
	if _, err := dev.WriteAt(j.sb, int64(phys[0])*bs); err != nil {
		return Result{}, err
	}
	return Result{First: seq, End: end, Blocks: n}, nil
}

// load reads and checks the journal superblock.
func (j *journal) load() error {
	if j.bs < 1024 || len(j.phys) < 2 {
		return corrupt("journal inode of %d blocks is too small", len(j.phys))
	}
	sb, err := j.read(0)
	if err != nil {
		return err
	}
	j.sb = sb
	if be.Uint32(sb) != magic {
		return corrupt("no superblock magic")
	}
	switch be.Uint32(sb[4:]) {
	case typeSuperV2:
		j.compat, j.incompat = be.Uint32(sb[sbCompat:]), be.Uint32(sb[sbIncompat:])
		if be.Uint32(sb[sbROCompat:]) != 0 || j.incompat&^incKnown != 0 {
			return unsupported("unknown features (incompat 0x%x, ro_compat 0x%x)",
				j.incompat, be.Uint32(sb[sbROCompat:]))
		}
		if j.incompat&incFastCommit != 0 {
			return unsupported("fast-commit journals are not replayed here")
		}
		if be.Uint32(sb[sbNrUsers:]) > 1 {
			return unsupported("shared journal of %d filesystems", be.Uint32(sb[sbNrUsers:]))
		}
	case typeSuperV1:
	default:
		return corrupt("bad superblock type %d", be.Uint32(sb[4:]))
	}
	if int64(be.Uint32(sb[sbBlocksize:])) != j.bs {
		return corrupt("block size %d differs from the filesystem's %d", be.Uint32(sb[sbBlocksize:]), j.bs)
	}
	j.csum = j.incompat&(incCsumV2|incCsumV3) != 0
	if j.csum && (j.incompat&incCsumV2 != 0) == (j.incompat&incCsumV3 != 0) ||
		j.csum && j.compat&compatChecksum != 0 {
		return corrupt("inconsistent checksum features")
	}
	if j.csum {
		if sb[sbChecksumType] != crc32cType {
			return corrupt("unknown checksum type %d", sb[sbChecksumType])
		}
		c := append([]byte(nil), sb[:sbLen]...)
		be.PutUint32(c[sbChecksum:], 0)
		if crc32c(^uint32(0), c) != be.Uint32(sb[sbChecksum:]) {
			return corrupt("superblock checksum mismatch")
		}
		j.seed = crc32c(^uint32(0), sb[sbUUID:sbUUID+16])
	}
	switch {
	case j.incompat&incCsumV3 != 0:
		j.tagBytes = 16
	default:
		j.tagBytes = 12
		if j.incompat&incCsumV2 != 0 {
			j.tagBytes += 2
		}
		if j.incompat&inc64Bit == 0 {
			j.tagBytes -= 4
		}
	}
	j.first, j.last = be.Uint32(sb[sbFirst:]), be.Uint32(sb[sbMaxlen:])
	start := be.Uint32(sb[sbStart:])
	if uint64(j.last) > uint64(len(j.phys)) || j.first == 0 || j.first >= j.last ||
		start != 0 && (start < j.first || start >= j.last) {
		return corrupt("log bounds first %d, start %d, length %d outside its %d blocks",
			j.first, start, j.last, len(j.phys))
	}
	return nil
}

func (j *journal) read(lblk uint32) ([]byte, error) {
	if int64(lblk) >= int64(len(j.phys)) || j.phys[lblk] == 0 {
		return nil, corrupt("block %d is not mapped", lblk)
	}
	b := make([]byte, j.bs)
	if _, err := j.dev.ReadAt(b, int64(j.phys[lblk])*j.bs); err != nil {
		return nil, err
	}
	return b, nil
}

func (j *journal) wrap(b uint32) uint32 {
	if b >= j.last {
		b -= j.last - j.first
	}
	return b
}

func (j *journal) tagBlock(t []byte) uint64 {
	b := uint64(be.Uint32(t[0:4]))
	if j.incompat&inc64Bit != 0 {
		b |= uint64(be.Uint32(t[8:12])) << 32
	}
	return b
}

// tagFlags is the be16 at offset 6 in both tag layouts.
func tagFlags(t []byte) uint16 { return be.Uint16(t[6:8]) }

// eachTag calls fn for each tag of the descriptor block d.
func (j *journal) eachTag(d []byte, fn func(t []byte) error) error {
	size := len(d)
	if j.csum {
		size -= 4
	}
	for p := 12; p+j.tagBytes <= size; {
		t := d[p : p+j.tagBytes]
		if err := fn(t); err != nil {
			return err
		}
		p += j.tagBytes
		if tagFlags(t)&tagSameUUID == 0 {
			p += 16
		}
		if tagFlags(t)&tagLastTag != 0 {
			break
		}
	}
	return nil
}

// tailOK checks a descriptor's or revoke block's tail checksum, or a
// commit block's h_chksum[0] (at off).
func (j *journal) tailOK(b []byte, off int) bool {
	if !j.csum {
		return true
	}
	c := append([]byte(nil), b...)
	be.PutUint32(c[off:], 0)
	return crc32c(j.seed, c) == be.Uint32(b[off:])
}

func (j *journal) tagOK(t, data []byte, seq uint32) bool {
	if !j.csum {
		return true
	}
	var s [4]byte
	be.PutUint32(s[:], seq)
	c := crc32c(crc32c(j.seed, s[:]), data)
	if j.incompat&incCsumV3 != 0 {
		return be.Uint32(t[12:16]) == c
	}
	return be.Uint16(t[4:6]) == uint16(c)
}
