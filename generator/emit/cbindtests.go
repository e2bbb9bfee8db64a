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

// cLiterals writes binding-test values in C. A buffer is two arguments:
// its bytes and their count.
var cLiterals = Literals{
	Str:    CQuote,
	Null:   "NULL",
	List:   cList,
	Bool:   func(v bool) string { return map[bool]string{true: "1", false: "0"}[v] },
	Int:    cInt,
	Buffer: func(p []byte) []string { return []string{CQuote(string(p)), fmt.Sprint(len(p))} },
}

// emitCBindtests writes tests/c/test-bindtests.c: the golden call sequence
// from C. Its output must equal tests/bindtests.golden.
func emitCBindtests(t *api.Table) ([]File, error) {
	var b Buffer
	b.P("%s/* The golden binding test, from C: every call of api.BindTests with\n", CBanner())
	b.P(" * output to a file, which is then copied to stdout; run-tests.sh compares\n * it with tests/bindtests.golden. */\n")
	b.P("#include <stdint.h>\n#include \"tests.h\"\n\nint\nmain (void)\n{\n  guestfs_h *g = quiet_handle ();\n  FILE *fp;\n  int c;\n\n")
	b.P("  CHECK (guestfs_internal_test_set_output (g, \"bindtests.out\") == 0);\n")
	calls, err := BindTestCalls(t, cLiterals)
	if err != nil {
		return nil, err
	}
	for _, c := range calls {
		a := c.Action
		b.P("  {\n    struct guestfs_%s_argv o = { .bitmask = 0 };\n", a.Name)
		for _, o := range c.Opts {
			b.P("    o.bitmask |= %s_%s_BITMASK;\n", OptMacro(a), strings.ToUpper(o.Opt.Name))
			b.P("    o.%s = %s;\n", o.Opt.Name, o.Value)
		}
		b.P("    CHECK (guestfs_%s_argv (%s, &o) == 0);\n  }\n", a.Name, strings.Join(append([]string{"g"}, c.Args...), ", "))
	}
	b.P("  CHECK (guestfs_internal_test_close_output (g) == 0);\n  guestfs_close (g);\n\n")
	b.P("  fp = fopen (\"bindtests.out\", \"r\");\n  CHECK (fp != NULL);\n  while ((c = getc (fp)) != EOF)\n    putchar (c);\n  fclose (fp);\n  printf (\"EOF\\n\");\n  return 0;\n}\n")
	return []File{{Path: "tests/c/test-bindtests.c", Content: b.String()}}, nil
}
