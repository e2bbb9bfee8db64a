/* handle.c: the hand-written half of libguestfsmod, the C extension under
 * the guestfs package: the Handle type, call bracketing (GIL release,
 * deferred close, errors), event callbacks, interpreter-exit handling, the
 * SIGINT handler and the conversion helpers used by the generated actions.c.
 *
 * Ownership rules (DESIGN.md section 4):
 * - every callable registered with set_event_callback is stored in the C
 *   handle's private data area under "_python_event_<eh>" and owns one
 *   reference; the Handle's cbs array mirrors those entries so the cycle
 *   collector can see them (tp_traverse) and so that exactly one thread
 *   removes an entry;
 * - closing frees the C handle (which unregisters the callbacks in the core)
 *   before the references are released;
 * - a callback being invoked holds its own reference;
 * - a close requested while a call on the handle is running on this thread
 *   (i.e. from a callback) is deferred to the end of the outermost call.
 */

#define PY_SSIZE_T_CLEAN 1
#include <Python.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guestfs.h"
#include "guestfs-py.h"

/* The exception classes: guestfs.Error (RuntimeError, .errno) and
 * guestfs.ClosedHandle (ValueError). */
static PyObject *error_type;
static PyObject *closed_handle_type;

/* One registered callback: its event handle and callable (the reference
 * stored in the private data area). */
struct callback_entry {
  int eh;
  PyObject *cb;
};

/* The Handle object. */
typedef struct handle_object {
  PyObject_HEAD
  guestfs_h *g;           /* the C handle; NULL once the real close started */
  int closing;            /* close() was requested: no new calls */
  int close_pending;      /* run the close when depth drops to 0 */
  int depth;              /* calls in progress on this handle, any thread */
  int close_on_exit;      /* close from the atexit handler */
  int exit_seen;          /* the atexit handler has dealt with it */
  pid_t pid;              /* the process that created it */
  struct callback_entry *cbs;
  size_t ncbs, cbs_cap;
  struct handle_object *prev, *next; /* open handles, in creation order */
} handle_object;

/* Open handles, oldest first (weak links; all changed under the GIL). */
static handle_object *open_head, *open_tail;

/* The innermost call of this thread (see guestfs_int_py_call). */
static __thread guestfs_int_py_call *tls_call;

/* Set at the end of the atexit handler: from then on callbacks never enter
 * the interpreter. cb_inside counts callbacks from that check until they
 * have released the GIL, so the atexit handler can let them finish before
 * finalization (a daemon thread that finalization stops while it runs
 * Python code in a callback would exit through the library's frames). */
static atomic_int callbacks_disabled;
static atomic_int cb_inside;

/* Real closes (do_close) in progress, on any thread; changed under the GIL. */
static int closes_in_progress;

static void
list_link (handle_object *h)
{
  h->prev = open_tail;
  h->next = NULL;
  if (open_tail)
    open_tail->next = h;
  else
    open_head = h;
  open_tail = h;
}

static void
list_unlink (handle_object *h)
{
  if (h->prev == NULL && h->next == NULL && open_head != h)
    return;
  if (h->prev)
    h->prev->next = h->next;
  else
    open_head = h->next;
  if (h->next)
    h->next->prev = h->prev;
  else
    open_tail = h->prev;
  h->prev = h->next = NULL;
}

static int
py_is_finalizing (void)
{
#if PY_VERSION_HEX >= 0x030D0000
  return Py_IsFinalizing ();
#else
  return _Py_IsFinalizing ();
#endif
}

/*----------------------------------------------------------------------*/
/* SIGINT: one handler, installed at import, cancels every in-flight call
 * and chains to the handler it replaced. The table of calls in flight is
 * the C library's (guestfs_binding_inflight_claim/release, one per call,
 * in guestfs_int_py_enter/leave), shared with any other binding loaded in
 * the process.
 */

static struct sigaction saved_sigint;
static int sigint_installed;

static void
sigint_handler (int sig, siginfo_t *info, void *ctx)
{
  int saved_errno = errno;

  guestfs_binding_cancel_inflight ();

  if (saved_sigint.sa_flags & SA_SIGINFO)
    saved_sigint.sa_sigaction (sig, info, ctx);
  else if (saved_sigint.sa_handler == SIG_DFL) {
    sigaction (SIGINT, &saved_sigint, NULL);
    raise (SIGINT);
  }
  else if (saved_sigint.sa_handler != SIG_IGN)
    saved_sigint.sa_handler (sig);
  errno = saved_errno;
}

