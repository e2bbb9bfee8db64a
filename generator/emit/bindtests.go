package emit

import (
	"fmt"

	"goguestfs/generator/api"
)

// Literals is how one language writes the argument values of the golden
// binding-test calls (api.BindTests). The C, Python and Ruby emitters each
// give one; BindTestCalls walks the calls and applies it.
type Literals struct {
	Str    func(s string) string          // String, OptString, FileIn, ..., OString
	Null   string                         // an OptString that is NULL
	List   func(l []string) string        // StringList, OStringList
	Bool   func(b bool) string            // Bool, OBool
	Int    func(n int64, bits int) string // Int, OInt (32 bits); Int64, OInt64 (64)
	Buffer func(p []byte) []string        // BufferIn: one literal, or more (C: data, length)
}

// BindTestCall is one call of api.BindTests with its values written in
// one language.
type BindTestCall struct {
	Action *api.Action
	Args   []string      // the literals of the positional arguments, in order
	Opts   []BindTestOpt // the optional arguments given, in the call's order
}

// BindTestOpt is one optional argument of a BindTestCall.
type BindTestOpt struct {
	Opt   *api.OptArg
	Value string
}

// BindTestCalls checks every call of api.BindTests against the table (the
// action exists, takes that many arguments, has those optional arguments)
// and renders its values with lit.
func BindTestCalls(t *api.Table, lit Literals) ([]BindTestCall, error) {
	var calls []BindTestCall
	for _, c := range api.BindTests {
		a := FindAction(t, c.Action)
		if a == nil {
			return nil, fmt.Errorf("bindtests: unknown action %s", c.Action)
		}
		if len(c.Args) != len(a.Args) {
			return nil, fmt.Errorf("bindtests: %s takes %d arguments, call has %d", a.Name, len(a.Args), len(c.Args))
		}
		call := BindTestCall{Action: a}
		for i, arg := range a.Args {
			v := c.Args[i]
			switch arg.Kind {
			case api.OptString:
				if v.Null {
					call.Args = append(call.Args, lit.Null)
				} else {
					call.Args = append(call.Args, lit.Str(v.Str))
				}
			case api.StringList:
				call.Args = append(call.Args, lit.List(v.List))
			case api.Bool:
				call.Args = append(call.Args, lit.Bool(v.Bool))
			case api.Int:
				call.Args = append(call.Args, lit.Int(v.Int, 32))
			case api.Int64:
				call.Args = append(call.Args, lit.Int(v.Int, 64))
			case api.BufferIn:
				call.Args = append(call.Args, lit.Buffer(v.Buffer)...)
			default:
				call.Args = append(call.Args, lit.Str(v.Str))
			}
		}
		for _, o := range c.Opts {
			opt := FindOpt(a, o.Name)
			if opt == nil {
				return nil, fmt.Errorf("bindtests: %s has no optional argument %s", a.Name, o.Name)
			}
			var v string
			switch opt.Kind {
			case api.OBool:
				v = lit.Bool(o.Bool)
			case api.OInt:
				v = lit.Int(o.Int, 32)
			case api.OInt64:
				v = lit.Int(o.Int, 64)
			case api.OString:
				v = lit.Str(o.Str)
			case api.OStringList:
				v = lit.List(o.List)
			default:
				return nil, fmt.Errorf("bindtests: %s: optional argument %s has unknown kind %d", a.Name, o.Name, opt.Kind)
			}
			call.Opts = append(call.Opts, BindTestOpt{Opt: opt, Value: v})
		}
		calls = append(calls, call)
	}
	return calls, nil
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
