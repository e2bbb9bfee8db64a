/* Errors: messages, errno, the error handler stack, per-thread state. */
#include <pthread.h>
#include "tests.h"

static int handler_calls;
static char handler_msg[256];

static void
record_handler (guestfs_h *g, void *opaque, const char *msg)
{
  handler_calls++;
  CHECK (opaque == (void *) 42);
  snprintf (handler_msg, sizeof handler_msg, "%s", msg);
}

static guestfs_h *shared;

/* A thread that fails differently from the main thread. */
static void *
other_thread (void *arg)
{
  /* This thread has not set a handler: it starts from the handle's base
   * handler, the one set last with guestfs_set_error_handler (NULL). */
  CHECK (guestfs_get_error_handler (shared, NULL) == NULL);
  CHECK (guestfs_last_error (shared) == NULL);
  CHECK (guestfs_internal_test_rint (shared, "not-a-number") == -1);
  CHECK (guestfs_last_errno (shared) == EINVAL);
  CHECK (strstr (guestfs_last_error (shared), "internal_test_rint: ") == guestfs_last_error (shared));
  return NULL;
}

int
main (void)
{
  guestfs_h *g;
  guestfs_error_handler_cb cb;
  void *opaque;
  pthread_t t;

  g = guestfs_create_flags (GUESTFS_CREATE_NO_ENVIRONMENT);
  CHECK (g != NULL);

  /* The default handler is a real function (it prints to stderr). */
  cb = guestfs_get_error_handler (g, &opaque);
  CHECK (cb != NULL);
  CHECK (opaque == NULL);

  /* No error yet. */
  CHECK (guestfs_last_error (g) == NULL);
  CHECK (guestfs_last_errno (g) == 0);

  /* A custom handler receives "action: message". */
  guestfs_set_error_handler (g, record_handler, (void *) 42);
  CHECK (guestfs_get_error_handler (g, &opaque) == record_handler);
  CHECK (opaque == (void *) 42);
  CHECK (guestfs_internal_test_rinterr (g) == -1);
  CHECK (handler_calls == 1);
  CHECK (STREQ (handler_msg, "internal_test_rinterr: error"));
  CHECK (STREQ (guestfs_last_error (g), "internal_test_rinterr: error"));
  CHECK (guestfs_last_errno (g) == 0);

  /* errno of a failed operation. */
  CHECK (guestfs_set_tmpdir (g, "/no/such/dir") == -1);
  CHECK (guestfs_last_errno (g) == ENOENT);
  CHECK (handler_calls == 2);

  /* Success does not clear the last error. */
  CHECK (guestfs_get_verbose (g) == 0);
  CHECK (guestfs_last_errno (g) == ENOENT);

  /* Push/pop. */
  guestfs_push_error_handler (g, NULL, NULL);
  CHECK (guestfs_get_error_handler (g, NULL) == NULL);
  CHECK (guestfs_internal_test_rstringerr (g) == NULL);
  CHECK (handler_calls == 2);
  guestfs_push_error_handler (g, record_handler, (void *) 42);
  CHECK (guestfs_internal_test_rboolerr (g) == -1);
  CHECK (handler_calls == 3);
  guestfs_pop_error_handler (g);
  CHECK (guestfs_get_error_handler (g, NULL) == NULL);
  guestfs_pop_error_handler (g);
  CHECK (guestfs_get_error_handler (g, NULL) == record_handler);
  /* Popping an empty stack restores the base handler. */
  guestfs_pop_error_handler (g);
  CHECK (guestfs_get_error_handler (g, NULL) == record_handler);

  /* NULL arguments are errors, not crashes. */
  CHECK (guestfs_internal_test_rstring (g, NULL) == NULL);
  CHECK (STREQ (guestfs_last_error (g), "internal_test_rstring: val: parameter cannot be NULL"));
  CHECK (guestfs_last_errno (g) == EINVAL);
  CHECK (guestfs_internal_test_rbufferout (g, "x", NULL) == NULL);
  CHECK (guestfs_internal_test_argv (g, "a", NULL, (char *[]) { NULL }, 0, 0, 0, "", "", "", 0, NULL) == -1);
  CHECK (STREQ (guestfs_last_error (g), "internal_test: optargs: parameter cannot be NULL"));

  /* Errors are per thread. */
  guestfs_set_error_handler (g, NULL, NULL);
  CHECK (guestfs_set_memsize (g, 5) == -1);
  shared = g;
  CHECK (pthread_create (&t, NULL, other_thread, NULL) == 0);
  CHECK (pthread_join (t, NULL) == 0);
  CHECK (strstr (guestfs_last_error (g), "set_memsize: memsize: 5") == guestfs_last_error (g));
  CHECK (guestfs_last_errno (g) == EINVAL);

  guestfs_close (g);
  return 0;
}
