/* handle.c: the hand-written part of the Ruby extension _guestfs.
 *
 * Guestfs::Guestfs wraps a guestfs_h. What lives here: creating and closing
 * handles (explicitly, from a finalizer, at exit, in a fork child), event
 * callbacks (Procs), running calls without the GVL, and argument/result
 * helpers for the generated actions.c. See docs in ruby/README.md.
 *
 * Ownership of a handle's state (struct rbg_handle):
 *  - the Guestfs::Guestfs object W and its closer object (the finalizer of
 *    W, a HandleCloser) each hold one reference; the struct is freed when
 *    both are gone. The GC free functions only release memory.
 *  - each event callback is a struct rbg_cb, passed to the C library as the
 *    callback's opaque pointer and stored in the handle's private data area
 *    under "_ruby_event_<eh>". Its Proc is marked from W's mark function
 *    only, so a handle whose Procs capture it can still be collected. A
 *    global ObjectSpace::WeakMap also maps a per-callback key to the Proc,
 *    so that a close after W died (finalizer, exit) can tell which Procs are
 *    still alive: dead ones are unregistered from the C library before the
 *    close, live ones (held elsewhere) receive the CLOSE event.
 *  - the closer is reachable from Ruby's finalizer table until W dies, so it
 *    is what closes the handle when W is collected, and it marks the
 *    callback keys.
 */

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ruby.h>
#include <ruby/thread.h>

#include "rbguestfs.h"

/* Ruby's jump tag for a raised exception (vm_core.h; stable since 1.9). */
#define RBG_TAG_RAISE 6

VALUE rbg_mGuestfs, rbg_cGuestfs, rbg_eError;
static VALUE rbg_cCloser;       /* Guestfs::Guestfs::HandleCloser */
static VALUE rbg_weak;          /* ObjectSpace::WeakMap: callback key -> Proc */
static ID id_call, id_aref, id_aset, id_full_message;

/* One registered event callback. */
struct rbg_cb {
  struct rbg_cb *next;
  struct rbg_handle *h;
  VALUE proc;                   /* marked by W (movable); pinned while closing */
  VALUE wkey;                   /* key of the Proc in rbg_weak; marked, pinned */
  int eh;                       /* the C library's event handle */
  int running;                  /* invocations in progress */
  int deleted;                  /* unregistered: freed when running drops to 0 */
  int live;                     /* while closing: the Proc is still alive */
};

/* The state of one handle. */
struct rbg_handle {
  guestfs_h *g;                 /* NULL once really closed (or never opened) */
  int closed;                   /* close requested: methods raise ArgumentError */
  int close_pending;            /* close deferred to the end of the calls */
  int closing;                  /* rbg_close_now is running */
  int pinned;                   /* while closing: the closer marks live Procs */
  int in_call;                  /* calls in progress, on any thread */
  int ruby_bool;                /* return booleans as true/false */
  int close_on_exit;            /* close in the at-exit handler */
  int exit_seen;                /* the at-exit handler has dealt with it */
  int refs;                     /* W and the closer */
  int linked;                   /* in the rbg_open list */
  pid_t pid;                    /* process that created it */
  struct rbg_cb *cbs;           /* registered (and deleted-but-running) callbacks */
  struct rbg_handle *next, *prev; /* open handles, for the at-exit handler */
};

/* Open handles, in creation order (protected by the GVL). */
static struct rbg_handle *rbg_open;

/* The innermost call in progress on this thread. */
static __thread struct rbg_call *rbg_current;

/* Set by the at-exit handler, cleared when a handle is created: finalizers
 * run after it (at VM teardown) leave handles created with
 * close_on_exit: false alone.
 */
static int rbg_exiting;

/* Whether rbg_at_exit is registered and has not run yet. It is registered
 * when a handle is created, so it runs after the at_exit handlers that
 * were registered before (at_exit handlers run last-in first-out, and one
 * registered while they run runs next): a handle created inside another
 * at_exit handler (minitest runs its tests from one) is still closed.
 */
static int rbg_end_proc_registered;

static void rbg_close_now (struct rbg_handle *h, struct rbg_call *outer);
static void rbg_check_keywords (VALUE h, const char *const *names, int n);
static void rbg_at_exit (VALUE unused);

/* --------------------------------------------------------------- SIGINT */

/* A signal does not reach the unblocking function of
 * rb_thread_call_without_gvl2: Ruby wakes only the threads blocked in its
 * own I/O, and the thread that would run the unblocking function is the
 * one inside our call. So, as the Python binding does, one SA_ONSTACK
 * SIGINT handler, installed when the extension loads, cancels every call
 * in flight and chains to the handler it replaced (Ruby's, which raises
 * Interrupt once the call has returned). The table of calls in flight is
 * the C library's (guestfs_binding_inflight_claim/release around each
 * call, in rbg_call_once); the library empties it in a fork child.
 * A later trap("INT") replaces the handler; then Ctrl-C no longer cancels
 * calls.
 */
static struct sigaction rbg_saved_sigint;

static void
rbg_sigint_handler (int sig, siginfo_t *info, void *ctx)
{
  int saved_errno = errno;

  guestfs_binding_cancel_inflight ();

  if (rbg_saved_sigint.sa_flags & SA_SIGINFO)
    rbg_saved_sigint.sa_sigaction (sig, info, ctx);
  else if (rbg_saved_sigint.sa_handler == SIG_DFL) {
    sigaction (SIGINT, &rbg_saved_sigint, NULL);
    raise (SIGINT);
  }
  else if (rbg_saved_sigint.sa_handler != SIG_IGN)
    rbg_saved_sigint.sa_handler (sig);
  errno = saved_errno;
}

