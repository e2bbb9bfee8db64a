package emit

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"goguestfs/generator/api"
)

func init() { Register("ruby", emitRuby) }

// emitRuby writes the generated part of the Ruby binding: the action
// methods of the C extension (ruby/ext/guestfs/actions.c, with RDoc comments
// from the table) and the golden binding-test calls in Ruby syntax
// (ruby/t/bindtests_calls.rb).
func emitRuby(t *api.Table) ([]File, error) {
	c, err := rubyActionsC(t)
	if err != nil {
		return nil, err
	}
	calls, err := rubyBindTests(t)
	if err != nil {
		return nil, err
	}
	return []File{
		{Path: "ruby/ext/guestfs/actions.c", Content: c},
		{Path: "ruby/t/bindtests_calls.rb", Content: calls},
	}, nil
}

var backtick = regexp.MustCompile("`([^`]*)`")

// rdoc turns a table description (Markdown) into the lines of an RDoc
// comment inside a C block comment.
func rdoc(text string) []string {
	text = backtick.ReplaceAllString(text, "<tt>$1</tt>")
	text = strings.ReplaceAll(text, "*/", "* /")
	var lines []string
	for _, para := range strings.Split(text, "\n") {
		words := strings.Fields(para)
		if len(words) == 0 {
			lines = append(lines, "")
			continue
		}
		line := ""
		for _, w := range words {
			if line != "" && len(line)+1+len(w) > 72 {
				lines = append(lines, line)
				line = ""
			}
			if line != "" {
				line += " "
			}
			line += w
		}
		lines = append(lines, line)
	}
	return lines
}

// rubyRetDoc is the Ruby type of an action's result, for call-seq.
func rubyRetDoc(r api.Ret) string {
	switch r.Kind {
	case api.RErr:
		return "nil"
	case api.RInt, api.RInt64:
		return "Integer"
	case api.RBool:
		return "Integer (1/0; true/false with ruby_bool: true)"
	case api.RConstString, api.RString:
		return "String"
	case api.RConstOptString:
		return "String or nil"
	case api.RStringList:
		return "Array of Strings"
	case api.RStruct:
		return "Hash (struct " + r.Struct + ")"
	case api.RStructList:
		return "Array of Hashes (struct " + r.Struct + ")"
	case api.RHashtable:
		return "Hash"
	case api.RBufferOut:
		return "String (binary)"
	}
	panic(fmt.Sprintf("unknown return kind %d", r.Kind))
}

// rubyResultField is the C type of the result slot in an action's
// argument block.
func rubyResultField(r api.Ret) string {
	switch r.Kind {
	case api.RErr, api.RInt, api.RBool:
		return "int r"
	case api.RInt64:
		return "int64_t r"
	case api.RConstString, api.RConstOptString, api.RString, api.RBufferOut:
		return "char *r"
	case api.RStringList, api.RHashtable:
		return "char **r"
	case api.RStruct:
		return "struct guestfs_" + r.Struct + " *r"
	case api.RStructList:
		return "struct guestfs_" + r.Struct + "_list *r"
	}
	panic(fmt.Sprintf("unknown return kind %d", r.Kind))
}

func rubyActionsC(t *api.Table) (string, error) {
	var b Buffer
	b.P("%s", CBanner())
	b.P(`/* actions.c: the Ruby methods of every action in the API table, the
 * event constants and the struct converters. Each method converts its
 * arguments (raising before anything is called), runs the guestfs_* call
 * without the GVL (rbg_call_run), then converts and frees the result.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <ruby.h>

#include "rbguestfs.h"

`)
	for _, s := range t.Structs {
		rubyStruct(&b, &s)
	}
	for i := range t.Actions {
		if t.Actions[i].BindingOptArgs != "" {
			continue // its method is the target action's (see BindingView)
		}
		if err := rubyAction(&b, t, &t.Actions[i]); err != nil {
			return "", err
		}
	}
	b.P("/* Define the action methods and the event constants. */\nvoid\nrbg_init_actions (void)\n{\n")
	// Looked up again here (they exist already) so that RDoc, which parses
	// each file on its own, knows which class the methods belong to.
	b.P("  VALUE m_guestfs = rb_define_module (\"Guestfs\");\n")
	b.P("  VALUE c_guestfs = rb_define_class_under (m_guestfs, \"Guestfs\", rb_cObject);\n\n")
	for _, e := range api.Events {
		b.P("  /* %s */\n", e.Doc)
		b.P("  rb_define_const (m_guestfs, \"EVENT_%s\", ULL2NUM (UINT64_C (0x%x)));\n", strings.ToUpper(e.Name), e.Value)
	}
	b.P("  /* every event */\n")
	b.P("  rb_define_const (m_guestfs, \"EVENT_ALL\", ULL2NUM (UINT64_C (0x%x)));\n\n", api.EventAll)
	for i := range t.Actions {
		a, target := BindingView(t, &t.Actions[i])
		arity := len(a.Args)
		if len(a.OptArgs) > 0 {
			arity = -1
		}
		b.P("  rb_define_method (c_guestfs, \"%s\", rbg_%s, %d);\n", a.Name, target.Name, arity)
	}
	b.P("}\n")
	return b.String(), nil
}

