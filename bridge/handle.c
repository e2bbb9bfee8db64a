/* handle.c: the plain-C part of the bridge: fork detection, cancellation,
 * the at-exit list of handles, the table of language bindings' calls in
 * flight (for their SIGINT handlers), and trampolines for calling C
 * callbacks from Go. Nothing here enters Go except guestfs_close (at exit),
 * guestfs_binding_interrupt_for_close (the first half of a binding's
 * close) and goguestfs_errorf, which reports through the Go state.
 */
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>

#include "handle.h"
#include "_cgo_export.h"

volatile unsigned goguestfs_fork_generation;

/* The one text of every error caused by fork() (errno ECHILD), in C and
 * in the bindings (guestfs_binding_fork_message): a child made by fork()
 * cannot create a handle either, so the fix is not to fork, or to exec. */
const char goguestfs_fork_message[] =
  "the library cannot be used in a child made by fork() of a process that "
  "loaded it, neither with the parent's handles nor with new ones; exec a new "
  "program in the child, or start Python multiprocessing workers with "
  "multiprocessing.set_start_method(\"spawn\") or \"forkserver\"";

static pthread_mutex_t list_lock = PTHREAD_MUTEX_INITIALIZER;
static guestfs_h *list_head, *list_tail;

/* Calls in flight, claimed by language bindings around each call so that
 * their SIGINT handler (guestfs_binding_cancel_inflight) can cancel them.
 * A fixed table of atomic slots: the signal handler never takes a lock. */
#define INFLIGHT_SLOTS 256
static guestfs_h *inflight[INFLIGHT_SLOTS];
/* guestfs_binding_cancel_inflight calls scanning the table. */
static int inflight_readers;

static void
child_after_fork (void)
{
  int i;

  goguestfs_fork_generation++;
  /* The lock may have been held by another thread at fork time. */
  pthread_mutex_init (&list_lock, NULL);
  /* No call of the parent is in flight here (and cancelling one would
   * write to the parent's eventfd). */
  for (i = 0; i < INFLIGHT_SLOTS; ++i)
    __atomic_store_n (&inflight[i], NULL, __ATOMIC_SEQ_CST);
  __atomic_store_n (&inflight_readers, 0, __ATOMIC_SEQ_CST);
}

static void
close_all_at_exit (void)
{
  guestfs_h *g;

  if (goguestfs_fork_generation != 0)
    return;
  /* Newest first. A close that is deferred (exit called from inside a
   * callback) leaves its handle linked, so each handle is tried once. */
  for (;;) {
    pthread_mutex_lock (&list_lock);
    for (g = list_tail; g != NULL && g->exit_tried; g = g->prev)
      ;
    if (g)
      g->exit_tried = 1;
    pthread_mutex_unlock (&list_lock);
    if (g == NULL)
      break;
    guestfs_close (g);          /* unlinks and frees g */
  }
}

__attribute__((constructor))
static void
init_bridge (void)
{
  pthread_atfork (NULL, NULL, child_after_fork);
  atexit (close_all_at_exit);
}

void
goguestfs_fork_error (guestfs_h *g)
{
  if (g->fork_error_cb)
    g->fork_error_cb (g, g->fork_error_cb_data, goguestfs_fork_message);
  errno = ECHILD;
}