static void
rbg_install_sigint_handler (void)
{
  struct sigaction sa;

  if (sigaction (SIGINT, NULL, &rbg_saved_sigint) == -1)
    return;
  if (!(rbg_saved_sigint.sa_flags & SA_SIGINFO) && rbg_saved_sigint.sa_handler == SIG_IGN)
    return;                     /* SIGINT ignored (nohup, background job): leave it so */
  memset (&sa, 0, sizeof sa);
  sa.sa_sigaction = rbg_sigint_handler;
  sa.sa_mask = rbg_saved_sigint.sa_mask;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK | (rbg_saved_sigint.sa_flags & SA_RESTART);
  sigaction (SIGINT, &sa, NULL);
}

/* Remove h from the list of open handles. */
static void
rbg_unlink (struct rbg_handle *h)
{
  if (!h->linked)
    return;
  if (h->prev) h->prev->next = h->next; else rbg_open = h->next;
  if (h->next) h->next->prev = h->prev;
  h->next = h->prev = NULL;
  h->linked = 0;
}

/* ---------------------------------------------------------------- memory */

static void
rbg_cb_unlink_free (struct rbg_handle *h, struct rbg_cb *cb)
{
  struct rbg_cb **pp;
  for (pp = &h->cbs; *pp; pp = &(*pp)->next)
    if (*pp == cb) {
      *pp = cb->next;
      break;
    }
  xfree (cb);
}

static void
rbg_handle_unref (struct rbg_handle *h)
{
  if (--h->refs > 0)
    return;
  /* Only memory is released here. A handle still open at this point (the
   * process is exiting and it was not closed) is left to the OS: closing it
   * could run callbacks, which a GC free function must not do.
   */
  rbg_unlink (h);
  while (h->cbs) {
    struct rbg_cb *cb = h->cbs;
    h->cbs = cb->next;
    xfree (cb);
  }
  xfree (h);
}

/* GC functions of Guestfs::Guestfs. */
static void
rbg_handle_mark (void *p)
{
  struct rbg_handle *h = p;
  struct rbg_cb *cb;
  for (cb = h->cbs; cb; cb = cb->next) {
    rb_gc_mark_movable (cb->proc);
    rb_gc_mark (cb->wkey);
  }
}

static void
rbg_handle_compact (void *p)
{
  struct rbg_handle *h = p;
  struct rbg_cb *cb;
  for (cb = h->cbs; cb; cb = cb->next)
    cb->proc = rb_gc_location (cb->proc);
}

static void
rbg_handle_free (void *p)
{
  rbg_handle_unref (p);
}

static size_t
rbg_handle_memsize (const void *p)
{
  const struct rbg_handle *h = p;
  const struct rbg_cb *cb;
  size_t n = sizeof *h;
  for (cb = h->cbs; cb; cb = cb->next)
    n += sizeof *cb;
  return n;
}

static const rb_data_type_t rbg_handle_type = {
  "Guestfs::Guestfs",
  { .dmark = rbg_handle_mark, .dfree = rbg_handle_free, .dsize = rbg_handle_memsize, .dcompact = rbg_handle_compact },
  0, 0, RUBY_TYPED_FREE_IMMEDIATELY,
};

/* GC functions of the closer: it keeps the callback keys (and, while a
 * close runs, the live Procs) alive, and never the handle object.
 */
static void
rbg_closer_mark (void *p)
{
  struct rbg_handle *h = p;
  struct rbg_cb *cb;
  for (cb = h->cbs; cb; cb = cb->next) {
    rb_gc_mark (cb->wkey);
    if (h->pinned && cb->live)
      rb_gc_mark (cb->proc);
  }
}

static const rb_data_type_t rbg_closer_type = {
  "Guestfs::Guestfs::HandleCloser",
  { .dmark = rbg_closer_mark, .dfree = rbg_handle_free, .dsize = rbg_handle_memsize },
  0, 0, RUBY_TYPED_FREE_IMMEDIATELY,
};

/* --------------------------------------------------------------- handles */

static VALUE
rbg_handle_alloc (VALUE klass)
{
  struct rbg_handle *h = ZALLOC (struct rbg_handle);
  h->refs = 1;
  h->closed = 1;                /* until initialize has created the handle */
  return TypedData_Wrap_Struct (klass, &rbg_handle_type, h);
}

struct rbg_handle *
rbg_handle_get (VALUE self, const char *name)
{
  struct rbg_handle *h = rb_check_typeddata (self, &rbg_handle_type);
  if (h->closed || h->g == NULL)
    rb_raise (rb_eArgError, "%s: used handle after closing it", name);
  return h;
}

int
rbg_handle_ruby_bool (const struct rbg_handle *h)
{
  return h->ruby_bool;
}

/* Raise Guestfs::Error with a message and an errno. */
NORETURN (static void rbg_raise_errno (const char *msg, int errnum));
static void
rbg_raise_errno (const char *msg, int errnum)
{
  VALUE exc = rb_exc_new_cstr (rbg_eError, msg);
  rb_iv_set (exc, "@errno", INT2NUM (errnum));
  rb_exc_raise (exc);
}

/* Parse the options hash of Guestfs::Guestfs.new / Guestfs::create. */
struct rbg_opts {
  int environment, close_on_exit, ruby_bool;
};

/* Whether a Hash key (Symbol or String) is the given name. */
static int
rbg_key_is (VALUE key, const char *name)
{
  VALUE s = SYMBOL_P (key) ? rb_sym2str (key) : key;
  size_t n = strlen (name);
  return RB_TYPE_P (s, T_STRING) && (size_t) RSTRING_LEN (s) == n
    && memcmp (RSTRING_PTR (s), name, n) == 0;
}

static const char *const rbg_opt_names[] = { "environment", "close_on_exit", "ruby_bool" };

static int
rbg_opts_each (VALUE key, VALUE val, VALUE arg)
{
  struct rbg_opts *o = (struct rbg_opts *) arg;
  if (rbg_key_is (key, "environment"))
    o->environment = RTEST (val);
  else if (rbg_key_is (key, "close_on_exit"))
    o->close_on_exit = RTEST (val);
  else if (rbg_key_is (key, "ruby_bool"))
    o->ruby_bool = RTEST (val);
  return ST_CONTINUE;
}

