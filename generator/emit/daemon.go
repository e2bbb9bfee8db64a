package emit

import (
	"fmt"
	"strings"

	"goguestfs/generator/api"
)

func init() { Register("daemon", emitDaemon) }

// emitDaemon writes daemon/server/actions_gen.go: one interface per action
// group (each implemented by a package under daemon/actions/), the Groups
// struct that is the daemon's backend, the wire argument structs (the same
// as the client's in core), the returned struct types, the optional-group
// tables, and the dispatch table that decodes a call, resolves its typed
// arguments and runs its method.
func emitDaemon(t *api.Table) ([]File, error) {
	if err := checkGroups(t); err != nil {
		return nil, err
	}
	var b Buffer
	osImport := ""
	for i := range t.Actions {
		if a := &t.Actions[i]; a.Daemon && hostFiles(a) > 0 {
			osImport = "\t\"os\"\n\n"
		}
	}
	b.P("%s\npackage server\n\nimport (\n%s\t\"goguestfs/daemon/devices\"\n\t\"goguestfs/protocol\"\n)\n\n", Banner("//"), osImport)
	for _, s := range t.Structs {
		b.P("// %s is the %s struct.\ntype %s struct {\n", Camel(s.Name), s.Name, Camel(s.Name))
		for i, f := range s.Fields {
			b.P("\t%s %s `cbor:\"%d,keyasint\"`\n", Camel(f.Name), GoFieldType(f.Kind), i+1)
		}
		b.P("}\n\n")
	}
	for _, g := range t.Groups {
		b.P("// %s is the %s group: %s. Package daemon/actions/%s implements it.\n// A Device argument arrives resolved, a Pathname absolute (not cleaned), a\n// FileIn or FileOut as the open host file (the server closes it after).\n// An error carries a syscall.Errno and names the object, not the action.\ntype %s interface {\n", groupInterface(g.Name), g.Name, g.Doc, g.Name, groupInterface(g.Name))
		for i := range t.Actions {
			a := &t.Actions[i]
			if a.Daemon && a.Group == g.Name {
				b.P("\t// %s runs %s: %s.\n\t%s\n", Camel(a.Name), a.Name, a.Shortdesc, daemonSignature(a))
			}
		}
		b.P("}\n\n")
	}
	b.P("// Groups is the daemon's backend: one implementation per action group.\n// The actions of a nil group fail with ENOTSUP.\ntype Groups struct {\n")
	for _, g := range t.Groups {
		b.P("\t%s %s\n", Camel(g.Name), groupInterface(g.Name))
	}
	b.P("}\n\n")
	b.P("// has reports whether group name is implemented.\nfunc (g *Groups) has(name string) bool {\n\tswitch name {\n")
	for _, g := range t.Groups {
		b.P("\tcase %q:\n\t\treturn g.%s != nil\n", g.Name, Camel(g.Name))
	}
	b.P("\t}\n\treturn false\n}\n\n")
	b.P("// all returns the groups' implementations, nil for absent ones.\nfunc (g *Groups) all() []any {\n\treturn []any{")
	for i, gr := range t.Groups {
		if i > 0 {
			b.P(", ")
		}
		b.P("g.%s", Camel(gr.Name))
	}
	b.P("}\n}\n\n")
	b.P("// optgroupNames are libguestfs's optional groups, every one this build knows.\nvar optgroupNames = []string{\n")
	for _, o := range t.Optgroups {
		b.P("\t%q,\n", o.Name)
	}
	b.P("}\n\n// optgroupNeeds lists, for each optional group with actions in the table,\n// the action groups that implement them.\nvar optgroupNeeds = map[string][]string{\n")
	for _, o := range t.Optgroups {
		var need []string
		seen := map[string]bool{}
		for i := range t.Actions {
			a := &t.Actions[i]
			if a.Optgroup == o.Name && !seen[a.Group] {
				seen[a.Group] = true
				need = append(need, fmt.Sprintf("%q", a.Group))
			}
		}
		if len(need) > 0 {
			b.P("\t%q: {%s},\n", o.Name, strings.Join(need, ", "))
		}
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
		g := Camel(a.Group)
		b.P("\t%q: {nr: %d, group: %q, progress: %v, run: func(c *Call, g *Groups, raw []byte) (any, error) {\n", a.Name, a.ProcNr, a.Group, a.Progress)
		b.P("\t\tif g.%s == nil {\n\t\t\treturn nil, errGroupAbsent(%q)\n\t\t}\n", g, a.Group)
		b.P("\t\tvar args %s\n\t\tif err := protocol.Unmarshal(raw, &args); err != nil {\n\t\t\treturn nil, errBadArgs(err)\n\t\t}\n", WireArgsType(a))
		call := []string{"c"}
		if n := hostFiles(a); n > 0 {
			b.P("\t\tif err := c.wantFiles(%d); err != nil {\n\t\t\treturn nil, err\n\t\t}\n", n)
		}
		file := 0
		for _, arg := range a.Args {
			v := "args." + Camel(arg.Name)
			switch arg.Kind {
			case api.FileIn, api.FileOut:
				v = fmt.Sprintf("c.files[%d]", file)
				file++
			case api.DevOrPath:
				b.P("\t\t%s, err := c.resolveDevOrPath(%s)\n\t\tif err != nil {\n\t\t\treturn nil, err\n\t\t}\n", goName(arg.Name), v)
				v = goName(arg.Name)
			case api.Device:
				b.P("\t\t%s, err := c.resolveDevice(%s)\n\t\tif err != nil {\n\t\t\treturn nil, err\n\t\t}\n", goName(arg.Name), v)
				v = goName(arg.Name)
			case api.Pathname:
				b.P("\t\t%s, err := resolvePathname(%s)\n\t\tif err != nil {\n\t\t\treturn nil, err\n\t\t}\n", goName(arg.Name), v)
				v = goName(arg.Name)
			}
			call = append(call, v)
		}
		if len(a.OptArgs) > 0 {
			var fs []string
			for _, o := range a.OptArgs {
				fs = append(fs, Camel(o.Name)+": args.Opt"+Camel(o.Name))
			}
			call = append(call, "&"+OptsType(a)+"{"+strings.Join(fs, ", ")+"}")
		}
		if a.Ret.Kind == api.RErr {
			b.P("\t\treturn nil, g.%s.%s(%s)\n", g, Camel(a.Name), strings.Join(call, ", "))
		} else {
			b.P("\t\treturn g.%s.%s(%s)\n", g, Camel(a.Name), strings.Join(call, ", "))
		}
		b.P("\t}},\n")
	}
	b.P("}\n")
	return []File{{Path: "daemon/server/actions_gen.go", Content: b.String()}}, nil
}

