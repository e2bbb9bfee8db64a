// Package core is the Go implementation of the handle: configuration,
// events, the private data area, errors, the handle lock, and one method per
// action of the API table (generated into actions_gen.go). The C library in
// bridge/ and every language binding are thin layers over it, and Go
// programs may use it directly.
//
// Concurrency: every method may be called from any goroutine. Calls on one
// handle are serialized by a lock that is reentrant per OS thread, so code
// running inside an event callback (which runs on the calling thread, during
// the call) may use library-local methods. Daemon actions from inside a
// callback fail with EBUSY.
package core
