package emit

import (
	"fmt"
	"strings"

	"goguestfs/generator/api"
)

// CRetType is the C return type of an action.
func CRetType(r api.Ret) string {
	switch r.Kind {
	case api.RErr, api.RInt, api.RBool:
		return "int"
	case api.RInt64:
		return "int64_t"
	case api.RConstString, api.RConstOptString:
		return "const char *"
	case api.RString, api.RBufferOut:
		return "char *"
	case api.RStringList, api.RHashtable:
		return "char **"
	case api.RStruct:
		return "struct guestfs_" + r.Struct + " *"
	case api.RStructList:
		return "struct guestfs_" + r.Struct + "_list *"
	}
	panic(fmt.Sprintf("unknown return kind %d", r.Kind))
}

// CErrorValue is the C value an action returns on error.
func CErrorValue(r api.Ret) string {
	switch r.Kind {
	case api.RErr, api.RInt, api.RBool, api.RInt64:
		return "-1"
	}
	return "NULL"
}

// CParams returns the C parameters of an action after the handle, as
// (type, name) pairs; BufferIn takes two, RBufferOut adds size_r.
func CParams(a *api.Action) [][2]string {
	var ps [][2]string
	for _, arg := range a.Args {
		switch arg.Kind {
		case api.String, api.Pathname, api.Device, api.DevOrPath, api.FileIn, api.FileOut, api.OptString:
			ps = append(ps, [2]string{"const char *", arg.Name})
		case api.StringList:
			ps = append(ps, [2]string{"char *const *", arg.Name})
		case api.Bool, api.Int:
			ps = append(ps, [2]string{"int ", arg.Name})
		case api.Int64:
			ps = append(ps, [2]string{"int64_t ", arg.Name})
		case api.BufferIn:
			ps = append(ps, [2]string{"const char *", arg.Name}, [2]string{"size_t ", arg.Name + "_size"})
		default:
			panic(fmt.Sprintf("%s: unknown argument kind %d", a.Name, arg.Kind))
		}
	}
	if a.Ret.Kind == api.RBufferOut {
		ps = append(ps, [2]string{"size_t *", "size_r"})
	}
	return ps
}

// CParamList renders parameters as "guestfs_h *g, const char *val".
func CParamList(ps [][2]string) string {
	parts := []string{"guestfs_h *g"}
	for _, p := range ps {
		parts = append(parts, p[0]+p[1])
	}
	return strings.Join(parts, ", ")
}

// COptType is the C type of an optional argument's field in the _argv struct.
func COptType(k api.OptKind) string {
	switch k {
	case api.OBool, api.OInt:
		return "int "
	case api.OInt64:
		return "int64_t "
	case api.OString:
		return "const char *"
	case api.OStringList:
		return "char *const *"
	}
	panic(fmt.Sprintf("unknown optional argument kind %d", k))
}

// CFieldDecl is the declaration of a struct field in C.
func CFieldDecl(f api.Field) string {
	switch f.Kind {
	case api.FString:
		return "char *" + f.Name
	case api.FUUID:
		return "char " + f.Name + "[32]"
	case api.FBytes, api.FUInt64:
		return "uint64_t " + f.Name
	case api.FInt64:
		return "int64_t " + f.Name
	case api.FUInt32:
		return "uint32_t " + f.Name
	case api.FInt32:
		return "int32_t " + f.Name
	case api.FChar:
		return "char " + f.Name
	case api.FBuffer:
		return "uint32_t " + f.Name + "_len;\n  char *" + f.Name
	}
	panic(fmt.Sprintf("unknown field kind %d", f.Kind))
}

// OptMacro is the C macro prefix of an action's optional arguments:
// GUESTFS_INTERNAL_TEST.
func OptMacro(a *api.Action) string {
	return "GUESTFS_" + strings.ToUpper(a.Name)
}
