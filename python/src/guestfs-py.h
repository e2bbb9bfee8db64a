/* guestfs-py.h: declarations shared by handle.c (the hand-written handle,
 * events and call bracketing) and actions.c (the generated action wrappers).
 */

#ifndef GUESTFS_PY_H_
#define GUESTFS_PY_H_

#include <Python.h>
#include <stdint.h>

#include "guestfs.h"

/* The C handle object (libguestfsmod.Handle); defined in handle.c. */
extern PyTypeObject guestfs_int_py_handle_type;

/* One call on a handle in progress: bracketed by guestfs_int_py_enter and
 * guestfs_int_py_leave, it lives on the caller's C stack. The frames of a
 * thread form a stack so that a callback finds the call it runs in.
 */
typedef struct guestfs_int_py_call {
  struct guestfs_int_py_call *prev; /* the thread's enclosing call */
  PyObject *h;                      /* the Handle (a strong reference) */
  guestfs_h *g;                     /* the C handle for this call */
  int slot;                         /* guestfs_binding_inflight_claim slot, or -1 */
  char *err_msg;                    /* saved guestfs_last_error, malloc'd */
  int err_errno;                    /* saved guestfs_last_errno */
  int failed;                       /* the action failed */
  PyObject *pend_type, *pend_value, *pend_tb; /* KeyboardInterrupt or
                                               SystemExit raised by a
                                               callback during the call */
} guestfs_int_py_call;

/* Start a call on the Handle py_h: raises ClosedHandle and returns NULL if
 * the handle is closed or closing, else returns the C handle. */
extern guestfs_h *guestfs_int_py_enter (PyObject *py_h, guestfs_int_py_call *call);

/* Record the calling thread's last error of the call's handle. Called right
 * after the failing C call, on the same thread, without the GIL. */
extern void guestfs_int_py_save_error (guestfs_int_py_call *call);

/* End a call: runs a deferred close, re-raises an exception saved from a
 * callback, or raises the saved error when result is NULL. Returns result
 * (or NULL with an exception set); steals the reference to result. */
extern PyObject *guestfs_int_py_leave (guestfs_int_py_call *call, PyObject *result);

/* Convert a list or tuple of str to a NULL-terminated malloc'd array of
 * malloc'd UTF-8 strings; NULL with TypeError/UnicodeError/ValueError. */
extern char **guestfs_int_py_get_string_list (PyObject *obj);

/* Free an array made by guestfs_int_py_get_string_list (NULL is fine). */
extern void guestfs_int_py_free_string_list (char **list);

/* Free a NULL-terminated string array returned by the C library. */
extern void guestfs_int_py_free_result_strings (char **list);

/* Convert a NULL-terminated string array to a list of str. */
extern PyObject *guestfs_int_py_put_string_list (char *const *list);

/* Convert a NULL-terminated key, value, ... array to a list of (key, value)
 * tuples. */
extern PyObject *guestfs_int_py_put_table (char *const *table);

/* str from a C string, or None for NULL. */
extern PyObject *guestfs_int_py_str_or_none (const char *s);

/* d[key] = v, stealing v; -1 with an exception if v is NULL or on error. */
extern int guestfs_int_py_dict_put (PyObject *d, const char *key, PyObject *v);

/* Optional-argument converters: 0 on success, -1 with an exception naming
 * the argument. */
extern int guestfs_int_py_as_int (PyObject *obj, const char *name, int *out);
extern int guestfs_int_py_as_int64 (PyObject *obj, const char *name, int64_t *out);
extern int guestfs_int_py_as_string (PyObject *obj, const char *name, const char **out);

/* The generated action functions (actions.c). */
extern PyMethodDef guestfs_int_py_action_methods[];

#endif /* GUESTFS_PY_H_ */