static void
install_sigint_handler (void)
{
  struct sigaction sa;

  if (sigint_installed || sigaction (SIGINT, NULL, &saved_sigint) == -1)
    return;
  if (!(saved_sigint.sa_flags & SA_SIGINFO) && saved_sigint.sa_handler == SIG_IGN)
    return;                     /* SIGINT ignored (nohup, background job): leave it so */
  memset (&sa, 0, sizeof sa);
  sa.sa_sigaction = sigint_handler;
  sa.sa_mask = saved_sigint.sa_mask;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK | (saved_sigint.sa_flags & SA_RESTART);
  if (sigaction (SIGINT, &sa, NULL) == 0)
    sigint_installed = 1;
}

/* In a fork child no call of the parent is in flight (the C library
 * empties its in-flight table itself). */
static void
atfork_child (void)
{
  tls_call = NULL;
}

/*----------------------------------------------------------------------*/
/* Errors and calls. */

static void
raise_closed (void)
{
  PyErr_SetString (closed_handle_type, "GuestFS: method called on closed handle");
}

/* Raise guestfs.Error(msg) with .errno = errnum. */
static void
raise_error (const char *msg, int errnum)
{
  PyObject *s, *exc, *n;

  s = PyUnicode_DecodeUTF8 (msg, (Py_ssize_t) strlen (msg), "replace");
  if (s == NULL)
    return;
  exc = PyObject_CallOneArg (error_type, s);
  Py_DECREF (s);
  if (exc == NULL)
    return;
  n = PyLong_FromLong (errnum);
  if (n == NULL || PyObject_SetAttrString (exc, "errno", n) == -1) {
    Py_XDECREF (n);
    Py_DECREF (exc);
    return;
  }
  Py_DECREF (n);
  PyErr_SetObject (error_type, exc);
  Py_DECREF (exc);
}

/* Raise the error saved in call. */
static void
raise_call_error (guestfs_int_py_call *call)
{
  const char *msg = call->err_msg ? call->err_msg : "unknown error (no message)";
  int errnum = call->err_errno;

  /* A call cancelled by SIGINT: raise KeyboardInterrupt (or whatever the
   * Python signal handler raises) instead of the EINTR error. */
  if (errnum == EINTR && PyErr_CheckSignals () == -1)
    return;
  /* In a fork child (ECHILD) msg is the library's fork message, which
   * already names the multiprocessing fix: nothing to add. */
  raise_error (msg, errnum);
}

/* The innermost call on g of this thread, or NULL. */
static guestfs_int_py_call *
find_call (guestfs_h *g)
{
  guestfs_int_py_call *c;

  for (c = tls_call; c; c = c->prev)
    if (c->g == g)
      return c;
  return NULL;
}

guestfs_h *
guestfs_int_py_enter (PyObject *py_h, guestfs_int_py_call *call)
{
  handle_object *h = (handle_object *) py_h;

  memset (call, 0, sizeof *call);
  call->slot = -1;
  if (h->g == NULL || h->closing) {
    raise_closed ();
    return NULL;
  }
  Py_INCREF (py_h);
  call->h = py_h;
  call->g = h->g;
  h->depth++;
  call->prev = tls_call;
  tls_call = call;
  call->slot = guestfs_binding_inflight_claim (h->g);
  return h->g;
}

void
guestfs_int_py_save_error (guestfs_int_py_call *call)
{
  const char *msg = guestfs_last_error (call->g);

  call->failed = 1;
  call->err_errno = guestfs_last_errno (call->g);
  free (call->err_msg);
  call->err_msg = msg ? strdup (msg) : NULL;
}

/* Release the callback references of a handle whose C handle is gone (or
 * whose callbacks were unregistered). */
static void
release_callbacks (handle_object *h)
{
  struct callback_entry *cbs = h->cbs;
  size_t i, n = h->ncbs;

  h->cbs = NULL;
  h->ncbs = h->cbs_cap = 0;
  for (i = 0; i < n; ++i)
    Py_DECREF (cbs[i].cb);
  free (cbs);
}

/* Unregister every callback from a C handle that stays open, then release
 * the references. Only used when no call can be running on the handle
 * (garbage collection), so the GIL is kept. */
static void
unregister_callbacks (handle_object *h)
{
  size_t i;
  char key[64];

  if (h->g) {
    for (i = 0; i < h->ncbs; ++i) {
      guestfs_delete_event_callback (h->g, h->cbs[i].eh);
      snprintf (key, sizeof key, "_python_event_%d", h->cbs[i].eh);
      guestfs_set_private (h->g, key, NULL);
    }
  }
  release_callbacks (h);
}

/* The real close: h->g != NULL and no call in progress. Runs the CLOSE
 * callbacks (with the GIL released around guestfs_close) and then releases
 * the callables. Returns -1 with the exception set if a callback raised
 * KeyboardInterrupt or SystemExit. */
