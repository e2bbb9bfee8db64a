/* events.c: a program written for libguestfs's C API (handle, private data,
 * events, errors) that compiles unchanged against goguestfs's guestfs.h.
 *
 *   ./run sh -c 'cc examples/c/events.c $(pkg-config --cflags --libs goguestfs) -o /tmp/events && /tmp/events'
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <inttypes.h>

#include <guestfs.h>

struct counters {
  int enter, close;
};

/* Counts ENTER and CLOSE events; on CLOSE frees the private data. */
static void
on_event (guestfs_h *g, void *opaque, uint64_t event, int event_handle,
          int flags, const char *buf, size_t buf_len,
          const uint64_t *array, size_t array_len)
{
  struct counters *c = guestfs_get_private (g, "example_counters");
  char *name = guestfs_event_to_string (event);

  if (event == GUESTFS_EVENT_ENTER) {
    c->enter++;
    printf ("event %s: %.*s\n", name, (int) buf_len, buf);
  }
  else if (event == GUESTFS_EVENT_CLOSE) {
    c->close++;
    printf ("event %s after %d actions\n", name, c->enter);
    guestfs_set_private (g, "example_counters", NULL);
    free (c);
  }
  free (name);
}

int
main (void)
{
  guestfs_h *g;
  struct counters *c;
  struct guestfs_version *v;
  char **list;
  size_t i;

  g = guestfs_create ();
  if (g == NULL) {
    perror ("guestfs_create");
    exit (EXIT_FAILURE);
  }

  c = calloc (1, sizeof *c);
  guestfs_set_private (g, "example_counters", c);
  if (guestfs_set_event_callback (g, on_event,
                                  GUESTFS_EVENT_ENTER | GUESTFS_EVENT_CLOSE,
                                  0, NULL) == -1)
    exit (EXIT_FAILURE);

  v = guestfs_version (g);
  if (v == NULL)
    exit (EXIT_FAILURE);
  printf ("library version %" PRIi64 ".%" PRIi64 ".%" PRIi64 "%s\n",
          v->major, v->minor, v->release, v->extra);
  guestfs_free_version (v);

  list = guestfs_internal_test_rstringlist (g, "3");
  if (list == NULL)
    exit (EXIT_FAILURE);
  for (i = 0; list[i] != NULL; ++i) {
    printf ("list[%zu] = %s\n", i, list[i]);
    free (list[i]);
  }
  free (list);

  /* Errors carry an errno. */
  guestfs_push_error_handler (g, NULL, NULL);
  if (guestfs_set_tmpdir (g, "/no/such/directory") == -1)
    printf ("expected error: %s (errno %s)\n", guestfs_last_error (g),
            guestfs_last_errno (g) == ENOENT ? "ENOENT" : "other");
  guestfs_pop_error_handler (g);

  guestfs_close (g);
  return 0;
}
