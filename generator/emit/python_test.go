package emit

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"goguestfs/generator/api"
)

// TestPyStr checks the Python string literal escaping used in the generated
// bindtests: ASCII out, the same string back when Python reads it.
func TestPyStr(t *testing.T) {
	require.Equal(t, `"abc"`, pyStr("abc"))
	require.Equal(t, `"tab\there\n\"q\" \\"`, pyStr("tab\there\n\"q\" \\"))
	require.Equal(t, `"\u00e9\u65e5\U0001f600\x00"`, pyStr("é日😀\x00"))
	require.Equal(t, `b"abc\x00\xff\"\\"`, pyBytes([]byte("abc\x00\xff\"\\")))
	require.Panics(t, func() { pyStr("\xff") })
}

// TestPythonEmitter checks that every action gets a C wrapper, a method
// table entry, a front method and a stub, and that the golden calls render.
func TestPythonEmitter(t *testing.T) {
	tbl := api.API()
	files, err := emitPython(tbl)
	require.NoError(t, err)
	byPath := map[string]string{}
	for _, f := range files {
		byPath[f.Path] = f.Content
	}
	c, front, stub := byPath["python/src/actions.c"], byPath["python/guestfs/__init__.py"], byPath["python/guestfs/__init__.pyi"]
	for _, a := range tbl.Actions {
		require.Contains(t, front, "\n    def "+a.Name+"(self", a.Name)
		if a.BindingOptArgs != "" {
			// The method calls the target action's C function, and the
			// plain one is not generated.
			require.Contains(t, front, "libguestfsmod."+a.BindingOptArgs+"(self._o", a.Name)
			require.NotContains(t, c, "\npy_"+a.Name+" (PyObject *self, PyObject *args)\n", a.Name)
			continue
		}
		require.Contains(t, c, "\npy_"+a.Name+" (PyObject *self, PyObject *args)\n", a.Name)
		require.Contains(t, c, "{ \""+a.Name+"\", py_"+a.Name+", METH_VARARGS,", a.Name)
		require.Contains(t, stub, "\n    def "+a.Name+"(self", a.Name)
		if len(a.OptArgs) > 0 {
			require.Contains(t, c, "guestfs_"+a.Name+"_argv (g, ", a.Name)
		}
	}
	require.Equal(t, len(api.BindTests), strings.Count(byPath["python/t/bindtests.py"], "\n    g."))
	require.Contains(t, byPath["python/t/bindtests.py"], "oint64=-9223372036854775808")
}

// TestPythonBindtestsErrors checks that a call naming an unknown optional
// argument is rejected by the generator instead of producing a bad script.
func TestPythonBindtestsErrors(t *testing.T) {
	saved := api.BindTests
	defer func() { api.BindTests = saved }()
	api.BindTests = []api.Call{{Action: "internal_test_only_optargs", Opts: []api.CallOpt{{Name: "nosuch"}}}}
	_, err := pyBindTests(api.API())
	require.ErrorContains(t, err, "nosuch")
	api.BindTests = []api.Call{{Action: "no_such_action"}}
	_, err = pyBindTests(api.API())
	require.ErrorContains(t, err, "no_such_action")
}