// rubyStruct writes the converters of one struct to a Hash and of a list
// to an Array of Hashes; the _take variants also free the C value.
func rubyStruct(b *Buffer, s *api.Struct) {
	b.P("/* struct guestfs_%s -> Hash (String keys, as libguestfs). */\n", s.Name)
	b.P("static VALUE\nrbgs_%s (const struct guestfs_%s *s)\n{\n  VALUE h = rb_hash_new ();\n", s.Name, s.Name)
	for _, f := range s.Fields {
		var v string
		switch f.Kind {
		case api.FString:
			v = "rbg_str_new (s->" + f.Name + ")"
		case api.FUUID:
			v = "rb_str_new (s->" + f.Name + ", 32)"
		case api.FBytes, api.FUInt64:
			v = "ULL2NUM (s->" + f.Name + ")"
		case api.FInt64:
			v = "LL2NUM (s->" + f.Name + ")"
		case api.FUInt32:
			v = "UINT2NUM (s->" + f.Name + ")"
		case api.FInt32:
			v = "INT2NUM (s->" + f.Name + ")"
		case api.FChar:
			v = "rb_str_new (&s->" + f.Name + ", 1)"
		case api.FBuffer:
			v = "rb_str_new (s->" + f.Name + ", s->" + f.Name + "_len)"
		default:
			panic(fmt.Sprintf("struct %s: unknown field kind %d", s.Name, f.Kind))
		}
		b.P("  rb_hash_aset (h, rb_str_new_cstr (\"%s\"), %s);\n", f.Name, v)
	}
	b.P("  return h;\n}\n\n")
	b.P(`static VALUE
rbgs_%[1]s_body (VALUE p)
{
  return rbgs_%[1]s ((const struct guestfs_%[1]s *) p);
}

static VALUE
rbgs_%[1]s_free (VALUE p)
{
  guestfs_free_%[1]s ((struct guestfs_%[1]s *) p);
  return Qnil;
}

/* Convert and free a struct guestfs_%[1]s. */
static VALUE __attribute__ ((unused))
rbgs_%[1]s_take (struct guestfs_%[1]s *s)
{
  return rb_ensure (rbgs_%[1]s_body, (VALUE) s, rbgs_%[1]s_free, (VALUE) s);
}

static VALUE
rbgs_%[1]s_list_body (VALUE p)
{
  const struct guestfs_%[1]s_list *l = (const struct guestfs_%[1]s_list *) p;
  VALUE a = rb_ary_new_capa ((long) l->len);
  uint32_t i;
  for (i = 0; i < l->len; ++i)
    rb_ary_push (a, rbgs_%[1]s (&l->val[i]));
  return a;
}

static VALUE
rbgs_%[1]s_list_free (VALUE p)
{
  guestfs_free_%[1]s_list ((struct guestfs_%[1]s_list *) p);
  return Qnil;
}

/* Convert and free a struct guestfs_%[1]s_list. */
static VALUE __attribute__ ((unused))
rbgs_%[1]s_list_take (struct guestfs_%[1]s_list *l)
{
  return rb_ensure (rbgs_%[1]s_list_body, (VALUE) l, rbgs_%[1]s_list_free, (VALUE) l);
}

`, s.Name)
}

