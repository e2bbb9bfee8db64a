package fstools

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// BenchmarkMakeExt4_512M makes ext4 on a 512 MiB file-backed drive, over
// the previous iteration's filesystem (the first over random bytes).
func BenchmarkMakeExt4_512M(b *testing.B) {
	d := openDrive(b, testImage(b, 512<<20, true), false)
	o := ExtOptions{FSType: ptr("ext4")}
	for b.Loop() {
		require.NoError(b, MakeExt(d, o))
	}
}
