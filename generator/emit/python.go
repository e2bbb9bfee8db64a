package emit

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"goguestfs/generator/api"
)

func init() { Register("python", emitPython) }

// emitPython writes the generated parts of the Python binding: the C
// wrappers of every action (python/src/actions.c), the guestfs package front
// (python/guestfs/__init__.py), its type stub (python/guestfs/__init__.pyi)
// and the golden binding-test call sequence (python/t/bindtests.py).
func emitPython(t *api.Table) ([]File, error) {
	for i := range t.Actions {
		a := &t.Actions[i]
		if (a.Ret.Kind == api.RStruct || a.Ret.Kind == api.RStructList) && t.Struct(a.Ret.Struct) == nil {
			return nil, fmt.Errorf("%s: unknown struct %q", a.Name, a.Ret.Struct)
		}
	}
	bt, err := pyBindTests(t)
	if err != nil {
		return nil, err
	}
	return []File{
		{Path: "python/src/actions.c", Content: pyActionsC(t)},
		{Path: "python/guestfs/__init__.py", Content: pyFront(t)},
		{Path: "python/guestfs/__init__.pyi", Content: pyStub(t)},
		{Path: "python/t/bindtests.py", Content: bt},
	}, nil
}

// pyActionsC renders python/src/actions.c.
func pyActionsC(t *api.Table) string {
	var b Buffer
	b.P("%s", CBanner())
	b.P(`/* actions.c: one C function per action of the API table, converting the
 * Python arguments, calling the action with the GIL released and converting
 * the result. The handle, call bracketing and errors are in handle.c.
 */

#define PY_SSIZE_T_CLEAN 1
#include <Python.h>
#include <stdlib.h>
#include <string.h>

#include "guestfs.h"
#include "guestfs-py.h"

`)
	single, list := map[string]bool{}, map[string]bool{}
	for _, a := range t.Actions {
		switch a.Ret.Kind {
		case api.RStruct:
			single[a.Ret.Struct] = true
		case api.RStructList:
			single[a.Ret.Struct] = true
			list[a.Ret.Struct] = true
		}
	}
	for i := range t.Structs {
		s := &t.Structs[i]
		if single[s.Name] {
			pyStructConverters(&b, s, list[s.Name])
		}
	}
	for i := range t.Actions {
		if t.Actions[i].BindingOptArgs == "" { // else the front calls the target's function
			pyActionC(&b, &t.Actions[i])
		}
	}
	b.P("/* The module's action functions, added to libguestfsmod at import. */\n")
	b.P("PyMethodDef guestfs_int_py_action_methods[] = {\n")
	for _, a := range t.Actions {
		if a.BindingOptArgs != "" {
			continue
		}
		b.P("  { %q, py_%s, METH_VARARGS,\n    %s },\n", a.Name, a.Name, cString(a.Name+": "+a.Shortdesc))
	}
	b.P("  { NULL, NULL, 0, NULL }\n};\n")
	return b.String()
}

