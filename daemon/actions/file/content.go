package file

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	iofs "io/fs"
	"os"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"goguestfs/daemon/errno"
	vfs "goguestfs/daemon/fs"
	"goguestfs/daemon/server"
)

// readChunk is how much of a file one read of the content actions asks
// for: files are streamed, never held whole.
const readChunk = 256 << 10

// tooBig is the EFBIG of a result that would not fit in a reply.
func tooBig(p string) error {
	return errno.New(syscall.EFBIG, "%s: the result is larger than a message (%d bytes)", errno.Cut(p), maxMessage)
}

// openRead resolves p, following links, and opens the regular file there
// for reading (EISDIR for a directory, EINVAL for a special file).
func (a *Actions) openRead(p string) (node, vfs.File, error) {
	n, err := a.resolve(p, true)
	if err != nil {
		return node{}, nil, err
	}
	f, err := n.openFile(os.O_RDONLY, 0)
	if err != nil {
		return node{}, nil, err
	}
	return n, f, nil
}

// fileReader reads an open file in order from off, in the chunks its
// reader asks for, checking for the call's cancellation and reporting
// progress through the file.
type fileReader struct {
	c    *server.Call
	n    node
	f    vfs.File
	off  int64
	size int64
}

// newFileReader reads f (of n) from its start.
func newFileReader(c *server.Call, n node, f vfs.File) (*fileReader, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, n.wrap(err)
	}
	return &fileReader{c: c, n: n, f: f, size: fi.Size}, nil
}

// Read reads the next bytes; io.EOF at the end of the file.
func (r *fileReader) Read(b []byte) (int, error) {
	if err := r.c.Cancelled(); err != nil {
		return 0, err
	}
	k, err := r.f.ReadAt(b, r.off)
	r.off += int64(k)
	if r.size > 0 {
		r.c.Progress(uint64(min(r.off, r.size)), uint64(r.size))
	}
	if err != nil && err != io.EOF {
		return k, r.n.wrap(err)
	}
	return k, err
}

// cborHead is the size of the CBOR head of a string or array of n.
func cborHead(n int) int {
	switch {
	case n < 24:
		return 1
	case n < 1<<8:
		return 2
	case n < 1<<16:
		return 3
	case n < 1<<32:
		return 5
	}
	return 9
}

// lineList collects a list result, refusing with EFBIG one that would not
// fit in a reply.
type lineList struct {
	p     string
	lines []string
	size  int
}

// newLineList starts an empty result for the caller's path p.
func newLineList(p string) *lineList { return &lineList{p: p, lines: []string{}, size: 9} }

// add appends b.
func (l *lineList) add(b []byte) error {
	l.size += cborHead(len(b)) + len(b)
	if l.size > maxMessage {
		return tooBig(l.p)
	}
	l.lines = append(l.lines, string(b))
	return nil
}

// lineScanner splits a stream into lines as libguestfs's split_lines does:
// each ending in "\n" (removed), then a last one without it unless empty.
type lineScanner struct {
	r    *bufio.Reader
	p    string
	off  int64 // offset of the next line in the stream
	line []byte
}

// newLineScanner scans r, naming the caller's path p in its errors.
func newLineScanner(r io.Reader, p string) *lineScanner {
	return &lineScanner{r: bufio.NewReaderSize(r, readChunk), p: p}
}

// next returns the next line (valid until the following call) and its
// offset in the stream, or io.EOF after the last. A line longer than a
// message gives EFBIG: no action could return it.
func (s *lineScanner) next() ([]byte, int64, error) {
	start := s.off
	s.line = s.line[:0]
	for {
		frag, err := s.r.ReadSlice('\n')
		s.off += int64(len(frag))
		if len(s.line)+len(frag) > maxMessage+1 {
			return nil, start, errno.New(syscall.EFBIG, "%s: a line at offset %d is longer than a message (%d bytes)", errno.Cut(s.p), start, maxMessage)
		}
		switch {
		case err == nil && len(s.line) == 0:
			return frag[:len(frag)-1], start, nil
		case err == nil:
			s.line = append(s.line, frag[:len(frag)-1]...)
			return s.line, start, nil
		case err == bufio.ErrBufferFull:
			s.line = append(s.line, frag...)
		case err == io.EOF:
			s.line = append(s.line, frag...)
			if len(s.line) == 0 {
				return nil, start, io.EOF
			}
			return s.line, start, nil
		default:
			return nil, start, err
		}
	}
}

// readAll reads the whole of the open file f of n, refusing (EFBIG) one
// larger than a message.
func readAll(c *server.Call, n node, f vfs.File) ([]byte, error) {
	r, err := newFileReader(c, n, f)
	if err != nil {
		return nil, err
	}
	if r.size > maxMessage {
		return nil, tooBig(n.p)
	}
	var buf bytes.Buffer
	buf.Grow(int(r.size))
	if _, err := buf.ReadFrom(io.LimitReader(r, maxMessage+1)); err != nil {
		return nil, err
	}
	if buf.Len() > maxMessage {
		return nil, tooBig(n.p)
	}
	return buf.Bytes(), nil
}

