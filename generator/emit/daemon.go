package emit

import (
	"fmt"
	"strings"

	"goguestfs/generator/api"
)

func init() { Register("daemon", emitDaemon) }

// emitDaemon writes daemon/server/actions_gen.go: the Actions interface the
// daemon's handlers implement (one method per daemon action), the wire
// argument structs (the same as the client's in core), the returned struct
// types, and the dispatch table that decodes a call and runs its method.
func emitDaemon(t *api.Table) ([]File, error) {
	var b Buffer
	b.P("%s\npackage server\n\nimport \"goguestfs/protocol\"\n\n", Banner("//"))
	for _, s := range t.Structs {
		b.P("// %s is the %s struct.\ntype %s struct {\n", Camel(s.Name), s.Name, Camel(s.Name))
		for i, f := range s.Fields {
			b.P("\t%s %s `cbor:\"%d,keyasint\"`\n", Camel(f.Name), GoFieldType(f.Kind), i+1)
		}
		b.P("}\n\n")
	}
	b.P("// Actions is implemented by the daemon's action handlers: one method per\n// daemon action of the API table, with the action's arguments. An error\n// should carry a syscall.Errno in its chain; it travels to the caller.\ntype Actions interface {\n")
	seen := map[int]string{}
	for i := range t.Actions {
		a := &t.Actions[i]
		if !a.Daemon {
			continue
		}
		if a.ProcNr <= 0 {
			return nil, fmt.Errorf("daemon action %s has no procedure number", a.Name)
		}
		if o, dup := seen[a.ProcNr]; dup {
			return nil, fmt.Errorf("daemon actions %s and %s share procedure number %d", o, a.Name, a.ProcNr)
		}
		seen[a.ProcNr] = a.Name
		b.P("\t// %s runs %s: %s.\n\t%s\n", Camel(a.Name), a.Name, a.Shortdesc, daemonSignature(a))
	}
	b.P("}\n\n")
	for i := range t.Actions {
		a := &t.Actions[i]
		if !a.Daemon {
			continue
		}
		if len(a.OptArgs) > 0 {
			b.P("// %s holds the optional arguments of %s; nil fields are unset.\ntype %s struct {\n", OptsType(a), a.Name, OptsType(a))
			for _, o := range a.OptArgs {
				b.P("\t%s %s\n", Camel(o.Name), GoOptType(o.Kind))
			}
			b.P("}\n\n")
		}
		at := WireArgsType(a)
		b.P("// %s are the wire arguments of %s.\ntype %s struct {\n", at, a.Name, at)
		for _, f := range WireArgFields(a) {
			b.P("\t%s %s %s\n", f[0], f[1], f[2])
		}
		b.P("}\n\n")
	}
	b.P("// procs is the dispatch table: every daemon action by name.\nvar procs = map[string]proc{\n")
	for i := range t.Actions {
		a := &t.Actions[i]
		if !a.Daemon {
			continue
		}
		b.P("\t%q: {nr: %d, progress: %v, run: func(c *Call, h Actions, raw []byte) (any, error) {\n", a.Name, a.ProcNr, a.Progress)
		b.P("\t\tvar args %s\n\t\tif err := protocol.Unmarshal(raw, &args); err != nil {\n\t\t\treturn nil, err\n\t\t}\n", WireArgsType(a))
		var call []string
		call = append(call, "c")
		for _, arg := range a.Args {
			call = append(call, "args."+Camel(arg.Name))
		}
		if len(a.OptArgs) > 0 {
			var fs []string
			for _, o := range a.OptArgs {
				fs = append(fs, Camel(o.Name)+": args.Opt"+Camel(o.Name))
			}
			call = append(call, "&"+OptsType(a)+"{"+strings.Join(fs, ", ")+"}")
		}
		if a.Ret.Kind == api.RErr {
			b.P("\t\treturn nil, h.%s(%s)\n", Camel(a.Name), strings.Join(call, ", "))
		} else {
			b.P("\t\treturn h.%s(%s)\n", Camel(a.Name), strings.Join(call, ", "))
		}
		b.P("\t}},\n")
	}
	b.P("}\n")
	return []File{{Path: "daemon/server/actions_gen.go", Content: b.String()}}, nil
}

// daemonSignature is the Actions method of a daemon action.
func daemonSignature(a *api.Action) string {
	params := []string{"c *Call"}
	for _, arg := range a.Args {
		params = append(params, goName(arg.Name)+" "+GoArgType(arg.Kind))
	}
	if len(a.OptArgs) > 0 {
		params = append(params, "opts *"+OptsType(a))
	}
	ret := GoRetType(a.Ret)
	if ret == "" {
		return fmt.Sprintf("%s(%s) error", Camel(a.Name), strings.Join(params, ", "))
	}
	return fmt.Sprintf("%s(%s) (%s, error)", Camel(a.Name), strings.Join(params, ", "), ret)
}
