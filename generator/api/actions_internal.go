package api

import "fmt"

// internalTestActions are libguestfs's binding test actions, with the same
// names and results, so every binding can be tested without a daemon.
var internalTestActions = concat(
	[]Action{
		{Name: "internal_test", Ret: Ret{Kind: RErr},
			Args: []Arg{{String, "str"}, {OptString, "optstr"}, {StringList, "strlist"},
				{Bool, "b"}, {Int, "integer"}, {Int64, "integer64"},
				{FileIn, "filein"}, {FileOut, "fileout"}, {BufferIn, "bufferin"}},
			OptArgs: []OptArg{{OBool, "obool"}, {OInt, "oint"}, {OInt64, "oint64"},
				{OString, "ostring"}, {OStringList, "ostringlist"}},
			Shortdesc: "internal test function - do not use",
			Longdesc:  "Print each argument on a line of its own in a canonical form to the output chosen by `internal_test_set_output` (stdout by default): strings as they are, a NULL optional string as `null`, string lists as `[\"a\", \"b\"]`, booleans as `true`/`false`, integers in decimal, the buffer as `<xx>` per byte; then each optional argument as `name: value` or `name: unset`. For testing language bindings."},
		{Name: "internal_test_only_optargs", Ret: Ret{Kind: RErr},
			OptArgs:   []OptArg{{OInt, "test"}},
			Shortdesc: "internal test function - do not use",
			Longdesc:  "Print the optional argument `test` as `internal_test`. For testing language bindings."},
		{Name: "internal_test_63_optargs", Ret: Ret{Kind: RErr},
			OptArgs:   sixtyThreeOptArgs(),
			Shortdesc: "internal test function - do not use",
			Longdesc:  "Print the 63 optional integer arguments `opt1` ... `opt63` as `internal_test`. For testing bindings with the largest number of optional arguments."},
		{Name: "internal_test_set_output", Ret: Ret{Kind: RErr}, Args: []Arg{{String, "filename"}},
			Shortdesc: "internal test function - do not use",
			Longdesc:  "Send the output of the `internal_test` actions to `filename` (created or truncated) instead of stdout."},
		{Name: "internal_test_close_output", Ret: Ret{Kind: RErr},
			Shortdesc: "internal test function - do not use",
			Longdesc:  "Close the file opened by `internal_test_set_output`; output goes to stdout again."},
	},
	returnProbes(),
)

// sixtyThreeOptArgs returns opt1 ... opt63.
func sixtyThreeOptArgs() []OptArg {
	var opts []OptArg
	for i := 1; i <= 63; i++ {
		opts = append(opts, OptArg{OInt, fmt.Sprintf("opt%d", i)})
	}
	return opts
}

// returnProbes returns, for every return type, an action that succeeds and
// its ...err twin that always fails.
func returnProbes() []Action {
	probes := []struct {
		suffix string
		ret    Ret
		does   string
	}{
		{"rint", Ret{Kind: RInt}, "parse `val` as an integer and return it"},
		{"rint64", Ret{Kind: RInt64}, "parse `val` as a 64-bit integer and return it"},
		{"rbool", Ret{Kind: RBool}, "return true if `val` is \"true\", else false"},
		{"rconststring", Ret{Kind: RConstString}, "return the constant string \"static string\""},
		{"rconstoptstring", Ret{Kind: RConstOptString}, "return the constant string \"static string\""},
		{"rstring", Ret{Kind: RString}, "return `val`"},
		{"rstringlist", Ret{Kind: RStringList}, "return the list \"0\" ... \"n-1\" for n = `val`"},
		{"rstruct", Ret{Kind: RStruct, Struct: "lvm_pv"}, "return an lvm_pv struct whose pv_name is \"pv0\""},
		{"rstructlist", Ret{Kind: RStructList, Struct: "lvm_pv"}, "return n = `val` lvm_pv structs named \"pv0\" ... \"pv<n-1>\""},
		{"rhashtable", Ret{Kind: RHashtable}, "return the table {\"0\": \"0\", ..., \"n-1\": \"n-1\"} for n = `val`"},
		{"rbufferout", Ret{Kind: RBufferOut}, "return the bytes of `val`"},
	}
	var acts []Action
	for _, p := range probes {
		acts = append(acts, Action{
			Name: "internal_test_" + p.suffix, Ret: p.ret, Args: []Arg{{String, "val"}},
			Shortdesc: "internal test function - do not use",
			Longdesc:  "Test a binding's handling of this return type: " + p.does + ".",
		})
		errDoc := "Always fail with an error, to test a binding's error path for this return type."
		if p.ret.Kind == RConstOptString {
			errDoc = "Return NULL without an error, to test a binding's handling of an absent optional string."
		}
		acts = append(acts, Action{
			Name: "internal_test_" + p.suffix + "err", Ret: p.ret,
			Shortdesc: "internal test function - do not use",
			Longdesc:  errDoc,
		})
	}
	return acts
}