/*
 * call-seq:
 *   Guestfs::Guestfs.new(environment: true, close_on_exit: true, ruby_bool: false) -> Guestfs::Guestfs
 *
 * Create a handle. With <tt>environment: false</tt> the LIBGUESTFS_*
 * environment variables are not read. With <tt>close_on_exit: false</tt>
 * the handle is not closed at exit (it is still closed when garbage
 * collected). With <tt>ruby_bool: true</tt> actions returning booleans
 * return +true+/+false+ instead of libguestfs's 1/0.
 */
static VALUE
rbg_handle_initialize (int argc, VALUE *argv, VALUE self)
{
  struct rbg_handle *h = rb_check_typeddata (self, &rbg_handle_type);
  struct rbg_opts o = { 1, 1, 0 };
  VALUE opts = Qnil, closer;
  unsigned flags;
  guestfs_h *g;

  rb_scan_args (argc, argv, "01", &opts);
  if (!NIL_P (opts)) {
    Check_Type (opts, T_HASH);
    rbg_check_keywords (opts, rbg_opt_names, 3);
    rb_hash_foreach (opts, rbg_opts_each, (VALUE) &o);
  }
  if (h->g != NULL || h->refs != 1 || h->pid != 0)
    rb_raise (rb_eArgError, "Guestfs::Guestfs: handle already initialized");

  /* The C library must never close this handle itself (at exit the VM may
   * be gone): the binding closes it, in at_exit.
   */
  flags = GUESTFS_CREATE_NO_CLOSE_ON_EXIT;
  if (!o.environment)
    flags |= GUESTFS_CREATE_NO_ENVIRONMENT;
  errno = 0;
  g = guestfs_create_flags (flags);
  if (g == NULL) {
    int e = errno;
    char msg[512];
    /* In a fork child: the library's fork message (it names the fix). */
    snprintf (msg, sizeof msg, "guestfs_create: %s",
              e == ECHILD ? guestfs_binding_fork_message () : e ? strerror (e) : "failed");
    rbg_raise_errno (msg, e);
  }
  /* Errors are raised as exceptions, never printed. */
  guestfs_set_error_handler (g, NULL, NULL);

  h->g = g;
  h->closed = 0;
  h->ruby_bool = o.ruby_bool;
  h->close_on_exit = o.close_on_exit;
  h->pid = getpid ();

  /* The finalizer: closes the handle (with CLOSE events for Procs still
   * alive) after W has been collected.
   */
  h->refs++;
  closer = TypedData_Wrap_Struct (rbg_cCloser, &rbg_closer_type, h);
  rb_define_finalizer (self, closer);

  h->prev = NULL;
  h->next = rbg_open;
  if (rbg_open) rbg_open->prev = h;
  rbg_open = h;
  h->linked = 1;

  rbg_exiting = 0;
  if (!rbg_end_proc_registered) {
    rbg_end_proc_registered = 1;
    rb_set_end_proc (rbg_at_exit, Qnil);
  }
  return self;
}

/*
 * call-seq:
 *   Guestfs::create(environment: true, close_on_exit: true, ruby_bool: false) -> Guestfs::Guestfs
 *
 * Same as Guestfs::Guestfs.new.
 */
static VALUE
rbg_create (int argc, VALUE *argv, VALUE module)
{
  return rb_class_new_instance_kw (argc, argv, rbg_cGuestfs, rb_keyword_given_p ());
}

/* --------------------------------------------------------------- calling */

static void *
rbg_nogvl (void *p)
{
  struct rbg_call *c = p;
  c->ran = 1;
  c->gvl_released = 1;
  c->fn (c);
  c->gvl_released = 0;
  return NULL;
}

/* The unblocking function: an interrupt (Ctrl-C, Thread#raise, Thread#kill)
 * cancels the running action. Plain C, async-signal-safe.
 */
static void
rbg_ubf (void *p)
{
  struct rbg_call *c = p;
  if (c->g != NULL && c->h->pid == getpid ())
    guestfs_user_cancel (c->g);
}

static VALUE
rbg_check_ints (VALUE unused)
{
  rb_thread_check_ints ();
  return Qnil;
}

/* Record a pending jump (exception or throw) in c, keeping the first. */
static void
rbg_call_set_jump (struct rbg_call *c, int state)
{
  VALUE err = rb_errinfo ();
  if (c->jump_state != 0)
    return;
  c->jump_state = state;
  if (!NIL_P (err) && !SPECIAL_CONST_P (err) && BUILTIN_TYPE (err) == T_OBJECT
      && rb_obj_is_kind_of (err, rb_eException)) {
    c->jump_exc = err;
    rb_set_errinfo (Qnil);
  }
  else {
    /* A throw/return: its data stays in the thread's errinfo, which only
     * Ruby code could change, so no further callback runs in this call.
     */
    c->jump_exc = Qnil;
    c->drop_callbacks = 1;
  }
}

void
rbg_call_init (struct rbg_call *c, VALUE self, const char *name,
               void (*fn) (struct rbg_call *), void *data)
{
  struct rbg_handle *h = rbg_handle_get (self, name);
  memset (c, 0, sizeof *c);
  c->h = h;
  c->g = h->g;
  c->name = name;
  c->fn = fn;
  c->data = data;
  c->cancellable = 1;
  c->jump_exc = Qnil;
}

/* Push c, run fn without the GVL, pop c. Returns 1 if fn ran. */
static int
rbg_call_once (struct rbg_call *c)
{
  int slot;

  c->ran = 0;
  c->prev = rbg_current;
  rbg_current = c;
  c->h->in_call++;
  slot = c->cancellable ? guestfs_binding_inflight_claim (c->g) : -1;
  rb_thread_call_without_gvl2 (rbg_nogvl, c, c->cancellable ? rbg_ubf : NULL, c);
  guestfs_binding_inflight_release (slot);
  c->h->in_call--;
  rbg_current = c->prev;
  return c->ran;
}

