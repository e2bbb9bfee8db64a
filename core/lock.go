package core

import "sync"

// threadLock is a mutex that the OS thread holding it may take again. It
// identifies owners by Linux thread id: a caller must keep its goroutine
// locked to its OS thread (runtime.LockOSThread) between acquire and release.
type threadLock struct {
	mu    sync.Mutex
	cond  sync.Cond
	owner int // thread id, 0 when free
	depth int
}

// acquire takes the lock for thread tid, waiting while another thread holds
// it, and returns the nesting depth (1 for the outermost acquisition).
func (l *threadLock) acquire(tid int) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cond.L == nil {
		l.cond.L = &l.mu
	}
	for l.owner != 0 && l.owner != tid {
		l.cond.Wait()
	}
	l.owner = tid
	l.depth++
	return l.depth
}

// release undoes one acquire by the owning thread.
func (l *threadLock) release() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.depth--
	if l.depth == 0 {
		l.owner = 0
		l.cond.Signal()
	}
}
