package emit

import (
	"fmt"
	"sort"
	"strings"

	"goguestfs/generator/api"
)

func init() { Register("bridge", emitBridge) }

// exportName is the private cgo export behind an action's C functions.
func exportName(a *api.Action) string { return "goguestfs_a_" + a.Name }

func emitBridge(t *api.Table) ([]File, error) {
	return []File{
		{Path: "bridge/capi.c", Content: bridgeCAPI()},
		{Path: "bridge/actions.c", Content: bridgeActionsC(t)},
		{Path: "bridge/structs.c", Content: bridgeStructsC(t)},
		{Path: "bridge/actions_gen.go", Content: bridgeActionsGo(t)},
	}, nil
}

// bridgeCAPI writes the non-action public functions and event_to_string.
func bridgeCAPI() string {
	var b Buffer
	b.P("%s\n#include <stdio.h>\n#include <string.h>\n#include \"handle.h\"\n#include \"_cgo_export.h\"\n\n", CBanner())
	evs := append([]api.Event(nil), api.Events...)
	sort.Slice(evs, func(i, j int) bool { return evs[i].Name < evs[j].Name })
	b.P("/* Event names in alphabetical order, for guestfs_event_to_string. */\n")
	b.P("static const struct { uint64_t bit; const char *name; } event_names[] = {\n")
	for _, e := range evs {
		b.P("  { 0x%x, %q },\n", e.Value, e.Name)
	}
	b.P("};\n\n")
	b.P(`char *
goguestfs_event_to_string_c (uint64_t event)
{
  size_t i, len = 1;
  char *s;

  for (i = 0; i < sizeof event_names / sizeof event_names[0]; ++i)
    if (event & event_names[i].bit)
      len += strlen (event_names[i].name) + 1;
  s = malloc (len);
  if (s == NULL)
    return NULL;
  s[0] = '\0';
  for (i = 0; i < sizeof event_names / sizeof event_names[0]; ++i)
    if (event & event_names[i].bit) {
      if (s[0] != '\0')
        strcat (s, ",");
      strcat (s, event_names[i].name);
    }
  return s;
}

`)
	for _, f := range api.CFuncs {
		b.P("%s\n%s (%s)\n{\n", strings.TrimSpace(f.Ret), f.Name, f.Params)
		if f.InChild != "" {
			b.P("  if (GOGUESTFS_IN_CHILD (g)) {\n    %s\n  }\n", f.InChild)
		}
		b.P("  %s\n}\n\n", f.Body)
	}
	return b.String()
}

// exportArgs are the C arguments passed from a wrapper to the export.
func exportArgs(a *api.Action) []string {
	args := []string{"g"}
	for _, p := range CParams(a) {
		switch p[0] {
		case "const char *":
			args = append(args, "(char *) "+p[1])
		case "char *const *":
			args = append(args, "(char **) "+p[1])
		default:
			args = append(args, p[1])
		}
	}
	if len(a.OptArgs) > 0 {
		args = append(args, fmt.Sprintf("(struct guestfs_%s_argv *) optargs", a.Name))
	}
	return args
}