void
rbg_call_run (struct rbg_call *c)
{
  struct rbg_handle *h = c->h;

  while (!rbg_call_once (c)) {
    /* An interrupt was pending before the call started: handle it now
     * (a trap handler may just run, then we retry).
     */
    int state = 0;
    rb_protect (rbg_check_ints, Qnil, &state);
    if (state) {
      rbg_call_set_jump (c, state);
      c->failed = 1;            /* no result to free */
      break;
    }
    if (h->closed || h->g == NULL) {   /* the trap handler closed it */
      c->failed = 1;
      c->errmsg = strdup ("handle closed by a signal handler during the call");
      c->errnum = EBADF;
      break;
    }
  }
  /* The result and error are read; now a close requested during the call
   * (from a callback or another thread) can happen.
   */
  if (h->in_call == 0 && h->close_pending && h->g != NULL) {
    if (c->jump_state == 0)
      rbg_close_now (h, c);
    else
      c->close_after_jump = 1;  /* done while re-raising: rbg_call_raise */
  }
}

void
rbg_call_failed (struct rbg_call *c)
{
  const char *msg = guestfs_last_error (c->g);
  c->failed = 1;
  c->errnum = guestfs_last_errno (c->g);
  if (msg == NULL)
    msg = "unknown error";
  c->errmsg = strdup (msg);
}

int
rbg_call_check (struct rbg_call *c)
{
  if (c->jump_state == 0 && !c->drop_callbacks) {
    int state = 0;
    rb_protect (rbg_check_ints, Qnil, &state);
    if (state)
      rbg_call_set_jump (c, state);
  }
  return c->jump_state != 0 || c->failed;
}

/* Re-raise the jump recorded in c. Nothing has run Ruby code since the
 * callback's jump (callbacks were dropped), so a throw's data is still the
 * thread's errinfo.
 */
static VALUE
rbg_rejump (VALUE p)
{
  struct rbg_call *c = (struct rbg_call *) p;
  if (!NIL_P (c->jump_exc) && c->jump_state == RBG_TAG_RAISE)
    rb_exc_raise (c->jump_exc);
  if (!NIL_P (c->jump_exc))
    rb_set_errinfo (c->jump_exc);
  rb_jump_tag (c->jump_state);
  return Qnil;
}

/* The deferred close of a call that re-raises, run as an ensure clause:
 * rb_ensure keeps the jump's errinfo across it, so the CLOSE callbacks may
 * run Ruby code.
 */
static VALUE
rbg_close_ensure (VALUE p)
{
  struct rbg_handle *h = (struct rbg_handle *) p;
  if (h->g != NULL && h->in_call == 0)
    rbg_close_now (h, NULL);
  return Qnil;
}

void
rbg_call_raise (struct rbg_call *c)
{
  char msg[4096];
  int errnum;

  if (c->jump_state != 0) {
    free (c->errmsg);
    c->errmsg = NULL;
    if (c->close_after_jump)
      rb_ensure (rbg_rejump, (VALUE) c, rbg_close_ensure, (VALUE) c->h);
    rbg_rejump ((VALUE) c);
    UNREACHABLE;
  }
  snprintf (msg, sizeof msg, "%s", c->errmsg ? c->errmsg : "out of memory reading the error");
  errnum = c->errmsg ? c->errnum : ENOMEM;
  free (c->errmsg);
  c->errmsg = NULL;
  rbg_raise_errno (msg, errnum);
}

/* -------------------------------------------------------------- callbacks */

struct rbg_event {
  struct rbg_cb *cb;
  struct rbg_call *ctx;
  VALUE proc;
  uint64_t event;
  int eh;
  const char *buf;
  size_t buf_len;
  const uint64_t *array;
  size_t array_len;
};

static VALUE
rbg_event_invoke (VALUE p)
{
  struct rbg_event *e = (struct rbg_event *) p;
  VALUE args[4];
  size_t i;
  args[0] = ULL2NUM (e->event);
  args[1] = INT2NUM (e->eh);
  args[2] = rb_str_new (e->buf ? e->buf : "", e->buf ? (long) e->buf_len : 0);
  args[3] = rb_ary_new_capa ((long) e->array_len);
  for (i = 0; i < e->array_len; ++i)
    rb_ary_push (args[3], ULL2NUM (e->array[i]));
  return rb_funcallv (e->proc, id_call, 4, args);
}

static VALUE
rbg_print_exception (VALUE exc)
{
  VALUE msg = rb_funcall (exc, id_full_message, 0);
  rb_io_write (rb_stderr, rb_sprintf ("libguestfs: exception in event callback: %" PRIsVALUE "\n", msg));
  return Qnil;
}

/* Runs with the GVL. */
static void *
rbg_event_gvl (void *p)
{
  struct rbg_event *e = p;
  struct rbg_cb *cb = e->cb;
  struct rbg_handle *h = cb->h;
  int state = 0;

  if (cb->deleted)
    return NULL;
  cb->running++;
  e->proc = cb->proc;
  rb_protect (rbg_event_invoke, (VALUE) e, &state);
  if (state) {
    VALUE err = rb_errinfo ();
    if (state == RBG_TAG_RAISE && rb_obj_is_kind_of (err, rb_eStandardError)) {
      int s2 = 0;
      rb_protect (rbg_print_exception, err, &s2);
      rb_set_errinfo (Qnil);
    }
    else {
      /* Interrupt, SystemExit, other non-StandardErrors, throw: cancel the
       * call, and re-raise once it has returned.
       */
      rbg_call_set_jump (e->ctx, state);
      if (h->g != NULL && h->pid == getpid ())
        guestfs_user_cancel (h->g);
    }
  }
  RB_GC_GUARD (e->proc);
  cb->running--;
  if (cb->deleted && cb->running == 0)
    rbg_cb_unlink_free (h, cb);
  return NULL;
}