// checkGroups fails unless every daemon action has a known group and a
// known optional group (if any), every group has an action, and library
// actions have neither.
func checkGroups(t *api.Table) error {
	groups, optgroups, used := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, g := range t.Groups {
		groups[g.Name] = true
	}
	for _, o := range t.Optgroups {
		optgroups[o.Name] = true
	}
	seen := map[int]string{}
	for i := range t.Actions {
		a := &t.Actions[i]
		if !a.Daemon {
			if a.Group != "" || a.Optgroup != "" {
				return fmt.Errorf("library action %s has a daemon group", a.Name)
			}
			continue
		}
		if !groups[a.Group] {
			return fmt.Errorf("daemon action %s has no known group (%q)", a.Name, a.Group)
		}
		if a.Optgroup != "" && !optgroups[a.Optgroup] {
			return fmt.Errorf("daemon action %s names unknown optional group %q", a.Name, a.Optgroup)
		}
		used[a.Group] = true
		if a.ProcNr <= 0 {
			return fmt.Errorf("daemon action %s has no procedure number", a.Name)
		}
		if o, dup := seen[a.ProcNr]; dup {
			return fmt.Errorf("daemon actions %s and %s share procedure number %d", o, a.Name, a.ProcNr)
		}
		seen[a.ProcNr] = a.Name
	}
	for _, g := range t.Groups {
		if !used[g.Name] {
			return fmt.Errorf("group %s has no action", g.Name)
		}
	}
	return nil
}

// groupInterface is the name of a group's interface: PartActions.
func groupInterface(group string) string { return Camel(group) + "Actions" }

// daemonArgType is the Go type a daemon handler receives for an argument:
// a Device or DevOrPath resolved, a host file open, everything else as on
// the wire.
func daemonArgType(k api.ArgKind) string {
	switch k {
	case api.Device:
		return "*devices.Device"
	case api.DevOrPath:
		return "DevOrPath"
	case api.FileIn, api.FileOut:
		return "*os.File"
	}
	return GoArgType(k)
}

// hostFiles counts an action's FileIn and FileOut arguments: the
// descriptors its call carries, in argument order.
func hostFiles(a *api.Action) int {
	n := 0
	for _, arg := range a.Args {
		if arg.Kind.IsHostFile() {
			n++
		}
	}
	return n
}

// daemonSignature is the Actions method of a daemon action.
func daemonSignature(a *api.Action) string {
	params := []string{"c *Call"}
	for _, arg := range a.Args {
		params = append(params, goName(arg.Name)+" "+daemonArgType(arg.Kind))
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
