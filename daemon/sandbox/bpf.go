package sandbox

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// asm assembles a classic BPF program with symbolic jump targets. Every
// conditional jump goes forward to a label (or "" for the next
// instruction); link resolves the offsets and fails when one does not
// fit in the 8 bits classic BPF has for them.
type asm struct {
	prog   []unix.SockFilter
	jumps  map[int][2]string // instruction index -> (jt, jf) labels
	labels map[string]int
}

func newAsm() *asm {
	return &asm{jumps: map[int][2]string{}, labels: map[string]int{}}
}

func (a *asm) label(name string) {
	if _, dup := a.labels[name]; dup {
		panic("sandbox: duplicate BPF label " + name)
	}
	a.labels[name] = len(a.prog)
}

// ld loads the 32-bit word at offset off of struct seccomp_data.
func (a *asm) ld(off uint32) {
	a.prog = append(a.prog, unix.SockFilter{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: off})
}

func (a *asm) jmp(op uint16, k uint32, jt, jf string) {
	a.jumps[len(a.prog)] = [2]string{jt, jf}
	a.prog = append(a.prog, unix.SockFilter{Code: unix.BPF_JMP | op | unix.BPF_K, K: k})
}

// jeq jumps to jt when A == k, else to jf.
func (a *asm) jeq(k uint32, jt, jf string) { a.jmp(unix.BPF_JEQ, k, jt, jf) }

// jge jumps to jt when A >= k (unsigned), else to jf.
func (a *asm) jge(k uint32, jt, jf string) { a.jmp(unix.BPF_JGE, k, jt, jf) }

// jset jumps to jt when A & k != 0, else to jf.
func (a *asm) jset(k uint32, jt, jf string) { a.jmp(unix.BPF_JSET, k, jt, jf) }

func (a *asm) ret(k uint32) {
	a.prog = append(a.prog, unix.SockFilter{Code: unix.BPF_RET | unix.BPF_K, K: k})
}

func (a *asm) link() ([]unix.SockFilter, error) {
	off := func(i int, l string) (uint8, error) {
		if l == "" {
			return 0, nil
		}
		t, ok := a.labels[l]
		if !ok {
			return 0, fmt.Errorf("BPF label %s undefined", l)
		}
		d := t - (i + 1)
		if d < 0 || d > 255 {
			return 0, fmt.Errorf("BPF jump from %d to %s (%d) out of range", i, l, t)
		}
		return uint8(d), nil
	}
	prog := append([]unix.SockFilter(nil), a.prog...)
	for i, j := range a.jumps {
		jt, err := off(i, j[0])
		if err != nil {
			return nil, err
		}
		jf, err := off(i, j[1])
		if err != nil {
			return nil, err
		}
		prog[i].Jt, prog[i].Jf = jt, jf
	}
	if len(prog) > unix.BPF_MAXINSNS {
		return nil, fmt.Errorf("BPF program of %d instructions, over %d", len(prog), unix.BPF_MAXINSNS)
	}
	// Every path must end in a return: the last instruction is one.
	if last := prog[len(prog)-1]; last.Code != unix.BPF_RET|unix.BPF_K {
		return nil, fmt.Errorf("BPF program does not end in a return")
	}
	return prog, nil
}
