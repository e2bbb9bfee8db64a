package protocol

import (
	"testing"
)

// BenchmarkRoundTrip measures one trivial call: Send Call + Recv Reply over a
// socketpair, with the peer answering from another goroutine.
func BenchmarkRoundTrip(b *testing.B) {
	lib, daemon := newPair(b)
	go func() {
		result := mustMarshal(b, "ok")
		for {
			m, err := daemon.Recv()
			if err != nil {
				return
			}
			if err := daemon.Send(&Reply{Serial: m.(*Call).Serial, Result: result}); err != nil {
				return
			}
		}
	}()
	args := mustMarshal(b, []string{"hello"})
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := lib.Send(&Call{Serial: uint32(i), Proc: "internal_test_rstring", Args: args}); err != nil {
			b.Fatal(err)
		}
		m, err := lib.Recv()
		if err != nil {
			b.Fatal(err)
		}
		if r, ok := m.(*Reply); !ok || r.Serial != uint32(i) {
			b.Fatalf("unexpected answer %#v", m)
		}
	}
}
