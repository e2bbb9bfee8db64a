package emit

import (
	"strings"

	"goguestfs/generator/api"
)

func init() { Register("header", emitHeader) }

// emitHeader writes bridge/guestfs.h, the public C header.
func emitHeader(t *api.Table) ([]File, error) {
	var b Buffer
	b.P("%s", CBanner())
	b.P(`/* guestfs.h: the goguestfs C API, source-compatible with libguestfs's
 * guestfs.h for the handle, events, errors, private data and every action
 * listed here. Link with $(pkg-config --libs goguestfs).
 */

#ifndef GUESTFS_H_
#define GUESTFS_H_

#ifdef __cplusplus
extern "C" {
#endif

#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>

#define GUESTFS_DLL_PUBLIC __attribute__((visibility ("default")))

#ifdef GUESTFS_WARN_DEPRECATED
#define GUESTFS_DEPRECATED_REPLACED_BY(s) __attribute__((__deprecated__("use guestfs_" s " instead")))
#else
#define GUESTFS_DEPRECATED_REPLACED_BY(s)
#endif

/* The handle. Opaque; create with guestfs_create, free with guestfs_close. */
typedef struct guestfs_h guestfs_h;

/* Flags for guestfs_create_flags. */
#define GUESTFS_CREATE_NO_ENVIRONMENT   (1 << 0)
#define GUESTFS_CREATE_NO_CLOSE_ON_EXIT (1 << 1)

/* Error handler: called with each error message (on the failing thread). */
typedef void (*guestfs_error_handler_cb) (guestfs_h *g, void *opaque, const char *msg);

/* Events. */
`)
	for _, e := range api.Events {
		b.P("#define GUESTFS_EVENT_%-16s 0x%04x /* %s */\n", strings.ToUpper(e.Name), e.Value, e.Doc)
	}
	b.P("#define GUESTFS_EVENT_%-16s 0x%04x\n\n", "ALL", api.EventAll)
	b.P(`/* An event callback. It runs on the thread inside a call on the handle,
 * during that call. buf/buf_len carry log text, array/array_len numbers
 * (PROGRESS: proc_nr, serial, position, total).
 */
typedef void (*guestfs_event_callback) (guestfs_h *g, void *opaque,
                                        uint64_t event, int event_handle,
                                        int flags,
                                        const char *buf, size_t buf_len,
                                        const uint64_t *array, size_t array_len);

/* Legacy single-slot callbacks, wrappers over the event system. */
typedef void (*guestfs_log_message_cb) (guestfs_h *g, void *opaque, char *buf, int len);
typedef void (*guestfs_subprocess_quit_cb) (guestfs_h *g, void *opaque);
typedef void (*guestfs_launch_done_cb) (guestfs_h *g, void *opaque);
typedef void (*guestfs_close_cb) (guestfs_h *g, void *opaque);
typedef void (*guestfs_progress_cb) (guestfs_h *g, void *opaque, int proc_nr, int serial, uint64_t position, uint64_t total);

#define LIBGUESTFS_HAVE_LAST_ERRNO 1
#define LIBGUESTFS_HAVE_SET_EVENT_CALLBACK 1
#define LIBGUESTFS_HAVE_DELETE_EVENT_CALLBACK 1
#define LIBGUESTFS_HAVE_EVENT_TO_STRING 1
#define LIBGUESTFS_HAVE_USER_CANCEL 1
#define LIBGUESTFS_HAVE_SET_PRIVATE 1
#define LIBGUESTFS_HAVE_GET_PRIVATE 1
#define LIBGUESTFS_HAVE_FIRST_PRIVATE 1
#define LIBGUESTFS_HAVE_NEXT_PRIVATE 1
#define LIBGUESTFS_HAVE_CREATE_FLAGS 1

`)
	for _, f := range api.CFuncs {
		b.P("/* %s */\n", f.Doc)
		b.P("extern GUESTFS_DLL_PUBLIC %s%s (%s);\n", spaced(f.Ret), f.Name, f.Params)
	}
	b.P("%s", headerBindingHelpers)
	b.P("\n/* Structs returned by actions. Free them with guestfs_free_<name>. */\n")
	for _, s := range t.Structs {
		up := strings.ToUpper(s.Name)
		b.P("#define GUESTFS_HAVE_STRUCT_%s 1\n", up)
		b.P("struct guestfs_%s {\n", s.Name)
		for _, f := range s.Fields {
			comment := ""
			if f.Kind == api.FUUID {
				comment = " /* not NUL-terminated */"
			}
			b.P("  %s;%s\n", CFieldDecl(f), comment)
		}
		b.P("};\n\n")
		b.P("struct guestfs_%s_list {\n  uint32_t len;\n  struct guestfs_%s *val;\n};\n\n", s.Name, s.Name)
		b.P("extern GUESTFS_DLL_PUBLIC void guestfs_free_%s (struct guestfs_%s *);\n", s.Name, s.Name)
		b.P("extern GUESTFS_DLL_PUBLIC void guestfs_free_%s_list (struct guestfs_%s_list *);\n\n", s.Name, s.Name)
	}
	b.P("/* Actions. */\n\n")
	for i := range t.Actions {
		headerAction(&b, &t.Actions[i])
	}
	b.P(`#ifdef __cplusplus
}
#endif

#endif /* GUESTFS_H_ */
`)
	return []File{{Path: "bridge/guestfs.h", Content: b.String()}}, nil
}