static int
do_close (handle_object *h)
{
  guestfs_h *g = h->g;
  guestfs_int_py_call call;

  Py_INCREF (h);
  h->closing = 1;
  h->close_pending = 0;
  h->g = NULL;                  /* user_cancel and new calls see it closed */
  list_unlink (h);

  memset (&call, 0, sizeof call);
  call.slot = -1;
  call.h = (PyObject *) h;
  call.g = g;
  call.prev = tls_call;
  tls_call = &call;
  h->depth++;
  closes_in_progress++;

  /* No in-flight slot holds g (calls release theirs before the close);
   * the library waits for a SIGINT handler still scanning its table. */
  Py_BEGIN_ALLOW_THREADS
  guestfs_close (g);            /* a no-op in a fork child */
  Py_END_ALLOW_THREADS

  closes_in_progress--;
  h->depth--;
  tls_call = call.prev;
  release_callbacks (h);
  Py_DECREF (h);
  if (call.pend_type) {
    PyErr_Restore (call.pend_type, call.pend_value, call.pend_tb);
    return -1;
  }
  return 0;
}

PyObject *
guestfs_int_py_leave (guestfs_int_py_call *call, PyObject *result)
{
  handle_object *h = (handle_object *) call->h;

  guestfs_binding_inflight_release (call->slot);
  tls_call = call->prev;
  h->depth--;

  if (result == NULL && call->failed)
    raise_call_error (call);
  free (call->err_msg);
  call->err_msg = NULL;

  if (h->depth == 0 && h->close_pending && h->g) {
    PyObject *t, *v, *tb;
    PyErr_Fetch (&t, &v, &tb);
    if (do_close (h) == -1) {
      Py_XDECREF (t);
      Py_XDECREF (v);
      Py_XDECREF (tb);
      Py_CLEAR (result);
    }
    else
      PyErr_Restore (t, v, tb);
  }

  if (call->pend_type) {
    /* A callback raised KeyboardInterrupt or SystemExit: the call was
     * cancelled; now that it has returned, re-raise it. */
    Py_CLEAR (result);
    PyErr_Clear ();
    PyErr_Restore (call->pend_type, call->pend_value, call->pend_tb);
    call->pend_type = call->pend_value = call->pend_tb = NULL;
  }
  Py_DECREF (h);
  return result;
}

/*----------------------------------------------------------------------*/
/* Event callbacks. */

/* A callback raised: KeyboardInterrupt and SystemExit cancel the call and
 * are re-raised when it returns; anything else is printed and ignored. */
static void
callback_exception (guestfs_h *g)
{
  if (PyErr_ExceptionMatches (PyExc_KeyboardInterrupt) ||
      PyErr_ExceptionMatches (PyExc_SystemExit)) {
    guestfs_int_py_call *c = find_call (g);
    if (c && c->pend_type == NULL)
      PyErr_Fetch (&c->pend_type, &c->pend_value, &c->pend_tb);
    else if (c)
      PyErr_Clear ();           /* one is already pending */
    else
      PyErr_WriteUnraisable (Py_None);
    guestfs_user_cancel (g);
    return;
  }
  PyErr_PrintEx (0);
}

/* The C event callback registered for every Python callable. */
static void
event_callback_wrapper (guestfs_h *g, void *opaque, uint64_t event,
                        int event_handle, int flags,
                        const char *buf, size_t buf_len,
                        const uint64_t *array, size_t array_len)
{
  PyGILState_STATE st;
  PyObject *t, *v, *tb, *cb, *py_buf = NULL, *py_array = NULL, *r;
  char key[64];
  size_t i;

  (void) opaque;
  (void) flags;
  atomic_fetch_add (&cb_inside, 1);
  if (atomic_load (&callbacks_disabled) || py_is_finalizing ()) {
    atomic_fetch_sub (&cb_inside, 1);
    return;
  }
  st = PyGILState_Ensure ();

  PyErr_Fetch (&t, &v, &tb);
  snprintf (key, sizeof key, "_python_event_%d", event_handle);
  cb = guestfs_get_private (g, key);
  if (cb == NULL)
    goto out;                   /* deleted, or not stored yet */
  Py_INCREF (cb);               /* the invocation's own reference */

  py_buf = PyBytes_FromStringAndSize (buf ? buf : "", buf ? (Py_ssize_t) buf_len : 0);
  py_array = PyList_New ((Py_ssize_t) array_len);
  if (py_buf == NULL || py_array == NULL)
    goto err;
  for (i = 0; i < array_len; ++i) {
    PyObject *n = PyLong_FromUnsignedLongLong (array[i]);
    if (n == NULL)
      goto err;
    PyList_SET_ITEM (py_array, (Py_ssize_t) i, n);
  }
  r = PyObject_CallFunction (cb, "KiOO", (unsigned long long) event, event_handle,
                             py_buf, py_array);
  if (r == NULL)
    goto err;
  Py_DECREF (r);
  goto done;
 err:
  callback_exception (g);
 done:
  Py_XDECREF (py_buf);
  Py_XDECREF (py_array);
  Py_DECREF (cb);
 out:
  PyErr_Restore (t, v, tb);
  PyGILState_Release (st);
  atomic_fetch_sub (&cb_inside, 1);
}

