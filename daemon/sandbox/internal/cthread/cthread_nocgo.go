//go:build !cgo

package cthread

import "errors"

// Enabled is false: without cgo there are no C threads.
const Enabled = false

// Start fails: without cgo there are no C threads.
func Start(name string) error { return errors.New("cthread: built without cgo") }
