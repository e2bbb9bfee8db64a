/* Handles not created with NO_CLOSE_ON_EXIT are closed at exit, newest
 * first, and their close callbacks run (stdout is compared with
 * test-atexit.expected). */
#include <unistd.h>
#include "tests.h"

static void
on_close (guestfs_h *g, void *opaque, uint64_t ev, int eh, int flags,
          const char *buf, size_t len, const uint64_t *a, size_t alen)
{
  printf ("close %s\n", (const char *) opaque);
  fflush (stdout);
}

int
main (void)
{
  guestfs_h *a = guestfs_create_flags (GUESTFS_CREATE_NO_ENVIRONMENT);
  guestfs_h *b = guestfs_create_flags (GUESTFS_CREATE_NO_ENVIRONMENT);
  guestfs_h *c = guestfs_create_flags (GUESTFS_CREATE_NO_ENVIRONMENT | GUESTFS_CREATE_NO_CLOSE_ON_EXIT);

  CHECK (a && b && c);
  CHECK (guestfs_set_event_callback (a, on_close, GUESTFS_EVENT_CLOSE, 0, "a") >= 0);
  CHECK (guestfs_set_event_callback (b, on_close, GUESTFS_EVENT_CLOSE, 0, "b") >= 0);
  CHECK (guestfs_set_event_callback (c, on_close, GUESTFS_EVENT_CLOSE, 0, "c") >= 0);
  printf ("exiting\n");
  fflush (stdout);
  exit (0);
}