/*----------------------------------------------------------------------*/
/* The Handle type. */

static int
handle_traverse (PyObject *self, visitproc visit, void *arg)
{
  handle_object *h = (handle_object *) self;
  size_t i;

  for (i = 0; i < h->ncbs; ++i)
    Py_VISIT (h->cbs[i].cb);
  return 0;
}

static int
handle_clear (PyObject *self)
{
  /* tp_finalize has normally closed the handle already. */
  unregister_callbacks ((handle_object *) self);
  return 0;
}

/* Close an unreachable handle (cycle collector or last reference). */
static void
handle_finalize (PyObject *self)
{
  handle_object *h = (handle_object *) self;
  PyObject *t, *v, *tb;

  if (h->g == NULL || h->depth > 0)
    return;
  PyErr_Fetch (&t, &v, &tb);
  if (atomic_load (&callbacks_disabled) && !h->close_on_exit)
    unregister_callbacks (h);   /* after atexit: leave it open, as asked */
  else if (do_close (h) == -1)
    PyErr_WriteUnraisable (self);
  PyErr_Restore (t, v, tb);
}

static void
handle_dealloc (PyObject *self)
{
  handle_object *h = (handle_object *) self;

  if (PyObject_CallFinalizerFromDealloc (self) < 0)
    return;                     /* resurrected by a CLOSE callback */
  PyObject_GC_UnTrack (self);
  unregister_callbacks (h);
  list_unlink (h);
  Py_TYPE (self)->tp_free (self);
}

static PyObject *
handle_repr (PyObject *self)
{
  handle_object *h = (handle_object *) self;

  return PyUnicode_FromFormat ("<libguestfsmod.Handle %s at %p>",
                               h->g ? "open" : "closed", self);
}

/* The C handle object: libguestfsmod.Handle. Created by libguestfsmod.create;
 * not instantiable from Python. */
PyTypeObject guestfs_int_py_handle_type = {
  PyVarObject_HEAD_INIT (NULL, 0)
  .tp_name = "guestfs.libguestfsmod.Handle",
  .tp_basicsize = sizeof (handle_object),
  .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
  .tp_doc = "A goguestfs C handle (use guestfs.GuestFS).",
  .tp_traverse = handle_traverse,
  .tp_clear = handle_clear,
  .tp_finalize = handle_finalize,
  .tp_dealloc = handle_dealloc,
  .tp_repr = handle_repr,
};

/*----------------------------------------------------------------------*/
/* Module functions that are not actions. */

static PyObject *
py_create (PyObject *self, PyObject *args)
{
  unsigned int flags;
  int close_on_exit = 1;
  guestfs_h *g;
  handle_object *h;

  (void) self;
  if (!PyArg_ParseTuple (args, "I|p:create", &flags, &close_on_exit))
    return NULL;
  /* The binding closes its handles itself (atexit), while the interpreter
   * is still alive; the C library must never close them later. */
  g = guestfs_create_flags (flags | GUESTFS_CREATE_NO_CLOSE_ON_EXIT);
  if (g == NULL) {
    int e = errno;
    char msg[512];
    /* In a fork child: the library's fork message (it names the fix). */
    snprintf (msg, sizeof msg, "guestfs_create: failed to create handle: %s",
              e == ECHILD ? guestfs_binding_fork_message () : strerror (e));
    raise_error (msg, e);
    return NULL;
  }
  guestfs_set_error_handler (g, NULL, NULL);

  h = PyObject_GC_New (handle_object, &guestfs_int_py_handle_type);
  if (h == NULL) {
    guestfs_close (g);
    return NULL;
  }
  h->g = g;
  h->closing = h->close_pending = h->depth = h->exit_seen = 0;
  h->close_on_exit = close_on_exit;
  h->pid = getpid ();
  h->cbs = NULL;
  h->ncbs = h->cbs_cap = 0;
  list_link (h);
  PyObject_GC_Track ((PyObject *) h);
  return (PyObject *) h;
}

