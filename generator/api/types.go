// Package api is the API table: the single description of every action that
// the emitters in package generator turn into the C header, the cgo exports,
// the Go core stubs, the language bindings and the API reference.
//
// Adding an action means adding one Action value to the table (actions_*.go),
// implementing it (a library-local Go method in core, or a daemon handler), and
// testing it. No binding is written by hand per action.
package api

// ArgKind is the type of a required argument. The names follow libguestfs's
// generator so that the C prototypes match libguestfs's.
type ArgKind int

// The argument kinds. Device and Pathname are strings whose value the action
// checks (a device name such as /dev/sda1, an absolute path in the guest).
// DevOrPath is a device name when it starts with /dev/, else a Pathname.
// FileIn and FileOut name host files, which the library opens and passes to
// the daemon as descriptors. BufferIn is a byte buffer with a length.
const (
	String ArgKind = iota
	OptString
	StringList
	Bool
	Int
	Int64
	Pathname
	Device
	FileIn
	FileOut
	BufferIn
	DevOrPath
)

// IsString reports whether the argument is passed as one C string that may
// not be NULL.
func (k ArgKind) IsString() bool {
	switch k {
	case String, Pathname, Device, DevOrPath, FileIn, FileOut:
		return true
	}
	return false
}

// Arg is one required argument of an action.
type Arg struct {
	Kind ArgKind
	Name string
}

// OptKind is the type of an optional argument.
type OptKind int

// The optional argument kinds.
const (
	OBool OptKind = iota
	OInt
	OInt64
	OString
	OStringList
)

// OptArg is one optional argument. Its position in Action.OptArgs is its
// number in the C API (the bit in the _argv bitmask and the varargs key).
type OptArg struct {
	Kind OptKind
	Name string
}

// RetKind is the type of an action's result.
type RetKind int

// The return kinds, as in libguestfs: RErr returns only success or failure;
// RConstString is owned by the handle; RConstOptString may be NULL without an
// error; RString, RStringList, RStruct, RStructList, RHashtable and
// RBufferOut are freed by the C caller.
const (
	RErr RetKind = iota
	RInt
	RInt64
	RBool
	RConstString
	RConstOptString
	RString
	RStringList
	RStruct
	RStructList
	RHashtable
	RBufferOut
)

// Ret is an action's return type; Struct names the struct for RStruct and
// RStructList.
type Ret struct {
	Kind   RetKind
	Struct string
}

// Action is one entry of the API table.
type Action struct {
	// Name is the action's name without the guestfs_ prefix.
	Name string
	// Ret is the return type.
	Ret Ret
	// Args are the required arguments, in order.
	Args []Arg
	// OptArgs are the optional arguments, in order; at most 64.
	OptArgs []OptArg
	// Daemon is true when the action runs in the daemon; false for
	// library-local actions implemented by a method of core.Handle.
	Daemon bool
	// Progress is true when the action may send PROGRESS events.
	Progress bool
	// Cancellable is true when guestfs_user_cancel stops the action.
	Cancellable bool
	// Group is the daemon action's area (a Group of Table.Groups): the
	// generator emits one Go interface per group, implemented by one
	// package under daemon/actions/. Empty for library actions.
	Group string
	// Optgroup is libguestfs's optional group of the action (an Optgroup of
	// Table.Optgroups), which `available` reports; empty when the action
	// is always there.
	Optgroup string
	// ProcNr is the procedure number of a daemon action: unique, never
	// reused, passed as array[0] of its PROGRESS events. 0 for library
	// actions.
	ProcNr int
	// DeprecatedBy names the action to use instead, when deprecated.
	DeprecatedBy string
	// BindingOptArgs names an action with the same required arguments
	// whose optional arguments this action takes in the Python and Ruby
	// bindings, which then call that action. It is libguestfs's
	// "once had no optargs": C keeps guestfs_add_drive(g, filename), while
	// scripts call g.add_drive(filename, readonly=True).
	BindingOptArgs string
	// Shortdesc is a one-line summary.
	Shortdesc string
	// Longdesc is the full documentation, in Markdown.
	Longdesc string
}

// FieldKind is the type of a struct field.
type FieldKind int

// The struct field kinds. FUUID is a 32-byte identifier without a NUL;
// FBytes is an unsigned 64-bit count of bytes; FChar is one C char (a
// dirent's file type letter); FBuffer is a byte buffer that may hold NULs,
// passed in C as a uint32_t NAME_len and a char *NAME.
const (
	FString FieldKind = iota
	FUUID
	FBytes
	FUInt64
	FInt64
	FUInt32
	FInt32
	FChar
	FBuffer
)

// Field is one member of a struct.
type Field struct {
	Kind FieldKind
	Name string
}

// Struct is a struct type returned by actions (RStruct, RStructList).
type Struct struct {
	Name   string
	Fields []Field
}

// Group is an area of the daemon: its actions form one Go interface that
// one package under daemon/actions/ implements, holding only that area's
// state.
type Group struct {
	Name string
	Doc  string
}

// Optgroup is one of libguestfs's optional groups of actions, named as
// libguestfs names it. A group is available when the daemon implements
// every action of the table that belongs to it; groups without any action
// here are known (`available_all_groups` lists them) but not available.
type Optgroup struct {
	Name string
	Doc  string
}

// Table is the whole API: every action, struct, daemon group and optional
// group.
type Table struct {
	Actions   []Action
	Structs   []Struct
	Groups    []Group
	Optgroups []Optgroup
}

// Struct returns the struct with the given name, or nil.
func (t *Table) Struct(name string) *Struct {
	for i := range t.Structs {
		if t.Structs[i].Name == name {
			return &t.Structs[i]
		}
	}
	return nil
}

// IsHostFile reports whether the argument names a host file that travels
// as a descriptor.
func (k ArgKind) IsHostFile() bool { return k == FileIn || k == FileOut }
