package disk

import (
	"encoding/binary"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func sb(compat, incompat, rocompat uint32) []byte {
	b := make([]byte, Size)
	le := binary.LittleEndian
	le.PutUint32(b[0x00:], 128)  // inodes
	le.PutUint32(b[0x04:], 1024) // blocks
	le.PutUint32(b[0x20:], 8192)
	le.PutUint32(b[0x28:], 128)
	le.PutUint16(b[0x38:], Magic)
	le.PutUint32(b[0x4C:], 1)
	le.PutUint16(b[0x58:], 256)
	le.PutUint32(b[0x5C:], compat)
	le.PutUint32(b[0x60:], incompat)
	le.PutUint32(b[0x64:], rocompat)
	le.PutUint32(b[0xE0:], 8) // journal inode
	return b
}

func TestType(t *testing.T) {
	for want, b := range map[string][]byte{
		"ext2": sb(0, IncompatFiletype, ROCompatSparseSuper|ROCompatLargeFile),
		"ext3": sb(CompatHasJournal, IncompatFiletype|IncompatRecover, ROCompatSparseSuper),
		"ext4": sb(CompatHasJournal, IncompatFiletype|IncompatExtents, ROCompatSparseSuper),
		"jbd":  sb(0, IncompatJournalDev, 0),
	} {
		s, err := Parse(b)
		require.NoError(t, err)
		assert.Equal(t, want, s.Type())
	}
	s, err := Parse(sb(0, IncompatExtents, ROCompatHugeFile))
	require.NoError(t, err)
	assert.Equal(t, "ext4", s.Type())
}

func TestWriteBlockers(t *testing.T) {
	s, err := Parse(sb(CompatHasJournal, IncompatExtents|IncompatInlineData, ROCompatMetadataCsum))
	require.NoError(t, err)
	assert.Empty(t, s.WriteBlockers())
	s, err = Parse(sb(0, IncompatCasefold|0x80000000, ROCompatQuota))
	require.NoError(t, err)
	assert.Equal(t, []string{"casefold", "unknown incompat feature 0x80000000", "quota"}, s.WriteBlockers())
}

func TestParseRefuses(t *testing.T) {
	for off, v := range map[int]uint32{0x18: 7, 0x04: 0, 0x28: 0, 0x4C: 2, 0x14: 5000} {
		b := sb(0, 0, 0)
		binary.LittleEndian.PutUint32(b[off:], v)
		_, err := Parse(b)
		assert.ErrorIs(t, err, syscall.EINVAL, "field 0x%x", off)
	}
	_, err := Parse(make([]byte, 10))
	assert.ErrorIs(t, err, syscall.EINVAL)
}

func FuzzParse(f *testing.F) {
	f.Add(sb(CompatHasJournal, IncompatExtents, 0))
	f.Fuzz(func(t *testing.T, b []byte) {
		if s, err := Parse(b); err == nil {
			_ = s.Type()
			_ = s.WriteBlockers()
			assert.Positive(t, s.BlockSize())
		}
	})
}