static PyObject *
py_close (PyObject *self, PyObject *args)
{
  handle_object *h;

  (void) self;
  if (!PyArg_ParseTuple (args, "O!:close", &guestfs_int_py_handle_type, &h))
    return NULL;
  if (h->g == NULL || h->closing)
    Py_RETURN_NONE;             /* closed, or its close is already pending */
  h->closing = 1;               /* no new calls from now on */
  if (h->depth > 0 && find_call (h->g)) {
    /* Inside a callback of a call on this handle: close when the outermost
     * call returns, after its result and error have been read. */
    h->close_pending = 1;
    Py_RETURN_NONE;
  }
  /* Calls still running on other threads: cancel them as guestfs_close
   * would (calls that start now fail, and a daemon that stopped answering
   * is killed, so the calls end), then wait for them to return: they read
   * their results and errors from the handle before it is freed. With the
   * GIL held: it does not wait, and no close can free g meanwhile. In a
   * fork child those calls were the parent's threads', which do not exist
   * here: nothing to wait for (and guestfs_close is a no-op). */
  if (h->depth > 0 && h->pid == getpid ()) {
    guestfs_binding_interrupt_for_close (h->g);
    while (h->depth > 0 && h->g) {
      Py_BEGIN_ALLOW_THREADS
      usleep (1000);
      Py_END_ALLOW_THREADS
    }
    if (h->g == NULL)
      Py_RETURN_NONE;
  }
  if (do_close (h) == -1)
    return NULL;
  Py_RETURN_NONE;
}

static PyObject *
py_set_event_callback (PyObject *self, PyObject *args)
{
  handle_object *h;
  PyObject *cb, *py_events;
  unsigned long long events;
  guestfs_int_py_call call;
  guestfs_h *g;
  int eh;
  char key[64];

  (void) self;
  if (!PyArg_ParseTuple (args, "O!OO:set_event_callback",
                         &guestfs_int_py_handle_type, &h, &cb, &py_events))
    return NULL;
  if (!PyCallable_Check (cb)) {
    PyErr_SetString (PyExc_TypeError, "set_event_callback: callback must be callable");
    return NULL;
  }
  if (!PyLong_Check (py_events)) {
    PyErr_SetString (PyExc_TypeError, "set_event_callback: event_bitmask must be an int");
    return NULL;
  }
  events = PyLong_AsUnsignedLongLong (py_events);
  if (events == (unsigned long long) -1 && PyErr_Occurred ())
    return NULL;
  if (h->ncbs == h->cbs_cap) {
    size_t cap = h->cbs_cap ? 2 * h->cbs_cap : 4;
    struct callback_entry *n = realloc (h->cbs, cap * sizeof *n);
    if (n == NULL)
      return PyErr_NoMemory ();
    h->cbs = n;
    h->cbs_cap = cap;
  }

  g = guestfs_int_py_enter ((PyObject *) h, &call);
  if (g == NULL)
    return NULL;
  Py_INCREF (cb);               /* the reference stored in the private data area */
  Py_BEGIN_ALLOW_THREADS
  eh = guestfs_set_event_callback (g, event_callback_wrapper, events, 0, NULL);
  if (eh == -1)
    guestfs_int_py_save_error (&call);
  else {
    snprintf (key, sizeof key, "_python_event_%d", eh);
    guestfs_set_private (g, key, cb);
  }
  Py_END_ALLOW_THREADS
  if (eh == -1) {
    Py_DECREF (cb);
    return guestfs_int_py_leave (&call, NULL);
  }
  /* set_event_callback may have run on another thread's deferred close
   * meanwhile only if depth hit 0, which our own call prevents. */
  h->cbs[h->ncbs].eh = eh;
  h->cbs[h->ncbs].cb = cb;
  h->ncbs++;
  return guestfs_int_py_leave (&call, PyLong_FromLong (eh));
}

static PyObject *
py_delete_event_callback (PyObject *self, PyObject *args)
{
  handle_object *h;
  int eh;
  guestfs_int_py_call call;
  guestfs_h *g;
  PyObject *cb = NULL, *r;
  size_t i;
  char key[64];

  (void) self;
  if (!PyArg_ParseTuple (args, "O!i:delete_event_callback",
                         &guestfs_int_py_handle_type, &h, &eh))
    return NULL;
  g = guestfs_int_py_enter ((PyObject *) h, &call);
  if (g == NULL)
    return NULL;
  /* Take the entry out of the mirror under the GIL, so that exactly one
   * thread owns the reference it releases. */
  for (i = 0; i < h->ncbs; ++i) {
    if (h->cbs[i].eh == eh) {
      cb = h->cbs[i].cb;
      h->cbs[i] = h->cbs[h->ncbs - 1];
      h->ncbs--;
      break;
    }
  }
  snprintf (key, sizeof key, "_python_event_%d", eh);
  Py_BEGIN_ALLOW_THREADS
  guestfs_delete_event_callback (g, eh);
  if (cb)
    guestfs_set_private (g, key, NULL);
  Py_END_ALLOW_THREADS
  r = guestfs_int_py_leave (&call, Py_NewRef (Py_None));
  Py_XDECREF (cb);
  return r;
}