/* The C callback of every Ruby event callback. It runs on the thread inside
 * a call on the handle, during that call; that call is rbg_current.
 */
static void
rbg_event_callback (guestfs_h *g, void *opaque, uint64_t event,
                    int event_handle, int flags,
                    const char *buf, size_t buf_len,
                    const uint64_t *array, size_t array_len)
{
  struct rbg_call *ctx = rbg_current;
  struct rbg_event e;

  if (ctx == NULL || ctx->drop_callbacks || ctx->jump_state != 0)
    return;
  e.cb = opaque;
  e.ctx = ctx;
  e.proc = Qnil;
  e.event = event;
  e.eh = event_handle;
  e.buf = buf;
  e.buf_len = buf_len;
  e.array = array;
  e.array_len = array_len;
  if (ctx->gvl_released) {
    ctx->gvl_released = 0;
    rb_thread_call_with_gvl (rbg_event_gvl, &e);
    ctx->gvl_released = 1;
  }
  else
    rbg_event_gvl (&e);
}

/* Registration, without the GVL. */
struct rbg_reg {
  struct rbg_cb *cb;
  uint64_t events;
  int eh;
};

static void
rbg_private_key (char *buf, size_t n, int eh)
{
  snprintf (buf, n, "_ruby_event_%d", eh);
}

static void
rbg_register_fn (struct rbg_call *c)
{
  struct rbg_reg *r = c->data;
  char key[64];
  r->eh = guestfs_set_event_callback (c->g, rbg_event_callback, r->events, 0, r->cb);
  if (r->eh == -1) {
    rbg_call_failed (c);
    return;
  }
  rbg_private_key (key, sizeof key, r->eh);
  guestfs_set_private (c->g, key, r->cb);
}

/*
 * call-seq:
 *   g.set_event_callback(proc, events) -> Integer
 *   g.set_event_callback(events) { |event, event_handle, buf, array| ... } -> Integer
 *
 * Register a callback for the events in the bitmask +events+ (a union of
 * Guestfs::EVENT_*). It is called with the event, the event handle, the
 * log text (a binary String, empty when none) and an Array of Integers
 * (PROGRESS: proc_nr, serial, position, total). Returns the event handle,
 * for delete_event_callback.
 *
 * Callbacks run on the thread making a call on the handle, during that
 * call. A callback raising a StandardError is reported on $stderr and the
 * call goes on; Interrupt, SystemExit, other exceptions and +throw+ cancel
 * the call and are re-raised when it returns.
 */
static VALUE
rbg_set_event_callback (int argc, VALUE *argv, VALUE self)
{
  VALUE procv, eventsv;
  struct rbg_handle *h;
  struct rbg_cb *cb;
  struct rbg_reg r;
  struct rbg_call c;

  if (rb_block_given_p ()) {
    rb_scan_args (argc, argv, "1", &eventsv);
    procv = rb_block_proc ();
  }
  else {
    rb_scan_args (argc, argv, "2", &procv, &eventsv);
    if (!rb_respond_to (procv, id_call))
      rb_raise (rb_eTypeError, "wrong argument type %s (expected Proc)",
                rb_obj_classname (procv));
  }
  memset (&r, 0, sizeof r);
  r.events = NUM2ULL (eventsv);
  h = rbg_handle_get (self, "set_event_callback");

  cb = ZALLOC (struct rbg_cb);
  cb->h = h;
  cb->proc = procv;
  cb->wkey = rb_obj_alloc (rb_cObject);
  cb->eh = -1;
  rb_funcall (rbg_weak, id_aset, 2, cb->wkey, procv);
  /* Linked (and so marked) before the C library can call it. */
  cb->next = h->cbs;
  h->cbs = cb;
  r.cb = cb;

  rbg_call_init (&c, self, "set_event_callback", rbg_register_fn, &r);
  rbg_call_run (&c);
  RB_GC_GUARD (procv);
  if (h->g != NULL) {
    /* (If the handle was closed meanwhile, cb is already freed.) */
    if (c.failed)
      rbg_cb_unlink_free (h, cb);
    else
      cb->eh = r.eh;
  }
  if (rbg_call_check (&c))
    rbg_call_raise (&c);
  return INT2NUM (r.eh);
}

static void
rbg_unregister_fn (struct rbg_call *c)
{
  int eh = *(int *) c->data;
  char key[64];
  guestfs_delete_event_callback (c->g, eh);
  rbg_private_key (key, sizeof key, eh);
  guestfs_set_private (c->g, key, NULL);
}

/*
 * call-seq:
 *   g.delete_event_callback(event_handle) -> nil
 *
 * Delete a callback. It is not called again, not even later in the event
 * being dispatched; deleting a callback from inside itself is safe.
 */
static VALUE
rbg_delete_event_callback (VALUE self, VALUE ehv)
{
  int eh = NUM2INT (ehv);
  struct rbg_handle *h;
  struct rbg_cb *cb;
  struct rbg_call c;

  h = rbg_handle_get (self, "delete_event_callback");
  for (cb = h->cbs; cb; cb = cb->next)
    if (cb->eh == eh && !cb->deleted)
      break;
  if (cb == NULL)
    return Qnil;                /* unknown or already deleted, as libguestfs */
  rbg_call_init (&c, self, "delete_event_callback", rbg_unregister_fn, &eh);
  rbg_call_run (&c);
  /* Unregistered from the C library: the Proc is released unless it is
   * running (then when it returns). If the handle was closed meanwhile, cb
   * is already freed.
   */
  if (h->g != NULL) {
    cb->deleted = 1;
    if (cb->running == 0)
      rbg_cb_unlink_free (h, cb);
  }
  if (rbg_call_check (&c))
    rbg_call_raise (&c);
  return Qnil;
}

