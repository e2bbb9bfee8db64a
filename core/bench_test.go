package core

import "testing"

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