static PyObject *
py_user_cancel (PyObject *self, PyObject *args)
{
  handle_object *h;

  (void) self;
  if (!PyArg_ParseTuple (args, "O!:user_cancel", &guestfs_int_py_handle_type, &h))
    return NULL;
  if (h->g)
    guestfs_user_cancel (h->g);   /* async-signal-safe C: no GIL release needed */
  Py_RETURN_NONE;
}

static PyObject *
py_event_to_string (PyObject *self, PyObject *args)
{
  PyObject *py_events, *r;
  unsigned long long events;
  char *s;

  (void) self;
  if (!PyArg_ParseTuple (args, "O:event_to_string", &py_events))
    return NULL;
  if (!PyLong_Check (py_events)) {
    PyErr_SetString (PyExc_TypeError, "event_to_string: events must be an int");
    return NULL;
  }
  events = PyLong_AsUnsignedLongLong (py_events);
  if (events == (unsigned long long) -1 && PyErr_Occurred ())
    return NULL;
  s = guestfs_event_to_string (events);
  if (s == NULL) {
    raise_error ("event_to_string: failed", errno);
    return NULL;
  }
  r = PyUnicode_FromString (s);
  free (s);
  return r;
}

/* For tests: the keys of the handle's private data area. */
static PyObject *
py_private_keys (PyObject *self, PyObject *args)
{
  handle_object *h;
  guestfs_int_py_call call;
  guestfs_h *g;
  const char *key;
  char **keys = NULL;
  size_t n = 0, cap = 0, i;
  int oom = 0;
  PyObject *list;

  (void) self;
  if (!PyArg_ParseTuple (args, "O!:_private_keys", &guestfs_int_py_handle_type, &h))
    return NULL;
  g = guestfs_int_py_enter ((PyObject *) h, &call);
  if (g == NULL)
    return NULL;
  Py_BEGIN_ALLOW_THREADS
  for (void *d = guestfs_first_private (g, &key); d != NULL;
       d = guestfs_next_private (g, &key)) {
    if (n == cap) {
      char **nk = realloc (keys, (cap = cap ? 2 * cap : 8) * sizeof *nk);
      if (nk == NULL) {
        oom = 1;
        break;
      }
      keys = nk;
    }
    if ((keys[n] = strdup (key)) == NULL) {
      oom = 1;
      break;
    }
    n++;
  }
  Py_END_ALLOW_THREADS
  list = oom ? PyErr_NoMemory () : PyList_New (0);
  for (i = 0; i < n; ++i) {
    if (list) {
      PyObject *s = PyUnicode_FromString (keys[i]);
      if (s == NULL || PyList_Append (list, s) == -1)
        Py_CLEAR (list);
      Py_XDECREF (s);
    }
    free (keys[i]);
  }
  free (keys);
  return guestfs_int_py_leave (&call, list);
}

/* The atexit handler: close every open handle (newest first) while the
 * interpreter is alive, cancel calls still running on other threads, then
 * stop callbacks from ever entering the interpreter again. */
static PyObject *
py_atexit (PyObject *self, PyObject *unused)
{
  int tries;

  (void) self;
  (void) unused;
  for (;;) {
    handle_object *h;
    for (h = open_tail; h; h = h->prev)
      if (!h->exit_seen)
        break;
    if (h == NULL)
      break;
    h->exit_seen = 1;
    if (!h->close_on_exit || h->g == NULL)
      continue;
    Py_INCREF (h);
    if (h->depth > 0) {
      /* A call on another thread: cancel it. Its return closes the
       * handle (guestfs_int_py_leave), with callbacks still enabled if
       * that happens within the bounded wait below. */
      h->closing = 1;
      h->close_pending = 1;
      guestfs_user_cancel (h->g);
    }
    else if (!h->closing && do_close (h) == -1)
      PyErr_WriteUnraisable ((PyObject *) h);
    Py_DECREF (h);
  }

  /* Give cancelled calls up to two seconds to return and close their
   * handles; a call that does not return by then is abandoned. */
  if (tls_call == NULL) {
    for (tries = 0; tries < 2000; ++tries) {
      handle_object *h;
      for (h = open_head; h; h = h->next)
        if (h->close_pending && h->g && h->close_on_exit)
          break;
      if (h == NULL && closes_in_progress == 0)
        break;
      Py_BEGIN_ALLOW_THREADS
      usleep (1000);
      Py_END_ALLOW_THREADS
    }
  }

  atomic_store (&callbacks_disabled, 1);
  /* Let callbacks running on other threads (or waiting for the GIL after
   * the check) finish; bounded, so a callback that never returns delays
   * exit by at most two seconds. Callbacks of this thread's own calls (an
   * atexit run from inside a callback) are not waited for. */
  if (tls_call == NULL) {
    Py_BEGIN_ALLOW_THREADS
    for (tries = 0; atomic_load (&cb_inside) > 0 && tries < 2000; ++tries)
      usleep (1000);
    Py_END_ALLOW_THREADS
  }
  Py_RETURN_NONE;
}

