package api

// CFunc is a public C function of the handle API that is not an action:
// create/close, errors, events, private data. The generator emits its
// prototype into guestfs.h and its definition into the bridge, where the fork
// check runs before any Go code.
type CFunc struct {
	// Ret is the C return type.
	Ret string
	// Name is the full C name.
	Name string
	// Params is the C parameter list as written in the prototype.
	Params string
	// InChild is the C code run instead when called in a fork child of the
	// process that created the handle: it must return. Empty for functions
	// with no handle that never enter Go.
	InChild string
	// Body is the C code run otherwise; it calls the private cgo export.
	Body string
	// Doc is a one-line description for the header and the reference.
	Doc string
}

// CFuncs is every non-action public C function, in header order.
var CFuncs = []CFunc{
	{"guestfs_h *", "guestfs_create", "void", "",
		"return guestfs_create_flags (0);",
		"Create a handle; parses the environment and closes the handle at exit."},
	{"guestfs_h *", "guestfs_create_flags", "unsigned flags, ...", "",
		"if (goguestfs_fork_generation != 0) { errno = ECHILD; return NULL; }\n  return goguestfs_create (flags);",
		"Create a handle with GUESTFS_CREATE_* flags; NULL with errno set on failure."},
	{"void", "guestfs_close", "guestfs_h *g", "return;",
		"goguestfs_close (g);",
		"Close the handle and free it. Inside a callback the close is deferred to the end of the outermost call. In a fork child it does nothing."},
	{"const char *", "guestfs_last_error", "guestfs_h *g", "return goguestfs_fork_message;",
		"return goguestfs_last_error (g);",
		"The last error message of this handle on the calling thread, or NULL. Valid until the thread's next failing call on the handle."},
	{"int", "guestfs_last_errno", "guestfs_h *g", "return ECHILD;",
		"return goguestfs_last_errno (g);",
		"The errno of the last error of this handle on the calling thread, 0 when unknown."},
	{"void", "guestfs_set_error_handler", "guestfs_h *g, guestfs_error_handler_cb cb, void *opaque",
		"g->fork_error_cb = cb; g->fork_error_cb_data = opaque; return;",
		"g->fork_error_cb = cb; g->fork_error_cb_data = opaque;\n  goguestfs_set_error_handler (g, cb, (uintptr_t) opaque);",
		"Replace the error handler of the calling thread (and the initial handler of threads that have not used the handle yet). NULL means no handler."},
	{"guestfs_error_handler_cb", "guestfs_get_error_handler", "guestfs_h *g, void **opaque_rtn",
		"if (opaque_rtn) *opaque_rtn = g->fork_error_cb_data; return g->fork_error_cb;",
		"return goguestfs_get_error_handler (g, (uintptr_t *) opaque_rtn);",
		"Return the calling thread's error handler and its opaque pointer."},
	{"void", "guestfs_push_error_handler", "guestfs_h *g, guestfs_error_handler_cb cb, void *opaque", "return;",
		"goguestfs_push_error_handler (g, cb, (uintptr_t) opaque);",
		"Save the calling thread's error handler on a stack and install another."},
	{"void", "guestfs_pop_error_handler", "guestfs_h *g", "return;",
		"goguestfs_pop_error_handler (g);",
		"Restore the error handler saved by the last push on the calling thread."},
	{"int", "guestfs_set_event_callback", "guestfs_h *g, guestfs_event_callback cb, uint64_t event_bitmask, int flags, void *opaque",
		"goguestfs_fork_error (g); return -1;",
		"return goguestfs_set_event_callback (g, cb, event_bitmask, flags, (uintptr_t) opaque);",
		"Register cb for the events in event_bitmask; returns an event handle (never reused) or -1."},
	{"void", "guestfs_delete_event_callback", "guestfs_h *g, int event_handle", "return;",
		"goguestfs_delete_event_callback (g, event_handle);",
		"Delete a callback; it is not called again, not even later in the current dispatch."},
	{"char *", "guestfs_event_to_string", "uint64_t event", "",
		"return goguestfs_event_to_string_c (event);",
		"Return a malloc'd comma-separated list of the event names in bitmask, in alphabetical order; the caller frees it."},
	{"void", "guestfs_set_log_message_callback", "guestfs_h *g, guestfs_log_message_cb cb, void *opaque", "return;",
		"goguestfs_set_legacy_callback (g, GOGUESTFS_LEGACY_LOG_MESSAGE, (uintptr_t) cb, (uintptr_t) opaque);",
		"Legacy single-slot callback for APPLIANCE events; replaces the previous one."},
	{"void", "guestfs_set_subprocess_quit_callback", "guestfs_h *g, guestfs_subprocess_quit_cb cb, void *opaque", "return;",
		"goguestfs_set_legacy_callback (g, GOGUESTFS_LEGACY_SUBPROCESS_QUIT, (uintptr_t) cb, (uintptr_t) opaque);",
		"Legacy single-slot callback for SUBPROCESS_QUIT; replaces the previous one."},
	{"void", "guestfs_set_launch_done_callback", "guestfs_h *g, guestfs_launch_done_cb cb, void *opaque", "return;",
		"goguestfs_set_legacy_callback (g, GOGUESTFS_LEGACY_LAUNCH_DONE, (uintptr_t) cb, (uintptr_t) opaque);",
		"Legacy single-slot callback for LAUNCH_DONE; replaces the previous one."},
	{"void", "guestfs_set_close_callback", "guestfs_h *g, guestfs_close_cb cb, void *opaque", "return;",
		"goguestfs_set_legacy_callback (g, GOGUESTFS_LEGACY_CLOSE, (uintptr_t) cb, (uintptr_t) opaque);",
		"Legacy single-slot callback for CLOSE; replaces the previous one."},
	{"void", "guestfs_set_progress_callback", "guestfs_h *g, guestfs_progress_cb cb, void *opaque", "return;",
		"goguestfs_set_legacy_callback (g, GOGUESTFS_LEGACY_PROGRESS, (uintptr_t) cb, (uintptr_t) opaque);",
		"Legacy single-slot callback for PROGRESS; replaces the previous one."},
	{"void", "guestfs_user_cancel", "guestfs_h *g", "",
		"goguestfs_user_cancel (g);",
		"Cancel the running transfer. Async-signal-safe and callable from any thread; plain C, never enters Go."},
	{"void", "guestfs_set_private", "guestfs_h *g, const char *key, void *data", "return;",
		"goguestfs_set_private (g, (char *) key, (uintptr_t) data);",
		"Store data under key (replacing it); NULL removes the entry. Keys starting with _ are reserved for bindings."},
	{"void *", "guestfs_get_private", "guestfs_h *g, const char *key", "return NULL;",
		"return (void *) goguestfs_get_private (g, (char *) key);",
		"Return the data stored under key, or NULL."},
	{"void *", "guestfs_first_private", "guestfs_h *g, const char **key_rtn", "return NULL;",
		"return (void *) goguestfs_first_private (g, (char **) key_rtn);",
		"Start iterating the private data area: returns the first entry's data and sets *key_rtn, or NULL at the end."},
	{"void *", "guestfs_next_private", "guestfs_h *g, const char **key_rtn", "return NULL;",
		"return (void *) goguestfs_next_private (g, (char **) key_rtn);",
		"Continue iterating the private data area; NULL at the end. The key string belongs to the library and stays valid until that key is set again."},
}
