package parttable

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"
)

// guid is a GUID in its on-disk (mixed-endian) byte order.
type guid [16]byte

// LinuxFilesystemGUID is the GPT partition type given to new partitions
// (Linux filesystem data).
const LinuxFilesystemGUID = "0FC63DAF-8483-4772-8E79-3D69D8477DE4"

// String formats the GUID as uppercase 8-4-4-4-12 hex.
func (g guid) String() string {
	return fmt.Sprintf("%08X-%04X-%04X-%02X%02X-%02X%02X%02X%02X%02X%02X",
		binary.LittleEndian.Uint32(g[0:4]), binary.LittleEndian.Uint16(g[4:6]),
		binary.LittleEndian.Uint16(g[6:8]), g[8], g[9], g[10], g[11], g[12], g[13], g[14], g[15])
}

func (g guid) isZero() bool { return g == guid{} }

// parseGUID parses an 8-4-4-4-12 hex GUID, either case.
func parseGUID(s string) (guid, error) {
	var g guid
	parts := strings.Split(s, "-")
	if len(s) != 36 || len(parts) != 5 || len(parts[0]) != 8 || len(parts[1]) != 4 ||
		len(parts[2]) != 4 || len(parts[3]) != 4 || len(parts[4]) != 12 {
		return g, invalid("%q is not a GUID (expected XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX)", s)
	}
	raw, err := hex.DecodeString(strings.Join(parts, ""))
	if err != nil {
		return g, invalid("%q is not a GUID: bad hex digit", s)
	}
	binary.LittleEndian.PutUint32(g[0:4], binary.BigEndian.Uint32(raw[0:4]))
	binary.LittleEndian.PutUint16(g[4:6], binary.BigEndian.Uint16(raw[4:6]))
	binary.LittleEndian.PutUint16(g[6:8], binary.BigEndian.Uint16(raw[6:8]))
	copy(g[8:], raw[8:])
	return g, nil
}

// randomGUID returns a random (version 4, RFC 4122 variant) GUID.
func randomGUID() (guid, error) {
	var g guid
	if _, err := rand.Read(g[:]); err != nil {
		return g, fmt.Errorf("random GUID: %w", err)
	}
	g[7] = g[7]&0x0f | 0x40 // version 4 (high nibble of the LE time_hi field)
	g[8] = g[8]&0x3f | 0x80 // variant
	return g, nil
}
