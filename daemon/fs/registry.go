package fs

import (
	"fmt"
	"sync"
	"syscall"

	"goguestfs/daemon/errno"
)

var (
	mu      sync.RWMutex
	drivers []Driver
)

// Register makes a driver available, in the order drivers are probed. It
// is called from the driver package's init function; it panics when the
// driver is nil or its name is taken, as database/sql.Register does.
func Register(d Driver) {
	mu.Lock()
	defer mu.Unlock()
	if d == nil {
		panic("fs: Register of a nil driver")
	}
	for _, x := range drivers {
		if x.Name() == d.Name() {
			panic(fmt.Sprintf("fs: Register called twice for driver %s", d.Name()))
		}
	}
	drivers = append(drivers, d)
}

// Drivers returns the registered drivers in registration order.
func Drivers() []Driver {
	mu.RLock()
	defer mu.RUnlock()
	return append([]Driver(nil), drivers...)
}

// Lookup returns the driver named name.
func Lookup(name string) (Driver, bool) {
	for _, d := range Drivers() {
		if d.Name() == name {
			return d, true
		}
	}
	return nil, false
}

// Probe returns the first registered driver that recognises dev, or an
// error with EINVAL when none does. A driver's probe error (an unreadable
// device) is returned at once.
func Probe(dev Device) (Driver, error) {
	for _, d := range Drivers() {
		ok, err := d.Probe(dev)
		if err != nil {
			return nil, err
		}
		if ok {
			return d, nil
		}
	}
	return nil, errno.New(syscall.EINVAL, "no known filesystem")
}