/*
 * call-seq:
 *   Guestfs::event_to_string(events) -> String
 *
 * The names of the events in the bitmask, comma-separated, in alphabetical
 * order: <tt>Guestfs::event_to_string(Guestfs::EVENT_CLOSE | Guestfs::EVENT_PROGRESS)</tt>
 * is <tt>"close,progress"</tt>.
 */
static VALUE
rbg_event_to_string (VALUE module, VALUE eventsv)
{
  uint64_t events = NUM2ULL (eventsv);
  char *s;
  VALUE v;
  errno = 0;
  s = guestfs_event_to_string (events);
  if (s == NULL) {
    int e = errno;
    char msg[256];
    snprintf (msg, sizeof msg, "event_to_string: %s", e ? strerror (e) : "failed");
    rbg_raise_errno (msg, e);
  }
  v = rb_utf8_str_new_cstr (s);
  free (s);
  return v;
}

/*
 * call-seq:
 *   g.user_cancel -> nil
 *
 * Cancel the transfer running in a call on this handle (from another
 * thread); that call fails with EINTR. Does nothing between calls.
 */
static VALUE
rbg_user_cancel (VALUE self)
{
  struct rbg_handle *h = rbg_handle_get (self, "user_cancel");
  if (h->pid == getpid ())
    guestfs_user_cancel (h->g);
  return Qnil;
}

/* ---------------------------------------------------------------- closing */

struct rbg_close {
  struct rbg_handle *h;
};

static void
rbg_close_fn (struct rbg_call *c)
{
  struct rbg_handle *h = c->data;
  struct rbg_cb *cb;
  char key[64];
  /* Procs that died with the handle object are unregistered first, so
   * the C library never calls them.
   */
  for (cb = h->cbs; cb; cb = cb->next)
    if (!cb->deleted && !cb->live) {
      guestfs_delete_event_callback (c->g, cb->eh);
      rbg_private_key (key, sizeof key, cb->eh);
      guestfs_set_private (c->g, key, NULL);
      cb->deleted = 1;
    }
  /* (The library waits for a SIGINT handler still scanning its in-flight
   * table before it frees c->g.) */
  guestfs_close (c->g);
}

/* Close the handle now (no call is in progress on it). Jumps from CLOSE
 * callbacks go to outer (the call that deferred the close), or are raised
 * at the end when outer is NULL.
 */
static void
rbg_close_now (struct rbg_handle *h, struct rbg_call *outer)
{
  struct rbg_call c;
  struct rbg_cb *cb;

  memset (&c, 0, sizeof c);
  c.jump_exc = Qnil;
  if (h->g == NULL || h->closing)
    return;
  h->closed = 1;
  h->close_pending = 0;
  h->closing = 1;
  if (h->pid != getpid ()) {
    /* A fork child: the C library makes this a no-op that leaves the
     * parent's daemon alone.
     */
    guestfs_close (h->g);
  }
  else {
    /* Which Procs are still alive? (The handle object may be dead.) */
    h->pinned = 1;
    for (cb = h->cbs; cb; cb = cb->next) {
      VALUE p;
      cb->live = 0;
      if (cb->deleted)
        continue;
      p = rb_funcall (rbg_weak, id_aref, 1, cb->wkey);
      if (!NIL_P (p)) {
        cb->proc = p;
        cb->live = 1;
      }
    }
    c.h = h;
    c.g = h->g;
    c.name = "close";
    c.fn = rbg_close_fn;
    c.data = h;
    c.cancellable = 0;          /* the handle is being freed: no user_cancel */
    c.jump_exc = Qnil;
    if (!rbg_call_once (&c)) {
      /* An interrupt is pending, so rb_thread_call_without_gvl2 ran
       * nothing (retrying would spin for ever). No call is in progress on
       * this handle, so the handle lock is free: close with the GVL held;
       * the interrupt is handled after closing.
       */
      c.prev = rbg_current;
      rbg_current = &c;
      h->in_call++;
      c.fn (&c);
      h->in_call--;
      rbg_current = c.prev;
    }
    if (c.jump_state != 0 && outer != NULL && outer->jump_state == 0) {
      outer->jump_state = c.jump_state;
      outer->jump_exc = c.jump_exc;
      outer->drop_callbacks = c.drop_callbacks;
      c.jump_state = 0;
    }
  }
  h->g = NULL;
  h->pinned = 0;
  while (h->cbs) {
    struct rbg_cb *cb2 = h->cbs;
    h->cbs = cb2->next;
    xfree (cb2);
  }
  rbg_unlink (h);
  h->closing = 0;
  if (outer == NULL && c.jump_state != 0 && h->pid == getpid ())
    rbg_call_raise (&c);
}

/* Whether this thread is inside a call on h (so in one of its callbacks). */
static int
rbg_in_call_here (const struct rbg_handle *h)
{
  const struct rbg_call *c;
  for (c = rbg_current; c; c = c->prev)
    if (c->h == h)
      return 1;
  return 0;
}

/*
 * call-seq:
 *   g.close -> nil
 *
 * Close the handle: the daemon is stopped (after an autosync) and the
 * CLOSE callbacks run. Afterwards every method raises ArgumentError.
 * Inside a callback, or while another thread is in a call on the handle,
 * the close happens when that call returns. A daemon call on another
 * thread is cancelled first (it raises), so that it returns even if the
 * daemon stopped answering: the library kills a daemon that stays silent
 * and idle. Closing twice is allowed.
 */