// rubyAction writes the argument block, the no-GVL function and the method
// of one action.
func rubyAction(b *Buffer, t *api.Table, a *api.Action) error {
	if (a.Ret.Kind == api.RStruct || a.Ret.Kind == api.RStructList) && t.Struct(a.Ret.Struct) == nil {
		return fmt.Errorf("%s: unknown struct %q", a.Name, a.Ret.Struct)
	}
	n := a.Name
	// Argument block.
	b.P("/* %s */\nstruct rbga_%s {\n", n, n)
	for _, arg := range a.Args {
		switch arg.Kind {
		case api.StringList:
			b.P("  char **%s;\n", arg.Name)
		case api.Bool, api.Int:
			b.P("  int %s;\n", arg.Name)
		case api.Int64:
			b.P("  int64_t %s;\n", arg.Name)
		case api.BufferIn:
			b.P("  const char *%s;\n  size_t %s_size;\n", arg.Name, arg.Name)
		default:
			b.P("  const char *%s;\n", arg.Name)
		}
	}
	if len(a.OptArgs) > 0 {
		b.P("  struct guestfs_%s_argv optargs;\n", n)
	}
	b.P("  %s;\n", rubyResultField(a.Ret))
	if a.Ret.Kind == api.RBufferOut {
		b.P("  size_t size;\n")
	}
	b.P("};\n\n")

	// The no-GVL function.
	var cargs []string
	for _, arg := range a.Args {
		switch arg.Kind {
		case api.StringList:
			cargs = append(cargs, "(char *const *) a->"+arg.Name)
		case api.BufferIn:
			cargs = append(cargs, "a->"+arg.Name, "a->"+arg.Name+"_size")
		default:
			cargs = append(cargs, "a->"+arg.Name)
		}
	}
	if a.Ret.Kind == api.RBufferOut {
		cargs = append(cargs, "&a->size")
	}
	fname := "guestfs_" + n
	if len(a.OptArgs) > 0 {
		fname += "_argv"
		cargs = append(cargs, "&a->optargs")
	}
	call := fmt.Sprintf("%s (%s)", fname, strings.Join(append([]string{"c->g"}, cargs...), ", "))
	b.P("static void\nrbgf_%s (struct rbg_call *c)\n{\n  struct rbga_%s *a = c->data;\n", n, n)
	switch a.Ret.Kind {
	case api.RErr, api.RInt, api.RBool, api.RInt64:
		b.P("  a->r = %s;\n  if (a->r == -1)\n    rbg_call_failed (c);\n", call)
	case api.RConstString, api.RConstOptString:
		// The string belongs to the handle, which a deferred close may free
		// before the method converts it: copy it now.
		b.P("  const char *s = %s;\n", call)
		if a.Ret.Kind == api.RConstString {
			b.P("  if (s == NULL) {\n    rbg_call_failed (c);\n    return;\n  }\n")
		} else {
			b.P("  if (s == NULL)\n    return;                      /* no value (not an error) */\n")
		}
		b.P("  a->r = strdup (s);\n  if (a->r == NULL) {\n    c->failed = 1;\n    c->errnum = ENOMEM;\n  }\n")
	default:
		b.P("  a->r = %s;\n  if (a->r == NULL)\n    rbg_call_failed (c);\n", call)
	}
	b.P("}\n\n")

	// RDoc.
	var params []string
	for _, arg := range a.Args {
		params = append(params, arg.Name)
	}
	sig := strings.Join(params, ", ")
	b.P("/*\n * call-seq:\n")
	if len(a.OptArgs) > 0 {
		var on []string
		for _, o := range a.OptArgs {
			on = append(on, o.Name+": ...")
		}
		full := sig
		if full != "" {
			full += ", "
		}
		b.P(" *   g.%s(%s) -> %s\n", n, sig, rubyRetDoc(a.Ret))
		if len(on) > 4 {
			on = append(on[:3], "...")
		}
		b.P(" *   g.%s(%s{%s}) -> %s\n", n, full, strings.Join(on, ", "), rubyRetDoc(a.Ret))
	} else {
		b.P(" *   g.%s(%s) -> %s\n", n, sig, rubyRetDoc(a.Ret))
	}
	b.P(" *\n")
	for _, l := range rdoc(a.Shortdesc) {
		b.P(" * %s\n", strings.TrimRight(l, " "))
	}
	b.P(" *\n")
	for _, l := range rdoc(a.Longdesc) {
		if l == "" {
			b.P(" *\n")
		} else {
			b.P(" * %s\n", l)
		}
	}
	if len(a.OptArgs) > 0 {
		var on []string
		for _, o := range a.OptArgs {
			on = append(on, "+"+o.Name+"+")
		}
		b.P(" *\n")
		for _, l := range rdoc("Optional arguments (a Hash with Symbol or String keys; nil values are ignored): " + strings.Join(on, ", ") + ".") {
			b.P(" * %s\n", l)
		}
	}
	if a.DeprecatedBy != "" {
		b.P(" *\n * Deprecated: use #%s instead.\n", a.DeprecatedBy)
	}
	b.P(" */\n")

	// The method.
	if len(a.OptArgs) > 0 {
		b.P("static VALUE\nrbg_%s (int argc, VALUE *argv, VALUE self)\n{\n", n)
	} else {
		ps := []string{"VALUE self"}
		for _, arg := range a.Args {
			ps = append(ps, "VALUE "+arg.Name+"v")
		}
		b.P("static VALUE\nrbg_%s (%s)\n{\n", n, strings.Join(ps, ", "))
	}
	b.P("  struct rbga_%s a;\n  struct rbg_call c;\n  VALUE keep = rb_ary_new ();\n", n)
	switch a.Ret.Kind {
	case api.RConstString, api.RConstOptString, api.RString, api.RBufferOut:
		if len(a.OptArgs) == 0 {
			b.P("  VALUE v;\n")
		}
	}
	if len(a.OptArgs) > 0 {
		for _, arg := range a.Args {
			b.P("  VALUE %sv;\n", arg.Name)
		}
		b.P("  VALUE optargsv = Qnil, v;\n")
		b.P("  static const char *const optnames[] = {")
		for i, o := range a.OptArgs {
			if i > 0 {
				b.P(", ")
			}
			b.P("\"%s\"", o.Name)
		}
		b.P("};\n\n")
		na := len(a.Args)
		// Ruby's own message: "wrong number of arguments (given 3, expected 1..2)".
		b.P("  rb_check_arity (argc, %d, %d);\n", na, na+1)
		for i, arg := range a.Args {
			b.P("  %sv = argv[%d];\n", arg.Name, i)
		}
		b.P("  if (argc == %d)\n    optargsv = argv[%d];\n", na+1, na)
		b.P("  optargsv = rbg_optargs (optargsv, optnames, %d);\n", len(a.OptArgs))
	}
	// Every conversion is Ruby's own (see rbguestfs.h), so a wrong argument
	// raises the TypeError, ArgumentError or RangeError a core method would.
	b.P("\n  memset (&a, 0, sizeof a);\n")
	for _, arg := range a.Args {
		switch arg.Kind {
		case api.OptString:
			b.P("  a.%s = rbg_optcstr (%sv, keep);\n", arg.Name, arg.Name)
		case api.StringList:
			b.P("  a.%s = rbg_strlist (%sv, keep);\n", arg.Name, arg.Name)
		case api.Bool:
			b.P("  a.%s = rbg_bool (%sv);\n", arg.Name, arg.Name)
		case api.Int:
			b.P("  a.%s = NUM2INT (%sv);\n", arg.Name, arg.Name)
		case api.Int64:
			b.P("  a.%s = NUM2LL (%sv);\n", arg.Name, arg.Name)
		case api.BufferIn:
			b.P("  a.%s = rbg_buffer (%sv, keep, &a.%s_size);\n", arg.Name, arg.Name, arg.Name)
		default:
			b.P("  a.%s = rbg_cstr (%sv, keep);\n", arg.Name, arg.Name)
		}
	}
	for _, o := range a.OptArgs {
		b.P("  v = rbg_optarg (optargsv, \"%s\");\n  if (!NIL_P (v)) {\n", o.Name)
		switch o.Kind {
		case api.OBool:
			b.P("    a.optargs.%s = rbg_bool (v);\n", o.Name)
		case api.OInt:
			b.P("    a.optargs.%s = NUM2INT (v);\n", o.Name)
		case api.OInt64:
			b.P("    a.optargs.%s = NUM2LL (v);\n", o.Name)
		case api.OString:
			b.P("    a.optargs.%s = rbg_cstr (v, keep);\n", o.Name)
		case api.OStringList:
			b.P("    a.optargs.%s = (char *const *) rbg_strlist (v, keep);\n", o.Name)
		default:
			return fmt.Errorf("%s: unknown optional argument kind %d", n, o.Kind)
		}
		b.P("    a.optargs.bitmask |= %s_%s_BITMASK;\n  }\n", OptMacro(a), strings.ToUpper(o.Name))
	}
	b.P("\n  rbg_call_init (&c, self, \"%s\", rbgf_%s, &a);\n", n, n)
	b.P("  rbg_call_run (&c);\n  RB_GC_GUARD (keep);\n  if (rbg_call_check (&c)) {\n")
	switch a.Ret.Kind {
	case api.RConstString, api.RConstOptString, api.RString, api.RBufferOut:
		b.P("    if (!c.failed)\n      free (a.r);\n")
	case api.RStringList, api.RHashtable:
		b.P("    if (!c.failed)\n      rbg_free_strlist (a.r);\n")
	case api.RStruct:
		b.P("    if (!c.failed)\n      guestfs_free_%s (a.r);\n", a.Ret.Struct)
	case api.RStructList:
		b.P("    if (!c.failed)\n      guestfs_free_%s_list (a.r);\n", a.Ret.Struct)
	}
	b.P("    rbg_call_raise (&c);\n  }\n")
	switch a.Ret.Kind {
	case api.RErr:
		b.P("  return Qnil;\n")
	case api.RInt:
		b.P("  return INT2NUM (a.r);\n")
	case api.RInt64:
		b.P("  return LL2NUM (a.r);\n")
	case api.RBool:
		b.P("  if (rbg_handle_ruby_bool (c.h))\n    return a.r ? Qtrue : Qfalse;\n  return INT2NUM (a.r);\n")
	case api.RConstString, api.RString:
		b.P("  v = rbg_str_new (a.r);\n  free (a.r);\n  return v;\n")
	case api.RConstOptString:
		b.P("  if (a.r == NULL)\n    return Qnil;\n  v = rbg_str_new (a.r);\n  free (a.r);\n  return v;\n")
	case api.RStringList:
		b.P("  return rbg_strlist_value (a.r);\n")
	case api.RHashtable:
		b.P("  return rbg_hashtable_value (a.r);\n")
	case api.RStruct:
		b.P("  return rbgs_%s_take (a.r);\n", a.Ret.Struct)
	case api.RStructList:
		b.P("  return rbgs_%s_list_take (a.r);\n", a.Ret.Struct)
	case api.RBufferOut:
		b.P("  v = rb_str_new (a.r, (long) a.size);\n  free (a.r);\n  return v;\n")
	}
	b.P("}\n\n")
	return nil
}

