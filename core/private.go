package core

// privateArea is the handle's private data area: values stored under string
// keys, with O(1) average get and set, and a cursor for first/next
// iteration. Removed entries leave holes that are squeezed out when they
// outnumber the live ones, at an insertion (never while removing, so a
// caller may remove entries during an iteration).
type privateArea struct {
	index   map[string]int
	entries []privateEntry
	cursor  int
}

type privateEntry struct {
	key  string
	val  any
	live bool
}

func (p *privateArea) set(key string, val any) {
	if i, ok := p.index[key]; ok {
		if val == nil {
			p.entries[i] = privateEntry{}
			delete(p.index, key)
		} else {
			p.entries[i].val = val
		}
		return
	}
	if val == nil {
		return
	}
	if p.index == nil {
		p.index = map[string]int{}
	}
	if holes := len(p.entries) - len(p.index); holes > 16 && holes > len(p.index) {
		p.squeeze()
	}
	p.index[key] = len(p.entries)
	p.entries = append(p.entries, privateEntry{key: key, val: val, live: true})
}

// squeeze removes the holes; an iteration in progress ends.
func (p *privateArea) squeeze() {
	live := make([]privateEntry, 0, len(p.index)*2)
	for _, e := range p.entries {
		if e.live {
			p.index[e.key] = len(live)
			live = append(live, e)
		}
	}
	p.entries = live
	p.cursor = len(live)
}

func (p *privateArea) get(key string) any {
	if i, ok := p.index[key]; ok {
		return p.entries[i].val
	}
	return nil
}

// from returns the first live entry at position i or later and leaves the
// cursor on it.
func (p *privateArea) from(i int) (string, any, bool) {
	for ; i < len(p.entries); i++ {
		if p.entries[i].live {
			p.cursor = i
			return p.entries[i].key, p.entries[i].val, true
		}
	}
	p.cursor = len(p.entries)
	return "", nil, false
}

// SetPrivate stores val under key, replacing any previous value; a nil val
// removes the entry. The library never looks inside val. Keys starting
// with "_" are reserved for language bindings.
func (h *Handle) SetPrivate(key string, val any) {
	h.withLock(func(int) {
		if !h.closed {
			h.priv.set(key, val)
		}
	})
}

// GetPrivate returns the value stored under key, or nil.
func (h *Handle) GetPrivate(key string) (val any) {
	h.withLock(func(int) { val = h.priv.get(key) })
	return
}

// FirstPrivate starts an iteration over the private data area (in no
// particular order) and returns the first entry; ok is false when empty.
func (h *Handle) FirstPrivate() (key string, val any, ok bool) {
	h.withLock(func(int) { key, val, ok = h.priv.from(0) })
	return
}

// NextPrivate returns the entry after the one last returned by
// FirstPrivate/NextPrivate; ok is false at the end. After removing entries
// during an iteration, restart it with FirstPrivate.
func (h *Handle) NextPrivate() (key string, val any, ok bool) {
	h.withLock(func(int) { key, val, ok = h.priv.from(h.priv.cursor + 1) })
	return
}
