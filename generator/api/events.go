package api

// Event is one event class of the handle's event system. The values are
// libguestfs's and fixed for compatibility.
type Event struct {
	Name  string
	Value uint64
	Doc   string
}

// Events lists every event class in bit order.
var Events = []Event{
	{"close", 0x1, "the handle is being closed (after the daemon stopped)"},
	{"subprocess_quit", 0x2, "the daemon process exited"},
	{"launch_done", 0x4, "launch finished and the daemon is ready"},
	{"progress", 0x8, "progress of a long action: array = [proc_nr, serial, position, total]"},
	{"appliance", 0x10, "a log line from the daemon (verbose only), in buf"},
	{"library", 0x20, "a debug message from the library (verbose only), in buf"},
	{"trace", 0x40, "a trace line for a call or its result (trace only), in buf"},
	{"enter", 0x80, "an action starts; buf holds its name"},
	{"libvirt_auth", 0x100, "never sent: there is no libvirt backend; kept for compatibility"},
	{"warning", 0x200, "a warning message, in buf"},
}

// EventAll is the union of every event class.
const EventAll = 0x3ff