// rubyStr renders s as a Ruby double-quoted string literal.
func rubyStr(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, "\\x%02x", s[i])
		case r == '"' || r == '\\' || r == '#':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\t':
			b.WriteString("\\t")
		case r == '\n':
			b.WriteString("\\n")
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, "\\x%02x", r)
		case r < 0x80:
			b.WriteRune(r)
		default:
			fmt.Fprintf(&b, "\\u{%x}", r)
		}
		i += size
	}
	b.WriteByte('"')
	return b.String()
}

// rubyBytes renders a byte buffer as a binary Ruby String literal.
func rubyBytes(p []byte) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, c := range p {
		switch {
		case c == '"' || c == '\\' || c == '#':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c >= 0x20 && c < 0x7f:
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "\\x%02x", c)
		}
	}
	b.WriteString("\".b")
	return b.String()
}

func rubyStrList(l []string) string {
	var parts []string
	for _, s := range l {
		parts = append(parts, rubyStr(s))
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// rubyLiterals writes binding-test values in Ruby.
var rubyLiterals = Literals{
	Str:    rubyStr,
	Null:   "nil",
	List:   rubyStrList,
	Bool:   func(v bool) string { return fmt.Sprint(v) },
	Int:    func(n int64, bits int) string { return fmt.Sprint(n) },
	Buffer: func(p []byte) []string { return []string{rubyBytes(p)} },
}

// rubyBindTests renders api.BindTests as a Ruby method.
func rubyBindTests(t *api.Table) (string, error) {
	calls, err := BindTestCalls(t, rubyLiterals)
	if err != nil {
		return "", err
	}
	var b Buffer
	b.P("%s", Banner("#"))
	b.P(`# The golden binding-test calls (api.BindTests) in Ruby syntax. Their
# output must equal tests/bindtests.golden byte for byte.

module BindTests
  # Make every call of the golden sequence on the handle g.
  def self.run(g)
`)
	for _, c := range calls {
		args := c.Args
		if len(c.Opts) > 0 {
			var opts []string
			for _, o := range c.Opts {
				opts = append(opts, o.Opt.Name+": "+o.Value)
			}
			args = append(args, "{"+strings.Join(opts, ", ")+"}")
		}
		b.P("    g.%s(%s)\n", c.Action.Name, strings.Join(args, ", "))
	}
	b.P("  end\nend\n")
	return b.String(), nil
}
