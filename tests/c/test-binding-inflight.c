/* The in-flight table for language bindings (guestfs_binding_*): claim and
 * release, a full table, cancel from a SIGINT handler (as the Python and
 * Ruby bindings install) during a daemon call, a cancel between calls
 * being forgotten, and a fork child that can neither claim the parent's
 * handle nor cancel the parent's call. */
#include <pthread.h>
#include <signal.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include "tests.h"

static volatile sig_atomic_t sigints;

/* What a binding's handler does (before chaining to the saved one). */
static void
on_sigint (int sig, siginfo_t *info, void *ctx)
{
  guestfs_binding_cancel_inflight ();
  sigints++;
}

static void *
send_sigint_later (void *arg)
{
  usleep (300 * 1000);
  kill (getpid (), SIGINT);
  return NULL;
}

/* CPU seconds used by the process so far. */
static double
cpu_seconds (void)
{
  struct rusage ru;

  CHECK (getrusage (RUSAGE_SELF, &ru) == 0);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec
    + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static void *
progress_call (void *arg)
{
  guestfs_h *g = arg;
  int slot = guestfs_binding_inflight_claim (g);
  char *s;

  CHECK (slot >= 0);
  s = guestfs_debug (g, "progress", (char *[]) { "2", NULL });
  guestfs_binding_inflight_release (slot);
  return s;                     /* "ok", unless cancelled */
}

int
main (void)
{
  guestfs_h *g = quiet_handle (), *g2 = quiet_handle ();
  const char *path = getenv ("LIBGUESTFS_PATH");
  int slots[256], i, a, b, status;
  struct sigaction sa;
  pthread_t th;
  pid_t pid;
  double cpu;
  char *s;
  void *r;

  /* Claim and release. */
  CHECK (guestfs_binding_inflight_claim (NULL) == -1);
  a = guestfs_binding_inflight_claim (g);
  b = guestfs_binding_inflight_claim (g);   /* nested calls: two slots */
  CHECK (a >= 0 && b >= 0 && a != b);
  guestfs_binding_inflight_release (b);
  guestfs_binding_inflight_release (a);
  guestfs_binding_inflight_release (-1);    /* no-ops */
  guestfs_binding_inflight_release (100000);

  /* A full table: the call is just not cancellable. */
  for (i = 0; i < 256; ++i) {
    slots[i] = guestfs_binding_inflight_claim (i % 2 ? g : g2);
    CHECK (slots[i] >= 0);
  }
  CHECK (guestfs_binding_inflight_claim (g) == -1);
  for (i = 0; i < 256; ++i)
    guestfs_binding_inflight_release (slots[i]);

  /* A cancel between calls is forgotten when the next call starts. */
  a = guestfs_binding_inflight_claim (g);
  guestfs_binding_cancel_inflight ();
  guestfs_binding_inflight_release (a);
  s = guestfs_internal_test_rstring (g, "after cancel");
  CHECK (s && STREQ (s, "after cancel"));
  free (s);

  /* A handle freed with its slot still claimed is forgotten by the table:
   * a later cancel does not touch freed memory (valgrind checks). */
  a = guestfs_binding_inflight_claim (g2);
  CHECK (a >= 0);
  guestfs_close (g2);
  guestfs_binding_cancel_inflight ();
  guestfs_binding_inflight_release (a);

  if (path == NULL || *path == '\0') {
    fprintf (stderr, "LIBGUESTFS_PATH not set: skipping the daemon part\n");
    guestfs_close (g);
    return 0;
  }
  CHECK (guestfs_add_drive_scratch (g, 1024 * 1024, -1) == 0);
  CHECK (guestfs_set_path (g, path) == 0);
  CHECK (guestfs_launch (g) == 0);

  /* SIGINT during a long call: the handler cancels it, EINTR. The signal
   * may land on any thread, a Go runtime thread included (SA_ONSTACK). */
  memset (&sa, 0, sizeof sa);
  sa.sa_sigaction = on_sigint;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
  sigemptyset (&sa.sa_mask);
  CHECK (sigaction (SIGINT, &sa, NULL) == 0);
  CHECK (pthread_create (&th, NULL, send_sigint_later, NULL) == 0);
  a = guestfs_binding_inflight_claim (g);
  CHECK (a >= 0);
  CHECK (guestfs_debug (g, "progress", (char *[]) { "600", NULL }) == NULL);
  CHECK (guestfs_last_errno (g) == EINTR);
  guestfs_binding_inflight_release (a);
  CHECK (pthread_join (th, NULL) == 0);
  CHECK (sigints == 1);
  s = guestfs_debug (g, "echo", (char *[]) { "still", "usable", NULL });
  CHECK (s && STREQ (s, "still usable"));
  free (s);

  /* Fork while a call of the parent is in flight: in the child the table
   * is empty, the parent's handle cannot be claimed, and neither
   * cancel_inflight nor user_cancel reaches the parent's call (the cancel
   * eventfd is shared with the parent: a write there would leave the
   * parent's call polling a readable descriptor, spinning a CPU until it
   * ends, though the parent's flag is not set). */
  cpu = cpu_seconds ();
  CHECK (pthread_create (&th, NULL, progress_call, g) == 0);
  usleep (300 * 1000);
  pid = fork ();
  CHECK (pid >= 0);
  if (pid == 0) {
    alarm (20);
    CHECK (guestfs_binding_inflight_claim (g) == -1);
    guestfs_binding_cancel_inflight ();
    guestfs_user_cancel (g);
    _exit (0);
  }
  CHECK (waitpid (pid, &status, 0) == pid);
  CHECK (WIFEXITED (status) && WEXITSTATUS (status) == 0);
  CHECK (pthread_join (th, &r) == 0);
  CHECK (r != NULL && STREQ ((char *) r, "ok"));
  free (r);
  cpu = cpu_seconds () - cpu;
  if (getenv ("LD_PRELOAD") == NULL || strstr (getenv ("LD_PRELOAD"), "vgpreload") == NULL)
    CHECK (cpu < 1.0);          /* (not under valgrind, which is slow anyway) */

  guestfs_close (g);
  return 0;
}
