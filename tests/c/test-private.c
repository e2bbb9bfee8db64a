/* The private data area. */
#include "tests.h"

static int close_calls;

/* Remove every "own_" key, passing back the library's own key string. */
static void
close_cb (guestfs_h *g, void *opaque, uint64_t event, int eh, int flags,
          const char *buf, size_t buf_len, const uint64_t *array, size_t array_len)
{
  const char *key;
  void *data;

  close_calls++;
 again:
  for (data = guestfs_first_private (g, &key); data != NULL;
       data = guestfs_next_private (g, &key)) {
    if (strncmp (key, "own_", 4) == 0) {
      guestfs_set_private (g, key, NULL);
      goto again;
    }
  }
  CHECK (guestfs_get_private (g, "own_1") == NULL);
  CHECK (guestfs_get_private (g, "keep") == (void *) 7);
}

static size_t
count_entries (guestfs_h *g)
{
  const char *key;
  size_t n = 0;

  for (void *d = guestfs_first_private (g, &key); d; d = guestfs_next_private (g, &key)) {
    CHECK (guestfs_get_private (g, key) == d);
    n++;
  }
  return n;
}

int
main (void)
{
  guestfs_h *g = quiet_handle ();
  const char *key;
  char name[32];
  int i;

  /* Empty area. */
  CHECK (guestfs_first_private (g, &key) == NULL);
  CHECK (guestfs_get_private (g, "missing") == NULL);

  /* Set, overwrite, remove. */
  guestfs_set_private (g, "a", (void *) 1);
  guestfs_set_private (g, "b", (void *) 2);
  guestfs_set_private (g, "a", (void *) 3);
  CHECK (guestfs_get_private (g, "a") == (void *) 3);
  CHECK (count_entries (g) == 2);
  guestfs_set_private (g, "a", NULL);
  CHECK (guestfs_get_private (g, "a") == NULL);
  CHECK (count_entries (g) == 1);
  guestfs_set_private (g, "missing", NULL);      /* removing nothing is fine */
  CHECK (count_entries (g) == 1);

  /* The key returned by first/next stays valid and may be passed back. */
  CHECK (guestfs_first_private (g, &key) == (void *) 2);
  CHECK (STREQ (key, "b"));
  guestfs_set_private (g, key, (void *) 5);
  CHECK (guestfs_get_private (g, "b") == (void *) 5);
  CHECK (guestfs_first_private (g, &key) == (void *) 5);
  guestfs_set_private (g, key, NULL);
  CHECK (count_entries (g) == 0);

  /* Many keys: set and remove most of them, iteration skips the holes. */
  for (i = 0; i < 5000; ++i) {
    snprintf (name, sizeof name, "k%d", i);
    guestfs_set_private (g, name, (void *) (intptr_t) (i + 1));
  }
  for (i = 0; i < 5000; ++i) {
    if (i % 10 != 0) {
      snprintf (name, sizeof name, "k%d", i);
      guestfs_set_private (g, name, NULL);
    }
  }
  CHECK (count_entries (g) == 500);
  for (i = 0; i < 5000; i += 10) {
    snprintf (name, sizeof name, "k%d", i);
    CHECK (guestfs_get_private (g, name) == (void *) (intptr_t) (i + 1));
  }
  /* New keys after the holes (the area squeezes itself). */
  for (i = 0; i < 100; ++i) {
    snprintf (name, sizeof name, "n%d", i);
    guestfs_set_private (g, name, (void *) 1);
  }
  CHECK (count_entries (g) == 600);

  /* The close callback can walk the area and remove its own keys. */
  guestfs_set_private (g, "own_1", (void *) 1);
  guestfs_set_private (g, "own_2", (void *) 2);
  guestfs_set_private (g, "keep", (void *) 7);
  CHECK (guestfs_set_event_callback (g, close_cb, GUESTFS_EVENT_CLOSE, 0, NULL) >= 0);
  guestfs_close (g);
  CHECK (close_calls == 1);
  return 0;
}
