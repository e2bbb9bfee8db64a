package core

import (
	"fmt"
	"testing"
)

// BenchmarkLibraryCall measures one library-local action: lock, ENTER
// dispatch, body, unlock.
func BenchmarkLibraryCall(b *testing.B) {
	h, err := New(Options{NoEnvironment: true})
	if err != nil {
		b.Fatal(err)
	}
	defer h.Close()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := h.InternalTestRint("42"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLibraryCallWithCallback adds one ENTER callback to every call.
func BenchmarkLibraryCallWithCallback(b *testing.B) {
	h, err := New(Options{NoEnvironment: true})
	if err != nil {
		b.Fatal(err)
	}
	defer h.Close()
	n := 0
	if _, err := h.SetEventCallback(func(Event, int, []byte, []uint64) { n++ }, EventEnter, 0); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := h.GetVerbose(); err != nil {
			b.Fatal(err)
		}
	}
	if n != b.N {
		b.Fatalf("%d callbacks for %d calls", n, b.N)
	}
}

// BenchmarkPrivateData measures a set and a get in the private data area.
func BenchmarkPrivateData(b *testing.B) {
	h, err := New(Options{NoEnvironment: true})
	if err != nil {
		b.Fatal(err)
	}
	defer h.Close()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		h.SetPrivate("key", i)
		if h.GetPrivate("key") != i {
			b.Fatal("lost value")
		}
	}
}

// BenchmarkCreateAddScratchLaunch measures what a program waits for before
// its first daemon action: create a handle, add a 1 GiB scratch drive,
// launch (start the daemon, pass the drive, LAUNCH_DONE). Closing is
// outside the timed part.
func BenchmarkCreateAddScratchLaunch(b *testing.B) {
	for i := 0; i < b.N; i++ {
		h, err := New(Options{NoEnvironment: true})
		if err != nil {
			b.Fatal(err)
		}
		if err := h.SetPath(&daemonDir); err != nil {
			b.Fatal(err)
		}
		if err := h.AddDriveScratch(1<<30, nil); err != nil {
			b.Fatal(err)
		}
		if err := h.Launch(); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		h.Close()
		b.StartTimer()
	}
}

// BenchmarkDaemonRoundTrip measures one trivial daemon action
// (blockdev_getss): encode, socket, decode, dispatch in the daemon, reply.
func BenchmarkDaemonRoundTrip(b *testing.B) {
	h, err := New(Options{NoEnvironment: true})
	if err != nil {
		b.Fatal(err)
	}
	defer h.Close()
	if err := h.SetPath(&daemonDir); err != nil {
		b.Fatal(err)
	}
	if err := h.AddDriveScratch(1<<30, nil); err != nil {
		b.Fatal(err)
	}
	if err := h.Launch(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := h.BlockdevGetss("/dev/sda"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWrite100 is write of 100 bytes into a new file on ext4 (200
// files a directory), through the real daemon.
func BenchmarkWrite100(b *testing.B) {
	h, err := New(Options{NoEnvironment: true})
	if err != nil {
		b.Fatal(err)
	}
	defer h.Close()
	if err := h.SetPath(&daemonDir); err != nil {
		b.Fatal(err)
	}
	if err := h.AddDriveScratch(256<<20, nil); err != nil {
		b.Fatal(err)
	}
	if err := h.Launch(); err != nil {
		b.Fatal(err)
	}
	if err := h.Mkfs("ext4", "/dev/sda"); err != nil {
		b.Fatal(err)
	}
	if err := h.Mount("/dev/sda", "/"); err != nil {
		b.Fatal(err)
	}
	data := make([]byte, 100)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i%200 == 0 {
			if err := h.Mkdir(fmt.Sprintf("/d%d", i/200)); err != nil {
				b.Fatal(err)
			}
		}
		if err := h.Write(fmt.Sprintf("/d%d/f%d", i/200, i), data); err != nil {
			b.Fatal(err)
		}
	}
}
