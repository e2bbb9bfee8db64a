/* After fork(), the child never enters Go through an inherited handle:
 * calls fail with ECHILD and a message naming the fix, close is a no-op,
 * create fails, exit does not hang; the parent's handle keeps working. */
#include <signal.h>
#include <unistd.h>
#include <sys/wait.h>
#include "tests.h"

static int close_events;

static void
on_close (guestfs_h *g, void *opaque, uint64_t ev, int eh, int flags,
          const char *buf, size_t len, const uint64_t *a, size_t alen)
{
  close_events++;
}

int
main (void)
{
  guestfs_h *g, *g2;
  pid_t pid;
  int status;
  char *s;

  /* g is closed at exit in the parent only (close-on-exit handle). */
  g = guestfs_create_flags (GUESTFS_CREATE_NO_ENVIRONMENT);
  CHECK (g != NULL);
  guestfs_set_error_handler (g, NULL, NULL);
  g2 = quiet_handle ();
  CHECK (guestfs_set_event_callback (g2, on_close, GUESTFS_EVENT_CLOSE, 0, NULL) >= 0);

  pid = fork ();
  CHECK (pid >= 0);
  if (pid == 0) {
    alarm (20);                 /* a hang is a failure, not a stuck test */
    CHECK (guestfs_get_verbose (g) == -1);
    CHECK (guestfs_last_errno (g) == ECHILD);
    CHECK (strstr (guestfs_last_error (g), "fork") != NULL);
    CHECK (strstr (guestfs_last_error (g), "spawn") != NULL);
    /* One text for every fork error, which bindings reuse. */
    CHECK (STREQ (guestfs_last_error (g), guestfs_binding_fork_message ()));
    CHECK (guestfs_internal_test_rstring (g, "x") == NULL);
    CHECK (guestfs_get_private (g, "k") == NULL);
    CHECK (guestfs_set_event_callback (g, on_close, GUESTFS_EVENT_CLOSE, 0, NULL) == -1);
    errno = 0;
    CHECK (guestfs_create () == NULL);
    CHECK (errno == ECHILD);
    guestfs_close (g2);         /* no-op: no CLOSE event in the child */
    CHECK (close_events == 0);
    exit (0);                   /* the at-exit close is a no-op too */
  }
  CHECK (waitpid (pid, &status, 0) == pid);
  CHECK (WIFEXITED (status) && WEXITSTATUS (status) == 0);

  /* The parent's handles still work. */
  s = guestfs_internal_test_rstring (g, "parent");
  CHECK (s && STREQ (s, "parent"));
  free (s);
  guestfs_close (g2);
  CHECK (close_events == 1);
  return 0;
}
