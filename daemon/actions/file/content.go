package file

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"os"
	"syscall"

	"golang.org/x/sys/unix"

	"goguestfs/daemon/errno"
	vfs "goguestfs/daemon/fs"
	"goguestfs/daemon/grep"
	"goguestfs/daemon/magic"
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
	o := grep.Options{Extended: flag(opts.Extended), Fixed: flag(opts.Fixed), Insensitive: flag(opts.Insensitive)}
	if err := o.Valid(); err != nil {
		return nil, err
	}
	n, f, err := a.openRead(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	re, err := grep.Compile(regex, o)
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
		if re.Match(line) {
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
	h, err := NewHash(csumtype)
	if err != nil {
		return "", err
	}
	r, err := newFileReader(c, n, f)
	if err != nil {
		return "", err
	}
	if _, err := io.CopyBuffer(h, r, make([]byte, readChunk)); err != nil {
		return "", err
	}
	return h.Sum(), nil
}

// File describes a file as file(1) -b does: its type, or for a regular
// file what its contents look like (see magic.Describe).
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
	return magic.Describe(fileAt{n: n, f: f}, fi.Size, fi.Mode, c.Cancelled)
}

// fileAt reads an open file of n at offsets, naming n in its errors
// (io.EOF is passed on as it is).
type fileAt struct {
	n node
	f vfs.File
}

// ReadAt reads len(b) bytes at off.
func (r fileAt) ReadAt(b []byte, off int64) (int, error) {
	k, err := r.f.ReadAt(b, off)
	if err != nil && err != io.EOF {
		err = r.n.wrap(err)
	}
	return k, err
}