// bridgeActionsC writes the C definitions of every action: the fork check,
// the varargs-to-argv conversion, and the call to the export.
func bridgeActionsC(t *api.Table) string {
	var b Buffer
	b.P("%s\n#include \"handle.h\"\n#include \"_cgo_export.h\"\n\n", CBanner())
	for i := range t.Actions {
		a := &t.Actions[i]
		ret := spaced(CRetType(a.Ret))
		params := CParamList(CParams(a))
		call := fmt.Sprintf("%s (%s)", exportName(a), strings.Join(exportArgs(a), ", "))
		if len(a.OptArgs) == 0 {
			b.P("%s\nguestfs_%s (%s)\n{\n", strings.TrimSpace(ret), a.Name, params)
			b.P("  if (GOGUESTFS_IN_CHILD (g)) {\n    goguestfs_fork_error (g);\n    return %s;\n  }\n", CErrorValue(a.Ret))
			b.P("  return %s;\n}\n\n", call)
			continue
		}
		names := []string{"g"}
		for _, p := range CParams(a) {
			names = append(names, p[1])
		}
		last := names[len(names)-1]
		b.P("%s\nguestfs_%s_argv (%s, const struct guestfs_%s_argv *optargs)\n{\n", strings.TrimSpace(ret), a.Name, params, a.Name)
		b.P("  if (GOGUESTFS_IN_CHILD (g)) {\n    goguestfs_fork_error (g);\n    return %s;\n  }\n", CErrorValue(a.Ret))
		b.P("  return %s;\n}\n\n", call)

		b.P("%s\nguestfs_%s_va (%s, va_list args)\n{\n", strings.TrimSpace(ret), a.Name, params)
		b.P("  struct guestfs_%s_argv optargs_s = { .bitmask = 0 };\n  int i;\n  uint64_t i_mask;\n\n", a.Name)
		b.P("  if (GOGUESTFS_IN_CHILD (g)) {\n    goguestfs_fork_error (g);\n    return %s;\n  }\n", CErrorValue(a.Ret))
		b.P("  while ((i = va_arg (args, int)) >= 0) {\n    switch (i) {\n")
		for j, o := range a.OptArgs {
			va := "int"
			switch o.Kind {
			case api.OInt64:
				va = "int64_t"
			case api.OString:
				va = "const char *"
			case api.OStringList:
				va = "char *const *"
			}
			b.P("    case %d: optargs_s.%s = va_arg (args, %s); break;\n", j, o.Name, va)
		}
		b.P("    default:\n      goguestfs_errorf (g, %q, EINVAL, \"unknown option %%d (the program was built against a newer guestfs.h)\", i);\n      return %s;\n    }\n", a.Name, CErrorValue(a.Ret))
		b.P("    i_mask = UINT64_C(1) << i;\n    if (optargs_s.bitmask & i_mask) {\n")
		b.P("      goguestfs_errorf (g, %q, EINVAL, \"optional argument %%d given more than once\", i);\n      return %s;\n    }\n", a.Name, CErrorValue(a.Ret))
		b.P("    optargs_s.bitmask |= i_mask;\n  }\n")
		b.P("  return guestfs_%s_argv (%s, &optargs_s);\n}\n\n", a.Name, strings.Join(names, ", "))

		b.P("%s\nguestfs_%s (%s, ...)\n{\n  va_list args;\n  %sr;\n\n", strings.TrimSpace(ret), a.Name, params, ret)
		b.P("  va_start (args, %s);\n  r = guestfs_%s_va (%s, args);\n  va_end (args);\n  return r;\n}\n\n", last, a.Name, strings.Join(names, ", "))
	}
	return b.String()
}

// bridgeStructsC writes the guestfs_free_* functions.
func bridgeStructsC(t *api.Table) string {
	var b Buffer
	b.P("%s\n#include <stdlib.h>\n#include \"guestfs.h\"\n\n", CBanner())
	for _, s := range t.Structs {
		b.P("static void\nfree_%s_fields (struct guestfs_%s *x)\n{\n", s.Name, s.Name)
		for _, f := range s.Fields {
			if f.Kind == api.FString || f.Kind == api.FBuffer {
				b.P("  free (x->%s);\n", f.Name)
			}
		}
		b.P("  (void) x;\n}\n\n")
		b.P("void\nguestfs_free_%s (struct guestfs_%s *x)\n{\n  if (x == NULL)\n    return;\n  free_%s_fields (x);\n  free (x);\n}\n\n", s.Name, s.Name, s.Name)
		b.P("void\nguestfs_free_%s_list (struct guestfs_%s_list *x)\n{\n  uint32_t i;\n\n  if (x == NULL)\n    return;\n", s.Name, s.Name)
		b.P("  for (i = 0; i < x->len; ++i)\n    free_%s_fields (&x->val[i]);\n  free (x->val);\n  free (x);\n}\n\n", s.Name)
	}
	return b.String()
}

