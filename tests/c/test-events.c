/* Events: order, deletion and registration during dispatch, handles never
 * reused, ENTER and TRACE, legacy callbacks, and closing from callbacks. */
#include "tests.h"

static char log_[4096];

static void
logf_ (const char *s)
{
  strncat (log_, s, sizeof log_ - strlen (log_) - 1);
}

static int eh_a, eh_b, eh_c, eh_late;

static void
cb_late (guestfs_h *g, void *opaque, uint64_t ev, int eh, int flags,
         const char *buf, size_t len, const uint64_t *a, size_t alen)
{
  logf_ ("late;");
}

/* Callback A deletes B (later in this round) and registers a late one. */
static void
cb_a (guestfs_h *g, void *opaque, uint64_t ev, int eh, int flags,
      const char *buf, size_t len, const uint64_t *a, size_t alen)
{
  CHECK (eh == eh_a);
  CHECK (ev == GUESTFS_EVENT_ENTER);
  CHECK (buf[len] == '\0');
  logf_ ("a:");
  logf_ (buf);
  logf_ (";");
  if (opaque == (void *) 1) {
    guestfs_delete_event_callback (g, eh_b);
    eh_late = guestfs_set_event_callback (g, cb_late, GUESTFS_EVENT_ENTER, 0, NULL);
    CHECK (eh_late > eh_c);
  }
}

static int nested_depth, nested_calls;

/* Library-local calls are fine inside a callback (they emit ENTER again,
 * so the callback guards against recursion), and the handle is busy. */
static void
cb_nested (guestfs_h *g, void *opaque, uint64_t ev, int eh, int flags,
           const char *buf, size_t len, const uint64_t *a, size_t alen)
{
  if (nested_depth > 0)
    return;
  nested_depth++;
  nested_calls++;
  CHECK (guestfs_get_verbose (g) == 0);
  CHECK (guestfs_is_busy (g) == 1);
  CHECK (guestfs_get_private (g, "x") == (void *) 3);
  nested_depth--;
}

static void
cb_b (guestfs_h *g, void *opaque, uint64_t ev, int eh, int flags,
      const char *buf, size_t len, const uint64_t *a, size_t alen)
{
  logf_ ("b;");
}

static void
cb_c (guestfs_h *g, void *opaque, uint64_t ev, int eh, int flags,
      const char *buf, size_t len, const uint64_t *a, size_t alen)
{
  logf_ ("c;");
}

static void
cb_trace (guestfs_h *g, void *opaque, uint64_t ev, int eh, int flags,
          const char *buf, size_t len, const uint64_t *a, size_t alen)
{
  CHECK (ev == GUESTFS_EVENT_TRACE);
  logf_ (buf);
  logf_ ("|");
}

static int close_calls;

/* Closes the handle from inside its own close callback. */
static void
cb_close_again (guestfs_h *g, void *opaque, uint64_t ev, int eh, int flags,
                const char *buf, size_t len, const uint64_t *a, size_t alen)
{
  close_calls++;
  guestfs_close (g);
}

/* Closes the handle from inside a call: deferred to the call's end. */
static void
cb_close_in_call (guestfs_h *g, void *opaque, uint64_t ev, int eh, int flags,
                  const char *buf, size_t len, const uint64_t *a, size_t alen)
{
  static int done;

  if (done++)                   /* the get_verbose below enters again */
    return;
  logf_ ("closing;");
  guestfs_close (g);
  /* Still usable until the outer call returns. */
  CHECK (guestfs_get_verbose (g) == 0);
}

static void
cb_close_log (guestfs_h *g, void *opaque, uint64_t ev, int eh, int flags,
              const char *buf, size_t len, const uint64_t *a, size_t alen)
{
  logf_ ("CLOSE;");
}

static int legacy_first, legacy_second;

static void legacy1 (guestfs_h *g, void *opaque) { legacy_first++; }
static void legacy2 (guestfs_h *g, void *opaque) { CHECK (opaque == (void *) 9); legacy_second++; }

