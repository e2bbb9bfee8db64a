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
	{Name: "stat", Fields: statFields("", []string{"dev", "ino", "mode", "nlink", "uid", "gid", "rdev", "size", "blksize", "blocks", "atime", "mtime", "ctime"})},
	{Name: "statns", Fields: statFields("st_", []string{"dev", "ino", "mode", "nlink", "uid", "gid", "rdev", "size", "blksize", "blocks",
		"atime_sec", "atime_nsec", "mtime_sec", "mtime_nsec", "ctime_sec", "ctime_nsec",
		"spare1", "spare2", "spare3", "spare4", "spare5", "spare6"})},
	{Name: "statvfs", Fields: statFields("", []string{"bsize", "frsize", "blocks", "bfree", "bavail", "files", "ffree", "favail", "fsid", "flag", "namemax"})},
	{Name: "dirent", Fields: []Field{{FInt64, "ino"}, {FChar, "ftyp"}, {FString, "name"}}},
	{Name: "xattr", Fields: []Field{{FString, "attrname"}, {FBuffer, "attrval"}}},
	{Name: "partition", Fields: []Field{
		{FInt32, "part_num"}, {FInt64, "part_start"}, {FInt64, "part_end"}, {FInt64, "part_size"},
	}},
}

// statFields returns int64 fields named prefix+name, as libguestfs's stat,
// statns and statvfs structs have.
func statFields(prefix string, names []string) []Field {
	fs := make([]Field, len(names))
	for i, n := range names {
		fs[i] = Field{FInt64, prefix + n}
	}
	return fs
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
	all = append(all, fsActions...)
	all = append(all, fileActions...)
	all = append(all, transferActions...)
	all = append(all, hostCopyActions...)
	return &Table{Actions: all, Structs: structs, Groups: groups, Optgroups: optgroups}
}
