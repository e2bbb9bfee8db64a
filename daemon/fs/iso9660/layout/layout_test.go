package layout

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPlainName(t *testing.T) {
	for in, want := range map[string]string{
		"README.TXT;1": "readme.txt",
		"TRAIL.;1":     "trail",
		"NOEXT;1":      "noext",
		"DIR":          "dir",
		"A;B;1":        "a.b",
		"FILE.":        "file.",
		"X;2":          "x.2",
		"NUL\x00AFTER": "nul",
	} {
		assert.Equal(t, want, PlainName([]byte(in)), in)
	}
}

func ucs2(s string) []byte {
	var b []byte
	for _, r := range s {
		b = append(b, byte(r>>8), byte(r))
	}
	return b
}

func TestJolietName(t *testing.T) {
	assert.Equal(t, "Mixed Case.txt", JolietName(ucs2("Mixed Case.txt;1")))
	assert.Equal(t, "trail", JolietName(ucs2("trail..;1")))
	assert.Equal(t, "ümlaut ☃", JolietName(ucs2("ümlaut ☃")))
	assert.Equal(t, "😀", JolietName([]byte{0xD8, 0x3D, 0xDE, 0x00}), "a surrogate pair")
}

func TestSymlinkChunk(t *testing.T) {
	sl := func(flags byte, comps ...[]byte) []byte {
		b := []byte{flags}
		for _, c := range comps {
			b = append(b, c...)
		}
		return b
	}
	comp := func(f byte, s string) []byte { return append([]byte{f, byte(len(s))}, s...) }
	r := RockRidge{}
	require.NoError(t, r.Add([]SUSPEntry{{Sig: "SL", Data: sl(0, comp(8, ""), comp(0, "etc"), comp(0, "passwd"))}}))
	assert.Equal(t, "/etc/passwd", r.Target)
	r = RockRidge{}
	require.NoError(t, r.Add([]SUSPEntry{
		{Sig: "SL", Data: sl(1, comp(4, ""), comp(1, "lo"))},
		{Sig: "SL", Data: sl(0, comp(0, "ng"), comp(2, ""))},
	}))
	assert.Equal(t, "../long/.", r.Target, "a component continued across SL entries")
	r = RockRidge{}
	assert.Error(t, r.Add([]SUSPEntry{{Sig: "SL", Data: []byte{0, 0, 9, 'a'}}}), "a component past its entry")
}

func TestTimes(t *testing.T) {
	d := [7]byte{101, 2, 3, 4, 5, 6, 8} // 2001-02-03 04:05:06 at GMT+2
	assert.Equal(t, time.Date(2001, 2, 3, 2, 5, 6, 0, time.UTC), RecordTime(d))
	d[6] = 0xA0 // -96: past 13 hours, ignored as Linux does
	assert.Equal(t, time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC), RecordTime(d))
	lt, ok := LongTime([]byte("2020010203040599\x04"))
	require.True(t, ok)
	assert.Equal(t, time.Date(2020, 1, 2, 2, 4, 5, 990_000_000, time.UTC), lt)
	_, ok = LongTime([]byte("0000000000000000\x00"))
	assert.False(t, ok)
}

func TestParseRecordBounds(t *testing.T) {
	b := make([]byte, 40)
	b[0], b[32] = 40, 7
	_, err := ParseRecord(b)
	assert.NoError(t, err)
	b[32] = 20
	_, err = ParseRecord(b)
	assert.ErrorIs(t, err, ErrCorrupt)
	b[0] = 60
	_, err = ParseRecord(b)
	assert.ErrorIs(t, err, ErrCorrupt)
	_, _, err = ParseSUSP([]byte{'N', 'M', 200, 1, 0})
	assert.ErrorIs(t, err, ErrCorrupt)
}