static VALUE
rbg_close (VALUE self)
{
  struct rbg_handle *h = rb_check_typeddata (self, &rbg_handle_type);
  if (h->closed || h->g == NULL)
    return Qnil;
  h->closed = 1;
  if (h->in_call > 0) {
    h->close_pending = 1;
    /* A callback of this thread's call: that call goes on. Calls on other
     * threads: cancelled as guestfs_close would (calls that start now
     * fail; the daemon is watched until the handle is closed). In a fork
     * child the parent's calls are not ours to touch. */
    if (h->pid == getpid () && !rbg_in_call_here (h))
      guestfs_binding_interrupt_for_close (h->g);
    return Qnil;
  }
  rbg_close_now (h, NULL);
  RB_GC_GUARD (self);
  return Qnil;
}

/* HandleCloser#call: the finalizer of a collected handle object. */
static VALUE
rbg_closer_call (int argc, VALUE *argv, VALUE self)
{
  struct rbg_handle *h = rb_check_typeddata (self, &rbg_closer_type);
  if (h->g != NULL && h->in_call == 0 && !(rbg_exiting && !h->close_on_exit))
    rbg_close_now (h, NULL);
  return Qnil;
}

/* At exit, while the VM is fully alive: close every open handle (CLOSE
 * callbacks run, autosync saves data). A call in flight on another thread
 * is cancelled, and the close happens when it returns.
 */
static void
rbg_at_exit (VALUE unused)
{
  struct rbg_handle *h;
  int state = 0;
  VALUE exc = Qnil;

  rbg_exiting = 1;
  rbg_end_proc_registered = 0;
  for (;;) {
    for (h = rbg_open; h; h = h->next)
      if (!h->exit_seen && h->close_on_exit)
        break;
    if (h == NULL)
      break;
    h->exit_seen = 1;
    if (h->g == NULL)
      continue;
    if (h->in_call > 0) {
      h->closed = 1;
      h->close_pending = 1;
      if (h->pid == getpid ())
        guestfs_user_cancel (h->g);
      continue;
    }
    {
      struct rbg_call c;
      memset (&c, 0, sizeof c);
      c.jump_exc = Qnil;
      rbg_close_now (h, &c);
      if (c.jump_state != 0 && state == 0) {
        state = c.jump_state;
        exc = c.jump_exc;
      }
    }
  }
  if (state != 0) {
    if (!NIL_P (exc) && state == RBG_TAG_RAISE)
      rb_exc_raise (exc);
    rb_jump_tag (state);
  }
}

/* ----------------------------------------------------- argument helpers */

/* The conversions are Ruby's own (StringValueCStr, Check_Type, NUM2INT,
 * ...), so a wrong argument raises the error a core method would raise:
 * TypeError "no implicit conversion of Integer into String", TypeError
 * "wrong argument type Integer (expected Array)", ArgumentError "string
 * contains null byte", RangeError "integer 1099511627776 too big to convert
 * to `int'", ArgumentError "unknown keyword: :x".
 */

void *
rbg_alloc (VALUE keep, size_t size)
{
  volatile VALUE store = 0;
  void *p = rb_alloc_tmp_buffer (&store, (long) (size ? size : 1));
  rb_ary_push (keep, store);
  return p;
}

const char *
rbg_cstr (VALUE v, VALUE keep)
{
  const char *s = StringValueCStr (v);
  long len = RSTRING_LEN (v);
  char *p = rbg_alloc (keep, (size_t) len + 1);
  memcpy (p, s, (size_t) len + 1);
  RB_GC_GUARD (v);
  return p;
}

const char *
rbg_optcstr (VALUE v, VALUE keep)
{
  return NIL_P (v) ? NULL : rbg_cstr (v, keep);
}

char **
rbg_strlist (VALUE v, VALUE keep)
{
  long i, n;
  char **l;
  Check_Type (v, T_ARRAY);
  n = RARRAY_LEN (v);
  l = rbg_alloc (keep, sizeof (char *) * (size_t) (n + 1));
  /* An element's to_str may shrink the Array: rb_ary_entry then returns
   * nil, which StringValueCStr refuses. */
  for (i = 0; i < n; ++i)
    l[i] = (char *) rbg_cstr (rb_ary_entry (v, i), keep);
  l[n] = NULL;
  return l;
}

const char *
rbg_buffer (VALUE v, VALUE keep, size_t *len_r)
{
  char *p;
  long len;
  StringValue (v);
  len = RSTRING_LEN (v);
  p = rbg_alloc (keep, (size_t) len);
  memcpy (p, RSTRING_PTR (v), (size_t) len);
  *len_r = (size_t) len;
  RB_GC_GUARD (v);
  return p;
}

int
rbg_bool (VALUE v)
{
  /* As libguestfs (RTEST: anything but false and nil is true, so no value
   * is the wrong type), except that the Integer 0 is false: old scripts
   * pass 1/0.
   */
  if (RB_INTEGER_TYPE_P (v))
    return rb_equal (v, INT2FIX (0)) ? 0 : 1;
  return RTEST (v) ? 1 : 0;
}

struct rbg_optcheck {
  const char *const *names;
  int n;
  VALUE unknown;                /* Array of the unknown keys, or Qnil */
};

static int
rbg_optcheck_each (VALUE key, VALUE val, VALUE arg)
{
  struct rbg_optcheck *oc = (struct rbg_optcheck *) arg;
  int i;
  for (i = 0; i < oc->n; ++i)
    if (rbg_key_is (key, oc->names[i]))
      return ST_CONTINUE;
  if (NIL_P (oc->unknown))
    oc->unknown = rb_ary_new ();
  rb_ary_push (oc->unknown, key);
  return ST_CONTINUE;
}

/* Raise ArgumentError "unknown keyword: :x" ("unknown keywords: :x, :y"),
 * as Ruby does for a method with keyword arguments. */
