package emit

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"goguestfs/generator/api"
)

// tagLiterals writes every value with its kind, to see which hook the
// walker used for each argument.
var tagLiterals = Literals{
	Str:    func(s string) string { return "S(" + s + ")" },
	Null:   "NULL",
	List:   func(l []string) string { return "L(" + strings.Join(l, ",") + ")" },
	Bool:   func(v bool) string { return fmt.Sprintf("B(%v)", v) },
	Int:    func(n int64, bits int) string { return fmt.Sprintf("I%d(%d)", bits, n) },
	Buffer: func(p []byte) []string { return []string{fmt.Sprintf("X(%q)", p), "len"} },
}

// TestBindTestCalls checks that the walker shared by the C, Python and
// Ruby emitters applies the right hook to every argument kind.
func TestBindTestCalls(t *testing.T) {
	calls, err := BindTestCalls(api.API(), tagLiterals)
	require.NoError(t, err)
	require.Len(t, calls, len(api.BindTests))
	first := calls[0]
	require.Equal(t, "internal_test", first.Action.Name)
	require.Equal(t, []string{"S(abc)", "S(def)", "L()", "B(false)", "I32(0)", "I64(0)",
		"S(123)", "S(456)", `X("abc\x00abc")`, "len"}, first.Args)
	var opts []string
	for _, o := range first.Opts {
		opts = append(opts, o.Opt.Name+"="+o.Value)
	}
	require.Equal(t, []string{"obool=B(true)", "oint=I32(1)", "oint64=I64(9223372036854775807)"}, opts)
	require.Equal(t, "NULL", calls[1].Args[1])
	require.Equal(t, "ostringlist=L(optelem1,optelem2,optelem3)", calls[15].Opts[0].Opt.Name+"="+calls[15].Opts[0].Value)
	require.Equal(t, "ostring=S(string)", calls[1].Opts[1].Opt.Name+"="+calls[1].Opts[1].Value)
	require.Empty(t, calls[17].Args)
	require.Empty(t, calls[17].Opts)
}

// TestBindTestCallsErrors checks that a call that does not fit the table
// is an error of every emitter, never a bad test program.
func TestBindTestCallsErrors(t *testing.T) {
	saved := api.BindTests
	defer func() { api.BindTests = saved }()
	emitters := map[string]func(*api.Table) error{
		"c":      func(t *api.Table) error { _, err := emitCBindtests(t); return err },
		"python": func(t *api.Table) error { _, err := pyBindTests(t); return err },
		"ruby":   func(t *api.Table) error { _, err := rubyBindTests(t); return err },
	}
	for _, tc := range []struct {
		call api.Call
		want string
	}{
		{api.Call{Action: "no_such_action"}, "unknown action no_such_action"},
		{api.Call{Action: "internal_test_rint"}, "internal_test_rint takes 1 arguments, call has 0"},
		{api.Call{Action: "internal_test_only_optargs", Opts: []api.CallOpt{{Name: "nosuch"}}},
			"internal_test_only_optargs has no optional argument nosuch"},
	} {
		api.BindTests = []api.Call{tc.call}
		for name, emit := range emitters {
			require.ErrorContains(t, emit(api.API()), tc.want, name)
		}
	}
}
