package emit

import (
	"fmt"
	"strings"

	"goguestfs/generator/api"
)

func init() { Register("gocore", emitGoCore) }

// GoArgType is the Go type of a required argument in package core.
func GoArgType(k api.ArgKind) string {
	switch k {
	case api.OptString:
		return "*string"
	case api.StringList:
		return "[]string"
	case api.Bool:
		return "bool"
	case api.Int:
		return "int"
	case api.Int64:
		return "int64"
	case api.BufferIn:
		return "[]byte"
	}
	return "string"
}

// GoOptType is the Go type of an optional argument field (nil = unset).
func GoOptType(k api.OptKind) string {
	switch k {
	case api.OBool:
		return "*bool"
	case api.OInt:
		return "*int"
	case api.OInt64:
		return "*int64"
	case api.OString:
		return "*string"
	}
	return "*[]string"
}

// GoRetType is the Go type of an action's result in package core ("" for RErr).
func GoRetType(r api.Ret) string {
	switch r.Kind {
	case api.RInt:
		return "int"
	case api.RInt64:
		return "int64"
	case api.RBool:
		return "bool"
	case api.RConstString, api.RString:
		return "string"
	case api.RConstOptString:
		return "*string"
	case api.RStringList:
		return "[]string"
	case api.RStruct:
		return "*" + Camel(r.Struct)
	case api.RStructList:
		return "[]" + Camel(r.Struct)
	case api.RHashtable:
		return "[][2]string"
	case api.RBufferOut:
		return "[]byte"
	}
	return ""
}

// GoFieldType is the Go type of a struct field.
func GoFieldType(k api.FieldKind) string {
	switch k {
	case api.FString, api.FUUID:
		return "string"
	case api.FBytes, api.FUInt64:
		return "uint64"
	case api.FInt64:
		return "int64"
	case api.FUInt32:
		return "uint32"
	case api.FChar:
		return "byte"
	case api.FBuffer:
		return "[]byte"
	}
	return "int32"
}

// OptsType is the name of an action's optional-arguments struct in core.
func OptsType(a *api.Action) string { return Camel(a.Name) + "Opts" }

// GoParams returns the Go parameter names of an action (the optional
// arguments struct last, named opts).
func GoParams(a *api.Action) []string {
	var ps []string
	for _, arg := range a.Args {
		ps = append(ps, goName(arg.Name))
	}
	if len(a.OptArgs) > 0 {
		ps = append(ps, "opts")
	}
	return ps
}

// goName avoids Go keywords as parameter names.
func goName(n string) string {
	switch n {
	case "type", "func", "var", "range", "map", "chan", "default", "append", "len",
		"h", "r", "t", "e", "err", "opts", "traceFn", "bodyFn", "resultFn", "c", "g", "args", "raw":
		return n + "_"
	}
	return n
}

// implName is the unexported method of core that implements an action.
func implName(a *api.Action) string {
	c := Camel(a.Name)
	return strings.ToLower(c[:1]) + c[1:]
}

func emitGoCore(t *api.Table) ([]File, error) {
	var b Buffer
	b.P("%s\npackage core\n\nimport \"fmt\"\n\nvar _ = fmt.Sprintf\n\n", Banner("//"))
	b.P("// Event classes, with libguestfs's values.\nconst (\n")
	for _, e := range api.Events {
		b.P("\t// Event%s: %s.\n\tEvent%s Event = 0x%x\n", Camel(e.Name), e.Doc, Camel(e.Name), e.Value)
	}
	b.P("\t// EventAll is every event class.\n\tEventAll Event = 0x%x\n)\n\n", api.EventAll)
	b.P("var eventNames = map[Event]string{\n")
	for _, e := range api.Events {
		b.P("\tEvent%s: %q,\n", Camel(e.Name), e.Name)
	}
	b.P("}\n\n")
	for _, s := range t.Structs {
		b.P("// %s is the %s struct.\ntype %s struct {\n", Camel(s.Name), s.Name, Camel(s.Name))
		for i, f := range s.Fields {
			b.P("\t%s %s `cbor:\"%d,keyasint\"`\n", Camel(f.Name), GoFieldType(f.Kind), i+1)
		}
		b.P("}\n\n")
	}
	for i := range t.Actions {
		a := &t.Actions[i]
		if len(a.OptArgs) > 0 {
			b.P("// %s holds the optional arguments of %s; nil fields are unset.\ntype %s struct {\n", OptsType(a), Camel(a.Name), OptsType(a))
			for _, o := range a.OptArgs {
				b.P("\t%s %s\n", Camel(o.Name), GoOptType(o.Kind))
			}
			b.P("}\n\n")
		}
		goCoreMethod(&b, a)
		if a.Daemon {
			goClientStub(&b, a)
		} else if _, target := BindingView(t, a); target != a && target.Daemon {
			goAliasStub(&b, a, target)
		}
	}
	b.P("// procNumbers maps each daemon action to its procedure number.\nvar procNumbers = map[string]uint64{\n")
	for _, a := range t.Actions {
		if a.Daemon {
			b.P("\t%q: %d,\n", a.Name, a.ProcNr)
		}
	}
	b.P("}\n")
	return []File{{Path: "core/actions_gen.go", Content: b.String()}}, nil
}