static PyMethodDef module_methods[] = {
  { "create", py_create, METH_VARARGS,
    "create(flags, close_on_exit=True): create a C handle" },
  { "close", py_close, METH_VARARGS, "close(h): close a handle (deferred inside a callback)" },
  { "set_event_callback", py_set_event_callback, METH_VARARGS,
    "set_event_callback(h, cb, event_bitmask) -> event handle" },
  { "delete_event_callback", py_delete_event_callback, METH_VARARGS,
    "delete_event_callback(h, event_handle)" },
  { "user_cancel", py_user_cancel, METH_VARARGS, "user_cancel(h): cancel the running call" },
  { "event_to_string", py_event_to_string, METH_VARARGS,
    "event_to_string(events) -> comma-separated event names" },
  { "_private_keys", py_private_keys, METH_VARARGS,
    "_private_keys(h) -> keys of the private data area (for tests)" },
  { "_atexit", py_atexit, METH_NOARGS, "close every open handle (registered with atexit)" },
  { NULL, NULL, 0, NULL }
};

/*----------------------------------------------------------------------*/
/* Conversion helpers for actions.c. */

char **
guestfs_int_py_get_string_list (PyObject *obj)
{
  PyObject *seq;
  Py_ssize_t n, i;
  char **r;

  if (PyUnicode_Check (obj) || PyBytes_Check (obj) ||
      !(PyList_Check (obj) || PyTuple_Check (obj))) {
    PyErr_Format (PyExc_TypeError, "expecting a list of str, got %.200s",
                  Py_TYPE (obj)->tp_name);
    return NULL;
  }
  seq = PySequence_Fast (obj, "expecting a list of str");
  if (seq == NULL)
    return NULL;
  n = PySequence_Fast_GET_SIZE (seq);
  r = calloc ((size_t) n + 1, sizeof (char *));
  if (r == NULL) {
    Py_DECREF (seq);
    PyErr_NoMemory ();
    return NULL;
  }
  for (i = 0; i < n; ++i) {
    PyObject *item = PySequence_Fast_GET_ITEM (seq, i);
    const char *s;
    Py_ssize_t len;
    if (!PyUnicode_Check (item)) {
      PyErr_Format (PyExc_TypeError, "expecting a list of str, found %.200s in it",
                    Py_TYPE (item)->tp_name);
      goto err;
    }
    s = PyUnicode_AsUTF8AndSize (item, &len);
    if (s == NULL)
      goto err;
    if ((size_t) len != strlen (s)) {
      PyErr_SetString (PyExc_ValueError, "embedded null character in a list element");
      goto err;
    }
    if ((r[i] = strdup (s)) == NULL) {
      PyErr_NoMemory ();
      goto err;
    }
  }
  Py_DECREF (seq);
  return r;
 err:
  Py_DECREF (seq);
  guestfs_int_py_free_string_list (r);
  return NULL;
}

void
guestfs_int_py_free_string_list (char **list)
{
  size_t i;

  if (list == NULL)
    return;
  for (i = 0; list[i] != NULL; ++i)
    free (list[i]);
  free (list);
}

void
guestfs_int_py_free_result_strings (char **list)
{
  guestfs_int_py_free_string_list (list);
}

PyObject *
guestfs_int_py_put_string_list (char *const *list)
{
  PyObject *r = PyList_New (0);
  size_t i;

  if (r == NULL)
    return NULL;
  for (i = 0; list[i] != NULL; ++i) {
    PyObject *s = PyUnicode_FromString (list[i]);
    if (s == NULL || PyList_Append (r, s) == -1) {
      Py_XDECREF (s);
      Py_DECREF (r);
      return NULL;
    }
    Py_DECREF (s);
  }
  return r;
}

PyObject *
guestfs_int_py_put_table (char *const *table)
{
  PyObject *r = PyList_New (0);
  size_t i;

  if (r == NULL)
    return NULL;
  for (i = 0; table[i] != NULL && table[i + 1] != NULL; i += 2) {
    PyObject *t = Py_BuildValue ("(ss)", table[i], table[i + 1]);
    if (t == NULL || PyList_Append (r, t) == -1) {
      Py_XDECREF (t);
      Py_DECREF (r);
      return NULL;
    }
    Py_DECREF (t);
  }
  return r;
}

PyObject *
guestfs_int_py_str_or_none (const char *s)
{
  if (s == NULL)
    Py_RETURN_NONE;
  return PyUnicode_FromString (s);
}

