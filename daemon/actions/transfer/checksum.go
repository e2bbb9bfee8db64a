package transfer

import (
	"bufio"
	"io"
	"os"
	"path"
	"strconv"
	"strings"

	"goguestfs/daemon/actions/file"
	"goguestfs/daemon/devices"
	"goguestfs/daemon/hostio"
	"goguestfs/daemon/server"
)

// ChecksumDevice returns the checksum of the whole device as checksum does
// for a file (file.NewHash's types), reading it in chunks with progress
// and cancellation.
func (a *Actions) ChecksumDevice(c *server.Call, csumtype string, device *devices.Device) (string, error) {
	h, err := file.NewHash(csumtype)
	if err != nil {
		return "", err
	}
	// What the mounted filesystems wrote must be on the device.
	if err := c.Flush(); err != nil {
		return "", err
	}
	n := device.Size()
	report := func(done int64) { c.Progress(uint64(done), uint64(n)) }
	if err := cpStream(c, h, device, device.Name, n, report); err != nil {
		return "", err
	}
	return h.Sum(), nil
}

// cpStream writes n bytes of r (named name in errors) to w in chunks,
// checking for cancellation before each and calling report with the
// bytes done after each (checksums and compress_out).
func cpStream(c *server.Call, w io.Writer, r io.ReaderAt, name string, n int64, report func(done int64)) error {
	buf := make([]byte, min(n, cpChunk))
	for done := int64(0); done < n; {
		if err := c.Cancelled(); err != nil {
			return err
		}
		b := buf[:min(n-done, cpChunk)]
		if err := cpReadFull(r, name, b, done); err != nil {
			return err
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
		done += int64(len(b))
		report(done)
	}
	return nil
}

// ChecksumsOut writes to the host file sumsfile one line per regular file
// beneath directory, in the walk's sorted order (symbolic links not
// followed, mounts crossed), as coreutils' tools print them: md5sum and
// sha*sum's "HASH  ./REL" with their escaping of names holding a
// backslash, newline or carriage return, or cksum's "CRC SIZE ./REL" for
// crc (which cksum does not escape). Progress counts the bytes read, out
// of the regular files' sizes found by a first walk.
func (a *Actions) ChecksumsOut(c *server.Call, csumtype string, directory string, sumsfile *os.File) error {
	if _, err := file.NewHash(csumtype); err != nil {
		return err
	}
	crc := strings.EqualFold(csumtype, "crc")
	// The bytes to read, for progress: a first walk that reads nothing.
	var total, done int64
	err := a.files.Walk(c, directory, true, func(e file.Entry) (bool, error) {
		if e.Info.Mode.IsRegular() {
			total += e.Info.Size
		}
		return false, nil
	})
	if err != nil {
		return err
	}
	w, err := hostio.NewWriter(sumsfile, "sumsfile", c.Cancelled)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	err = a.files.Walk(c, directory, true, func(e file.Entry) (bool, error) {
		if !e.Info.Mode.IsRegular() {
			return false, nil
		}
		guest := path.Join(directory, e.Rel)
		f, err := e.FS.OpenFile(e.Path, os.O_RDONLY, 0)
		if err != nil {
			return false, pathErr(guest, err)
		}
		defer f.Close()
		fi, err := f.Stat()
		if err != nil {
			return false, pathErr(guest, err)
		}
		h, _ := file.NewHash(csumtype)
		report := func(n int64) { c.Progress(uint64(min(done+n, total)), uint64(total)) }
		if err := cpStream(c, h, cpFileReader{f, guest}, guest, fi.Size, report); err != nil {
			return false, err
		}
		name := "./" + e.Rel
		switch {
		case crc:
			bw.WriteString(h.Sum() + " " + strconv.FormatInt(fi.Size, 10) + " " + name + "\n")
		case strings.ContainsAny(name, "\\\n\r"):
			r := strings.NewReplacer("\\", "\\\\", "\n", "\\n", "\r", "\\r")
			bw.WriteString("\\" + h.Sum() + "  " + r.Replace(name) + "\n")
		default:
			bw.WriteString(h.Sum() + "  " + name + "\n")
		}
		done += fi.Size
		return false, nil
	})
	if err == nil {
		err = bw.Flush()
	}
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	return err
}
