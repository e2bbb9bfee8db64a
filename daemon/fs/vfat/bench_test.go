package vfat

import (
	"os"
	"strconv"
	"testing"
)

// BenchmarkTouch2000 creates 2,000 files (long names) in one directory and
// lists it, the "2,000 touch + one ls".
func BenchmarkTouch2000(b *testing.B) {
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		img := ourFormat(600<<20, 0, 0)(b)
		x := mount(b, img, false)
		b.StartTimer()
		for j := 0; j < 2000; j++ {
			h, err := x.OpenFile("/file number "+strconv.Itoa(j)+".txt", os.O_CREATE|os.O_WRONLY, 0o644)
			if err != nil {
				b.Fatal(err)
			}
			h.Close()
		}
		if ents, err := x.ReadDir("/"); err != nil || len(ents) != 2000 {
			b.Fatal(err, len(ents))
		}
		x.Close()
	}
}
