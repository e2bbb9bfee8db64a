package jbd2

import (
	"errors"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const bs = 1024

// mem is an in-memory device.
type mem []byte

func (m mem) ReadAt(p []byte, off int64) (int, error)  { return copy(p, m[off:]), nil }
func (m mem) WriteAt(p []byte, off int64) (int, error) { return copy(m[off:], p), nil }

// journal of 64 blocks at filesystem blocks 100..163 of a 256-block device,
// holding one transaction that writes "DATA" to block 10 (no checksums).
func testJournal(incompat uint32) (mem, []uint64) {
	m := make(mem, 256*bs)
	phys := make([]uint64, 64)
	for i := range phys {
		phys[i] = uint64(100 + i)
	}
	blk := func(i int) []byte { return m[int(phys[i])*bs : int(phys[i]+1)*bs] }
	sb := blk(0)
	be.PutUint32(sb[0:], magic)
	be.PutUint32(sb[4:], typeSuperV2)
	be.PutUint32(sb[sbBlocksize:], bs)
	be.PutUint32(sb[sbMaxlen:], 64)
	be.PutUint32(sb[sbFirst:], 1)
	be.PutUint32(sb[sbSequence:], 7)
	be.PutUint32(sb[sbStart:], 1)
	be.PutUint32(sb[sbIncompat:], incompat)
	d := blk(1)
	be.PutUint32(d[0:], magic)
	be.PutUint32(d[4:], typeDescriptor)
	be.PutUint32(d[8:], 7)
	be.PutUint32(d[12:], 10)                       // target block
	be.PutUint16(d[12+6:], tagLastTag|tagSameUUID) // flags
	copy(blk(2), "DATA")
	c := blk(3)
	be.PutUint32(c[0:], magic)
	be.PutUint32(c[4:], typeCommit)
	be.PutUint32(c[8:], 7)
	return m, phys
}

func TestReplay(t *testing.T) {
	m, phys := testJournal(0)
	r, err := Replay(m, bs, phys, 256)
	require.NoError(t, err)
	assert.Equal(t, Result{First: 7, End: 8, Blocks: 1}, r)
	assert.Equal(t, "DATA", string(m[10*bs:10*bs+4]))
	assert.Zero(t, be.Uint32(m[100*bs+sbStart:]))
	assert.Equal(t, uint32(9), be.Uint32(m[100*bs+sbSequence:]))
	// Replaying a clean journal does nothing.
	r, err = Replay(m, bs, phys, 256)
	require.NoError(t, err)
	assert.Zero(t, r.Blocks)
}

func TestReplayRefuses(t *testing.T) {
	m, phys := testJournal(incFastCommit)
	_, err := Replay(m, bs, phys, 256)
	assert.ErrorIs(t, err, syscall.EOPNOTSUPP)

	m, phys = testJournal(0x400)
	_, err = Replay(m, bs, phys, 256)
	assert.ErrorIs(t, err, syscall.EOPNOTSUPP)

	m, phys = testJournal(0)
	_, err = Replay(m, bs, phys, 8) // target beyond the filesystem
	assert.ErrorIs(t, err, syscall.EIO)

	m, phys = testJournal(incCsumV3)
	_, err = Replay(m, bs, phys, 256) // no valid superblock checksum
	assert.ErrorIs(t, err, syscall.EIO)

	m, phys = testJournal(0)
	be.PutUint32(m[100*bs+sbMaxlen:], 1000)
	_, err = Replay(m, bs, phys, 256)
	assert.True(t, errors.Is(err, syscall.EIO))
}

// FuzzReplay: any journal contents end in a result or an error, never a
// panic or a hang.
func FuzzReplay(f *testing.F) {
	m, _ := testJournal(0)
	f.Add([]byte(m[100*bs : 104*bs]))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, phys := testJournal(0)
		copy(m[100*bs:164*bs], b)
		_, _ = Replay(m, bs, phys, 256)
	})
}

// TestReplayWraps: a transaction that starts at the log's last block
// continues at its first.
func TestReplayWraps(t *testing.T) {
	m, phys := testJournal(0)
	blk := func(i int) []byte { return m[int(phys[i])*bs : int(phys[i]+1)*bs] }
	// Move the descriptor to block 63 (the last); its data and commit wrap
	// to blocks 1 and 2.
	copy(blk(63), blk(1))
	copy(blk(1), blk(2))
	copy(blk(2), blk(3))
	clear(blk(3))
	be.PutUint32(blk(0)[sbStart:], 63)
	r, err := Replay(m, bs, phys, 256)
	require.NoError(t, err)
	assert.Equal(t, 1, r.Blocks)
	assert.Equal(t, "DATA", string(m[10*bs:10*bs+4]))
}

// TestReplayRevoke: a block revoked by a later transaction is not written.
func TestReplayRevoke(t *testing.T) {
	m, phys := testJournal(incRevoke)
	blk := func(i int) []byte { return m[int(phys[i])*bs : int(phys[i]+1)*bs] }
	rv := blk(4)
	be.PutUint32(rv[0:], magic)
	be.PutUint32(rv[4:], typeRevoke)
	be.PutUint32(rv[8:], 8)
	be.PutUint32(rv[12:], 20) // r_count: header + one 32-bit record
	be.PutUint32(rv[16:], 10)
	c := blk(5)
	be.PutUint32(c[0:], magic)
	be.PutUint32(c[4:], typeCommit)
	be.PutUint32(c[8:], 8)
	r, err := Replay(m, bs, phys, 256)
	require.NoError(t, err)
	assert.Equal(t, Result{First: 7, End: 9, Blocks: 0}, r)
	assert.Zero(t, m[10*bs])
}