int
guestfs_int_py_dict_put (PyObject *d, const char *key, PyObject *v)
{
  int r;

  if (v == NULL)
    return -1;
  r = PyDict_SetItemString (d, key, v);
  Py_DECREF (v);
  return r;
}

int
guestfs_int_py_as_int (PyObject *obj, const char *name, int *out)
{
  long v;

  if (!PyLong_Check (obj)) {
    PyErr_Format (PyExc_TypeError, "optional argument '%s' must be int, not %.200s",
                  name, Py_TYPE (obj)->tp_name);
    return -1;
  }
  v = PyLong_AsLong (obj);
  if (v == -1 && PyErr_Occurred ())
    return -1;
  if (v < INT_MIN || v > INT_MAX) {
    PyErr_Format (PyExc_OverflowError, "optional argument '%s' does not fit in a C int", name);
    return -1;
  }
  *out = (int) v;
  return 0;
}

int
guestfs_int_py_as_int64 (PyObject *obj, const char *name, int64_t *out)
{
  long long v;

  if (!PyLong_Check (obj)) {
    PyErr_Format (PyExc_TypeError, "optional argument '%s' must be int, not %.200s",
                  name, Py_TYPE (obj)->tp_name);
    return -1;
  }
  v = PyLong_AsLongLong (obj);
  if (v == -1 && PyErr_Occurred ())
    return -1;
  *out = (int64_t) v;
  return 0;
}

int
guestfs_int_py_as_string (PyObject *obj, const char *name, const char **out)
{
  const char *s;
  Py_ssize_t len;

  if (!PyUnicode_Check (obj)) {
    PyErr_Format (PyExc_TypeError, "optional argument '%s' must be str, not %.200s",
                  name, Py_TYPE (obj)->tp_name);
    return -1;
  }
  s = PyUnicode_AsUTF8AndSize (obj, &len);
  if (s == NULL)
    return -1;
  if ((size_t) len != strlen (s)) {
    PyErr_Format (PyExc_ValueError, "optional argument '%s' contains a null character", name);
    return -1;
  }
  *out = s;
  return 0;
}

/*----------------------------------------------------------------------*/

static struct PyModuleDef moduledef = {
  PyModuleDef_HEAD_INIT,
  .m_name = "guestfs.libguestfsmod",
  .m_doc = "C extension of the goguestfs Python binding; use the guestfs package.",
  .m_size = -1,
  .m_methods = module_methods,
};

/* Module init: types, exceptions, actions, atexit handler, SIGINT handler. */
PyMODINIT_FUNC PyInit_libguestfsmod (void);
PyMODINIT_FUNC
PyInit_libguestfsmod (void)
{
  PyObject *m, *dict, *atexit_mod, *fn, *r;
  static int atfork_done;

  if (PyType_Ready (&guestfs_int_py_handle_type) < 0)
    return NULL;
  m = PyModule_Create (&moduledef);
  if (m == NULL)
    return NULL;
  if (PyModule_AddFunctions (m, guestfs_int_py_action_methods) < 0)
    goto err;

  dict = Py_BuildValue ("{s:i}", "errno", 0);
  if (dict == NULL)
    goto err;
  error_type = PyErr_NewExceptionWithDoc ("guestfs.Error",
      "An error from the library. A RuntimeError subclass; .errno is the "
      "errno of the failed operation (0 when unknown).",
      PyExc_RuntimeError, dict);
  Py_DECREF (dict);
  if (error_type == NULL)
    goto err;
  closed_handle_type = PyErr_NewExceptionWithDoc ("guestfs.ClosedHandle",
      "A method was called on a closed handle. A ValueError subclass.",
      PyExc_ValueError, NULL);
  if (closed_handle_type == NULL)
    goto err;
  if (PyModule_AddObjectRef (m, "Error", error_type) < 0 ||
      PyModule_AddObjectRef (m, "ClosedHandle", closed_handle_type) < 0 ||
      PyModule_AddObjectRef (m, "Handle", (PyObject *) &guestfs_int_py_handle_type) < 0)
    goto err;

  atexit_mod = PyImport_ImportModule ("atexit");
  if (atexit_mod == NULL)
    goto err;
  fn = PyObject_GetAttrString (m, "_atexit");
  r = fn ? PyObject_CallMethod (atexit_mod, "register", "O", fn) : NULL;
  Py_XDECREF (fn);
  Py_DECREF (atexit_mod);
  if (r == NULL)
    goto err;
  Py_DECREF (r);

  if (!atfork_done && pthread_atfork (NULL, NULL, atfork_child) == 0)
    atfork_done = 1;
  install_sigint_handler ();
  return m;
 err:
  Py_DECREF (m);
  return NULL;
}
