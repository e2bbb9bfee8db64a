//go:build cgo

// Package cthread starts threads from C, unknown to the Go runtime, for
// the sandbox's tests: the sandbox must reach them too.
package cthread

/*
#define _GNU_SOURCE
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *sleeper(void *arg) {
	pthread_setname_np(pthread_self(), (const char *)arg);
	free(arg);
	for (;;)
		pause();
	return NULL;
}

static int start(const char *name) {
	pthread_t t;
	char *n = strdup(name);
	int r = pthread_create(&t, NULL, sleeper, n);
	if (r != 0) {
		free(n);
		return r;
	}
	pthread_detach(t);
	return 0;
}
*/
import "C"

import (
	"syscall"
	"unsafe"
)

// Enabled is true: this build has cgo.
const Enabled = true

// Start starts a C thread named name (at most 15 bytes, as
// /proc/PID/task/TID/comm shows it) that sleeps until the process exits.
func Start(name string) error {
	cs := C.CString(name)
	defer C.free(unsafe.Pointer(cs))
	if r := C.start(cs); r != 0 {
		return syscall.Errno(r)
	}
	return nil
}
