package api

// structs are the struct types that actions return.
var structs = []Struct{
	{Name: "version", Fields: []Field{
		{FInt64, "major"}, {FInt64, "minor"}, {FInt64, "release"}, {FString, "extra"},
	}},
	{Name: "lvm_pv", Fields: []Field{
		{FString, "pv_name"}, {FUUID, "pv_uuid"}, {FString, "pv_fmt"},
		{FBytes, "pv_size"}, {FBytes, "dev_size"}, {FBytes, "pv_free"}, {FBytes, "pv_used"},
		{FString, "pv_attr"}, {FInt64, "pv_pe_count"}, {FInt64, "pv_pe_alloc_count"},
		{FString, "pv_tags"}, {FBytes, "pe_start"}, {FInt64, "pv_mda_count"}, {FBytes, "pv_mda_free"},
	}},
	{Name: "partition", Fields: []Field{
		{FInt32, "part_num"}, {FInt64, "part_start"}, {FInt64, "part_end"}, {FInt64, "part_size"},
	}},
}

// API returns the whole table. The order of actions is the order of the
// generated files and of the API reference.
func API() *Table {
	var all []Action
	all = append(all, configActions...)
	all = append(all, internalTestActions...)
	all = append(all, launchActions...)
	all = append(all, driveActions...)
	all = append(all, daemonActions...)
	return &Table{Actions: all, Structs: structs, Groups: groups, Optgroups: optgroups}
}
