/* handle.h: the private C side of the bridge. Not installed.
 *
 * guestfs_h is a small C struct owned by the bridge. It holds what C must
 * reach without entering Go: the cancel flag and its eventfd (for
 * guestfs_user_cancel, which may run in a signal handler), the fork
 * generation the handle was created in (calls in a fork child must never
 * enter Go: the Go runtime's threads do not survive fork), and the
 * runtime/cgo.Handle of the Go state.
 */
#ifndef GOGUESTFS_HANDLE_H
#define GOGUESTFS_HANDLE_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include "guestfs.h"

struct guestfs_h {
  uintptr_t ref;                /* runtime/cgo.Handle of the Go state */
  unsigned fork_gen;            /* goguestfs_fork_generation at creation */
  volatile int cancel;          /* set by guestfs_user_cancel (atomic) */
  int cancel_fd;                /* eventfd, readable while cancel is set */
  int close_on_exit;            /* linked in the at-exit list */
  int exit_tried;               /* close_all_at_exit has closed it */
  /* The handler set by guestfs_set_error_handler, for errors reported in a
   * fork child, where the Go state cannot be reached. */
  guestfs_error_handler_cb fork_error_cb;
  void *fork_error_cb_data;
  struct guestfs_h *prev, *next; /* the at-exit list, in creation order */
};

/* Incremented in every fork child (pthread_atfork). */
extern volatile unsigned goguestfs_fork_generation;

/* True when g was created in an ancestor of this process. */
#define GOGUESTFS_IN_CHILD(g) ((g)->fork_gen != goguestfs_fork_generation)

/* The error message of every call on an inherited handle in a fork child. */
extern const char goguestfs_fork_message[];

/* Report goguestfs_fork_message through g's error handler, set errno. */
extern void goguestfs_fork_error (guestfs_h *g);

/* Allocate a handle struct with its eventfd; NULL with errno set. */
extern guestfs_h *goguestfs_alloc_handle (int close_on_exit);
/* Unlink and free a handle struct. */
extern void goguestfs_free_handle (guestfs_h *g);

/* The cancel flag: user_cancel sets it; reset clears it and drains the fd. */
extern void goguestfs_user_cancel (guestfs_h *g);
extern int goguestfs_cancelled (guestfs_h *g);
extern void goguestfs_cancel_reset (guestfs_h *g);

/* Format an error message for action op and report it through the handle. */
extern void goguestfs_errorf (guestfs_h *g, const char *op, int errnum, const char *fs, ...)
  __attribute__((format (printf, 4, 5)));

/* Legacy callback slots for guestfs_set_*_callback. */
enum {
  GOGUESTFS_LEGACY_LOG_MESSAGE,
  GOGUESTFS_LEGACY_SUBPROCESS_QUIT,
  GOGUESTFS_LEGACY_LAUNCH_DONE,
  GOGUESTFS_LEGACY_CLOSE,
  GOGUESTFS_LEGACY_PROGRESS,
};

/* Trampolines: Go cannot call C function pointers directly. */
/* Opaque pointers and callbacks travel through Go as uintptr_t: Go must
 * never hold a C pointer such as (void *) 1 in a pointer-typed variable. */
extern void goguestfs_call_event (guestfs_event_callback cb, guestfs_h *g, uintptr_t opaque, uint64_t event, int eh, int flags, const char *buf, size_t buf_len, const uint64_t *array, size_t array_len);
extern void goguestfs_call_error (guestfs_error_handler_cb cb, guestfs_h *g, uintptr_t opaque, const char *msg);
extern void goguestfs_call_legacy (int kind, uintptr_t cb, guestfs_h *g, uintptr_t opaque, const char *buf, size_t buf_len, const uint64_t *array, size_t array_len);

/* The default error handler: prints "libguestfs: error: MSG" to stderr. */
extern void goguestfs_default_error_cb (guestfs_h *g, void *opaque, const char *msg);

static inline void goguestfs_set_errno (int e) { errno = e; }
static inline char *goguestfs_string_at (char **v, size_t i) { return v[i]; }
extern char **environ;
static inline char **goguestfs_environ (void) { return environ; }

/* Generated: event names for guestfs_event_to_string. */
extern char *goguestfs_event_to_string_c (uint64_t event);

#endif
