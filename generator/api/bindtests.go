package api

import "math"

// CallArg is one argument value of a binding test call. Exactly the field
// that matches the argument's kind is used; Null marks a NULL OptString.
type CallArg struct {
	Str    string
	Null   bool
	List   []string
	Bool   bool
	Int    int64
	Buffer []byte
}

// CallOpt is one optional argument value of a binding test call; the field
// matching the optional argument's kind is used.
type CallOpt struct {
	Name string
	Bool bool
	Int  int64
	Str  string
	List []string
}

// Call is one call in the golden binding test: every binding emits the same
// calls in its own syntax, and their output must equal tests/bindtests.golden
// byte for byte.
type Call struct {
	Action string
	Args   []CallArg
	Opts   []CallOpt
}

// stdArgs returns internal_test's nine arguments with the given variations.
func stdArgs(str string, optstr *string, list []string, b bool, i int64, i64 int64, fin, fout string) []CallArg {
	opt := CallArg{Null: true}
	if optstr != nil {
		opt = CallArg{Str: *optstr}
	}
	return []CallArg{{Str: str}, opt, {List: list}, {Bool: b}, {Int: i}, {Int: i64},
		{Str: fin}, {Str: fout}, {Buffer: []byte("abc\x00abc")}}
}

func sp(s string) *string { return &s }

// BindTests is the golden call sequence, after libguestfs's bindtests.
var BindTests = []Call{
	{"internal_test", stdArgs("abc", sp("def"), nil, false, 0, 0, "123", "456"),
		[]CallOpt{{Name: "obool", Bool: true}, {Name: "oint", Int: 1}, {Name: "oint64", Int: math.MaxInt64}}},
	{"internal_test", stdArgs("abc", nil, nil, false, 0, 0, "123", "456"),
		[]CallOpt{{Name: "oint64", Int: 1}, {Name: "ostring", Str: "string"}}},
	{"internal_test", stdArgs("", sp("def"), nil, false, 0, 0, "123", "456"),
		[]CallOpt{{Name: "obool", Bool: false}, {Name: "oint64", Int: math.MinInt64}}},
	{"internal_test", stdArgs("", sp(""), nil, false, 0, 0, "123", "456"), nil},
	{"internal_test", stdArgs("abc", sp("def"), []string{"1"}, false, 0, 0, "123", "456"), nil},
	{"internal_test", stdArgs("abc", sp("def"), []string{"1", "2"}, false, 0, 0, "123", "456"), nil},
	{"internal_test", stdArgs("abc", sp("def"), []string{"1"}, true, 0, 0, "123", "456"), nil},
	{"internal_test", stdArgs("abc", sp("def"), []string{"1"}, false, -1, -1, "123", "456"), nil},
	{"internal_test", stdArgs("abc", sp("def"), []string{"1"}, false, -2, -2, "123", "456"), nil},
	{"internal_test", stdArgs("abc", sp("def"), []string{"1"}, false, 1, 1, "123", "456"), nil},
	{"internal_test", stdArgs("abc", sp("def"), []string{"1"}, false, 2, 2, "123", "456"), nil},
	{"internal_test", stdArgs("abc", sp("def"), []string{"1"}, false, 4095, math.MaxInt64, "123", "456"), nil},
	{"internal_test", stdArgs("abc", sp("def"), []string{"1"}, false, 0, math.MinInt64, "", ""), nil},
	{"internal_test", stdArgs("abc", sp("def"), nil, false, 0, 0, "123", "456"),
		[]CallOpt{{Name: "ostringlist", List: []string{}}}},
	{"internal_test", stdArgs("abc", sp("def"), nil, false, 0, 0, "123", "456"),
		[]CallOpt{{Name: "ostringlist", List: []string{"optelem1"}}}},
	{"internal_test", stdArgs("abc", sp("def"), nil, false, 0, 0, "123", "456"),
		[]CallOpt{{Name: "ostringlist", List: []string{"optelem1", "optelem2", "optelem3"}}}},
	{"internal_test", stdArgs("unicode \u00e9\u00e8 \u65e5\u672c", sp("tab\there"), []string{"a b", "\"q\""}, true, math.MaxInt32, 0, "/in", "/out"),
		[]CallOpt{{Name: "oint", Int: math.MinInt32}, {Name: "ostring", Str: ""}}},
	{"internal_test_only_optargs", nil, nil},
	{"internal_test_only_optargs", nil, []CallOpt{{Name: "test", Int: 42}}},
	{"internal_test_63_optargs", nil, []CallOpt{{Name: "opt1", Int: 1}, {Name: "opt33", Int: 33}, {Name: "opt63", Int: 63}}},
}