NORETURN (static void rbg_raise_unknown_keywords (VALUE keys));
static void
rbg_raise_unknown_keywords (VALUE keys)
{
  VALUE msg = rb_str_new_cstr (RARRAY_LEN (keys) == 1 ? "unknown keyword: " : "unknown keywords: ");
  long i;
  for (i = 0; i < RARRAY_LEN (keys); ++i) {
    if (i > 0)
      rb_str_cat_cstr (msg, ", ");
    rb_str_append (msg, rb_inspect (rb_ary_entry (keys, i)));
  }
  rb_exc_raise (rb_exc_new_str (rb_eArgError, msg));
}

static void
rbg_check_keywords (VALUE h, const char *const *names, int n)
{
  struct rbg_optcheck oc;
  oc.names = names;
  oc.n = n;
  oc.unknown = Qnil;
  rb_hash_foreach (h, rbg_optcheck_each, (VALUE) &oc);
  if (!NIL_P (oc.unknown))
    rbg_raise_unknown_keywords (oc.unknown);
  RB_GC_GUARD (oc.unknown);
}

VALUE
rbg_optargs (VALUE h, const char *const *names, int n)
{
  if (NIL_P (h))
    return Qnil;
  Check_Type (h, T_HASH);
  rbg_check_keywords (h, names, n);
  return h;
}

VALUE
rbg_optarg (VALUE h, const char *name)
{
  VALUE v;
  if (NIL_P (h))
    return Qnil;
  v = rb_hash_lookup2 (h, ID2SYM (rb_intern (name)), Qundef);
  if (v == Qundef)
    v = rb_hash_lookup2 (h, rb_str_new_cstr (name), Qnil);
  return v;
}

VALUE
rbg_str_new (const char *s)
{
  return rb_utf8_str_new_cstr (s);
}

void
rbg_free_strlist (char **l)
{
  size_t i;
  if (l == NULL)
    return;
  for (i = 0; l[i] != NULL; ++i)
    free (l[i]);
  free (l);
}

struct rbg_conv {
  char **l;
  int hash;
};

static VALUE
rbg_conv_body (VALUE p)
{
  struct rbg_conv *cv = (struct rbg_conv *) p;
  size_t i;
  VALUE v = cv->hash ? rb_hash_new () : rb_ary_new ();
  for (i = 0; cv->l[i] != NULL; i += cv->hash ? 2 : 1) {
    if (cv->hash)
      rb_hash_aset (v, rb_utf8_str_new_cstr (cv->l[i]),
                    cv->l[i + 1] ? rb_utf8_str_new_cstr (cv->l[i + 1]) : Qnil);
    if (cv->hash && cv->l[i + 1] == NULL)
      break;
    if (!cv->hash)
      rb_ary_push (v, rb_utf8_str_new_cstr (cv->l[i]));
  }
  return v;
}

static VALUE
rbg_conv_free (VALUE p)
{
  rbg_free_strlist (((struct rbg_conv *) p)->l);
  return Qnil;
}

VALUE
rbg_strlist_value (char **l)
{
  struct rbg_conv cv = { l, 0 };
  return rb_ensure (rbg_conv_body, (VALUE) &cv, rbg_conv_free, (VALUE) &cv);
}

VALUE
rbg_hashtable_value (char **l)
{
  struct rbg_conv cv = { l, 1 };
  return rb_ensure (rbg_conv_body, (VALUE) &cv, rbg_conv_free, (VALUE) &cv);
}

/* ------------------------------------------------------------------ init */

/*
 * Document-module: Guestfs
 *
 * Ruby binding of goguestfs, a disk-image library with the libguestfs
 * programming model. <tt>require 'guestfs'</tt>, then
 * <tt>g = Guestfs::Guestfs.new</tt>.
 */

/*
 * Document-class: Guestfs::Guestfs
 *
 * A handle. Every action of the library is a method; optional arguments
 * are a trailing Hash (<tt>g.internal_test_only_optargs(test: 1)</tt>).
 */

/*
 * Document-class: Guestfs::Error
 *
 * Raised when a call fails; #errno is the errno of the failure (0 when
 * unknown).
 */

/* Entry point of the extension: require '_guestfs'. */
void
Init__guestfs (void)
{
  id_call = rb_intern ("call");
  id_aref = rb_intern ("[]");
  id_aset = rb_intern ("[]=");
  id_full_message = rb_intern ("full_message");

  rbg_mGuestfs = rb_define_module ("Guestfs");
  rbg_cGuestfs = rb_define_class_under (rbg_mGuestfs, "Guestfs", rb_cObject);
  rbg_eError = rb_define_class_under (rbg_mGuestfs, "Error", rb_eStandardError);
  rb_define_attr (rbg_eError, "errno", 1, 0);

  rbg_cCloser = rb_define_class_under (rbg_cGuestfs, "HandleCloser", rb_cObject);
  rb_undef_alloc_func (rbg_cCloser);
  rb_define_method (rbg_cCloser, "call", rbg_closer_call, -1);

  rbg_weak = rb_class_new_instance (0, NULL,
                                    rb_const_get (rb_const_get (rb_cObject, rb_intern ("ObjectSpace")),
                                                  rb_intern ("WeakMap")));
  rb_gc_register_mark_object (rbg_weak);

  rb_define_alloc_func (rbg_cGuestfs, rbg_handle_alloc);
  rb_define_method (rbg_cGuestfs, "initialize", rbg_handle_initialize, -1);
  rb_define_module_function (rbg_mGuestfs, "create", rbg_create, -1);
  rb_define_method (rbg_cGuestfs, "close", rbg_close, 0);
  rb_define_method (rbg_cGuestfs, "set_event_callback", rbg_set_event_callback, -1);
  rb_define_method (rbg_cGuestfs, "delete_event_callback", rbg_delete_event_callback, 1);
  rb_define_method (rbg_cGuestfs, "user_cancel", rbg_user_cancel, 0);
  rb_define_module_function (rbg_mGuestfs, "event_to_string", rbg_event_to_string, 1);

  rbg_init_actions ();
  rbg_install_sigint_handler ();
}