guestfs_h *
goguestfs_alloc_handle (int close_on_exit)
{
  guestfs_h *g = calloc (1, sizeof *g);
  if (g == NULL)
    return NULL;
  g->cancel_fd = eventfd (0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (g->cancel_fd == -1) {
    int e = errno;
    free (g);
    errno = e;
    return NULL;
  }
  g->fork_gen = goguestfs_fork_generation;
  g->fork_error_cb = goguestfs_default_error_cb;
  g->close_on_exit = close_on_exit;
  if (close_on_exit) {
    pthread_mutex_lock (&list_lock);
    g->prev = list_tail;
    if (list_tail)
      list_tail->next = g;
    else
      list_head = g;
    list_tail = g;
    pthread_mutex_unlock (&list_lock);
  }
  return g;
}

/* Take g out of the in-flight table (a binding that did not release its
 * slot before the handle was freed), then wait until no
 * guestfs_binding_cancel_inflight can still be using g. */
static void
inflight_forget (guestfs_h *g)
{
  int i;

  for (i = 0; i < INFLIGHT_SLOTS; ++i) {
    guestfs_h *expected = g;
    __atomic_compare_exchange_n (&inflight[i], &expected, NULL, 0,
                                 __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
  }
  while (__atomic_load_n (&inflight_readers, __ATOMIC_SEQ_CST) > 0)
    sched_yield ();
}

void
goguestfs_free_handle (guestfs_h *g)
{
  inflight_forget (g);
  if (g->close_on_exit) {
    pthread_mutex_lock (&list_lock);
    if (g->prev) g->prev->next = g->next; else list_head = g->next;
    if (g->next) g->next->prev = g->prev; else list_tail = g->prev;
    pthread_mutex_unlock (&list_lock);
  }
  close (g->cancel_fd);
  free (g);
}

void
goguestfs_user_cancel (guestfs_h *g)
{
  uint64_t one = 1;
  ssize_t r;

  /* In a fork child the eventfd is the parent's: a write would cancel the
   * parent's call. Nothing of the child is running on g anyway. */
  if (GOGUESTFS_IN_CHILD (g))
    return;
  __atomic_store_n (&g->cancel, 1, __ATOMIC_SEQ_CST);
  r = write (g->cancel_fd, &one, sizeof one);
  (void) r;                     /* a full counter is still readable */
}

int
goguestfs_cancelled (guestfs_h *g)
{
  return __atomic_load_n (&g->cancel, __ATOMIC_SEQ_CST);
}

void
goguestfs_cancel_reset (guestfs_h *g)
{
  uint64_t v;
  ssize_t r;

  __atomic_store_n (&g->cancel, 0, __ATOMIC_SEQ_CST);
  r = read (g->cancel_fd, &v, sizeof v);
  (void) r;                     /* EAGAIN when nothing was pending */
}

/* Helpers for language bindings (guestfs.h). */

int
guestfs_binding_inflight_claim (guestfs_h *g)
{
  int i;

  if (g == NULL || GOGUESTFS_IN_CHILD (g))
    return -1;
  for (i = 0; i < INFLIGHT_SLOTS; ++i) {
    guestfs_h *expected = NULL;
    if (__atomic_compare_exchange_n (&inflight[i], &expected, g, 0,
                                     __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
      return i;
  }
  return -1;                    /* full: this call is not cancelled by SIGINT */
}

void
guestfs_binding_inflight_release (int slot)
{
  if (slot >= 0 && slot < INFLIGHT_SLOTS)
    __atomic_store_n (&inflight[slot], NULL, __ATOMIC_SEQ_CST);
}

/* Async-signal-safe: atomic loads and guestfs_user_cancel (an atomic store
 * and a write to an eventfd); no lock, no allocation, errno preserved. */
void
guestfs_binding_cancel_inflight (void)
{
  int saved_errno = errno;
  int i;

  __atomic_add_fetch (&inflight_readers, 1, __ATOMIC_SEQ_CST);
  for (i = 0; i < INFLIGHT_SLOTS; ++i) {
    guestfs_h *g = __atomic_load_n (&inflight[i], __ATOMIC_SEQ_CST);
    if (g)
      goguestfs_user_cancel (g);
  }
  __atomic_sub_fetch (&inflight_readers, 1, __ATOMIC_SEQ_CST);
  errno = saved_errno;
}

/* Not async-signal-safe: it enters Go (briefly; it never waits for the
 * handle). In a fork child it does nothing, as guestfs_close does there. */
void
guestfs_binding_interrupt_for_close (guestfs_h *g)
{
  if (g == NULL || GOGUESTFS_IN_CHILD (g))
    return;
  goguestfs_interrupt_for_close (g);
}

const char *
guestfs_binding_fork_message (void)
{
  return goguestfs_fork_message;
}

void
goguestfs_errorf (guestfs_h *g, const char *op, int errnum, const char *fs, ...)
{
  char msg[512];
  va_list args;

  va_start (args, fs);
  vsnprintf (msg, sizeof msg, fs, args);
  va_end (args);
  goguestfs_report_error (g, (char *) op, errnum, msg);
}

void
goguestfs_default_error_cb (guestfs_h *g, void *opaque, const char *msg)
{
  fprintf (stderr, "libguestfs: error: %s\n", msg);
}

void
goguestfs_call_event (guestfs_event_callback cb, guestfs_h *g, uintptr_t opaque, uint64_t event, int eh, int flags, const char *buf, size_t buf_len, const uint64_t *array, size_t array_len)
{
  cb (g, (void *) opaque, event, eh, flags, buf, buf_len, array, array_len);
}

void
goguestfs_call_error (guestfs_error_handler_cb cb, guestfs_h *g, uintptr_t opaque, const char *msg)
{
  cb (g, (void *) opaque, msg);
}

void
goguestfs_call_legacy (int kind, uintptr_t cb, guestfs_h *g, uintptr_t opaque_u, const char *buf, size_t buf_len, const uint64_t *array, size_t array_len)
{
  void *opaque = (void *) opaque_u;

  switch (kind) {
  case GOGUESTFS_LEGACY_LOG_MESSAGE:
    ((guestfs_log_message_cb) cb) (g, opaque, (char *) buf, (int) buf_len);
    break;
  case GOGUESTFS_LEGACY_PROGRESS:
    if (array_len >= 4)
      ((guestfs_progress_cb) cb) (g, opaque, (int) array[0], (int) array[1], array[2], array[3]);
    break;
  default:
    ((guestfs_close_cb) cb) (g, opaque);
    break;
  }
}
