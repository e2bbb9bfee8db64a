package emit

import (
	"fmt"
	"math"
	"strings"

	"goguestfs/generator/api"
)

func init() { Register("cbindtests", emitCBindtests) }

// CQuote renders bytes as a C string literal (octal escapes for anything
// but printable ASCII).
func CQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c >= 0x20 && c < 0x7f:
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "\\%03o", c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// cInt renders a C integer literal of the given width.
func cInt(n int64, bits int) string {
	switch {
	case bits == 64 && n == math.MinInt64:
		return "INT64_MIN"
	case bits == 64:
		return fmt.Sprintf("INT64_C(%d)", n)
	case n == math.MinInt32:
		return "(-2147483647 - 1)"
	}
	return fmt.Sprintf("%d", n)
}

// cList renders a NULL-terminated string array literal.
func cList(l []string) string {
	parts := []string{}
	for _, s := range l {
		parts = append(parts, CQuote(s))
	}
	parts = append(parts, "NULL")
	return "(char *[]) { " + strings.Join(parts, ", ") + " }"
}

// FindAction returns the action named name, or nil.
func FindAction(t *api.Table, name string) *api.Action {
	for i := range t.Actions {
		if t.Actions[i].Name == name {
			return &t.Actions[i]
		}
	}
	return nil
}

// FindOpt returns the optional argument named name of a, or nil.
func FindOpt(a *api.Action, name string) *api.OptArg {
	for i := range a.OptArgs {
		if a.OptArgs[i].Name == name {
			return &a.OptArgs[i]
		}
	}
	return nil
}

// emitCBindtests writes tests/c/test-bindtests.c: the golden call sequence
// from C. Its output must equal tests/bindtests.golden.
func emitCBindtests(t *api.Table) ([]File, error) {
	var b Buffer
	b.P("%s/* The golden binding test, from C: every call of api.BindTests with\n", CBanner())
	b.P(" * output to a file, which is then copied to stdout; run-tests.sh compares\n * it with tests/bindtests.golden. */\n")
	b.P("#include <stdint.h>\n#include \"tests.h\"\n\nint\nmain (void)\n{\n  guestfs_h *g = quiet_handle ();\n  FILE *fp;\n  int c;\n\n")
	b.P("  CHECK (guestfs_internal_test_set_output (g, \"bindtests.out\") == 0);\n")
	for _, call := range api.BindTests {
		a := FindAction(t, call.Action)
		if a == nil {
			return nil, fmt.Errorf("bindtests: no action %s", call.Action)
		}
		args := []string{"g"}
		for i, arg := range a.Args {
			v := call.Args[i]
			switch arg.Kind {
			case api.OptString:
				if v.Null {
					args = append(args, "NULL")
				} else {
					args = append(args, CQuote(v.Str))
				}
			case api.StringList:
				args = append(args, cList(v.List))
			case api.Bool:
				args = append(args, map[bool]string{true: "1", false: "0"}[v.Bool])
			case api.Int:
				args = append(args, cInt(v.Int, 32))
			case api.Int64:
				args = append(args, cInt(v.Int, 64))
			case api.BufferIn:
				args = append(args, CQuote(string(v.Buffer)), fmt.Sprint(len(v.Buffer)))
			default:
				args = append(args, CQuote(v.Str))
			}
		}
		b.P("  {\n    struct guestfs_%s_argv o = { .bitmask = 0 };\n", a.Name)
		for _, o := range call.Opts {
			opt := FindOpt(a, o.Name)
			if opt == nil {
				return nil, fmt.Errorf("bindtests: %s has no optional argument %s", a.Name, o.Name)
			}
			b.P("    o.bitmask |= %s_%s_BITMASK;\n", OptMacro(a), strings.ToUpper(o.Name))
			var val string
			switch opt.Kind {
			case api.OBool:
				val = map[bool]string{true: "1", false: "0"}[o.Bool]
			case api.OInt:
				val = cInt(o.Int, 32)
			case api.OInt64:
				val = cInt(o.Int, 64)
			case api.OString:
				val = CQuote(o.Str)
			case api.OStringList:
				val = cList(o.List)
			}
			b.P("    o.%s = %s;\n", o.Name, val)
		}
		b.P("    CHECK (guestfs_%s_argv (%s, &o) == 0);\n  }\n", a.Name, strings.Join(args, ", "))
	}
	b.P("  CHECK (guestfs_internal_test_close_output (g) == 0);\n  guestfs_close (g);\n\n")
	b.P("  fp = fopen (\"bindtests.out\", \"r\");\n  CHECK (fp != NULL);\n  while ((c = getc (fp)) != EOF)\n    putchar (c);\n  fclose (fp);\n  printf (\"EOF\\n\");\n  return 0;\n}\n")
	return []File{{Path: "tests/c/test-bindtests.c", Content: b.String()}}, nil
}