// ReadFile returns the whole contents of a file.
func (a *Actions) ReadFile(c *server.Call, p string) ([]byte, error) {
	n, f, err := a.openRead(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readAll(c, n, f)
}

// Cat returns the contents of a text file: one with a NUL byte is EINVAL.
func (a *Actions) Cat(c *server.Call, p string) (string, error) {
	n, f, err := a.openRead(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := readAll(c, n, f)
	if err != nil {
		return "", err
	}
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return "", errno.New(syscall.EINVAL, "%s: a NUL byte at offset %d: not a text file (use read_file)", errno.Cut(p), i)
	}
	return string(b), nil
}

// scanFile scans the lines of the open file f of n from its start.
func scanFile(c *server.Call, n node, f vfs.File) (*lineScanner, *fileReader, error) {
	r, err := newFileReader(c, n, f)
	if err != nil {
		return nil, nil, err
	}
	return newLineScanner(r, n.p), r, nil
}

// collect adds the lines s still has to out, the first skip of them
// skipped and at most limit of them added (limit < 0: all); trimCR
// removes a "\r" ending a line.
func collect(s *lineScanner, out *lineList, skip, limit int64, trimCR bool) error {
	for limit != 0 {
		line, _, err := s.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if skip > 0 {
			skip--
			continue
		}
		if trimCR && len(line) > 0 && line[len(line)-1] == '\r' {
			line = line[:len(line)-1]
		}
		if err := out.add(line); err != nil {
			return err
		}
		limit--
	}
	return nil
}

// ReadLines returns the lines of a file without their "\n" or "\r\n".
func (a *Actions) ReadLines(c *server.Call, p string) ([]string, error) {
	n, f, err := a.openRead(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	s, _, err := scanFile(c, n, f)
	if err != nil {
		return nil, err
	}
	out := newLineList(p)
	if err := collect(s, out, 0, -1, true); err != nil {
		return nil, err
	}
	return out.lines, nil
}

// Head returns the first 10 lines of a file.
func (a *Actions) Head(c *server.Call, p string) ([]string, error) { return a.HeadN(c, 10, p) }

// Tail returns the last 10 lines of a file.
func (a *Actions) Tail(c *server.Call, p string) ([]string, error) { return a.TailN(c, 10, p) }

// countLines counts the lines of the open file f of n, as split_lines
// would split it.
func countLines(c *server.Call, n node, f vfs.File) (int64, error) {
	r, err := newFileReader(c, n, f)
	if err != nil {
		return 0, err
	}
	buf := make([]byte, readChunk)
	var lines int64
	last := byte('\n')
	for {
		k, err := r.Read(buf)
		lines += int64(bytes.Count(buf[:k], []byte{'\n'}))
		if k > 0 {
			last = buf[k-1]
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, err
		}
	}
	if last != '\n' {
		lines++
	}
	return lines, nil
}

// HeadN returns the first nrlines lines of a file, or with a negative
// nrlines all but the last -nrlines, as head -n does.
func (a *Actions) HeadN(c *server.Call, nrlines int, p string) ([]string, error) {
	n, f, err := a.openRead(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := newLineList(p)
	want := int64(nrlines)
	if want < 0 {
		total, err := countLines(c, n, f)
		if err != nil {
			return nil, err
		}
		if want = total + want; want <= 0 {
			return out.lines, nil
		}
	}
	if want == 0 {
		return out.lines, nil
	}
	s, _, err := scanFile(c, n, f)
	if err != nil {
		return nil, err
	}
	if err := collect(s, out, 0, want, false); err != nil {
		return nil, err
	}
	return out.lines, nil
}

// TailN returns the last nrlines lines of a file, or with a negative
// nrlines those from line -nrlines on, as tail -n and tail -n +N do.
func (a *Actions) TailN(c *server.Call, nrlines int, p string) ([]string, error) {
	n, f, err := a.openRead(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := newLineList(p)
	switch {
	case nrlines == 0:
		return out.lines, nil
	case nrlines < 0:
		s, _, err := scanFile(c, n, f)
		if err != nil {
			return nil, err
		}
		if err := collect(s, out, max(-int64(nrlines)-1, 0), -1, false); err != nil {
			return nil, err
		}
		return out.lines, nil
	}
	start, err := tailStart(c, n, f, int64(nrlines))
	if err != nil {
		return nil, err
	}
	s, r, err := scanFile(c, n, f)
	if err != nil {
		return nil, err
	}
	r.off = start
	if err := collect(s, out, 0, -1, false); err != nil {
		return nil, err
	}
	return out.lines, nil
}

// tailStart returns the offset in the open file f of n where its last
// want lines start, reading it backwards from its end; EFBIG as soon as
// those lines cannot fit in a reply.
func tailStart(c *server.Call, n node, f vfs.File, want int64) (int64, error) {
	fi, err := f.Stat()
	if err != nil {
		return 0, n.wrap(err)
	}
	size := fi.Size
	buf := make([]byte, readChunk)
	end := size
	if size > 0 {
		if _, err := f.ReadAt(buf[:1], size-1); err != nil && err != io.EOF {
			return 0, n.wrap(err)
		}
		if buf[0] == '\n' {
			end-- // it ends the last line rather than starting another
		}
	}
	var found int64
	for pos := end; pos > 0; {
		if err := c.Cancelled(); err != nil {
			return 0, err
		}
		k := min(int64(readChunk), pos)
		pos -= k
		if _, err := f.ReadAt(buf[:k], pos); err != nil && err != io.EOF {
			return 0, n.wrap(err)
		}
		for i := k - 1; i >= 0; i-- {
			if buf[i] == '\n' {
				if found++; found == want {
					return pos + i + 1, nil
				}
			}
		}
		if end-pos-found > maxMessage {
			return 0, tooBig(n.p)
		}
	}
	return 0, nil
}

// grepBlock is the size of the buffers GNU grep reads: once one of them
// holds a NUL byte the file is binary, and grep prints no line from that
// buffer on ("binary file matches" goes to its standard error).
const grepBlock = 32 << 10

// GrepOpts returns the lines of a file that match a POSIX regular
// expression (basic, extended, or a fixed string), as grep in the C
// locale does, optionally ignoring case or through gzip (zgrep).
func (a *Actions) GrepOpts(c *server.Call, regex string, p string, opts *server.GrepOptsOpts) ([]string, error) {
	flag := func(b *bool) bool { return b != nil && *b }
	ext, fixed, fold := flag(opts.Extended), flag(opts.Fixed), flag(opts.Insensitive)
	if ext && fixed {
		return nil, errno.New(syscall.EINVAL, "the extended and fixed flags cannot be used together")
	}
	n, f, err := a.openRead(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	re, err := compileGrep(regex, ext, fixed, fold)
	if err != nil {
		return nil, err
	}
	fr, err := newFileReader(c, n, f)
	if err != nil {
		return nil, err
	}
	var r io.Reader = fr
	if flag(opts.Compressed) {
		if r, err = zcat(fr, p); err != nil {
			return nil, err
		}
	}
	s := newLineScanner(r, p)
	out := newLineList(p)
	var offs []int64
	for {
		line, off, err := s.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if i := bytes.IndexByte(line, 0); i >= 0 {
			cut := (off + int64(i)) / grepBlock * grepBlock
			k := len(offs)
			for k > 0 && offs[k-1] >= cut {
				k--
			}
			out.lines = out.lines[:k]
			break
		}
		if re.match(line) {
			if err := out.add(line); err != nil {
				return nil, err
			}
			offs = append(offs, off)
		}
	}
	return out.lines, nil
}

// zcat returns what zgrep would read of r: the data of a gzip file (all
// its members, trailing garbage ignored as gzip -q does), other data as
// it is (gzip -f), but ENOTSUP for the compressed formats zgrep knows
// and this daemon does not decode.
func zcat(r io.Reader, p string) (io.Reader, error) {
	br := bufio.NewReaderSize(r, readChunk)
	magic, err := br.Peek(6)
	if err != nil && err != io.EOF {
		return nil, err
	}
	switch {
	case bytes.HasPrefix(magic, []byte("\x1f\x8b")):
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, gzipErr(p, err)
		}
		zr.Multistream(false)
		return &gunzip{zr: zr, br: br, p: p}, nil
	case bytes.HasPrefix(magic, []byte("BZh")), bytes.HasPrefix(magic, []byte("\xfd7zXZ\x00")),
		bytes.HasPrefix(magic, []byte("\x1f\x9d")), bytes.HasPrefix(magic, []byte("\x1f\x1e")):
		return nil, errno.New(syscall.ENOTSUP, "%s: only gzip compressed files can be searched", errno.Cut(p))
	}
	return br, nil
}

// gunzip reads the members of a gzip file one after another.
type gunzip struct {
	zr *gzip.Reader
	br *bufio.Reader
	p  string
}

// Read reads decompressed data, going on to the next member at the end of
// one; anything but a gzip header after a member ends the data.
func (g *gunzip) Read(b []byte) (int, error) {
	for {
		k, err := g.zr.Read(b)
		if err != io.EOF {
			if err != nil {
				err = gzipErr(g.p, err)
			}
			return k, err
		}
		if k > 0 {
			return k, nil
		}
		next, perr := g.br.Peek(2)
		if perr != nil || next[0] != 0x1f || next[1] != 0x8b {
			return 0, io.EOF
		}
		if err := g.zr.Reset(g.br); err != nil {
			return 0, gzipErr(g.p, err)
		}
		g.zr.Multistream(false)
	}
}

// gzipErr gives a decompression error EINVAL, keeping the errno of a
// read error (or a cancel).
func gzipErr(p string, err error) error {
	var e *errno.Error
	if errors.As(err, &e) {
		return err
	}
	return errno.New(syscall.EINVAL, "%s: invalid gzip data: %v", errno.Cut(p), err)
}

// Pread returns up to count bytes of a file from offset.
func (a *Actions) Pread(c *server.Call, p string, count int, offset int64) ([]byte, error) {
	n, f, err := a.openRead(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	switch {
	case count < 0:
		return nil, errno.New(syscall.EINVAL, "%s: count %d is negative", errno.Cut(p), count)
	case offset < 0:
		return nil, errno.New(syscall.EINVAL, "%s: offset %d is negative", errno.Cut(p), offset)
	case count > maxMessage:
		return nil, errno.New(syscall.EINVAL, "%s: count %d is larger than a message (%d bytes), use smaller reads", errno.Cut(p), count, maxMessage)
	}
	buf := make([]byte, count)
	k, err := f.ReadAt(buf, offset)
	if err != nil && err != io.EOF {
		return nil, n.wrap(err)
	}
	return buf[:k], nil
}

// cksumTable is the table of POSIX cksum's CRC (polynomial 0x04C11DB7,
// most significant bit first).
var cksumTable = func() (t [256]uint32) {
	for i := range t {
		crc := uint32(i) << 24
		for range 8 {
			if crc&0x80000000 != 0 {
				crc = crc<<1 ^ 0x04C11DB7
			} else {
				crc <<= 1
			}
		}
		t[i] = crc
	}
	return t
}()

// cksum is POSIX cksum's checksum of what is written to it.
type cksum struct {
	crc uint32
	n   uint64
}

// Write adds b to the checksum.
func (h *cksum) Write(b []byte) (int, error) {
	crc := h.crc
	for _, x := range b {
		crc = crc<<8 ^ cksumTable[byte(crc>>24)^x]
	}
	h.crc = crc
	h.n += uint64(len(b))
	return len(b), nil
}

// value is the checksum: the CRC of the data followed by its length in as
// few bytes as it takes (least significant first), complemented.
func (h *cksum) value() uint32 {
	crc := h.crc
	for n := h.n; n != 0; n >>= 8 {
		crc = crc<<8 ^ cksumTable[byte(crc>>24)^byte(n)]
	}
	return ^crc
}

// Checksum returns a file's checksum as md5sum, sha*sum or (crc) cksum
// print it.
func (a *Actions) Checksum(c *server.Call, csumtype string, p string) (string, error) {
	n, f, err := a.openRead(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	var h hash.Hash
	var crc *cksum
	switch strings.ToLower(csumtype) {
	case "crc":
		crc = &cksum{}
	case "md5":
		h = md5.New()
	case "sha1":
		h = sha1.New()
	case "sha224":
		h = sha256.New224()
	case "sha256":
		h = sha256.New()
	case "sha384":
		h = sha512.New384()
	case "sha512":
		h = sha512.New()
	default:
		return "", errno.New(syscall.EINVAL, "%s: unknown checksum type, expecting crc|md5|sha1|sha224|sha256|sha384|sha512", errno.Cut(csumtype))
	}
	r, err := newFileReader(c, n, f)
	if err != nil {
		return "", err
	}
	var w io.Writer = h
	if crc != nil {
		w = crc
	}
	if _, err := io.CopyBuffer(w, r, make([]byte, readChunk)); err != nil {
		return "", err
	}
	if crc != nil {
		return strconv.FormatUint(uint64(crc.value()), 10), nil
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// byteSet is a set of bytes: a character class of the C locale.
type byteSet [4]uint64

// add adds b.
func (s *byteSet) add(b byte) { s[b>>6] |= 1 << (b & 63) }

// has reports whether b is in the set.
func (s *byteSet) has(b byte) bool { return s[b>>6]&(1<<(b&63)) != 0 }

// invert makes the set its complement.
func (s *byteSet) invert() { s[0], s[1], s[2], s[3] = ^s[0], ^s[1], ^s[2], ^s[3] }

// addSet adds the bytes of o.
func (s *byteSet) addSet(o byteSet) {
	s[0], s[1], s[2], s[3] = s[0]|o[0], s[1]|o[1], s[2]|o[2], s[3]|o[3]
}

// addFold adds b and, for a letter, its other case (grep -i in the C
// locale folds ASCII letters only).
func (s *byteSet) addFold(b byte, fold bool) {
	s.add(b)
	if fold {
		switch {
		case 'a' <= b && b <= 'z':
			s.add(b - 'a' + 'A')
		case 'A' <= b && b <= 'Z':
			s.add(b - 'A' + 'a')
		}
	}
}

// goRune is byte b as a Go regexp escape of the rune it is matched as.
func goRune(b int) string { return `\x{` + strconv.FormatInt(int64(b), 16) + `}` }

// goClass returns the set as a Go regexp over runes 0-255.
func (s *byteSet) goClass() string {
	var sb strings.Builder
	sb.WriteByte('[')
	count := 0
	for c := 0; c < 256; {
		if !s.has(byte(c)) {
			c++
			continue
		}
		hi := c
		for hi < 255 && s.has(byte(hi+1)) {
			hi++
		}
		sb.WriteString(goRune(c))
		if hi > c {
			sb.WriteByte('-')
			sb.WriteString(goRune(hi))
		}
		count++
		c = hi + 1
	}
	if count == 0 {
		return `[^\x{0}-\x{10ffff}]`
	}
	sb.WriteByte(']')
	return sb.String()
}

// posixClasses are the character classes of the C locale.
var posixClasses = func() map[string]byteSet {
	m := map[string]byteSet{}
	for c := 0; c < 256; c++ {
		b := byte(c)
		upper, lower, digit := 'A' <= b && b <= 'Z', 'a' <= b && b <= 'z', '0' <= b && b <= '9'
		is := map[string]bool{
			"upper":  upper,
			"lower":  lower,
			"alpha":  upper || lower,
			"digit":  digit,
			"alnum":  upper || lower || digit,
			"xdigit": digit || ('a' <= b && b <= 'f') || ('A' <= b && b <= 'F'),
			"space":  b == ' ' || ('\t' <= b && b <= '\r'),
			"blank":  b == ' ' || b == '\t',
			"print":  0x20 <= b && b <= 0x7e,
			"graph":  0x21 <= b && b <= 0x7e,
			"punct":  0x21 <= b && b <= 0x7e && !(upper || lower || digit),
			"cntrl":  b < 0x20 || b == 0x7f,
		}
		for name, ok := range is {
			s := m[name]
			if ok {
				s.add(b)
			}
			m[name] = s
		}
	}
	return m
}()

// grepMatcher matches lines as grep does in the C locale: with a Go
// regexp over runes 0-255 (one per byte), or with an NFA for the patterns
// Go cannot express (word starts and ends, \< and \>).
type grepMatcher struct {
	re  *regexp.Regexp
	nfa *wordNFA
}

// byteRunes reads a line as runes 0-255, one per byte.
type byteRunes struct {
	b []byte
	i int
}

// ReadRune returns the next byte as a rune.
func (r *byteRunes) ReadRune() (rune, int, error) {
	if r.i >= len(r.b) {
		return 0, 0, io.EOF
	}
	r.i++
	return rune(r.b[r.i-1]), 1, nil
}

// match reports whether line matches.
func (m grepMatcher) match(line []byte) bool {
	if m.nfa != nil {
		return m.nfa.match(line)
	}
	for _, b := range line {
		if b >= 0x80 {
			return m.re.MatchReader(&byteRunes{b: line})
		}
	}
	return m.re.Match(line)
}

// compileGrep compiles grep's pattern: lines, any of which may match;
// each a basic or (ext) extended POSIX regular expression as GNU grep
// reads them, or (fixed) a string; fold ignores case.
func compileGrep(pattern string, ext, fixed, fold bool) (grepMatcher, error) {
	all := &reNode{kind: rAlt}
	for _, pat := range strings.Split(pattern, "\n") {
		n := &reNode{kind: rConcat}
		if fixed {
			for i := 0; i < len(pat); i++ {
				c := &reNode{kind: rSet}
				c.set.addFold(pat[i], fold)
				n.subs = append(n.subs, c)
			}
		} else {
			p := &reParser{lexer: reLexer{s: pat, ere: ext, fold: fold, laststart: true}}
			var err error
			if n, err = p.parse(); err != nil {
				return grepMatcher{}, errno.New(syscall.EINVAL, "%s: %v", errno.Cut(pat), err)
			}
		}
		all.subs = append(all.subs, n)
	}
	if all.hasWordEdge() {
		m, err := compileNFA(all)
		if err != nil {
			return grepMatcher{}, errno.New(syscall.EINVAL, "%s: %v", errno.Cut(pattern), err)
		}
		return grepMatcher{nfa: m}, nil
	}
	src, _ := all.goSyntax()
	re, err := regexp.Compile(src)
	if err != nil {
		return grepMatcher{}, errno.New(syscall.EINVAL, "%s: %v", errno.Cut(pattern), err)
	}
	return grepMatcher{re: re}, nil
}

// reTok is a token of a POSIX regular expression, as GNU's dfa.c lexes
// them.
type reTok int

const (
	tEnd reTok = iota
	tSet
	tBegLine
	tEndLine
	tBegWord
	tEndWord
	tLimWord
	tNotLimWord
	tStar
	tPlus
	tQmark
	tRepmn
	tOr
	tLparen
	tRparen
)

// reDupMax is RE_DUP_MAX, the largest count of an interval.
const reDupMax = 0x7fff

// reLexer splits a pattern into tokens with GNU grep's context rules for
// basic (ere false) and extended expressions: dfa.c's, which decide how
// grep matches, and the errors that glibc's regcomp, which grep also runs
// on every pattern, adds.
type reLexer struct {
	s         string
	i         int
	ere, fold bool
	parens    int
	last      reTok // the previous token, for the context of ^
	laststart bool  // at the start of an expression: * is literal in a BRE
	prevAtom  bool  // after an atom or closure, where regcomp checks an interval
	// skipped is set when regcomp has just skipped an ERE operator at the
	// start of an expression: a ")" next is a character to it, and the
	// group it was to close unmatched.
	skipped bool
	// the value of the last token
	set      byteSet
	min, max int
}

// reError is a syntax error of a pattern.
type reError string

// Error returns the message.
func (e reError) Error() string { return string(e) }

// lex returns the next token.
func (l *reLexer) lex() (reTok, error) {
	start := l.ere && !l.prevAtom
	brace := l.i < len(l.s) && l.s[l.i] == '{'
	t, err := l.lex1()
	if err != nil {
		return t, err
	}
	if t == tRparen && l.skipped {
		return tEnd, reError(`unmatched ( or \(`)
	}
	l.last, l.skipped = t, false
	switch {
	case start && brace && t == tRepmn:
		// regcomp skips the "{" and reads the interval as characters.
		l.prevAtom = true
	case start && (brace || t == tStar || t == tPlus || t == tQmark):
		l.skipped = true
	case t == tSet || t == tRparen:
		l.prevAtom = true
	case t == tStar || t == tPlus || t == tQmark || t == tRepmn || t == tEnd:
	default:
		l.prevAtom = false
	}
	return t, nil
}

// lex1 is lex without the bookkeeping of the previous token.
func (l *reLexer) lex1() (reTok, error) {
	if l.i >= len(l.s) {
		return tEnd, nil
	}
	c := l.s[l.i]
	l.i++
	backslash := false
	if c == '\\' {
		if l.i >= len(l.s) {
			return tEnd, reError("trailing backslash")
		}
		backslash = true
		c = l.s[l.i]
		l.i++
	}
	normal := func() (reTok, error) {
		l.laststart = false
		l.set = byteSet{}
		l.set.addFold(c, l.fold)
		return tSet, nil
	}
	// bk reports whether an operator is written with a backslash in this
	// dialect and so is one here: ( ) { } | in a BRE, none in an ERE.
	bk := !l.ere
	switch c {
	case '^':
		if backslash {
			return normal()
		}
		if l.ere || l.last == tEnd || l.last == tLparen || l.last == tOr {
			return tBegLine, nil
		}
		return normal()
	case '$':
		if backslash {
			return normal()
		}
		if l.ere || l.i == len(l.s) || l.beforeBRE(')') || l.beforeBRE('|') {
			return tEndLine, nil
		}
		return normal()
	case '1', '2', '3', '4', '5', '6', '7', '8', '9':
		if backslash {
			return tEnd, reError("back-references are not supported")
		}
		return normal()
	case '`', '\'', '<', '>', 'b', 'B':
		if !backslash {
			return normal()
		}
		return map[byte]reTok{'`': tBegLine, '\'': tEndLine, '<': tBegWord, '>': tEndWord, 'b': tLimWord, 'B': tNotLimWord}[c], nil
	case '?', '+':
		if backslash != bk || (l.laststart && !l.ere) {
			return normal()
		}
		if c == '?' {
			return tQmark, nil
		}
		return tPlus, nil
	case '*':
		if backslash || (l.laststart && !l.ere) {
			return normal()
		}
		return tStar, nil
	case '{':
		if backslash != bk {
			return normal()
		}
		return l.interval(normal)
	case '|':
		if backslash != bk {
			return normal()
		}
		l.laststart = true
		return tOr, nil
	case '(':
		if backslash != bk {
			return normal()
		}
		l.parens++
		l.laststart = true
		return tLparen, nil
	case ')':
		if backslash != bk || (l.parens == 0 && l.ere) {
			return normal()
		}
		l.parens--
		l.laststart = false
		return tRparen, nil
	case '.':
		if backslash {
			return normal()
		}
		l.laststart = false
		l.set = byteSet{}
		l.set.invert()
		return tSet, nil
	case 's', 'S', 'w', 'W':
		if !backslash {
			return normal()
		}
		l.laststart = false
		if c == 's' || c == 'S' {
			l.set = posixClasses["space"]
		} else {
			l.set = posixClasses["alnum"]
			l.set.add('_')
		}
		if c == 'S' || c == 'W' {
			l.set.invert()
		}
		return tSet, nil
	case '[':
		if backslash {
			return normal()
		}
		l.laststart = false
		return tSet, l.bracket()
	}
	return normal()
}

// beforeBRE reports whether the BRE operator op (written \op) or the
// character op follows, with a character after it: what dfa.c checks
// before making $ an anchor.
func (l *reLexer) beforeBRE(op byte) bool {
	if l.ere || len(l.s)-l.i < 2 {
		return false
	}
	k := l.i
	if l.s[k] == '\\' {
		k++
	}
	return l.s[k] == op
}

// interval lexes an interval after its "{" (or "\{"): a repetition, or
// where dfa.c takes the "{" literally, that.
func (l *reLexer) interval(normal func() (reTok, error)) (reTok, error) {
	if l.ere && l.prevAtom {
		if err := regcompInterval(l.s[l.i:]); err != nil {
			return tEnd, err
		}
	}
	p := l.i
	minRep, maxRep := -1, -1
	for ; p < len(l.s) && isDigit(l.s[p]); p++ {
		minRep = min(reDupMax+1, max(minRep, 0)*10+int(l.s[p]-'0'))
	}
	if p < len(l.s) {
		if l.s[p] != ',' {
			maxRep = minRep
		} else {
			if minRep < 0 {
				minRep = 0
			}
			for p++; p < len(l.s) && isDigit(l.s[p]); p++ {
				maxRep = min(reDupMax+1, max(maxRep, 0)*10+int(l.s[p]-'0'))
			}
		}
	}
	valid := true
	if !l.ere {
		if p < len(l.s) && l.s[p] == '\\' {
			p++
		} else {
			valid = false
		}
	}
	if valid && p < len(l.s) && l.s[p] == '}' {
		p++
	} else {
		valid = false
	}
	valid = valid && minRep >= 0 && (maxRep < 0 || minRep <= maxRep)
	if !valid && l.ere {
		return normal()
	}
	if l.laststart && !l.ere {
		return normal()
	}
	if !valid {
		return tEnd, reError(`invalid content of \{\}`)
	}
	if maxRep > reDupMax || (!l.ere && maxRep < 0 && minRep > reDupMax) {
		return tEnd, reError("regular expression too big")
	}
	l.i = p
	l.laststart = false
	l.min, l.max = minRep, maxRep
	return tRepmn, nil
}

// isDigit reports whether b is an ASCII digit.
func isDigit(b byte) bool { return '0' <= b && b <= '9' }

// regcompInterval reports the errors glibc's regcomp gives for an ERE
// interval whose text (after the "{") it reads as one: an empty one, one
// with more than two numbers, counts out of order or too large. Where
// regcomp takes the "{" literally it is nil.
func regcompInterval(s string) error {
	const missing, bad = -1, -2
	i := 0
	// fetch reads a number up to "," or "}", returning what ended it
	// (0 at the end of the pattern, where regcomp gives up: bad).
	fetch := func() (int, byte) {
		num := missing
		for {
			if i >= len(s) {
				return bad, 0
			}
			c := s[i]
			i++
			if c == '}' || c == ',' {
				return num, c
			}
			if c == '\\' && i < len(s) {
				i++
				num = bad
				continue
			}
			switch {
			case !isDigit(c) || num == bad:
				num = bad
			case num == missing:
				num = int(c - '0')
			default:
				num = min(reDupMax+1, num*10+int(c-'0'))
			}
		}
	}
	start, term := fetch()
	if start == missing {
		if term != ',' {
			return reError(`invalid content of \{\}`)
		}
		start = 0
	}
	end := bad
	if start != bad {
		switch term {
		case '}':
			end = start
		case ',':
			end, term = fetch()
		}
	}
	if start == bad || end == bad {
		return nil
	}
	if (end != missing && start > end) || term != '}' {
		return reError(`invalid content of \{\}`)
	}
	if top := end; top == missing && start > reDupMax || top > reDupMax {
		return reError("regular expression too big")
	}
	return nil
}

// bracket lexes a bracket expression after its "[" into l.set, as dfa.c
// does in the C locale, with regcomp's errors: a range whose ends are
// out of order (compared in upper case under -i, as regcomp reads the
// pattern then), a "-" after a range or class that does not end the
// expression, an unknown class, a collating element longer than a
// character.
func (l *reLexer) bracket() error {
	unbalanced := reError("unbalanced [")
	badRange := reError("invalid range end")
	next := func() (byte, error) {
		if l.i >= len(l.s) {
			return 0, unbalanced
		}
		l.i++
		return l.s[l.i-1], nil
	}
	// element reads the name of a [:class:], [=c=] or [.c.] after its
	// "[" and kind.
	element := func(kind byte) (string, error) {
		start := l.i
		for {
			if l.i+1 >= len(l.s) {
				return "", unbalanced
			}
			if l.s[l.i] == kind && l.s[l.i+1] == ']' {
				name := l.s[start:l.i]
				l.i += 2
				return name, nil
			}
			l.i++
		}
	}
	opensElement := func() bool { return l.i < len(l.s) && strings.IndexByte(":.=", l.s[l.i]) >= 0 }
	upper := func(b byte) byte {
		if l.fold && 'a' <= b && b <= 'z' {
			return b - 'a' + 'A'
		}
		return b
	}
	var set byteSet
	c, err := next()
	if err != nil {
		return err
	}
	invert := c == '^'
	if invert {
		if c, err = next(); err != nil {
			return err
		}
	}
	colon := 0 // dfa.c's check for [:space:] written without its brackets
	if c == ':' {
		colon = 1
	}
	for first := true; first || c != ']'; first = false {
		colon &^= 2
		if c == '-' && !first && l.i < len(l.s) && l.s[l.i] != ']' {
			return badRange
		}
		if c == '[' && opensElement() {
			kind := l.s[l.i]
			l.i++
			name, err := element(kind)
			if err != nil {
				return err
			}
			colon |= 8
			switch {
			case kind == ':':
				class := name
				if l.fold && (class == "upper" || class == "lower") {
					class = "alpha"
				}
				s, ok := posixClasses[class]
				if !ok {
					return reError("invalid character class")
				}
				set.addSet(s)
			case len(name) != 1:
				return reError("invalid collation character")
			case kind == '=':
				set.addFold(name[0], l.fold)
			default:
				c = name[0] // a collating element: a character
			}
			if kind != '.' {
				// A class cannot start a range.
				if c, err = next(); err != nil {
					return err
				}
				if c == '-' && l.i < len(l.s) && l.s[l.i] != ']' {
					return badRange
				}
				continue
			}
		}
		c1, err := next()
		if err != nil {
			return err
		}
		if c1 == '-' {
			c2, err := next()
			if err != nil {
				return err
			}
			if c2 == ']' {
				l.i-- // [x-]: the - is a character, ] ends the expression
			} else {
				if c2 == '[' && opensElement() {
					kind := l.s[l.i]
					l.i++
					name, err := element(kind)
					if err != nil {
						return err
					}
					if kind != '.' || len(name) != 1 {
						return badRange
					}
					c2 = name[0]
				}
				colon |= 8
				if upper(c) > upper(c2) {
					return badRange
				}
				for ci := int(c); ci <= int(c2); ci++ {
					set.addFold(byte(ci), l.fold)
				}
				if c, err = next(); err != nil {
					return err
				}
				continue
			}
		}
		if c == ':' {
			colon |= 2
		} else {
			colon |= 4
		}
		set.addFold(c, l.fold)
		c = c1
	}
	if colon == 7 {
		return reError("character class syntax is [[:space:]], not [:space:]")
	}
	if invert {
		set.invert()
	}
	l.set = set
	return nil
}

// reKind is the kind of a node of a parsed pattern.
type reKind int

const (
	rEmpty  reKind = iota // matches the empty string
	rSet                  // one byte of set
	rAssert               // an anchor: the token that made it
	rConcat               // subs one after another
	rAlt                  // any of subs
	rRepeat               // subs[0] from min to max times (max < 0: no bound)
)

// reNode is a node of a parsed pattern.
type reNode struct {
	kind     reKind
	set      byteSet
	anchor   reTok
	subs     []*reNode
	min, max int
}

// hasWordEdge reports whether n holds a \< or \>.
func (n *reNode) hasWordEdge() bool {
	if n.kind == rAssert && (n.anchor == tBegWord || n.anchor == tEndWord) {
		return true
	}
	for _, s := range n.subs {
		if s.hasWordEdge() {
			return true
		}
	}
	return false
}

// goSyntax returns n in Go regexp syntax over runes 0-255, and the product
// of the repetition counts nested in it (Go refuses more than 1000).
// Counts that Go's limit refuses become a concatenation of copies.
func (n *reNode) goSyntax() (string, int) {
	switch n.kind {
	case rSet:
		return n.set.goClass(), 1
	case rAssert:
		return map[reTok]string{tBegLine: "^", tEndLine: "$", tLimWord: `\b`, tNotLimWord: `\B`}[n.anchor], 1
	case rConcat, rAlt:
		var parts []string
		weight := 1
		for _, s := range n.subs {
			src, w := s.goSyntax()
			parts = append(parts, src)
			weight = max(weight, w)
		}
		if n.kind == rConcat {
			return strings.Join(parts, ""), weight
		}
		return "(?:" + strings.Join(parts, "|") + ")", weight
	case rRepeat:
		sub, w := n.subs[0].goSyntax()
		if sub == "" {
			return "", 1
		}
		group := "(?:" + sub + ")"
		switch {
		case n.min == 0 && n.max < 0:
			return group + "*", w
		case n.min == 1 && n.max < 0:
			return group + "+", w
		case n.min == 0 && n.max == 1:
			return group + "?", w
		}
		count := n.max
		if n.max < 0 {
			count = n.min
		}
		if w*count <= 1000 {
			switch {
			case n.max < 0:
				group += "{" + strconv.Itoa(n.min) + ",}"
			case n.min == n.max:
				group += "{" + strconv.Itoa(n.min) + "}"
			default:
				group += "{" + strconv.Itoa(n.min) + "," + strconv.Itoa(n.max) + "}"
			}
			return group, w * max(count, 1)
		}
		step := max(1000/w, 1)
		var sb strings.Builder
		chunks := func(total int, optional bool) {
			for total > 0 {
				k := min(step, total)
				if optional {
					sb.WriteString(group + "{0," + strconv.Itoa(k) + "}")
				} else {
					sb.WriteString(group + "{" + strconv.Itoa(k) + "}")
				}
				total -= k
			}
		}
		chunks(n.min, false)
		if n.max < 0 {
			sb.WriteString(group + "*")
		} else {
			chunks(n.max-n.min, true)
		}
		return sb.String(), w * step
	}
	return "", 1
}

// reParser parses a pattern with dfa.c's grammar:
//
//	regexp:  branch ("|" branch)*
//	branch:  closure+
//	closure: atom ("*" | "+" | "?" | interval)*
//	atom:    character | set | anchor | "(" regexp ")" | empty
type reParser struct {
	lexer reLexer
	tok   reTok
}

// parse returns the whole pattern.
func (p *reParser) parse() (*reNode, error) {
	if err := p.next(); err != nil {
		return nil, err
	}
	n, err := p.regexp()
	if err != nil {
		return nil, err
	}
	if p.tok != tEnd {
		return nil, reError("unbalanced )")
	}
	return n, nil
}

// next reads the next token.
func (p *reParser) next() (err error) {
	p.tok, err = p.lexer.lex()
	return err
}

// regexp parses branches separated by "|".
func (p *reParser) regexp() (*reNode, error) {
	n := &reNode{kind: rAlt}
	for {
		b, err := p.branch()
		if err != nil {
			return nil, err
		}
		n.subs = append(n.subs, b)
		if p.tok != tOr {
			break
		}
		if err := p.next(); err != nil {
			return nil, err
		}
	}
	if len(n.subs) == 1 {
		return n.subs[0], nil
	}
	return n, nil
}

// branch parses closures up to a "|", ")" or the end.
func (p *reParser) branch() (*reNode, error) {
	n := &reNode{kind: rConcat}
	for {
		c, err := p.closure()
		if err != nil {
			return nil, err
		}
		n.subs = append(n.subs, c)
		if p.tok == tRparen || p.tok == tOr || p.tok == tEnd {
			return n, nil
		}
	}
}

// closure parses an atom and the repetitions applied to it.
func (p *reParser) closure() (*reNode, error) {
	n, err := p.atom()
	if err != nil {
		return nil, err
	}
	for {
		lo, hi := 0, -1
		switch p.tok {
		case tStar:
		case tPlus:
			lo = 1
		case tQmark:
			hi = 1
		case tRepmn:
			lo, hi = p.lexer.min, p.lexer.max
			if lo == 0 && hi == 0 {
				// dfa.c drops the atom and reads another closure.
				if err := p.next(); err != nil {
					return nil, err
				}
				if n, err = p.closure(); err != nil {
					return nil, err
				}
				continue
			}
		default:
			return n, nil
		}
		if n.kind != rEmpty {
			n = &reNode{kind: rRepeat, subs: []*reNode{n}, min: lo, max: hi}
		}
		if err := p.next(); err != nil {
			return nil, err
		}
	}
}

// atom parses a character, set, anchor or group; at anything else it is
// the empty expression, as in dfa.c.
func (p *reParser) atom() (*reNode, error) {
	var n *reNode
	switch p.tok {
	case tSet:
		n = &reNode{kind: rSet, set: p.lexer.set}
	case tBegLine, tEndLine, tBegWord, tEndWord, tLimWord, tNotLimWord:
		n = &reNode{kind: rAssert, anchor: p.tok}
	case tLparen:
		if err := p.next(); err != nil {
			return nil, err
		}
		r, err := p.regexp()
		if err != nil {
			return nil, err
		}
		if p.tok != tRparen {
			return nil, reError("unbalanced (")
		}
		n = r
	default:
		return &reNode{kind: rEmpty}, nil // the token is not consumed
	}
	return n, p.next()
}

// maxNFA bounds the instructions of a pattern's NFA (counted repetitions
// are copies, as dfa.c makes them).
const maxNFA = 1 << 20

// nfaInst is an instruction of a wordNFA: match a byte of set and go to
// out; try out and out1; check an anchor and go to out; or accept.
type nfaInst struct {
	op        byte // 's'et, 'f'ork, 'a'nchor, 'm'atch
	set       byteSet
	anchor    reTok
	out, out1 int
}

// wordNFA is a Thompson NFA of a pattern, searched for anywhere in a line.
type wordNFA struct {
	prog      []nfaInst
	start     int
	cur, next nfaList
	stack     []int
}

// nfaList is a set of instructions, in the order they were added.
type nfaList struct {
	dense  []int
	sparse []int
}

// has reports whether pc is in the list.
func (l *nfaList) has(pc int) bool {
	i := l.sparse[pc]
	return i < len(l.dense) && l.dense[i] == pc
}

// add adds pc.
func (l *nfaList) add(pc int) {
	l.sparse[pc] = len(l.dense)
	l.dense = append(l.dense, pc)
}

// compileNFA compiles n into a wordNFA.
func compileNFA(n *reNode) (*wordNFA, error) {
	m := &wordNFA{}
	m.prog = append(m.prog, nfaInst{op: 'm'})
	start, err := m.compile(n, 0)
	if err != nil {
		return nil, err
	}
	m.start = start
	for _, l := range []*nfaList{&m.cur, &m.next} {
		l.sparse = make([]int, len(m.prog))
	}
	return m, nil
}

// emit adds an instruction and returns its index.
func (m *wordNFA) emit(in nfaInst) (int, error) {
	if len(m.prog) >= maxNFA {
		return 0, reError("regular expression too big")
	}
	m.prog = append(m.prog, in)
	return len(m.prog) - 1, nil
}

// compile compiles n to go on to next, returning where it starts.
func (m *wordNFA) compile(n *reNode, next int) (int, error) {
	switch n.kind {
	case rSet:
		return m.emit(nfaInst{op: 's', set: n.set, out: next})
	case rAssert:
		return m.emit(nfaInst{op: 'a', anchor: n.anchor, out: next})
	case rConcat:
		var err error
		for i := len(n.subs) - 1; i >= 0 && err == nil; i-- {
			next, err = m.compile(n.subs[i], next)
		}
		return next, err
	case rAlt:
		pc, err := m.compile(n.subs[len(n.subs)-1], next)
		for i := len(n.subs) - 2; i >= 0 && err == nil; i-- {
			var alt int
			if alt, err = m.compile(n.subs[i], next); err == nil {
				pc, err = m.emit(nfaInst{op: 'f', out: alt, out1: pc})
			}
		}
		return pc, err
	case rRepeat:
		sub := n.subs[0]
		cur := next
		if n.max < 0 {
			loop, err := m.emit(nfaInst{op: 'f', out1: next})
			if err != nil {
				return 0, err
			}
			body, err := m.compile(sub, loop)
			if err != nil {
				return 0, err
			}
			m.prog[loop].out = body
			cur = loop
		}
		for k := 0; k < n.max-n.min; k++ {
			body, err := m.compile(sub, cur)
			if err != nil {
				return 0, err
			}
			if cur, err = m.emit(nfaInst{op: 'f', out: body, out1: next}); err != nil {
				return 0, err
			}
		}
		for k := 0; k < n.min; k++ {
			var err error
			if cur, err = m.compile(sub, cur); err != nil {
				return 0, err
			}
		}
		return cur, nil
	}
	return next, nil
}

// isWordByte reports whether b is a word character of the C locale.
func isWordByte(b byte) bool {
	return b == '_' || ('0' <= b && b <= '9') || ('a' <= b && b <= 'z') || ('A' <= b && b <= 'Z')
}

// holds reports whether the anchor a holds at pos of line, as dfa.c's
// contexts decide: the line's ends count as non-word characters.
func holds(a reTok, line []byte, pos int) bool {
	prev := pos > 0 && isWordByte(line[pos-1])
	next := pos < len(line) && isWordByte(line[pos])
	switch a {
	case tBegLine:
		return pos == 0
	case tEndLine:
		return pos == len(line)
	case tBegWord:
		return !prev && next
	case tEndWord:
		return prev && !next
	case tLimWord:
		return prev != next
	}
	return prev == next
}

// addAt adds pc and what it leads to without reading a byte, at pos of
// line, to l; it reports whether that reaches the match.
func (m *wordNFA) addAt(l *nfaList, pc int, line []byte, pos int) bool {
	matched := false
	m.stack = append(m.stack[:0], pc)
	for len(m.stack) > 0 {
		pc := m.stack[len(m.stack)-1]
		m.stack = m.stack[:len(m.stack)-1]
		if l.has(pc) {
			continue
		}
		l.add(pc)
		switch in := &m.prog[pc]; in.op {
		case 'm':
			matched = true
		case 'f':
			m.stack = append(m.stack, in.out1, in.out)
		case 'a':
			if holds(in.anchor, line, pos) {
				m.stack = append(m.stack, in.out)
			}
		}
	}
	return matched
}

// match reports whether the pattern matches somewhere in line.
func (m *wordNFA) match(line []byte) bool {
	m.cur.dense = m.cur.dense[:0]
	for pos := 0; ; pos++ {
		if m.addAt(&m.cur, m.start, line, pos) {
			return true
		}
		if pos == len(line) {
			return false
		}
		c := line[pos]
		m.next.dense = m.next.dense[:0]
		for _, pc := range m.cur.dense {
			if in := &m.prog[pc]; in.op == 's' && in.set.has(c) && m.addAt(&m.next, in.out, line, pos+1) {
				return true
			}
		}
		m.cur, m.next = m.next, m.cur
	}
}

// File describes a file as file(1) -b does: its type, or for a regular
// file what its contents look like (see describeContents).
func (a *Actions) File(c *server.Call, p string) (string, error) {
	n, fi, err := a.stat(p, false)
	if err != nil {
		return "", err
	}
	m := fi.Mode
	switch {
	case m.IsDir():
		return "directory", nil
	case m&iofs.ModeSymlink != 0:
		w, ok := n.fs().(vfs.Writer)
		if !ok {
			return "", n.fail(syscall.EIO)
		}
		target, err := w.Readlink(n.Path)
		if err != nil {
			return "", n.wrap(err)
		}
		if _, _, err := a.stat(p, true); err != nil {
			return "broken symbolic link to " + target, nil
		}
		return "symbolic link to " + target, nil
	case m&iofs.ModeCharDevice != 0:
		return fmt.Sprintf("character special (%d/%d)", unix.Major(fi.Rdev), unix.Minor(fi.Rdev)), nil
	case m&iofs.ModeDevice != 0:
		return fmt.Sprintf("block special (%d/%d)", unix.Major(fi.Rdev), unix.Minor(fi.Rdev)), nil
	case m&iofs.ModeNamedPipe != 0:
		return "fifo (named pipe)", nil
	case m&iofs.ModeSocket != 0:
		return "socket", nil
	}
	f, err := n.openFile(os.O_RDONLY, 0)
	if err != nil {
		return "", err
	}
	defer f.Close()
	return describeContents(c, n, f, fi)
}

// file(1)'s limits: how much of a file it reads, how much of that its
// text tests look at, and the line length above which it calls lines
// very long.
const (
	magicBytesMax    = 7 << 20
	magicEncodingMax = 64 << 10
	magicMaxLineLen  = 300
)

// magicFile is what file(1) reads of a regular file.
type magicFile struct {
	c    *server.Call
	n    node
	f    vfs.File
	fi   vfs.FileInfo
	flen int64  // the bytes file(1) reads: up to magicBytesMax
	head []byte // the first min(flen, magicEncodingMax) of them
}

// readAt reads len(b) bytes at off (fewer at the end of the file).
func (m *magicFile) readAt(b []byte, off int64) ([]byte, error) {
	if off < 0 || off >= m.fi.Size {
		return nil, nil
	}
	k, err := m.f.ReadAt(b, off)
	if err != nil && err != io.EOF {
		return nil, m.n.wrap(err)
	}
	return b[:k], nil
}

// describeContents describes the contents of a regular file from its
// first bytes, as file(1) 5.44 -b does for the common formats: a prefix
// of what it prints for ELF (class, byte order, type, machine, version
// and OS ABI, not the dynamic linking details), tar, JSON, gzip (its
// header fields), bzip2, XZ, Zip, PNG, GIF, JPEG (the JFIF version), PDF,
// scripts, and text in ASCII, UTF-8 (with or without a BOM), UTF-7,
// ISO-8859 or extended ASCII with its line terminators; anything else is
// "data" (where libmagic may know a rare format).
func describeContents(c *server.Call, n node, f vfs.File, fi vfs.FileInfo) (string, error) {
	switch fi.Size {
	case 0:
		return "empty", nil
	case 1:
		return "very short file (no magic)", nil
	}
	m := &magicFile{c: c, n: n, f: f, fi: fi, flen: min(fi.Size, magicBytesMax)}
	head, err := m.readAt(make([]byte, min(m.flen, magicEncodingMax)), 0)
	if err != nil {
		return "", err
	}
	m.head = head
	if len(head) >= 512 {
		if t := tarKind(head[:512]); t != "" {
			return t, nil
		}
	}
	if d, err := m.json(); d != "" || err != nil {
		return d, err
	}
	if d, err := m.binaryMagic(); d != "" || err != nil {
		return d, err
	}
	d, err := m.text()
	if d == "" && err == nil {
		d = "data"
	}
	return d, err
}

// tarKind is file(1)'s tar test of a first 512-byte header: its checksum
// and magic.
func tarKind(h []byte) string {
	field := h[148:156]
	recsum := fromOct(field)
	sum := 0
	for _, b := range h {
		sum += int(b)
	}
	for _, b := range field {
		sum -= int(int8(b)) // file(1) subtracts them as (signed) chars
	}
	sum += ' ' * len(field)
	if recsum < 0 || sum != recsum {
		return ""
	}
	magic := h[257:265]
	cstr := func(b []byte) []byte {
		if i := bytes.IndexByte(b, 0); i >= 0 {
			return b[:i]
		}
		return b
	}
	switch string(cstr(magic)) {
	case "ustar  ":
		return "POSIX tar archive (GNU)"
	case "ustar":
		return "POSIX tar archive"
	}
	return "tar archive"
}

// fromOct is file(1)'s octal field reader: -1 for a blank or non-octal
// field.
func fromOct(b []byte) int {
	space := func(c byte) bool { return c == ' ' || ('\t' <= c && c <= '\r') }
	digs, i := len(b), 0
	for i < len(b) && space(b[i]) {
		i++
		if digs--; digs == 0 {
			return -1
		}
	}
	value := 0
	for digs > 0 && i < len(b) && '0' <= b[i] && b[i] <= '7' {
		value = value<<3 | int(b[i]-'0')
		i++
		digs--
	}
	if digs > 0 && i < len(b) && b[i] != 0 && !space(b[i]) {
		return -1
	}
	return value
}

// json reports a file that is a single JSON object or array, as file(1)'s
// JSON test does ("JSON text data").
func (m *magicFile) json() (string, error) {
	t := bytes.TrimLeft(m.head, " \t\r\n")
	if len(t) == 0 || (t[0] != '{' && t[0] != '[') || m.fi.Size > m.flen {
		return "", nil
	}
	all := m.head
	if m.flen > int64(len(all)) {
		b, err := m.readAt(make([]byte, m.flen), 0)
		if err != nil {
			return "", err
		}
		all = b
	}
	if json.Valid(all) {
		return "JSON text data", nil
	}
	return "", nil
}

// binaryMagic runs file(1)'s binary tests that this daemon knows.
func (m *magicFile) binaryMagic() (string, error) {
	h := m.head
	at := func(off int) byte {
		if off < len(h) {
			return h[off]
		}
		return 0
	}
	switch {
	case bytes.HasPrefix(h, []byte("\x7fELF")):
		return m.elf()
	case bytes.HasPrefix(h, []byte("\x1f\x8b")):
		return m.gzip()
	case bytes.HasPrefix(h, []byte("BZh")):
		d := "bzip2 compressed data"
		if at(3) > '0' {
			d += ", block size = " + string(at(3)) + "00k"
		}
		return d, nil
	case bytes.HasPrefix(h, []byte("\xfd7zXZ\x00")):
		d := "XZ compressed data, checksum"
		if s, ok := map[byte]string{0: "NONE", 1: "CRC32", 4: "CRC64", 0xa: "SHA-256"}[at(7)&0xf]; ok {
			d += " " + s
		}
		return d, nil
	case bytes.HasPrefix(h, []byte("PK\x05\x06")):
		return "Zip archive data (empty)", nil
	case bytes.HasPrefix(h, []byte("PK\x03\x04")) && len(h) >= 30:
		if string(h[26:38]) == "\x08\x00\x00\x00mimetype" {
			return "", nil // an OpenDocument, EPUB...: libmagic names the format
		}
		if nameLen := int(h[26]) | int(h[27])<<8; at(30+nameLen) == 0xfe && at(31+nameLen) == 0xca {
			return "Java archive data (JAR)", nil
		}
		ver := h[4]
		method, ok := map[int]string{0: "store", 1: "Shrinking", 6: "Imploding", 7: "Tokenizing", 8: "deflate",
			9: "deflate64", 10: "Library imploding", 12: "bzip2", 14: "lzma", 93: "Zstd", 95: "xz", 96: "Jpeg",
			98: "PPMd", 99: "AES Encrypted"}[int(h[8])|int(h[9])<<8]
		if !ok {
			method = fmt.Sprintf("[%#x]", int(h[8])|int(h[9])<<8)
		}
		return fmt.Sprintf("Zip archive data, at least v%d.%d to extract, compression method=%s", ver/10, ver%10, method), nil
	case bytes.HasPrefix(h, []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR")) && len(h) >= 29:
		d := fmt.Sprintf("PNG image data, %d x %d, %d-bit", int32(binary.BigEndian.Uint32(h[16:])), int32(binary.BigEndian.Uint32(h[20:])), h[24])
		d += map[byte]string{0: " grayscale,", 2: "/color RGB,", 3: " colormap,", 4: " gray+alpha,", 6: "/color RGBA,"}[h[25]]
		d += map[byte]string{0: " non-interlaced", 1: " interlaced"}[h[28]]
		return d, nil
	case bytes.HasPrefix(h, []byte("GIF8")):
		d := "GIF image data"
		if v := string(h[4:min(6, len(h))]); v == "7a" || v == "9a" {
			d += ", version 8" + v + ","
		}
		if w := int(at(6)) | int(at(7))<<8; w > 0 {
			d += fmt.Sprintf(" %d x", w)
		}
		if ht := int(at(8)) | int(at(9))<<8; ht > 0 {
			d += fmt.Sprintf(" %d", ht)
		}
		return d, nil
	case bytes.HasPrefix(h, []byte("\xff\xd8\xff\xf7")):
		return "JPEG-LS image data", nil
	case bytes.HasPrefix(h, []byte("\xff\xd8\xff")):
		d := "JPEG image data"
		if string(h[min(6, len(h)):min(10, len(h))]) == "JFIF" && len(h) >= 20 {
			d += fmt.Sprintf(", JFIF standard %d.%02d", at(11), at(12))
			d += map[byte]string{0: ", aspect ratio", 1: ", resolution (DPI)", 2: ", resolution (DPCM)"}[at(13)]
			d += fmt.Sprintf(", density %dx%d, segment length %d", int16(binary.BigEndian.Uint16(h[14:])),
				int16(binary.BigEndian.Uint16(h[16:])), int16(binary.BigEndian.Uint16(h[4:])))
			if at(18) != 0 {
				d += fmt.Sprintf(", thumbnail %dx%d", at(18), at(19))
			}
		}
		return d, nil
	case bytes.HasPrefix(h, []byte("%PDF-")):
		return fmt.Sprintf("PDF document, version %c.%c", at(5), at(7)), nil
	case bytes.HasPrefix(h, []byte("#!")):
		if isPerlScript(h) {
			return "Perl script text executable", nil
		}
	}
	return "", nil
}

// gzip describes a gzip file as file(1)'s gzip-info does.
func (m *magicFile) gzip() (string, error) {
	h := m.head
	at := func(off int) byte {
		if off < len(h) {
			return h[off]
		}
		return 0
	}
	flags := at(3)
	var sb strings.Builder
	sb.WriteString("gzip compressed data")
	switch method := at(2); {
	case method < 8:
		sb.WriteString(", reserved method")
	case method > 8:
		sb.WriteString(", unknown method")
	}
	for _, f := range []struct {
		bit  byte
		text string
	}{{0x01, ", ASCII"}, {0x02, ", has CRC"}, {0x04, ", extra field"}} {
		if flags&f.bit != 0 {
			sb.WriteString(f.text)
		}
	}
	if flags&0x0c == 0x08 && len(h) > 10 {
		name := h[10:min(len(h), 10+127)]
		if i := bytes.IndexByte(name, 0); i >= 0 {
			name = name[:i]
		}
		sb.WriteString(`, was "` + string(name) + `"`)
	}
	if flags&0x10 != 0 {
		sb.WriteString(", has comment")
	}
	if flags&0x20 != 0 {
		sb.WriteString(", encrypted")
	}
	if len(h) >= 8 {
		if t := int32(binary.LittleEndian.Uint32(h[4:])); t > 0 {
			sb.WriteString(", last modified: " + time.Unix(int64(t), 0).UTC().Format("Mon Jan _2 15:04:05 2006"))
		}
	}
	switch at(8) {
	case 2:
		sb.WriteString(", max compression")
	case 4:
		sb.WriteString(", max speed")
	}
	if os, ok := map[byte]string{0: "FAT filesystem (MS-DOS, OS/2, NT)", 1: "Amiga", 2: "VMS", 3: "Unix", 4: "VM/CMS",
		5: "Atari", 6: "HPFS filesystem (OS/2, NT)", 7: "MacOS", 8: "Z-System", 9: "CP/M", 10: "TOPS/20",
		11: "NTFS filesystem (NT)", 12: "QDOS", 13: "Acorn RISCOS"}[at(9)]; ok && len(h) > 9 {
		sb.WriteString(", from " + os)
	}
	tail, err := m.readAt(make([]byte, 4), m.fi.Size-4)
	if err != nil {
		return "", err
	}
	if len(tail) == 4 {
		sb.WriteString(fmt.Sprintf(", original size modulo 2^32 %d", binary.LittleEndian.Uint32(tail)))
	}
	return sb.String(), nil
}

// elf describes an ELF file as file(1) starts to: class, byte order,
// type (a shared object with DF_1_PIE, or executable by its mode when it
// has no dynamic section, is a pie executable), machine, version and OS
// ABI. For a machine whose description file(1) details further it stops
// after the machine's name.
func (m *magicFile) elf() (string, error) {
	h := m.head
	if len(h) < 24 {
		return "ELF", nil
	}
	var sb strings.Builder
	sb.WriteString("ELF")
	class := h[4]
	switch class {
	case 1:
		sb.WriteString(" 32-bit")
	case 2:
		sb.WriteString(" 64-bit")
	default:
		sb.WriteString(" invalid class")
	}
	var bo binary.ByteOrder
	switch h[5] {
	case 1:
		bo = binary.LittleEndian
		sb.WriteString(" LSB")
	case 2:
		bo = binary.BigEndian
		sb.WriteString(" MSB")
	default:
		sb.WriteString(" invalid byte order")
		return sb.String(), nil
	}
	typ := bo.Uint16(h[16:])
	switch typ {
	case 0:
		sb.WriteString(" no file type,")
	case 1:
		sb.WriteString(" relocatable,")
	case 2:
		sb.WriteString(" executable,")
	case 3:
		pie, err := m.elfPIE(bo, class)
		if err != nil {
			return "", err
		}
		if pie {
			sb.WriteString(" pie executable,")
		} else {
			sb.WriteString(" shared object,")
		}
	case 4:
		sb.WriteString(" core file,")
	default:
		return sb.String(), nil
	}
	mach, ok := map[uint16]string{3: "Intel 80386", 20: "PowerPC or cisco 4500", 21: "64-bit PowerPC or cisco 7500",
		22: "IBM S/390", 62: "x86-64", 183: "ARM aarch64"}[bo.Uint16(h[18:])]
	if !ok {
		return strings.TrimSuffix(sb.String(), ","), nil
	}
	sb.WriteString(" " + mach + ",")
	if bo.Uint16(h[18:]) == 21 && len(h) >= 52 {
		if abi, ok := map[uint32]string{0: "Unspecified or Power ELF V1 ABI", 1: "Power ELF V1 ABI", 2: "OpenPOWER ELF V2 ABI"}[bo.Uint32(h[48:])]; ok {
			sb.WriteString(" " + abi + ",")
		}
	}
	switch bo.Uint32(h[20:]) {
	case 0:
		sb.WriteString(" invalid version")
	case 1:
		sb.WriteString(" version 1")
	}
	if osabi, ok := map[byte]string{0: "SYSV", 1: "HP-UX", 2: "NetBSD", 3: "GNU/Linux", 4: "GNU/Hurd", 5: "86Open",
		6: "Solaris", 7: "Monterey", 8: "IRIX", 9: "FreeBSD", 10: "Tru64", 11: "Novell Modesto", 12: "OpenBSD",
		13: "OpenVMS", 14: "HP NonStop Kernel", 15: "AROS", 16: "FenixOS", 17: "Nuxi CloudABI", 97: "ARM",
		255: "embedded"}[h[7]]; ok {
		sb.WriteString(" (" + osabi + ")")
	}
	return sb.String(), nil
}

// elfPIE is file(1)'s choice between "pie executable" and "shared object":
// the DF_1_PIE flag of the dynamic section, or without one the file's
// execute permission.
func (m *magicFile) elfPIE(bo binary.ByteOrder, class byte) (bool, error) {
	const ptDynamic, dtFlags1, df1PIE = 2, 0x6ffffffb, 0x08000000
	h := m.head
	pie := m.fi.Mode&0o111 != 0
	var phoff uint64
	var phentsize, phnum int
	switch {
	case class == 2 && len(h) >= 64:
		phoff, phentsize, phnum = bo.Uint64(h[32:]), int(bo.Uint16(h[54:])), int(bo.Uint16(h[56:]))
	case class == 1 && len(h) >= 52:
		phoff, phentsize, phnum = uint64(bo.Uint32(h[28:])), int(bo.Uint16(h[42:])), int(bo.Uint16(h[44:]))
	default:
		return pie, nil
	}
	if phnum > 2048 || phentsize < 32 || phoff > uint64(m.fi.Size) {
		return pie, nil
	}
	phs, err := m.readAt(make([]byte, phnum*phentsize), int64(phoff))
	if err != nil {
		return false, err
	}
	for i := 0; i+phentsize <= len(phs); i += phentsize {
		ph := phs[i:]
		if bo.Uint32(ph) != ptDynamic {
			continue
		}
		var off, size uint64
		if class == 2 {
			off, size = bo.Uint64(ph[8:]), bo.Uint64(ph[32:])
		} else {
			off, size = uint64(bo.Uint32(ph[4:])), uint64(bo.Uint32(ph[16:]))
		}
		if off > uint64(m.fi.Size) {
			return pie, nil
		}
		dyn, err := m.readAt(make([]byte, min(size, 64<<10)), int64(off))
		if err != nil {
			return false, err
		}
		pie = false
		ent := 8
		if class == 2 {
			ent = 16
		}
		for j := 0; j+ent <= len(dyn); j += ent {
			var tag, val uint64
			if class == 2 {
				tag, val = bo.Uint64(dyn[j:]), bo.Uint64(dyn[j+8:])
			} else {
				tag, val = uint64(bo.Uint32(dyn[j:])), uint64(bo.Uint32(dyn[j+4:]))
			}
			if tag == 0 {
				break
			}
			if tag == dtFlags1 {
				pie = val&df1PIE != 0
			}
		}
		return pie, nil
	}
	return pie, nil
}

// isPerlScript is file(1)'s Perl test: a first line "#!.../bin/perl", with
// arguments or not, or "#!/usr/bin/env perl".
func isPerlScript(h []byte) bool {
	if bytes.HasPrefix(h, []byte("#!/usr/bin/env perl")) || bytes.HasPrefix(h, []byte("#! /usr/bin/env perl")) {
		return true
	}
	line := h
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	i := bytes.LastIndex(line, []byte("/bin/perl"))
	if i < 0 {
		return false
	}
	rest := line[i+len("/bin/perl"):]
	return len(rest) == 0 || rest[0] == ' ' || rest[0] == '\t' || rest[0] == '\r' || rest[0] == '\f' || rest[0] == '\v'
}

// textChar classifies the bytes as file(1) does: in plain ASCII text
// (1), in ISO-8859 text (2), in non-ISO extended ASCII (3), or never in
// text (0).
func textChar(b byte) int {
	switch {
	case b >= 7 && b <= 13, b == 0x1b, b >= 0x20 && b <= 0x7e, b == 0x85:
		return 1
	case b >= 0xa0:
		return 2
	case b >= 0x80 && b <= 0x9f:
		return 3
	}
	return 0
}

// looksUTF8 is file(1)'s UTF-8 test: -1 for invalid UTF-8, 0 for odd
// control characters, 1 for 7-bit text, 2 for UTF-8 text; it returns the
// code points (a sequence cut by the end of the buffer is dropped).
func looksUTF8(b []byte) (int, []rune) {
	var out []rune
	gotone, ctrl := false, false
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c&0x80 == 0 {
			if textChar(c) != 1 {
				ctrl = true
			}
			out = append(out, rune(c))
			continue
		}
		if c&0x40 == 0 || c < 0xc2 || c > 0xf4 {
			return -1, nil
		}
		lo, hi := byte(0x80), byte(0xbf)
		switch c {
		case 0xe0:
			lo = 0xa0
		case 0xed:
			hi = 0x9f
		case 0xf0:
			lo = 0x90
		case 0xf4:
			hi = 0x8f
		}
		var r rune
		following := 0
		switch {
		case c&0x20 == 0:
			r, following = rune(c&0x1f), 1
		case c&0x10 == 0:
			r, following = rune(c&0x0f), 2
		default:
			r, following = rune(c&0x07), 3
		}
		for k := 0; k < following; k++ {
			i++
			if i >= len(b) {
				return utf8Result(ctrl, gotone), out
			}
			if (k == 0 && (b[i] < lo || b[i] > hi)) || b[i]&0xc0 != 0x80 {
				return -1, nil
			}
			r = r<<6 | rune(b[i]&0x3f)
		}
		out = append(out, r)
		gotone = true
	}
	return utf8Result(ctrl, gotone), out
}

// utf8Result is looksUTF8's verdict on valid UTF-8: 0 with control
// characters, 2 with a multibyte character, else 1.
func utf8Result(ctrl, gotone bool) int {
	switch {
	case ctrl:
		return 0
	case gotone:
		return 2
	}
	return 1
}

// encoding is file(1)'s text encoding of b and its characters, or "" when
// b is not text.
func encoding(b []byte) (string, []rune) {
	bytesAs := func(class int) []rune {
		out := make([]rune, len(b))
		for i, c := range b {
			if t := textChar(c); t == 0 || t > class {
				return nil
			}
			out[i] = rune(c)
		}
		return out
	}
	if r := bytesAs(1); r != nil {
		if len(b) > 4 && b[0] == '+' && b[1] == '/' && b[2] == 'v' && strings.IndexByte("89+/", b[3]) >= 0 {
			return "Unicode text, UTF-7", []rune{}
		}
		return "ASCII", r
	}
	if len(b) > 3 && b[0] == 0xef && b[1] == 0xbb && b[2] == 0xbf {
		if k, r := looksUTF8(b[3:]); k > 0 {
			return "Unicode text, UTF-8 (with BOM)", r
		}
	}
	if k, r := looksUTF8(b); k > 1 {
		return "Unicode text, UTF-8", r
	}
	if r := bytesAs(2); r != nil {
		return "ISO-8859", r
	}
	if r := bytesAs(3); r != nil {
		return "Non-ISO extended-ASCII", r
	}
	return "", nil
}

// trimmedLen is file(1)'s length of its buffer without trailing NULs
// (leaving at least one byte), reading back from flen as far as needed.
func (m *magicFile) trimmedLen() (int64, error) {
	end := m.flen
	buf := make([]byte, readChunk)
	for end > 1 {
		if err := m.c.Cancelled(); err != nil {
			return 0, err
		}
		k := min(int64(len(buf)), end)
		chunk := buf[:k]
		if end <= int64(len(m.head)) {
			chunk = m.head[end-k : end]
		} else if _, err := m.readAt(chunk, end-k); err != nil {
			return 0, err
		}
		for i := k - 1; i >= 0; i-- {
			if chunk[i] != 0 {
				return end - k + i + 1, nil
			}
			if end-k+i == 1 {
				return 1, nil
			}
		}
		end -= k
	}
	return end, nil
}

// scriptNames are file(1)'s interpreter tests for text files: the path
// after "#!" (and optional blanks), a full word unless prefix, and the
// description; binary marks those with a "(binary data)" variant.
var scriptNames = []struct {
	path, name     string
	prefix, binary bool
}{
	{"/bin/sh", "POSIX shell script", false, true},
	{"/bin/bash", "Bourne-Again shell script", false, true},
	{"/usr/bin/bash", "Bourne-Again shell script", false, true},
	{"/usr/local/bash", "Bourne-Again shell script", false, true},
	{"/usr/local/bin/bash", "Bourne-Again shell script", false, true},
	{"/usr/bin/env bash", "Bourne-Again shell script", false, false},
	{"/bin/csh", "C shell script", false, false},
	{"/bin/ksh", "Korn shell script", false, true},
	{"/bin/tcsh", "Tenex C shell script", false, false},
	{"/usr/bin/tcsh", "Tenex C shell script", false, false},
	{"/bin/zsh", "Paul Falstad's zsh script", false, false},
	{"/usr/bin/zsh", "Paul Falstad's zsh script", false, false},
	{"/usr/bin/env zsh", "Paul Falstad's zsh script", false, false},
	{"/bin/awk", "awk script", false, false},
	{"/usr/bin/awk", "awk script", false, false},
	{"/bin/gawk", "GNU awk script", false, false},
	{"/usr/bin/gawk", "GNU awk script", false, false},
	{"/usr/bin/python", "Python script", true, false},
	{"/usr/local/bin/python", "Python script", true, false},
	{"/usr/bin/env python", "Python script", true, false},
	{"/usr/bin/ruby", "Ruby script", true, false},
	{"/usr/local/bin/ruby", "Ruby script", true, false},
	{"/usr/bin/env ruby", "Ruby script", true, false},
}

// script describes a file starting with "#!" by its interpreter, as
// file(1)'s tests of text (text) or binary files do: "POSIX shell script",
// "a /usr/bin/foo script"...; "" when it does not start with "#!".
func script(h []byte, text bool) string {
	if !bytes.HasPrefix(h, []byte("#!")) {
		return ""
	}
	line := h[2:]
	if i := bytes.IndexAny(line, "\r\n"); i >= 0 {
		line = line[:i]
	}
	rest := strings.TrimLeft(string(line), " \t")
	suffix := " executable (binary data)"
	if text {
		suffix = " text executable"
	}
	for _, s := range scriptNames {
		if !strings.HasPrefix(rest, s.path) {
			continue
		}
		if after := rest[len(s.path):]; !s.prefix && after != "" && strings.IndexByte(" \t\f\v", after[0]) < 0 {
			continue
		}
		if text || s.binary {
			return s.name + suffix
		}
	}
	interp := strings.TrimSpace(rest)
	if strings.HasPrefix(rest, "/usr/bin/env") && len(rest) > len("/usr/bin/env") && rest[len("/usr/bin/env")] == ' ' {
		interp = strings.TrimSpace(rest[len("/usr/bin/env"):])
	}
	if len(interp) > 127 {
		interp = interp[:127]
	}
	return "a " + interp + " script" + suffix
}

// text describes a file as file(1)'s text tests do, or "" when it is not
// text (then a "#!" file is a script's binary data).
func (m *magicFile) text() (string, error) {
	tl, err := m.trimmedLen()
	if err != nil {
		return "", err
	}
	win := tl
	if win&1 == 1 && m.flen&1 == 0 {
		win++ // file(1) keeps an even length for UTF-16
	}
	code, chars := encoding(m.head[:min(win, int64(len(m.head)))])
	if code == "" || tl <= 1 {
		return script(m.head, false), nil
	}
	var sb strings.Builder
	executable := false
	if d := script(m.head, true); d != "" {
		sb.WriteString(strings.TrimSuffix(d, " text executable") + ", ")
		executable = true
	} else if x := xmlVersion(m.head); x != "" {
		sb.WriteString("XML " + x + " document, ")
	}
	sb.WriteString(code + " text")
	if executable {
		sb.WriteString(" executable")
	}
	var crlf, lf, cr, nel, longest int
	escapes, backspace, seenCR := false, false, false
	lastEnd := -1
	for i, c := range chars {
		if c == '\n' {
			if seenCR {
				crlf++
			} else {
				lf++
			}
			lastEnd = i
		} else if seenCR {
			cr++
		}
		seenCR = c == '\r'
		if seenCR {
			lastEnd = i
		}
		if c == 0x85 {
			nel++
			lastEnd = i
		}
		if i > lastEnd+magicMaxLineLen {
			longest = max(longest, i-lastEnd)
		}
		escapes = escapes || c == 0x1b
		backspace = backspace || c == '\b'
	}
	if seenCR && tl < magicBytesMax {
		cr++
	}
	if longest > 0 {
		sb.WriteString(fmt.Sprintf(", with very long lines (%d)", longest))
	}
	if crlf+cr+nel+lf == 0 {
		sb.WriteString(", with no line terminators")
	} else if crlf+cr+nel > 0 {
		var ends []string
		for _, e := range []struct {
			n    int
			name string
		}{{crlf, "CRLF"}, {cr, "CR"}, {lf, "LF"}, {nel, "NEL"}} {
			if e.n > 0 {
				ends = append(ends, e.name)
			}
		}
		sb.WriteString(", with " + strings.Join(ends, ", ") + " line terminators")
	}
	if escapes {
		sb.WriteString(", with escape sequences")
	}
	if backspace {
		sb.WriteString(", with overstriking")
	}
	return sb.String(), nil
}

// xmlVersion is the version of an XML declaration starting the file (as
// file(1)'s "XML 1.0 document" test reads it), or "".
func xmlVersion(h []byte) string {
	for _, q := range []string{`<?xml version="`, `<?xml version "`} {
		if bytes.HasPrefix(h, []byte(q)) {
			v := h[len(q):min(len(h), len(q)+3)]
			if i := bytes.IndexByte(v, 0); i >= 0 {
				v = v[:i]
			}
			return string(v)
		}
	}
	return ""
}
