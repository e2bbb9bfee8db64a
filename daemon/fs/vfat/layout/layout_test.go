package layout

import (
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func sn(s string) [11]byte {
	var b [11]byte
	copy(b[:], s)
	return b
}

func TestShortName(t *testing.T) {
	none := func([11]byte) bool { return false }
	cases := []struct {
		name  string
		short string
		nt    uint8
		lfn   bool
	}{
		{"README.TXT", "README  TXT", 0, false},
		{"readme.txt", "README  TXT", CaseLowerBase | CaseLowerExt, false},
		{"readme.TXT", "README  TXT", CaseLowerBase, false},
		{"README.txt", "README  TXT", CaseLowerExt, false},
		{"ReadMe.txt", "README  TXT", 0, true},
		{"Makefile", "MAKEFILE   ", 0, true},
		{"makefile", "MAKEFILE   ", CaseLowerBase, false},
		{"verylongname.txt", "VERYLO~1TXT", 0, true},
		{"x.tar.gz", "XTAR~1  GZ ", 0, true},
		{".bashrc", "BASHRC~1   ", 0, true},
		{"a b", "AB~1       ", 0, true},
		{"a+b", "A_B~1      ", 0, true},
		{"file.jpeg", "FILE~1  JPE", 0, true},
		{"héllo", "H_LLO~1    ", 0, true},
		{"123", "123        ", 0, false},
		{"~tilde", "~TILDE     ", CaseLowerBase, false},
	}
	for _, c := range cases {
		s, nt, lfn, err := ShortName(c.name, none)
		require.NoError(t, err, c.name)
		assert.Equal(t, c.short, string(s[:]), c.name)
		assert.Equal(t, c.nt, nt, c.name)
		assert.Equal(t, c.lfn, lfn, c.name)
	}
	taken := map[[11]byte]bool{sn("VERYLO~1TXT"): true, sn("VERYLO~2TXT"): true}
	s, _, _, err := ShortName("verylongname.txt", func(b [11]byte) bool { return taken[b] })
	require.NoError(t, err)
	assert.Equal(t, "VERYLO~3TXT", string(s[:]))
	for i := 1; i <= 9; i++ {
		taken[sn("VERYLO~"+string(rune('0'+i))+"TXT")] = true
	}
	s, _, _, err = ShortName("verylongname.txt", func(b [11]byte) bool { return taken[b] })
	require.NoError(t, err)
	assert.Regexp(t, `^VE[0-9A-F]{4}~[1-8]TXT$`, string(s[:]))
}

func TestCheckName(t *testing.T) {
	for _, bad := range []string{"", ".", "...", "a*", "a?", "a<", "a>", "a|", `a"`, "a:", "a/", `a\`, "a\x1f", "a ", "a .", "\xff"} {
		_, err := CheckName(bad)
		assert.Equal(t, syscall.EINVAL, err, "%q", bad)
	}
	s, err := CheckName("name...")
	require.NoError(t, err)
	assert.Equal(t, "name", s)
	_, err = CheckName(string(make([]byte, 0)) + "x")
	require.NoError(t, err)
	long := make([]rune, 256)
	for i := range long {
		long[i] = 'é'
	}
	_, err = CheckName(string(long))
	assert.Equal(t, syscall.ENAMETOOLONG, err)
	_, err = CheckName(string(long[:255]))
	assert.NoError(t, err)
}

func TestLFNRoundTrip(t *testing.T) {
	name := "A long name with ünïcode and more than twenty-six characters.txt"
	u := EncodeName(name)
	s := sn("ALONGN~1TXT")
	sum := Checksum(s)
	ents := EncodeLFN(u, sum)
	require.Len(t, ents, (len(u)+12)/13)
	assert.Equal(t, uint8(0x40|len(ents)), ents[0][0])
	var all []uint16
	for i := len(ents) - 1; i >= 0; i-- {
		ord, gotSum, part := LFNPart(ents[i][:])
		assert.Equal(t, sum, gotSum)
		assert.Equal(t, uint8(len(ents)-i), ord&0x3F)
		all = append(all, part[:]...)
	}
	assert.Equal(t, name, LFNString(all))
	// The checksum of a known name (as mtools wrote it for
	// "LongFileName.txt").
	assert.Equal(t, uint8(0xD4), Checksum(sn("LONGFI~1TXT")))
}

func TestDOSTime(t *testing.T) {
	tm := time.Date(2023, 7, 14, 13, 45, 31, 250e6, time.UTC)
	d, ti, tenth := ToDOS(tm)
	assert.Equal(t, tm.Truncate(10*time.Millisecond), FromDOS(d, ti, tenth))
	d, ti, _ = ToDOS(time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC))
	assert.Equal(t, dosMin, FromDOS(d, ti, 0))
	assert.Equal(t, dosMin, FromDOS(0, 0, 0))
}

func TestLabelField(t *testing.T) {
	f, err := LabelField("EFI")
	require.NoError(t, err)
	assert.Equal(t, "EFI        ", string(f[:]))
	assert.Equal(t, "EFI", LabelString(f))
	for _, bad := range []string{"twelve chars", "a.b", " lead", "a\x01"} {
		_, err := LabelField(bad)
		assert.Error(t, err, bad)
	}
	f, _ = LabelField("")
	assert.Equal(t, NoName, f)
	assert.Equal(t, "", LabelString(f))
}