// spaced returns a C type followed by a space unless it ends with '*'.
func spaced(ctype string) string {
	if strings.HasSuffix(ctype, "*") {
		return ctype
	}
	return ctype + " "
}

// headerAction writes the prototypes of one action.
func headerAction(b *Buffer, a *api.Action) {
	up := strings.ToUpper(a.Name)
	ret := spaced(CRetType(a.Ret))
	dep := ""
	if a.DeprecatedBy != "" {
		dep = " GUESTFS_DEPRECATED_REPLACED_BY (\"" + a.DeprecatedBy + "\")"
	}
	params := CParamList(CParams(a))
	b.P("/* %s: %s */\n", a.Name, a.Shortdesc)
	b.P("#define GUESTFS_HAVE_%s 1\n", up)
	if len(a.OptArgs) == 0 {
		b.P("extern GUESTFS_DLL_PUBLIC %sguestfs_%s (%s)%s;\n\n", ret, a.Name, params, dep)
		return
	}
	for i, o := range a.OptArgs {
		b.P("#define %s_%s %d\n", OptMacro(a), strings.ToUpper(o.Name), i)
	}
	b.P("extern GUESTFS_DLL_PUBLIC %sguestfs_%s (%s, ...)%s;\n", ret, a.Name, params, dep)
	b.P("extern GUESTFS_DLL_PUBLIC %sguestfs_%s_va (%s, va_list args)%s;\n", ret, a.Name, params, dep)
	b.P("struct guestfs_%s_argv {\n  uint64_t bitmask;\n", a.Name)
	for i, o := range a.OptArgs {
		b.P("#define %s_%s_BITMASK (UINT64_C(1)<<%d)\n", OptMacro(a), strings.ToUpper(o.Name), i)
		b.P("  %s%s;\n", COptType(o.Kind), o.Name)
	}
	b.P("};\n")
	b.P("extern GUESTFS_DLL_PUBLIC %sguestfs_%s_argv (%s, const struct guestfs_%s_argv *optargs)%s;\n\n", ret, a.Name, params, a.Name, dep)
}

// headerBindingHelpers declares the guestfs_binding_* functions: plain C in
// bridge/handle.c (not generated from the table), shared by the Python and
// Ruby bindings.
const headerBindingHelpers = `
/* Helpers for language bindings: guestfs_binding_*.
 *
 * Not part of the libguestfs API (libguestfs has no such functions, and
 * reserves guestfs_int_* for its internals); goguestfs's own Python and
 * Ruby bindings use them, and any other binding may. C programs have no
 * use for them.
 *
 * Ctrl-C during a call: the library never installs a signal handler. A
 * binding brackets each call that may run long with claim and release,
 * and its own SIGINT handler calls guestfs_binding_cancel_inflight, which
 * cancels (guestfs_user_cancel) every claimed call, of every handle and
 * every binding in the process, then chains to the handler it replaced.
 * One table in the library, not one per binding: handlers never race to
 * swap each other out per call.
 */
#define GOGUESTFS_HAVE_BINDING_INFLIGHT 1

/* Record that a call on g is starting. Returns the slot to pass to
 * guestfs_binding_inflight_release when the call has returned, or -1 when
 * the table (256 slots) is full or g was created before a fork(); the call
 * is then not cancelled by cancel_inflight, and releasing -1 is a no-op.
 * Release the slot before closing g. (The library also forgets g when it
 * frees it, and waits for a cancel_inflight that may be using it.)
 */
extern GUESTFS_DLL_PUBLIC int guestfs_binding_inflight_claim (guestfs_h *g);

/* The call of a claimed slot has returned. */
extern GUESTFS_DLL_PUBLIC void guestfs_binding_inflight_release (int slot);

/* Cancel every claimed call, as guestfs_user_cancel does: each fails soon
 * with EINTR, its handle stays usable. Async-signal-safe (no lock, no
 * allocation, errno preserved): what a SIGINT handler calls. In a fork
 * child the table is empty (calls of the parent are not touched).
 */
extern GUESTFS_DLL_PUBLIC void guestfs_binding_cancel_inflight (void);

/* The first half of a close called while the binding's own calls on g run
 * on other threads (never from inside a call on g on this thread: that
 * close is deferred to the end of the call, which goes on). What
 * guestfs_close does before it waits for the handle: calls on g that start
 * from now on fail, the call in flight on another thread is cancelled
 * (EINTR; EIO if the daemon had to be killed), and the library kills the
 * daemon if it stays silent and idle for 5 s while that call waits for it,
 * or once the close has taken 2 minutes, so that the call returns. The
 * binding waits for its calls to return (they read their results and
 * errors from g), then calls guestfs_close. Returns at once; not
 * async-signal-safe. Does nothing in a fork child.
 */
extern GUESTFS_DLL_PUBLIC void guestfs_binding_interrupt_for_close (guestfs_h *g);

/* The message of every error caused by using the library in a child made
 * by fork() (errno ECHILD): what guestfs_last_error returns for an
 * inherited handle, for a binding to use when guestfs_create fails there
 * (no handle holds a message then). It names the fix, Python's
 * multiprocessing included; bindings add nothing to it. Static string.
 */
extern GUESTFS_DLL_PUBLIC const char *guestfs_binding_fork_message (void);
`