// goCType is the cgo type of a C parameter in an export's signature.
func goCType(ctype string) string {
	switch ctype {
	case "const char *":
		return "*C.char"
	case "char *const *":
		return "**C.char"
	case "int ":
		return "C.int"
	case "int64_t ":
		return "C.int64_t"
	case "size_t ":
		return "C.size_t"
	case "size_t *":
		return "*C.size_t"
	}
	panic("no cgo type for " + ctype)
}

// goCRet is the cgo return type of an export.
func goCRet(r api.Ret) string {
	switch r.Kind {
	case api.RErr, api.RInt, api.RBool:
		return "C.int"
	case api.RInt64:
		return "C.int64_t"
	case api.RConstString, api.RConstOptString, api.RString, api.RBufferOut:
		return "*C.char"
	case api.RStringList, api.RHashtable:
		return "**C.char"
	case api.RStruct:
		return "*C.struct_guestfs_" + r.Struct
	}
	return "*C.struct_guestfs_" + r.Struct + "_list"
}

// goCErr is the failure value of an export.
func goCErr(r api.Ret) string {
	if CErrorValue(r) == "-1" {
		return "-1"
	}
	return "nil"
}

// bridgeActionsGo writes the cgo export of every action and the struct
// converters.
func bridgeActionsGo(t *api.Table) string {
	var b Buffer
	b.P("%s\npackage main\n\n/*\n#include \"handle.h\"\n*/\nimport \"C\"\n\n", Banner("//"))
	b.P("import (\n\t\"syscall\"\n\t\"unsafe\"\n\n\t\"goguestfs/core\"\n)\n\nvar _ = syscall.EINVAL\nvar _ unsafe.Pointer\n\n")
	for _, s := range t.Structs {
		bridgeStructConv(&b, &s)
	}
	for i := range t.Actions {
		bridgeExport(&b, &t.Actions[i])
	}
	return b.String()
}

func bridgeStructConv(b *Buffer, s *api.Struct) {
	c, g := "C.struct_guestfs_"+s.Name, "core."+Camel(s.Name)
	b.P("// fill%s copies a %s into C memory owned by the caller.\n", Camel(s.Name), s.Name)
	b.P("func fill%s(dst *%s, src *%s) {\n", Camel(s.Name), c, g)
	for _, f := range s.Fields {
		switch f.Kind {
		case api.FString:
			b.P("\tdst.%s = C.CString(src.%s)\n", f.Name, Camel(f.Name))
		case api.FBuffer:
			b.P("\tdst.%s_len = C.uint32_t(len(src.%s))\n\tdst.%s = (*C.char)(C.CBytes(src.%s))\n", f.Name, Camel(f.Name), f.Name, Camel(f.Name))
		case api.FChar:
			b.P("\tdst.%s = C.char(src.%s)\n", f.Name, Camel(f.Name))
		case api.FUUID:
			b.P("\tfor i := range dst.%s {\n\t\tdst.%s[i] = ' '\n\t\tif i < len(src.%s) {\n\t\t\tdst.%s[i] = C.char(src.%s[i])\n\t\t}\n\t}\n",
				f.Name, f.Name, Camel(f.Name), f.Name, Camel(f.Name))
		default:
			b.P("\tdst.%s = C.%s(src.%s)\n", f.Name, map[api.FieldKind]string{
				api.FBytes: "uint64_t", api.FUInt64: "uint64_t", api.FInt64: "int64_t",
				api.FUInt32: "uint32_t", api.FInt32: "int32_t"}[f.Kind], Camel(f.Name))
		}
	}
	b.P("}\n\n")
	b.P("// c%s returns a malloc'd struct guestfs_%s.\n", Camel(s.Name), s.Name)
	b.P("func c%s(src *%s) *%s {\n\tdst := (*%s)(C.calloc(1, C.sizeof_struct_guestfs_%s))\n\tfill%s(dst, src)\n\treturn dst\n}\n\n",
		Camel(s.Name), g, c, c, s.Name, Camel(s.Name))
	b.P("// c%sList returns a malloc'd struct guestfs_%s_list.\n", Camel(s.Name), s.Name)
	b.P("func c%sList(src []%s) *%s_list {\n", Camel(s.Name), g, c)
	b.P("\tl := (*%s_list)(C.calloc(1, C.sizeof_struct_guestfs_%s_list))\n", c, s.Name)
	b.P("\tl.len = C.uint32_t(len(src))\n\tl.val = (*%s)(C.calloc(C.size_t(len(src)+1), C.sizeof_struct_guestfs_%s))\n", c, s.Name)
	b.P("\tdst := unsafe.Slice(l.val, len(src))\n\tfor i := range src {\n\t\tfill%s(&dst[i], &src[i])\n\t}\n\treturn l\n}\n\n", Camel(s.Name))
}

