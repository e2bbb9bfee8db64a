package jbd2

type pass int

const (
	passScan pass = iota
	passRevoke
	passReplay
)

// walker is the state of one pass over the log.
type walker struct {
	j        *journal
	p        pass
	seq, blk uint32
	steps    uint32
	written  int
	crc      uint32 // checksum v1 of the current transaction
	badTail  bool   // a v2/v3 descriptor or revoke checksum failed (scan)
	lastTime uint64 // commit time of the last good commit (scan)
}

// next reads the next log block, bounded by the log's length: a log that
// never ends is corrupt.
func (w *walker) next() ([]byte, error) {
	if w.steps > w.j.last-w.j.first {
		return nil, corrupt("log does not end")
	}
	w.steps++
	b, err := w.j.read(w.blk)
	w.blk = w.j.wrap(w.blk + 1)
	return b, err
}

// pass makes one pass over the log as e2fsck's do_one_pass does. The scan
// sets *end to the first transaction without a valid commit; the other
// passes stop there.
func (j *journal) pass(p pass, end *uint32) (int, error) {
	w := &walker{j: j, p: p, seq: be.Uint32(j.sb[sbSequence:]), blk: be.Uint32(j.sb[sbStart:]), crc: ^uint32(0)}
	for {
		if p != passScan && int32(w.seq-*end) >= 0 {
			return w.written, nil
		}
		b, err := w.next()
		if err != nil {
			return w.written, err
		}
		if be.Uint32(b[0:4]) != magic || be.Uint32(b[8:12]) != w.seq {
			break
		}
		var done bool
		switch be.Uint32(b[4:8]) {
		case typeDescriptor:
			err = w.descriptor(b)
		case typeCommit:
			done, err = w.commit(b, end)
		case typeRevoke:
			err = w.revoke(b)
		default:
			done = true
		}
		if err != nil {
			return w.written, err
		}
		if done {
			break
		}
	}
	if p == passScan {
		*end = w.seq
	} else if w.seq != *end {
		return w.written, corrupt("pass %d ended at transaction %d, not %d", p, w.seq, *end)
	}
	return w.written, nil
}

func (w *walker) descriptor(b []byte) error {
	j := w.j
	if !j.tailOK(b, len(b)-4) {
		if w.p != passScan {
			return corrupt("descriptor block checksum mismatch in transaction %d", w.seq)
		}
		w.badTail = true
	}
	v1 := w.p == passScan && j.compat&compatChecksum != 0
	if v1 {
		w.crc = crc32BE(w.crc, b)
	}
	return j.eachTag(b, func(t []byte) error {
		if w.p == passScan && !v1 {
			w.blk = j.wrap(w.blk + 1)
			w.steps++
			return nil
		}
		data, err := w.next()
		if err != nil {
			return err
		}
		if v1 {
			w.crc = crc32BE(w.crc, data)
		}
		if w.p != passReplay {
			return nil
		}
		target := j.tagBlock(t)
		if target >= j.fsBlocks {
			return corrupt("transaction %d writes block %d beyond the filesystem", w.seq, target)
		}
		if rs, ok := j.revoked[target]; ok && int32(w.seq-rs) <= 0 {
			return nil
		}
		if !j.tagOK(t, data, w.seq) {
			return corrupt("data block checksum mismatch for block %d in transaction %d", target, w.seq)
		}
		if tagFlags(t)&tagEscape != 0 {
			be.PutUint32(data[0:4], magic)
		}
		if _, err := j.dev.WriteAt(data, int64(target)*j.bs); err != nil {
			return err
		}
		w.written++
		return nil
	})
}

// commit ends a transaction; done reports the end of the log.
func (w *walker) commit(b []byte, end *uint32) (done bool, err error) {
	j := w.j
	if w.p == passScan {
		t := be.Uint64(b[0x30:])
		if w.badTail {
			if t >= w.lastTime {
				return false, corrupt("checksum mismatch in transaction %d", w.seq)
			}
			return true, nil // stale blocks of an older journal generation
		}
		if j.compat&compatChecksum != 0 {
			found := be.Uint32(b[0x10:])
			ok := b[0x0C] == 1 && b[0x0D] == 4 && found == w.crc ||
				b[0x0C] == 0 && b[0x0D] == 0 && found == 0
			w.crc = ^uint32(0)
			if !ok {
				return false, corrupt("commit checksum mismatch in transaction %d", w.seq)
			}
		}
		if !j.tailOK(b, 0x10) {
			if t < w.lastTime {
				return true, nil
			}
			return false, corrupt("commit block checksum mismatch in transaction %d", w.seq)
		}
		w.lastTime = t
	}
	w.seq++
	return false, nil
}

func (w *walker) revoke(b []byte) error {
	j := w.j
	if w.p == passScan && !j.tailOK(b, len(b)-4) {
		w.badTail = true
	}
	if w.p != passRevoke {
		return nil
	}
	rcount := int(be.Uint32(b[12:16]))
	limit := len(b)
	if j.csum {
		limit -= 4
	}
	if rcount > limit || rcount < 16 {
		return corrupt("revoke block of transaction %d counts %d bytes", w.seq, rcount)
	}
	rl := 4
	if j.incompat&inc64Bit != 0 {
		rl = 8
	}
	for off := 16; off+rl <= rcount; off += rl {
		var rb uint64
		if rl == 4 {
			rb = uint64(be.Uint32(b[off:]))
		} else {
			rb = be.Uint64(b[off:])
		}
		if old, ok := j.revoked[rb]; !ok || int32(w.seq-old) > 0 {
			j.revoked[rb] = w.seq
		}
	}
	return nil
}