// traceArg returns the tracer call for an argument.
func traceArg(k api.ArgKind, v string) string {
	switch k {
	case api.OptString:
		return "t.optStr(" + v + ")"
	case api.StringList:
		return "t.strList(" + v + ")"
	case api.Bool:
		return "t.boolean(" + v + ")"
	case api.Int:
		return "t.integer(int64(" + v + "))"
	case api.Int64:
		return "t.integer(" + v + ")"
	case api.BufferIn:
		return "t.buffer(" + v + ")"
	}
	return "t.str(" + v + ")"
}

// traceResult returns the tracer call for a result held in r.
func traceResult(r api.Ret) string {
	switch r.Kind {
	case api.RErr:
		return `t.opaque("0")`
	case api.RInt:
		return "t.integer(int64(r))"
	case api.RInt64:
		return "t.integer(r)"
	case api.RBool:
		return "t.boolean(r)"
	case api.RConstString, api.RString:
		return "t.str(r)"
	case api.RConstOptString:
		return "t.optStr(r)"
	case api.RStringList:
		return "t.strList(r)"
	case api.RStruct:
		return fmt.Sprintf("t.opaque(\"<struct guestfs_%s *>\")", r.Struct)
	case api.RStructList:
		return fmt.Sprintf("t.opaque(fmt.Sprintf(\"<struct guestfs_%s_list(%%d)>\", len(r)))", r.Struct)
	case api.RHashtable:
		return "t.hashtable(r)"
	case api.RBufferOut:
		return "t.buffer(r)"
	}
	panic("unknown return kind")
}

// goSignature returns the Go parameter and result lists of an action's
// method in core (the public method and its daemon stub share them).
func goSignature(a *api.Action) (params []string, results string) {
	for _, arg := range a.Args {
		params = append(params, goName(arg.Name)+" "+GoArgType(arg.Kind))
	}
	if len(a.OptArgs) > 0 {
		params = append(params, "opts *"+OptsType(a))
	}
	results = "err error"
	if ret := GoRetType(a.Ret); ret != "" {
		results = "r " + ret + ", err error"
	}
	return params, results
}

func goCoreMethod(b *Buffer, a *api.Action) {
	params, results := goSignature(a)
	ret := GoRetType(a.Ret)
	b.P("// %s: %s.\n//\n", Camel(a.Name), a.Shortdesc)
	for _, line := range strings.Split(wrap(a.Longdesc, 76), "\n") {
		b.P("// %s\n", line)
	}
	if a.DeprecatedBy != "" {
		b.P("//\n// Deprecated: use %s.\n", Camel(a.DeprecatedBy))
	}
	b.P("func (h *Handle) %s(%s) (%s) {\n", Camel(a.Name), strings.Join(params, ", "), results)
	if len(a.OptArgs) > 0 {
		b.P("\tif opts == nil {\n\t\topts = &%s{}\n\t}\n", OptsType(a))
	}
	b.P("\ttraceFn := func(t *tracer) {\n")
	for _, arg := range a.Args {
		b.P("\t\t%s\n", traceArg(arg.Kind, goName(arg.Name)))
	}
	for _, o := range a.OptArgs {
		b.P("\t\tif opts.%s != nil {\n\t\t\tt.opt(%q, *opts.%s)\n\t\t}\n", Camel(o.Name), o.Name, Camel(o.Name))
	}
	b.P("\t}\n")
	args := strings.Join(GoParams(a), ", ")
	if ret == "" {
		b.P("\tbodyFn := func() error { return h.%s(%s) }\n", implName(a), args)
	} else {
		b.P("\tbodyFn := func() (e error) { r, e = h.%s(%s); return }\n", implName(a), args)
	}
	b.P("\tresultFn := func(t *tracer) { %s }\n", traceResult(a.Ret))
	b.P("\terr = h.call(%q, %v, traceFn, bodyFn, resultFn, %q)\n\treturn\n}\n\n", a.Name, a.Daemon, CErrorValue(a.Ret))
}