func bridgeExport(b *Buffer, a *api.Action) {
	var params []string
	params = append(params, "g *C.guestfs_h")
	for _, p := range CParams(a) {
		params = append(params, "arg_"+p[1]+" "+goCType(p[0]))
	}
	if len(a.OptArgs) > 0 {
		params = append(params, fmt.Sprintf("optargs *C.struct_guestfs_%s_argv", a.Name))
	}
	fail := goCErr(a.Ret)
	b.P("//export %s\nfunc %s(%s) (ret %s) {\n", exportName(a), exportName(a), strings.Join(params, ", "), goCRet(a.Ret))
	b.P("\tb := handleOf(g)\n")
	b.P("\tdefer func() {\n\t\tif p := recover(); p != nil {\n\t\t\tb.panicked(%q, p)\n\t\t\tret = %s\n\t\t}\n\t}()\n", a.Name, fail)
	var callArgs []string
	for _, arg := range a.Args {
		n := "arg_" + arg.Name
		v := "go_" + arg.Name
		switch {
		case arg.Kind.IsString():
			b.P("\tif %s == nil {\n\t\tb.nullArg(%q, %q)\n\t\treturn %s\n\t}\n\t%s := C.GoString(%s)\n", n, a.Name, arg.Name, fail, v, n)
		case arg.Kind == api.OptString:
			b.P("\tvar %s *string\n\tif %s != nil {\n\t\ts := C.GoString(%s)\n\t\t%s = &s\n\t}\n", v, n, n, v)
		case arg.Kind == api.StringList:
			b.P("\tif %s == nil {\n\t\tb.nullArg(%q, %q)\n\t\treturn %s\n\t}\n\t%s := goStrings(%s)\n", n, a.Name, arg.Name, fail, v, n)
		case arg.Kind == api.Bool:
			b.P("\t%s := %s != 0\n", v, n)
		case arg.Kind == api.Int:
			b.P("\t%s := int(%s)\n", v, n)
		case arg.Kind == api.Int64:
			b.P("\t%s := int64(%s)\n", v, n)
		case arg.Kind == api.BufferIn:
			b.P("\tif %s == nil && %s_size != 0 {\n\t\tb.nullArg(%q, %q)\n\t\treturn %s\n\t}\n", n, n, a.Name, arg.Name, fail)
			b.P("\tif %s_size > 1<<30 {\n\t\tb.h.ReportError(%q, syscall.EINVAL, %q)\n\t\treturn %s\n\t}\n", n, a.Name, arg.Name+": buffer larger than 1 GiB", fail)
			b.P("\t%s := C.GoBytes(unsafe.Pointer(%s), C.int(%s_size))\n", v, n, n)
		}
		callArgs = append(callArgs, v)
	}
	if len(a.OptArgs) > 0 {
		b.P("\tif optargs == nil {\n\t\tb.nullArg(%q, \"optargs\")\n\t\treturn %s\n\t}\n", a.Name, fail)
		if len(a.OptArgs) < 64 {
			b.P("\tif optargs.bitmask>>%d != 0 {\n\t\tb.h.ReportError(%q, syscall.EINVAL, \"unknown optional argument in bitmask\")\n\t\treturn %s\n\t}\n", len(a.OptArgs), a.Name, fail)
		}
		b.P("\topts := &core.%s{}\n", OptsType(a))
		for j, o := range a.OptArgs {
			b.P("\tif optargs.bitmask&(1<<%d) != 0 {\n", j)
			f := Camel(o.Name)
			switch o.Kind {
			case api.OBool:
				b.P("\t\tv := optargs.%s != 0\n\t\topts.%s = &v\n", o.Name, f)
			case api.OInt:
				b.P("\t\tv := int(optargs.%s)\n\t\topts.%s = &v\n", o.Name, f)
			case api.OInt64:
				b.P("\t\tv := int64(optargs.%s)\n\t\topts.%s = &v\n", o.Name, f)
			case api.OString:
				b.P("\t\tif optargs.%s == nil {\n\t\t\tb.nullArg(%q, %q)\n\t\t\treturn %s\n\t\t}\n", o.Name, a.Name, o.Name, fail)
				b.P("\t\tv := C.GoString(optargs.%s)\n\t\topts.%s = &v\n", o.Name, f)
			case api.OStringList:
				b.P("\t\tif optargs.%s == nil {\n\t\t\tb.nullArg(%q, %q)\n\t\t\treturn %s\n\t\t}\n", o.Name, a.Name, o.Name, fail)
				b.P("\t\tv := goStrings(optargs.%s)\n\t\tif v == nil {\n\t\t\tv = []string{}\n\t\t}\n\t\topts.%s = &v\n", o.Name, f)
			}
			b.P("\t}\n")
		}
		callArgs = append(callArgs, "opts")
	}
	if a.Ret.Kind == api.RBufferOut {
		b.P("\tif arg_size_r == nil {\n\t\tb.nullArg(%q, \"size_r\")\n\t\treturn nil\n\t}\n", a.Name)
	}
	call := fmt.Sprintf("b.h.%s(%s)", Camel(a.Name), strings.Join(callArgs, ", "))
	if a.Ret.Kind == api.RErr {
		b.P("\tif err := %s; err != nil {\n\t\treturn -1\n\t}\n\treturn 0\n}\n\n", call)
		return
	}
	b.P("\tr, err := %s\n\tif err != nil {\n\t\treturn %s\n\t}\n", call, fail)
	switch a.Ret.Kind {
	case api.RInt:
		b.P("\treturn C.int(r)\n")
	case api.RInt64:
		b.P("\treturn C.int64_t(r)\n")
	case api.RBool:
		b.P("\tif r {\n\t\treturn 1\n\t}\n\treturn 0\n")
	case api.RConstString:
		b.P("\treturn b.intern(r)\n")
	case api.RConstOptString:
		b.P("\tif r == nil {\n\t\treturn nil\n\t}\n\treturn b.intern(*r)\n")
	case api.RString:
		b.P("\treturn C.CString(r)\n")
	case api.RStringList:
		b.P("\treturn cStrings(r)\n")
	case api.RHashtable:
		b.P("\tflat := make([]string, 0, 2*len(r))\n\tfor _, kv := range r {\n\t\tflat = append(flat, kv[0], kv[1])\n\t}\n\treturn cStrings(flat)\n")
	case api.RStruct:
		b.P("\treturn c%s(r)\n", Camel(a.Ret.Struct))
	case api.RStructList:
		b.P("\treturn c%sList(r)\n", Camel(a.Ret.Struct))
	case api.RBufferOut:
		b.P("\t*arg_size_r = C.size_t(len(r))\n\treturn cBytes(r)\n")
	}
	b.P("}\n\n")
}
