/* The in-flight table for language bindings (guestfs_binding_*): claim and
 * release, a full table, cancel from a SIGINT handler (as the Python and
 * Ruby bindings install) during a daemon call, a cancel between calls
 * being forgotten, and a fork child that can neither claim the parent's
 * handle nor cancel the parent's call. */
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>
#include <sys/wait.h>
#include "tests.h"

static volatile sig_atomic_t sigints;

/* What a binding's handler does (before chaining to the saved one). It
 * counts first: once the call it cancels has returned, the count is in. */
static void
on_sigint (int sig, siginfo_t *info, void *ctx)
{
  sigints++;
  guestfs_binding_cancel_inflight ();
}

/* The first PROGRESS event of a call sends SIGINT: the signal comes while
 * the call is in flight, never before it started (a call's start forgets
 * an earlier cancel). */
static void
sigint_on_progress (guestfs_h *g, void *opaque, uint64_t event, int eh,
                    int flags, const char *buf, size_t buf_len,
                    const uint64_t *array, size_t array_len)
{
  int *sent = opaque;

  if (!*sent) {
    *sent = 1;
    kill (getpid (), SIGINT);   /* to the process: any thread may take it */
  }
}

/* The first PROGRESS event of a call writes a byte to the pipe whose write
 * end is *opaque: the call is in flight. */
static void
note_progress (guestfs_h *g, void *opaque, uint64_t event, int eh,
               int flags, const char *buf, size_t buf_len,
               const uint64_t *array, size_t array_len)
{
  static int noted;

  if (!noted) {
    noted = 1;
    CHECK (write (*(int *) opaque, "p", 1) == 1);
  }
}

/* Mark in set (fds below 1024) the eventfds open in this process. */
static void
eventfds (unsigned char set[1024])
{
  DIR *d = opendir ("/proc/self/fd");
  struct dirent *e;
  char path[64], link[64];
  ssize_t n;
  int fd;

  CHECK (d != NULL);
  memset (set, 0, 1024);
  while ((e = readdir (d)) != NULL) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9' || (fd = atoi (e->d_name)) >= 1024)
      continue;
    snprintf (path, sizeof path, "/proc/self/fd/%d", fd);
    n = readlink (path, link, sizeof link - 1);
    if (n > 0) {
      link[n] = '\0';
      set[fd] = STREQ (link, "anon_inode:[eventfd]");
    }
  }
  closedir (d);
}

/* The counter of eventfd fd (what a write adds and a read takes). */
static unsigned long long
eventfd_count (int fd)
{
  char path[64], line[256];
  unsigned long long v;
  int found = 0;
  FILE *f;

  snprintf (path, sizeof path, "/proc/self/fdinfo/%d", fd);
  f = fopen (path, "r");
  CHECK (f != NULL);
  while (!found && fgets (line, sizeof line, f))
    found = sscanf (line, "eventfd-count: %llx", &v) == 1;
  fclose (f);
  CHECK (found);
  return v;
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
  guestfs_h *g, *g2, *g3;
  const char *path = getenv ("LIBGUESTFS_PATH");
  int slots[256], i, a, b, status, sent = 0, eh, fd, cancel_fd, progress_pipe[2];
  unsigned char before[1024], after[1024];
  struct sigaction sa;
  pthread_t th;
  pid_t pid;
  char *s, c;
  void *r;

  /* Test-only: first progress event after 50 ms, then every 20 ms. */
  setenv ("GOGUESTFS_TEST_PROGRESS", "50,20", 1);
  g = quiet_handle ();
  g2 = quiet_handle ();

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
  eh = guestfs_set_event_callback (g, sigint_on_progress, GUESTFS_EVENT_PROGRESS, 0, &sent);
  CHECK (eh >= 0);
  a = guestfs_binding_inflight_claim (g);
  CHECK (a >= 0);
  CHECK (guestfs_debug (g, "progress", (char *[]) { "600", NULL }) == NULL);
  CHECK (guestfs_last_errno (g) == EINTR);
  guestfs_binding_inflight_release (a);
  CHECK (sent == 1);
  CHECK (sigints == 1);
  guestfs_delete_event_callback (g, eh);
  s = guestfs_debug (g, "echo", (char *[]) { "still", "usable", NULL });
  CHECK (s && STREQ (s, "still usable"));
  free (s);

  /* Fork while a call of the parent is in flight: in the child the table
   * is empty, the parent's handle cannot be claimed, and neither
   * cancel_inflight nor user_cancel reaches the parent's call. The cancel
   * eventfd is shared with the parent: a write there would leave the
   * parent's call polling a readable descriptor (spinning a CPU until it
   * ends, though the parent's flag is not set), so the test checks that
   * its counter stays 0. Which eventfd is the handle's: the one that
   * creating a handle adds (the Go runtime's are open by now), and a
   * user_cancel between calls counts in it until the next call starts. */
  eventfds (before);
  g3 = quiet_handle ();
  eventfds (after);
  for (fd = 0, cancel_fd = -1; fd < 1024; ++fd)
    if (after[fd] && !before[fd]) {
      CHECK (cancel_fd == -1);
      cancel_fd = fd;
    }
  CHECK (cancel_fd >= 0);
  CHECK (eventfd_count (cancel_fd) == 0);
  guestfs_user_cancel (g3);
  CHECK (eventfd_count (cancel_fd) == 1);
  CHECK (guestfs_add_drive_scratch (g3, 1024 * 1024, -1) == 0);
  CHECK (guestfs_set_path (g3, path) == 0);
  CHECK (guestfs_launch (g3) == 0);  /* its start drained the counter */
  CHECK (eventfd_count (cancel_fd) == 0);

  CHECK (pipe (progress_pipe) == 0);
  CHECK (guestfs_set_event_callback (g3, note_progress, GUESTFS_EVENT_PROGRESS, 0, &progress_pipe[1]) >= 0);
  CHECK (pthread_create (&th, NULL, progress_call, g3) == 0);
  CHECK (read (progress_pipe[0], &c, 1) == 1);  /* the call is in flight */
  pid = fork ();
  CHECK (pid >= 0);
  if (pid == 0) {
    alarm (20);
    CHECK (guestfs_binding_inflight_claim (g3) == -1);
    guestfs_binding_cancel_inflight ();
    guestfs_user_cancel (g3);
    _exit (0);
  }
  CHECK (waitpid (pid, &status, 0) == pid);
  CHECK (WIFEXITED (status) && WEXITSTATUS (status) == 0);
  CHECK (eventfd_count (cancel_fd) == 0);  /* the child wrote nothing there */
  CHECK (pthread_join (th, &r) == 0);
  CHECK (r != NULL && STREQ ((char *) r, "ok"));  /* not cancelled */
  free (r);
  CHECK (eventfd_count (cancel_fd) == 0);
  close (progress_pipe[0]);
  close (progress_pipe[1]);
  guestfs_close (g3);

  guestfs_close (g);
  return 0;
}