// cString renders s as a C string literal.
func cString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\n':
			b.WriteString("\\n")
		case c < 0x20 || c >= 0x7f:
			fmt.Fprintf(&b, "\\%03o", c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// pyStructConverters writes the struct -> dict and list -> list-of-dicts
// converters of one struct.
func pyStructConverters(b *Buffer, s *api.Struct, withList bool) {
	b.P("/* Convert a struct guestfs_%s to a dict; NULL with an exception on error. */\n", s.Name)
	b.P("static PyObject *\nguestfs_int_py_put_%s (const struct guestfs_%s *s)\n{\n", s.Name, s.Name)
	b.P("  PyObject *d = PyDict_New ();\n\n  if (d == NULL)\n    return NULL;\n")
	for _, f := range s.Fields {
		var v string
		switch f.Kind {
		case api.FString:
			v = "guestfs_int_py_str_or_none (s->" + f.Name + ")"
		case api.FUUID:
			v = "PyUnicode_FromStringAndSize (s->" + f.Name + ", 32)"
		case api.FBytes, api.FUInt64:
			v = "PyLong_FromUnsignedLongLong (s->" + f.Name + ")"
		case api.FInt64:
			v = "PyLong_FromLongLong (s->" + f.Name + ")"
		case api.FUInt32:
			v = "PyLong_FromUnsignedLong (s->" + f.Name + ")"
		case api.FInt32:
			v = "PyLong_FromLong (s->" + f.Name + ")"
		case api.FChar:
			v = "PyUnicode_FromStringAndSize (&s->" + f.Name + ", 1)"
		case api.FBuffer:
			v = "PyBytes_FromStringAndSize (s->" + f.Name + ", s->" + f.Name + "_len)"
		default:
			panic(fmt.Sprintf("struct %s: unknown field kind %d", s.Name, f.Kind))
		}
		b.P("  if (guestfs_int_py_dict_put (d, %q, %s) == -1) {\n    Py_DECREF (d);\n    return NULL;\n  }\n", f.Name, v)
	}
	b.P("  return d;\n}\n\n")
	if !withList {
		return
	}
	b.P("/* Convert a struct guestfs_%s_list to a list of dicts. */\n", s.Name)
	b.P("static PyObject *\nguestfs_int_py_put_%s_list (const struct guestfs_%s_list *l)\n{\n", s.Name, s.Name)
	b.P("  PyObject *list = PyList_New (l->len);\n  uint32_t i;\n\n  if (list == NULL)\n    return NULL;\n")
	b.P("  for (i = 0; i < l->len; ++i) {\n    PyObject *d = guestfs_int_py_put_%s (&l->val[i]);\n", s.Name)
	b.P("    if (d == NULL) {\n      Py_DECREF (list);\n      return NULL;\n    }\n    PyList_SET_ITEM (list, i, d);\n  }\n  return list;\n}\n\n")
}

// pyActionC writes the C wrapper of one action.
func pyActionC(b *Buffer, a *api.Action) {
	b.P("/* %s: %s */\n", a.Name, a.Shortdesc)
	b.P("static PyObject *\npy_%s (PyObject *self, PyObject *args)\n{\n", a.Name)
	b.P("  PyObject *py_h;\n  guestfs_int_py_call call;\n  guestfs_h *g;\n  PyObject *py_r = NULL;\n")
	format := "O!"
	targets := []string{"&guestfs_int_py_handle_type", "&py_h"}
	var callArgs []string
	var cleanup []string
	for _, arg := range a.Args {
		n := "a_" + arg.Name
		switch arg.Kind {
		case api.String, api.Pathname, api.Device, api.DevOrPath, api.FileIn, api.FileOut:
			b.P("  const char *%s;\n", n)
			format += "s"
			targets = append(targets, "&"+n)
			callArgs = append(callArgs, n)
		case api.OptString:
			b.P("  const char *%s;\n", n)
			format += "z"
			targets = append(targets, "&"+n)
			callArgs = append(callArgs, n)
		case api.StringList:
			b.P("  PyObject *py_%s;\n  char **%s = NULL;\n", arg.Name, n)
			format += "O"
			targets = append(targets, "&py_"+arg.Name)
			callArgs = append(callArgs, n)
			cleanup = append(cleanup, "guestfs_int_py_free_string_list ("+n+");")
		case api.Bool:
			b.P("  int %s;\n", n)
			format += "p"
			targets = append(targets, "&"+n)
			callArgs = append(callArgs, n)
		case api.Int:
			b.P("  int %s;\n", n)
			format += "i"
			targets = append(targets, "&"+n)
			callArgs = append(callArgs, n)
		case api.Int64:
			b.P("  long long %s;\n", n)
			format += "L"
			targets = append(targets, "&"+n)
			callArgs = append(callArgs, "(int64_t) "+n)
		case api.BufferIn:
			b.P("  Py_buffer %s;\n", n)
			format += "y*"
			targets = append(targets, "&"+n)
			callArgs = append(callArgs, n+".buf", "(size_t) "+n+".len")
			cleanup = append(cleanup, "PyBuffer_Release (&"+n+");")
		default:
			panic(fmt.Sprintf("%s: unknown argument kind %d", a.Name, arg.Kind))
		}
	}
	hasOpts := len(a.OptArgs) > 0
	if hasOpts {
		b.P("  struct guestfs_%s_argv optargs_s = { .bitmask = 0 };\n", a.Name)
		for _, o := range a.OptArgs {
			b.P("  PyObject *py_o_%s;\n", o.Name)
			format += "O"
			targets = append(targets, "&py_o_"+o.Name)
			if o.Kind == api.OStringList {
				b.P("  char **o_%s = NULL;\n", o.Name)
				cleanup = append(cleanup, "guestfs_int_py_free_string_list (o_"+o.Name+");")
			}
		}
		callArgs = append(callArgs, "&optargs_s")
	}
	errCond := "r == -1"
	switch a.Ret.Kind {
	case api.RErr, api.RInt, api.RBool:
		b.P("  int r;\n")
	case api.RInt64:
		b.P("  int64_t r;\n")
	case api.RConstString:
		b.P("  const char *r;\n  char *r_copy = NULL;\n")
		errCond = "r == NULL"
	case api.RConstOptString:
		b.P("  const char *r;\n  char *r_copy = NULL;\n")
		errCond = "0"
	case api.RString:
		b.P("  char *r;\n")
		errCond = "r == NULL"
	case api.RStringList, api.RHashtable:
		b.P("  char **r;\n")
		errCond = "r == NULL"
	case api.RStruct:
		b.P("  struct guestfs_%s *r;\n", a.Ret.Struct)
		errCond = "r == NULL"
	case api.RStructList:
		b.P("  struct guestfs_%s_list *r;\n", a.Ret.Struct)
		errCond = "r == NULL"
	case api.RBufferOut:
		b.P("  char *r;\n  size_t size;\n")
		errCond = "r == NULL"
		callArgs = append(callArgs, "&size")
	}
	b.P("\n  (void) self;\n")
	b.P("  if (!PyArg_ParseTuple (args, %q,\n                         %s))\n    return NULL;\n",
		format+":"+a.Name, strings.Join(targets, ", "))
	// Conversions that can fail after parsing.
	for _, arg := range a.Args {
		if arg.Kind == api.StringList {
			b.P("  a_%s = guestfs_int_py_get_string_list (py_%s);\n  if (a_%s == NULL)\n    goto out;\n", arg.Name, arg.Name, arg.Name)
		}
	}
	for _, o := range a.OptArgs {
		up := OptMacro(a) + "_" + strings.ToUpper(o.Name) + "_BITMASK"
		b.P("  if (py_o_%s != Py_None) {\n", o.Name)
		switch o.Kind {
		case api.OBool:
			b.P("    optargs_s.%s = PyObject_IsTrue (py_o_%s);\n    if (optargs_s.%s == -1)\n      goto out;\n", o.Name, o.Name, o.Name)
		case api.OInt:
			b.P("    if (guestfs_int_py_as_int (py_o_%s, %q, &optargs_s.%s) == -1)\n      goto out;\n", o.Name, o.Name, o.Name)
		case api.OInt64:
			b.P("    if (guestfs_int_py_as_int64 (py_o_%s, %q, &optargs_s.%s) == -1)\n      goto out;\n", o.Name, o.Name, o.Name)
		case api.OString:
			b.P("    if (guestfs_int_py_as_string (py_o_%s, %q, &optargs_s.%s) == -1)\n      goto out;\n", o.Name, o.Name, o.Name)
		case api.OStringList:
			b.P("    o_%s = guestfs_int_py_get_string_list (py_o_%s);\n    if (o_%s == NULL)\n      goto out;\n    optargs_s.%s = o_%s;\n", o.Name, o.Name, o.Name, o.Name, o.Name)
		}
		b.P("    optargs_s.bitmask |= %s;\n  }\n", up)
	}
	fn := "guestfs_" + a.Name
	if hasOpts {
		fn += "_argv"
	}
	b.P("\n  g = guestfs_int_py_enter (py_h, &call);\n  if (g == NULL)\n    goto out;\n")
	b.P("  Py_BEGIN_ALLOW_THREADS\n")
	b.P("  r = %s (%s);\n", fn, strings.Join(append([]string{"g"}, callArgs...), ", "))
	if a.Ret.Kind == api.RConstString || a.Ret.Kind == api.RConstOptString {
		// The string belongs to the handle: copy it before another call can
		// replace it.
		b.P("  if (r != NULL)\n    r_copy = strdup (r);\n")
	}
	if errCond != "0" {
		b.P("  if (%s)\n    guestfs_int_py_save_error (&call);\n", errCond)
	}
	b.P("  Py_END_ALLOW_THREADS\n")
	if errCond != "0" {
		b.P("  if (%s) {\n    py_r = guestfs_int_py_leave (&call, NULL);\n    goto out;\n  }\n", errCond)
	}
	switch a.Ret.Kind {
	case api.RErr:
		b.P("  py_r = Py_NewRef (Py_None);\n")
	case api.RInt:
		b.P("  py_r = PyLong_FromLong (r);\n")
	case api.RInt64:
		b.P("  py_r = PyLong_FromLongLong (r);\n")
	case api.RBool:
		b.P("  py_r = PyBool_FromLong (r);\n")
	case api.RConstString:
		b.P("  py_r = r_copy ? PyUnicode_FromString (r_copy) : PyErr_NoMemory ();\n  free (r_copy);\n")
	case api.RConstOptString:
		b.P("  if (r == NULL)\n    py_r = Py_NewRef (Py_None);\n  else {\n    py_r = r_copy ? PyUnicode_FromString (r_copy) : PyErr_NoMemory ();\n    free (r_copy);\n  }\n")
	case api.RString:
		b.P("  py_r = PyUnicode_FromString (r);\n  free (r);\n")
	case api.RStringList:
		b.P("  py_r = guestfs_int_py_put_string_list (r);\n  guestfs_int_py_free_result_strings (r);\n")
	case api.RHashtable:
		b.P("  py_r = guestfs_int_py_put_table (r);\n  guestfs_int_py_free_result_strings (r);\n")
	case api.RStruct:
		b.P("  py_r = guestfs_int_py_put_%s (r);\n  guestfs_free_%s (r);\n", a.Ret.Struct, a.Ret.Struct)
	case api.RStructList:
		b.P("  py_r = guestfs_int_py_put_%s_list (r);\n  guestfs_free_%s_list (r);\n", a.Ret.Struct, a.Ret.Struct)
	case api.RBufferOut:
		b.P("  py_r = PyBytes_FromStringAndSize (r, (Py_ssize_t) size);\n  free (r);\n")
	}
	b.P("  py_r = guestfs_int_py_leave (&call, py_r);\n")
	b.P(" out:\n")
	for _, c := range cleanup {
		b.P("  %s\n", c)
	}
	b.P("  return py_r;\n}\n\n")
}

// pyStr renders s as a Python str literal, escaping everything outside
// printable ASCII so the generated files are plain ASCII.
func pyStr(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString("\\n")
		case r == '\t':
			b.WriteString("\\t")
		case r == utf8.RuneError:
			panic("pyStr: invalid UTF-8 in " + fmt.Sprintf("%q", s))
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, "\\x%02x", r)
		case r < 0x7f:
			b.WriteRune(r)
		case r <= 0xffff:
			fmt.Fprintf(&b, "\\u%04x", r)
		default:
			fmt.Fprintf(&b, "\\U%08x", r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// pyBytes renders bs as a Python bytes literal.
func pyBytes(bs []byte) string {
	var b strings.Builder
	b.WriteString("b\"")
	for _, c := range bs {
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c >= 0x7f:
			fmt.Fprintf(&b, "\\x%02x", c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// pyList renders a list of strings as a Python list literal.
func pyList(l []string) string {
	parts := make([]string, len(l))
	for i, s := range l {
		parts[i] = pyStr(s)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// pyBool renders a Python boolean.
func pyBool(v bool) string {
	if v {
		return "True"
	}
	return "False"
}

// pyDocstring renders a docstring body (without quotes) safely.
func pyDocstring(s string) string {
	s = strings.ReplaceAll(s, "\\", "\\\\")
	return strings.ReplaceAll(s, `"""`, `\"\"\"`)
}

// pyArgType is the type annotation of a required argument.
func pyArgType(k api.ArgKind) string {
	switch k {
	case api.OptString:
		return "Optional[str]"
	case api.StringList:
		return "Sequence[str]"
	case api.Bool:
		return "bool"
	case api.Int, api.Int64:
		return "int"
	case api.BufferIn:
		return "Union[bytes, bytearray, memoryview]"
	}
	return "str"
}

// pyOptType is the type annotation of an optional argument.
func pyOptType(k api.OptKind) string {
	switch k {
	case api.OBool:
		return "Optional[bool]"
	case api.OInt, api.OInt64:
		return "Optional[int]"
	case api.OString:
		return "Optional[str]"
	case api.OStringList:
		return "Optional[Sequence[str]]"
	}
	panic(fmt.Sprintf("unknown optional argument kind %d", k))
}

// pyStructClass is the TypedDict name of a struct in the stub: lvm_pv -> LvmPv.
func pyStructClass(name string) string {
	return Camel(name)
}

// pyRetType is the type annotation of a result.
func pyRetType(r api.Ret) string {
	switch r.Kind {
	case api.RErr:
		return "None"
	case api.RInt, api.RInt64:
		return "int"
	case api.RBool:
		return "bool"
	case api.RConstString, api.RString:
		return "str"
	case api.RConstOptString:
		return "Optional[str]"
	case api.RStringList:
		return "List[str]"
	case api.RStruct:
		return pyStructClass(r.Struct)
	case api.RStructList:
		return "List[" + pyStructClass(r.Struct) + "]"
	case api.RHashtable:
		return "Union[List[Tuple[str, str]], Dict[str, str]]"
	case api.RBufferOut:
		return "bytes"
	}
	panic(fmt.Sprintf("unknown return kind %d", r.Kind))
}

// pyParams returns the Python parameter list of an action after self.
func pyParams(a *api.Action, typed bool) []string {
	var ps []string
	for _, arg := range a.Args {
		if typed {
			ps = append(ps, arg.Name+": "+pyArgType(arg.Kind))
		} else {
			ps = append(ps, arg.Name)
		}
	}
	for _, o := range a.OptArgs {
		if typed {
			ps = append(ps, o.Name+": "+pyOptType(o.Kind)+" = None")
		} else {
			ps = append(ps, o.Name+"=None")
		}
	}
	return ps
}

// pyFront renders python/guestfs/__init__.py.
func pyFront(t *api.Table) string {
	var b Buffer
	b.P("%s", Banner("#"))
	b.P(`"""Python binding of goguestfs, a disk-image library with the libguestfs
programming model that needs no virtual machine.

    import guestfs
    with guestfs.GuestFS(python_return_dict=True) as g:
        print(g.version())

Every action of the API is a method of GuestFS; optional arguments are
keyword arguments (None means "not given"). Errors raise guestfs.Error, a
RuntimeError subclass carrying .errno; using a closed handle raises
guestfs.ClosedHandle, a ValueError subclass.
"""

from . import libguestfsmod
from .libguestfsmod import ClosedHandle, Error, event_to_string

__all__ = ["GuestFS", "ClosedHandle", "Error", "event_to_string",
           "CREATE_NO_ENVIRONMENT", "CREATE_NO_CLOSE_ON_EXIT"]

#: guestfs_create_flags flag: do not parse the environment.
CREATE_NO_ENVIRONMENT = 1
#: guestfs_create_flags flag (kept for compatibility; the binding always
#: closes handles itself, from atexit, unless close_on_exit=False).
CREATE_NO_CLOSE_ON_EXIT = 2

`)
	for _, e := range api.Events {
		b.P("#: %s\nEVENT_%s = 0x%04x\n", e.Doc, strings.ToUpper(e.Name), e.Value)
		b.P("__all__.append(\"EVENT_%s\")\n", strings.ToUpper(e.Name))
	}
	b.P("#: every event class\nEVENT_ALL = 0x%04x\n__all__.append(\"EVENT_ALL\")\n\n", api.EventAll)
	b.P(`_dict = dict


class GuestFS(object):
    """A goguestfs handle.

    GuestFS(python_return_dict=False, environment=True, close_on_exit=True)

    python_return_dict: hash-table results are dicts instead of lists of
    (key, value) tuples. environment: read LIBGUESTFS_* variables at
    creation (parse_environment). close_on_exit: close the handle at
    interpreter exit if it is still open (CLOSE callbacks run, autosync
    runs).
    """

    def __init__(self, python_return_dict=False, environment=True,
                 close_on_exit=True):
        flags = 0
        if not environment:
            flags |= CREATE_NO_ENVIRONMENT
        self._o = libguestfsmod.create(flags, bool(close_on_exit))
        self._python_return_dict = bool(python_return_dict)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        self.close()

    def close(self):
        """Close the handle: autosync, stop the daemon, run the CLOSE
        callbacks and release them. Closing a closed handle does nothing.
        Called from inside a callback, the close happens when the
        outermost call on the handle returns."""
        libguestfsmod.close(self._o)

    def set_event_callback(self, cb, event_bitmask):
        """Register cb for the events in event_bitmask (EVENT_*); returns
        the event handle. cb is called as cb(event, event_handle, buf,
        array), buf being bytes and array a list of ints, on the thread
        running a call on this handle, during that call."""
        return libguestfsmod.set_event_callback(self._o, cb, event_bitmask)

    def delete_event_callback(self, event_handle):
        """Delete the callback registered under event_handle; it is not
        called again. Unknown event handles are ignored."""
        libguestfsmod.delete_event_callback(self._o, event_handle)

    def user_cancel(self):
        """Cancel the transfer running on this handle (from another thread
        or a signal handler); it fails with EINTR. Does nothing when no
        call is running or the handle is closed."""
        libguestfsmod.user_cancel(self._o)

    def _maybe_dict(self, r):
        if self._python_return_dict:
            return _dict(r)
        return r
`)
	for i := range t.Actions {
		a, target := BindingView(t, &t.Actions[i])
		b.P("\n    def %s(self", a.Name)
		for _, p := range pyParams(a, false) {
			b.P(", %s", p)
		}
		b.P("):\n")
		doc := a.Shortdesc + ".\n\n" + a.Longdesc
		if a.Ret.Kind == api.RHashtable {
			doc += "\n\nReturns a list of (key, value) tuples, or a dict if the handle was created with python_return_dict=True."
		}
		if a.DeprecatedBy != "" {
			doc += "\n\nDeprecated: use " + a.DeprecatedBy + " instead."
		}
		b.P("        \"\"\"%s\n        \"\"\"\n", indentDoc(pyDocstring(doc), "        "))
		var args []string
		args = append(args, "self._o")
		for _, arg := range a.Args {
			args = append(args, arg.Name)
		}
		for _, o := range a.OptArgs {
			args = append(args, o.Name)
		}
		call := "libguestfsmod." + target.Name + "(" + strings.Join(args, ", ") + ")"
		if a.Ret.Kind == api.RHashtable {
			b.P("        return self._maybe_dict(%s)\n", call)
		} else {
			b.P("        return %s\n", call)
		}
	}
	return b.String()
}

// indentDoc indents every line but the first of a docstring.
func indentDoc(s, indent string) string {
	lines := strings.Split(s, "\n")
	for i := 1; i < len(lines); i++ {
		if lines[i] != "" {
			lines[i] = indent + lines[i]
		}
	}
	return strings.Join(lines, "\n")
}

// pyStub renders python/guestfs/__init__.pyi.
func pyStub(t *api.Table) string {
	var b Buffer
	b.P("%s", Banner("#"))
	b.P(`"""Type stub of the guestfs package (goguestfs Python binding)."""

from typing import Callable, Dict, List, Optional, Sequence, Tuple, TypedDict, Union

CREATE_NO_ENVIRONMENT: int
CREATE_NO_CLOSE_ON_EXIT: int
`)
	for _, e := range api.Events {
		b.P("EVENT_%s: int\n", strings.ToUpper(e.Name))
	}
	b.P(`EVENT_ALL: int

class ClosedHandle(ValueError): ...

class Error(RuntimeError):
    errno: int

def event_to_string(events: int) -> str: ...

EventCallback = Callable[[int, int, bytes, List[int]], object]

`)
	for _, s := range t.Structs {
		b.P("class %s(TypedDict):\n", pyStructClass(s.Name))
		for _, f := range s.Fields {
			typ := "int"
			switch f.Kind {
			case api.FString, api.FUUID, api.FChar:
				typ = "str"
			case api.FBuffer:
				typ = "bytes"
			}
			b.P("    %s: %s\n", f.Name, typ)
		}
		b.P("\n")
	}
	b.P(`class GuestFS:
    def __init__(self, python_return_dict: bool = False, environment: bool = True, close_on_exit: bool = True) -> None: ...
    def __enter__(self) -> "GuestFS": ...
    def __exit__(self, exc_type: object, exc_value: object, traceback: object) -> None: ...
    def close(self) -> None: ...
    def set_event_callback(self, cb: EventCallback, event_bitmask: int) -> int: ...
    def delete_event_callback(self, event_handle: int) -> None: ...
    def user_cancel(self) -> None: ...
`)
	for i := range t.Actions {
		a, _ := BindingView(t, &t.Actions[i])
		params := append([]string{"self"}, pyParams(a, true)...)
		b.P("    def %s(%s) -> %s: ...\n", a.Name, strings.Join(params, ", "), pyRetType(a.Ret))
	}
	return b.String()
}

// pyLiterals writes binding-test values in Python.
var pyLiterals = Literals{
	Str:    pyStr,
	Null:   "None",
	List:   pyList,
	Bool:   pyBool,
	Int:    func(n int64, bits int) string { return fmt.Sprint(n) },
	Buffer: func(p []byte) []string { return []string{pyBytes(p)} },
}

// pyBindTests renders python/t/bindtests.py: api.BindTests as Python calls.
func pyBindTests(t *api.Table) (string, error) {
	calls, err := BindTestCalls(t, pyLiterals)
	if err != nil {
		return "", err
	}
	var b Buffer
	b.P("%s", Banner("#"))
	b.P(`"""The golden binding-test call sequence (api.BindTests) in Python.

run(g) makes the calls on handle g; their output must equal
tests/bindtests.golden byte for byte.
"""


def run(g):
`)
	for _, c := range calls {
		args := c.Args
		for _, o := range c.Opts {
			args = append(args, o.Opt.Name+"="+o.Value)
		}
		b.P("    g.%s(%s)\n", c.Action.Name, strings.Join(args, ", "))
	}
	return b.String(), nil
}
