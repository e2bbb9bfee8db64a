package file_test

import (
	"fmt"
	"os/exec"
	"testing"

	"github.com/stretchr/testify/require"

	"goguestfs/daemon/daemontest"
)

// BenchmarkWrite100 is write of 100 bytes into new files on ext4 and vfat,
// through the dispatcher (the daemon's share of a write call).
func BenchmarkWrite100(b *testing.B) {
	for _, fstype := range []string{"ext4", "vfat"} {
		b.Run(fstype, func(b *testing.B) {
			tool, args := "mkfs.ext4", []string{"-q", "-F"}
			if fstype == "vfat" {
				tool, args = "mkfs.fat", nil
			}
			img := daemontest.Image(b, 256<<20)
			out, err := execCommand(tool, append(args, img)...)
			require.NoError(b, err, "%s", out)
			d := daemontest.Start(b, img)
			require.NoError(b, d.Call("mount", nil, "/dev/sda", "/"))
			data := make([]byte, 100)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if i%200 == 0 {
					require.NoError(b, d.Call("mkdir", nil, fmt.Sprintf("/d%d", i/200)))
				}
				require.NoError(b, d.Call("write", nil, fmt.Sprintf("/d%d/f%d", i/200, i), data))
			}
		})
	}
}

func execCommand(name string, args ...string) ([]byte, error) {
	return exec.Command(name, args...).CombinedOutput()
}
