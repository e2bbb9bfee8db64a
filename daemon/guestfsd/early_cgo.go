//go:build cgo

package main

/*
#define _GNU_SOURCE
#include <pthread.h>
#include <sys/prctl.h>

// guestfsd_early runs before the Go runtime starts its first thread.
//
// Thread stacks: threads started after it, the Go runtime's included, get
// 1 MiB stacks instead of RLIMIT_STACK's (8 MiB). RLIMIT_DATA (memsize)
// counts thread stacks, and with 8 MiB a daemon under the smallest
// memsize cannot start the threads it needs.
//
// Capability bounding set: emptied here, while this is the only thread,
// when the daemon may (CAP_SETPCAP: run by root, or in a user namespace of
// its own). Every thread then starts with it empty, and sandbox.Apply need
// not drop each capability on every thread through psx, a signal to each
// thread per call (about 100 us each, 4 ms for the 41 capabilities).
// Without CAP_SETPCAP nothing changes and Apply says so.
__attribute__((constructor)) static void guestfsd_early(void) {
	pthread_attr_t attr;
	if (pthread_getattr_default_np(&attr) == 0) {
		pthread_attr_setstacksize(&attr, 1 << 20);
		pthread_setattr_default_np(&attr);
		pthread_attr_destroy(&attr);
	}
	for (int c = 0; c < 64; c++) {
		int in = prctl(PR_CAPBSET_READ, c, 0, 0, 0);
		if (in < 0)
			break;
		if (in == 1 && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) != 0)
			break;
	}
}
*/
import "C"