// wrap breaks text into lines of at most width characters.
func wrap(text string, width int) string {
	var lines []string
	for _, para := range strings.Split(text, "\n") {
		line := ""
		for _, w := range strings.Fields(para) {
			if line != "" && len(line)+1+len(w) > width {
				lines = append(lines, line)
				line = w
			} else if line == "" {
				line = w
			} else {
				line += " " + w
			}
		}
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n")
}

// WireArgsType is the name of the struct that carries a daemon action's
// arguments over the protocol (the same name in core and in the daemon).
func WireArgsType(a *api.Action) string {
	c := Camel(a.Name)
	return strings.ToLower(c[:1]) + c[1:] + "Args"
}

// WireArgFields returns the fields of a daemon action's wire argument
// struct: Go field name, Go type and CBOR tag. Required arguments are keys
// 1..n, optional arguments 100+i (omitted when unset).
func WireArgFields(a *api.Action) [][3]string {
	var fs [][3]string
	for i, arg := range a.Args {
		fs = append(fs, [3]string{Camel(arg.Name), GoArgType(arg.Kind), fmt.Sprintf("`cbor:\"%d,keyasint\"`", i+1)})
	}
	for i, o := range a.OptArgs {
		fs = append(fs, [3]string{"Opt" + Camel(o.Name), GoOptType(o.Kind), fmt.Sprintf("`cbor:\"%d,keyasint,omitempty\"`", 100+i)})
	}
	return fs
}

// goClientStub emits the wire argument struct of a daemon action and the
// unexported method that sends it to the daemon.
// goAliasStub writes the body of a library action that is a daemon
// action without its optional arguments (mkfs is mkfs_opts with none), as
// libguestfs's C wrappers of "once had no optargs" actions are.
func goAliasStub(b *Buffer, a, target *api.Action) {
	params, results := goSignature(a)
	b.P("// %s sends %s with no optional arguments.\n", implName(a), target.Name)
	b.P("func (h *Handle) %s(%s) (%s) {\n", implName(a), strings.Join(params, ", "), results)
	args := append(GoParams(a), "&"+OptsType(target)+"{}")
	b.P("\treturn h.%s(%s)\n}\n\n", implName(target), strings.Join(args, ", "))
}

func goClientStub(b *Buffer, a *api.Action) {
	at := WireArgsType(a)
	b.P("// %s are the wire arguments of %s.\ntype %s struct {\n", at, a.Name, at)
	for _, f := range WireArgFields(a) {
		b.P("\t%s %s %s\n", f[0], f[1], f[2])
	}
	b.P("}\n\n")
	params, results := goSignature(a)
	ret := GoRetType(a.Ret)
	b.P("// %s sends %s to the daemon.\n", implName(a), a.Name)
	b.P("func (h *Handle) %s(%s) (%s) {\n", implName(a), strings.Join(params, ", "), results)
	b.P("\targs := &%s{\n", at)
	for _, arg := range a.Args {
		b.P("\t\t%s: %s,\n", Camel(arg.Name), goName(arg.Name))
	}
	b.P("\t}\n")
	for _, o := range a.OptArgs {
		b.P("\targs.Opt%s = opts.%s\n", Camel(o.Name), Camel(o.Name))
	}
	result := "nil"
	if ret != "" {
		result = "&r"
	}
	var files []string
	for _, arg := range a.Args {
		if arg.Kind.IsHostFile() {
			files = append(files, fmt.Sprintf("{name: %s, out: %v}", goName(arg.Name), arg.Kind == api.FileOut))
		}
	}
	if len(files) > 0 {
		b.P("\terr = h.daemonCallFiles(%q, %v, args, %s, []hostFile{%s})\n", a.Name, a.Progress, result, strings.Join(files, ", "))
	} else {
		b.P("\terr = h.daemonCall(%q, %v, args, %s)\n", a.Name, a.Progress, result)
	}
	b.P("\treturn\n}\n\n")
}
