/* rbguestfs.h: the interface between the hand-written part of the Ruby
 * extension (handle.c: handles, events, the GVL, closing) and the part
 * generated from the API table (actions.c: one method per action).
 *
 * The C in this directory is deliberately thin: it converts arguments and
 * results, owns references and handles the GVL. Every behaviour of a handle
 * is the C library's.
 */

#ifndef RBGUESTFS_H
#define RBGUESTFS_H

#include <ruby.h>
#include <sys/types.h>
#include <guestfs.h>

/* The Guestfs module, the Guestfs::Guestfs class and Guestfs::Error. */
extern VALUE rbg_mGuestfs, rbg_cGuestfs, rbg_eError;

struct rbg_handle;

/* One call into the C library, from a Ruby method. It lives on the C stack
 * of the method for the duration of the call (so the Ruby values it holds are
 * seen by the conservative GC), and is the top of a per-thread stack while
 * the call runs, which is how callbacks know whether they hold the GVL.
 */
struct rbg_call {
  struct rbg_handle *h;
  guestfs_h *g;                 /* the C handle, valid during the call */
  const char *name;             /* the action, for messages */
  void (*fn) (struct rbg_call *c); /* makes the guestfs_* call; runs without the GVL */
  void *data;                   /* the action's argument and result block */
  int cancellable;              /* an interrupt may call guestfs_user_cancel */
  int failed;                   /* the call failed (or did not run) */
  char *errmsg;                 /* copy of guestfs_last_error, malloc'd */
  int errnum;                   /* guestfs_last_errno */
  int ran;                      /* fn was called */
  int gvl_released;             /* this thread is running fn without the GVL */
  int drop_callbacks;           /* a throw is pending: run no more Ruby callbacks */
  int close_after_jump;         /* a deferred close waits for the re-raise */
  int jump_state;               /* non-zero: re-raise this after the call */
  VALUE jump_exc;               /* the exception to re-raise, or Qnil */
  struct rbg_call *prev;        /* the enclosing call on this thread */
};

/* Get the open handle behind a Guestfs::Guestfs, converting nothing else;
 * raises ArgumentError "NAME: used handle after closing it" when closed.
 */
struct rbg_handle *rbg_handle_get (VALUE self, const char *name);

/* Whether the handle returns booleans as true/false (ruby_bool: true). */
int rbg_handle_ruby_bool (const struct rbg_handle *h);

/* Prepare a call of fn(data) on the handle of self; raises when closed. */
void rbg_call_init (struct rbg_call *c, VALUE self, const char *name,
                    void (*fn) (struct rbg_call *), void *data);

/* Run the call without the GVL. Never raises: a pending interrupt, or an
 * exception or throw from a callback, is kept in c for rbg_call_check.
 * Performs a close requested during the call once the call has returned.
 */
void rbg_call_run (struct rbg_call *c);

/* From fn, after the guestfs_* call failed: record the error (message and
 * errno of this thread) before anything else can touch the handle.
 */
void rbg_call_failed (struct rbg_call *c);

/* After rbg_call_run: returns non-zero when the method must raise (the call
 * failed, a callback raised Interrupt/SystemExit/threw, or an interrupt is
 * pending). The caller then frees its result, if any, and calls
 * rbg_call_raise.
 */
int rbg_call_check (struct rbg_call *c);

/* Raise what rbg_call_check found: the callback's exception or throw, the
 * interrupt, or Guestfs::Error with the call's message and errno.
 */
NORETURN (void rbg_call_raise (struct rbg_call *c));

/* Argument conversion, with Ruby's own conversions and errors
 * (StringValueCStr, Check_Type (T_ARRAY), StringValue; the generated code
 * uses NUM2INT and NUM2LL directly), so a wrong argument raises what a core
 * method would. The returned memory is owned by the GC through keep (an
 * Array the caller holds on its stack until the call has returned), so
 * nothing leaks when a later conversion raises, and no Ruby string is read
 * while the GVL is released.
 */
void *rbg_alloc (VALUE keep, size_t size);
const char *rbg_cstr (VALUE v, VALUE keep);          /* String (to_str), no NUL */
const char *rbg_optcstr (VALUE v, VALUE keep);       /* nil -> NULL */
char **rbg_strlist (VALUE v, VALUE keep);            /* Array of Strings */
const char *rbg_buffer (VALUE v, VALUE keep, size_t *len_r); /* any bytes */
int rbg_bool (VALUE v);                              /* RTEST, but 0 is false */

/* Optional arguments: h is nil (none) or a Hash (else TypeError "wrong
 * argument type X (expected Hash)") whose keys (Symbols or Strings) are
 * among names (else ArgumentError "unknown keyword: :x", as Ruby raises
 * for keyword arguments); returns h or Qnil.
 */
VALUE rbg_optargs (VALUE h, const char *const *names, int n);
/* The value of an optional argument, or Qnil when it is not given. */
VALUE rbg_optarg (VALUE h, const char *name);

/* Result conversion. */
VALUE rbg_str_new (const char *s);
VALUE rbg_strlist_value (char **l);      /* frees l */
VALUE rbg_hashtable_value (char **l);    /* frees l */
void rbg_free_strlist (char **l);

/* Defined in actions.c (generated): defines the action methods, the event
 * constants and the struct converters.
 */
void rbg_init_actions (void);

#endif /* RBGUESTFS_H */