int
main (void)
{
  guestfs_h *g = quiet_handle ();
  char *s;

  /* event_to_string. */
  s = guestfs_event_to_string (GUESTFS_EVENT_ALL);
  CHECK (STREQ (s, "appliance,close,enter,launch_done,library,libvirt_auth,progress,subprocess_quit,trace,warning"));
  free (s);
  s = guestfs_event_to_string (GUESTFS_EVENT_PROGRESS | GUESTFS_EVENT_CLOSE);
  CHECK (STREQ (s, "close,progress"));
  free (s);

  /* Bad registrations. */
  CHECK (guestfs_set_event_callback (g, NULL, GUESTFS_EVENT_CLOSE, 0, NULL) == -1);
  CHECK (guestfs_last_errno (g) == EINVAL);
  CHECK (guestfs_set_event_callback (g, cb_b, 0x400, 0, NULL) == -1);
  CHECK (guestfs_set_event_callback (g, cb_b, GUESTFS_EVENT_CLOSE, 1, NULL) == -1);

  /* Order, deletion during dispatch, registration during dispatch. */
  eh_a = guestfs_set_event_callback (g, cb_a, GUESTFS_EVENT_ENTER, 0, (void *) 1);
  eh_b = guestfs_set_event_callback (g, cb_b, GUESTFS_EVENT_ENTER, 0, NULL);
  eh_c = guestfs_set_event_callback (g, cb_c, GUESTFS_EVENT_ENTER | GUESTFS_EVENT_CLOSE, 0, NULL);
  CHECK (eh_a >= 0 && eh_b > eh_a && eh_c > eh_b);
  CHECK (guestfs_internal_test_rint (g, "7") == 7);
  CHECK (STREQ (log_, "a:internal_test_rint;c;"));
  log_[0] = '\0';
  guestfs_delete_event_callback (g, eh_a);
  guestfs_delete_event_callback (g, eh_a);      /* twice: ignored */
  guestfs_delete_event_callback (g, 12345);     /* unknown: ignored */
  CHECK (guestfs_get_verbose (g) == 0);
  CHECK (STREQ (log_, "c;late;"));
  log_[0] = '\0';
  /* Handles are never reused. */
  {
    int eh = guestfs_set_event_callback (g, cb_b, GUESTFS_EVENT_WARNING, 0, NULL);
    CHECK (eh > eh_late);
    guestfs_delete_event_callback (g, eh);
  }
  guestfs_delete_event_callback (g, eh_c);
  guestfs_delete_event_callback (g, eh_late);

  /* Calls from inside a callback. */
  {
    int eh = guestfs_set_event_callback (g, cb_nested, GUESTFS_EVENT_ENTER, 0, NULL);
    guestfs_set_private (g, "x", (void *) 3);
    CHECK (guestfs_is_busy (g) == 0);
    CHECK (nested_calls == 1);
    guestfs_delete_event_callback (g, eh);
  }

  /* TRACE lines: the call and its result. */
  {
    int eh = guestfs_set_event_callback (g, cb_trace, GUESTFS_EVENT_TRACE, 0, NULL);
    CHECK (guestfs_set_trace (g, 1) == 0);
    CHECK (guestfs_internal_test_rint (g, "5") == 5);
    CHECK (guestfs_internal_test_rstringerr (g) == NULL);
    CHECK (guestfs_set_identifier (g, "id7") == 0);
    CHECK (guestfs_set_trace (g, 0) == 0);
    /* The trace switch is read when a call starts. */
    CHECK (STREQ (log_, "internal_test_rint \"5\"|internal_test_rint = 5|"
                  "internal_test_rstringerr|internal_test_rstringerr = NULL (error)|"
                  "set_identifier \"id7\"|id7: set_identifier = 0|"
                  "id7: set_trace false|id7: set_trace = 0|"));
    log_[0] = '\0';
    guestfs_delete_event_callback (g, eh);
  }

  /* Legacy callbacks replace each other. */
  guestfs_set_close_callback (g, legacy1, NULL);
  guestfs_set_close_callback (g, legacy2, (void *) 9);
  CHECK (guestfs_set_event_callback (g, cb_close_again, GUESTFS_EVENT_CLOSE, 0, NULL) >= 0);
  guestfs_close (g);
  CHECK (legacy_first == 0 && legacy_second == 1);
  CHECK (close_calls == 1);

  /* Close from inside a callback of another call: the call completes and
   * returns its result, then the handle closes. */
  g = quiet_handle ();
  CHECK (guestfs_set_event_callback (g, cb_close_in_call, GUESTFS_EVENT_ENTER, 0, NULL) >= 0);
  CHECK (guestfs_set_event_callback (g, cb_close_log, GUESTFS_EVENT_CLOSE, 0, NULL) >= 0);
  s = guestfs_internal_test_rstring (g, "result");
  CHECK (s != NULL && STREQ (s, "result"));
  free (s);
  CHECK (STREQ (log_, "closing;CLOSE;"));
  /* g is gone now. */
  return 0;
}
