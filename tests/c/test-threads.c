/* One handle used from 8 threads at once: properties, actions, errors,
 * private data and event registration, with a callback registered. */
#include <pthread.h>
#include <stdint.h>
#include "tests.h"

#define THREADS 8
#define ROUNDS 2000

static guestfs_h *g;
static volatile int enter_events;

static void
count_enter (guestfs_h *h, void *opaque, uint64_t ev, int eh, int flags,
             const char *buf, size_t len, const uint64_t *a, size_t alen)
{
  /* Runs under the handle lock: no other thread is inside a call. */
  enter_events++;
}

static void *
worker (void *arg)
{
  intptr_t id = (intptr_t) arg;
  char key[32], val[32], *s;
  int i, eh;

  snprintf (key, sizeof key, "thread%d", (int) id);
  for (i = 0; i < ROUNDS; ++i) {
    snprintf (val, sizeof val, "%d-%d", (int) id, i);
    s = guestfs_internal_test_rstring (g, val);
    CHECK (s && STREQ (s, val));
    free (s);
    guestfs_set_private (g, key, (void *) (intptr_t) (i + 1));
    CHECK (guestfs_get_private (g, key) == (void *) (intptr_t) (i + 1));
    CHECK (guestfs_set_memsize (g, 100) == -1);
    CHECK (guestfs_last_errno (g) == EINVAL);
    CHECK (strstr (guestfs_last_error (g), "memsize: 100") != NULL);
    CHECK (guestfs_internal_test_rint (g, val) == -1 || i == 0);
    eh = guestfs_set_event_callback (g, count_enter, GUESTFS_EVENT_TRACE, 0, NULL);
    CHECK (eh >= 0);
    guestfs_delete_event_callback (g, eh);
    CHECK (guestfs_set_smp (g, 1 + (int) id) == 0);
    CHECK (guestfs_get_smp (g) >= 1);
  }
  return NULL;
}

int
main (void)
{
  pthread_t t[THREADS];
  intptr_t i;

  g = quiet_handle ();
  CHECK (guestfs_set_event_callback (g, count_enter, GUESTFS_EVENT_ENTER, 0, NULL) >= 0);
  for (i = 0; i < THREADS; ++i)
    CHECK (pthread_create (&t[i], NULL, worker, (void *) i) == 0);
  for (i = 0; i < THREADS; ++i)
    CHECK (pthread_join (t[i], NULL) == 0);
  /* Every action call emitted exactly one ENTER (5 actions a round, the
   * first round of each thread has a successful rint "0-0"). */
  CHECK (enter_events == THREADS * ROUNDS * 5);
  guestfs_close (g);
  return 0;
}
