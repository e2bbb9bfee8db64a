// Package protocol is the wire protocol between the goguestfs library and its
// daemon (guestfsd): framing, encoding and file-descriptor passing over the
// unix stream socket of a socketpair, one per handle.
//
// # Framing
//
// Every message is one frame: a 4-byte big-endian payload length followed by
// that many payload bytes. A payload is never empty and never longer than
// MaxMessage. A reader checks the length before allocating anything, so a
// hostile length costs nothing; a short stream is ErrMalformed, an
// oversized length is ErrTooLarge.
//
// # Payload
//
// The payload is a CBOR sequence (RFC 8742) of exactly two data items:
//
//	type  unsigned integer, one of the Type constants (TypeHello, TypeCall, ...)
//	body  CBOR map with small unsigned integer keys: the fields of the
//	      matching Go struct (Hello, Call, Reply, Error, Progress, Log,
//	      Cancel, Shutdown), keys as given by the struct tags
//
// Nothing may follow the body. Encoding is canonical CBOR (RFC 7049 section
// 3.9: shortest forms, sorted map keys, definite lengths), so equal messages
// encode to equal bytes. Decoding is strict: no indefinite lengths, no tags,
// no duplicate map keys, no unknown fields, nesting at most MaxDepth levels,
// at most MaxElements array elements or map pairs per container. Text strings
// may hold bytes that are not valid UTF-8, because file names and messages
// coming from disk images are arbitrary bytes, as C strings are.
//
// Call.Args and Reply.Result are embedded CBOR data items produced by Marshal
// and read back by Unmarshal, which use the same strict options. A nil Args
// or Result travels as CBOR null and arrives as nil.
//
// # Conversation
//
// The daemon speaks first: a Hello with Magic and Version. The library
// checks it with CheckHello (or Conn.RecvHello) and gives up with ErrVersion
// on a mismatch. Hello's two fields are frozen across versions, and unknown
// fields in a Hello are ignored, so that any two versions can at least tell
// each other apart. Then the library sends Call messages; the daemon answers
// each with exactly one Reply or Error carrying the call's Serial, possibly
// preceded by Progress messages for that serial (only when Call.Progress is
// set) and Log lines at any time. Cancel asks the daemon to stop the running
// call, which then fails with EINTR. Shutdown asks the daemon to flush and
// exit; it answers with a Reply or Error carrying the Shutdown's Serial.
// Errno numbers are Linux errno values end to end.
//
// File descriptors (drives, upload and download files) travel as SCM_RIGHTS
// ancillary data attached to the first byte of a frame (Conn.SendFDs,
// Conn.RecvFDs), at most MaxFDs per message.
package protocol
