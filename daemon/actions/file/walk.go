package file

import (
	"fmt"
	iofs "io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"goguestfs/daemon/errno"
	vfs "goguestfs/daemon/fs"
	"goguestfs/daemon/grep"
	"goguestfs/daemon/mountns"
	"goguestfs/daemon/server"
)

// entryAt returns the node of name in the resolved directory d: the root
// of the filesystem mounted there when name is a mountpoint.
func (a *Actions) entryAt(d node, name string) node {
	g := path.Join(d.Guest, name)
	if m := a.ns.ByPoint(g); m != nil && m != d.Mount {
		return node{Loc: mountns.Loc{Guest: g, Mount: m, Path: "/"}, p: g}
	}
	return node{Loc: mountns.Loc{Guest: g, Mount: d.Mount, Path: path.Join(d.Path, name)}, p: g}
}

// isDirEntry reports whether the entry e of a directory, at node n, is a
// directory (a mountpoint always is: the root of its filesystem).
func isDirEntry(n node, parent node, e vfs.DirEntry) bool {
	return e.Type.IsDir() || n.Mount != parent.Mount
}

// statDir resolves p, following links, to a directory (ENOTDIR if it is
// something else).
func (a *Actions) statDir(p string) (node, vfs.FileInfo, error) {
	n, fi, err := a.stat(p, true)
	if err != nil {
		return node{}, vfs.FileInfo{}, err
	}
	if !fi.Mode.IsDir() {
		return node{}, vfs.FileInfo{}, n.fail(syscall.ENOTDIR)
	}
	return n, fi, nil
}

// Find lists every path below a directory, relative to it, sorted; it
// descends into the filesystems mounted beneath, never through links.
func (a *Actions) Find(c *server.Call, directory string) ([]string, error) {
	root, _, err := a.statDir(directory)
	if err != nil {
		return nil, err
	}
	out := newLineList(directory)
	type dir struct {
		n   node
		rel string
	}
	stack := []dir{{n: root}}
	for len(stack) > 0 {
		if err := c.Cancelled(); err != nil {
			return nil, err
		}
		d := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		ents, err := readDir(d.n.fs(), d.n.Path)
		if err != nil {
			return nil, d.n.wrap(err)
		}
		for _, e := range ents {
			rel := path.Join(d.rel, e.Name)
			if err := out.add([]byte(rel)); err != nil {
				return nil, err
			}
			if n := a.entryAt(d.n, e.Name); isDirEntry(n, d.n, e) {
				stack = append(stack, dir{n: n, rel: rel})
			}
		}
	}
	sort.Strings(out.lines)
	return out.lines, nil
}

// modeString is ls -l's mode column of a file mode.
func modeString(m iofs.FileMode) string {
	b := []byte("-rwxrwxrwx")
	switch {
	case m.IsDir():
		b[0] = 'd'
	case m&iofs.ModeSymlink != 0:
		b[0] = 'l'
	case m&iofs.ModeCharDevice != 0:
		b[0] = 'c'
	case m&iofs.ModeDevice != 0:
		b[0] = 'b'
	case m&iofs.ModeNamedPipe != 0:
		b[0] = 'p'
	case m&iofs.ModeSocket != 0:
		b[0] = 's'
	}
	for i := 0; i < 9; i++ {
		if m&(1<<(8-i)) == 0 {
			b[1+i] = '-'
		}
	}
	special := func(i int, set bool, c byte) {
		if !set {
			return
		}
		if b[i] == 'x' {
			b[i] = c
		} else {
			b[i] = c - 'a' + 'A'
		}
	}
	special(3, m&iofs.ModeSetuid != 0, 's')
	special(6, m&iofs.ModeSetgid != 0, 's')
	special(9, m&iofs.ModeSticky != 0, 't')
	return string(b)
}

// lsTime is ls -l's time column: the hour for the last six months, the
// year otherwise (in UTC, the appliance's zone).
func lsTime(t, now time.Time) string {
	const halfYear = 31556952 / 2 * time.Second
	t = t.UTC()
	if now.Add(-halfYear).Before(t) && t.Before(now) {
		return t.Format("Jan _2 15:04")
	}
	return t.Format("Jan _2  2006")
}

// Ll lists a directory as ls -la does: a total of the blocks in KiB,
// then for ".", "..", and the entries sorted, one line each with mode,
// links, numeric owner and group, size (or device numbers), modification
// time and name (with "-> target" for a link). A file that is not a
// directory gets its one line, named as the caller named it.
func (a *Actions) Ll(c *server.Call, directory string) (string, error) {
	d, fi, err := a.stat(directory, true)
	if err != nil {
		return "", err
	}
	type line struct {
		name string
		n    node
		fi   vfs.FileInfo
	}
	var lines []line
	dir := fi.Mode.IsDir()
	if !dir {
		lines = append(lines, line{directory, d, fi})
	} else {
		up, upfi, err := a.stat(path.Dir(d.Guest), true)
		if err != nil {
			return "", err
		}
		lines = append(lines, line{".", d, fi}, line{"..", up, upfi})
		ents, err := readDir(d.fs(), d.Path)
		if err != nil {
			return "", d.wrap(err)
		}
		sort.Slice(ents, func(i, j int) bool { return ents[i].Name < ents[j].Name })
		for _, e := range ents {
			if err := c.Cancelled(); err != nil {
				return "", err
			}
			n := a.entryAt(d, e.Name)
			efi, err := n.fs().Stat(n.Path)
			if err != nil {
				return "", n.wrap(err)
			}
			lines = append(lines, line{e.Name, n, efi})
		}
	}
	var nlinkW, uidW, gidW, sizeW, majW, minW int
	var blocks int64
	isDev := func(m iofs.FileMode) bool { return m&iofs.ModeDevice != 0 }
	for _, l := range lines {
		blocks += l.fi.Blocks
		nlinkW = max(nlinkW, len(strconv.FormatUint(l.fi.Nlink, 10)))
		uidW = max(uidW, len(strconv.FormatUint(uint64(l.fi.Uid), 10)))
		gidW = max(gidW, len(strconv.FormatUint(uint64(l.fi.Gid), 10)))
		if isDev(l.fi.Mode) {
			majW = max(majW, len(strconv.FormatUint(uint64(unix.Major(l.fi.Rdev)), 10)))
			minW = max(minW, len(strconv.FormatUint(uint64(unix.Minor(l.fi.Rdev)), 10)))
		} else {
			sizeW = max(sizeW, len(strconv.FormatInt(l.fi.Size, 10)))
		}
	}
	if majW > 0 {
		sizeW = max(sizeW, majW+2+minW)
	}
	var sb strings.Builder
	if dir {
		fmt.Fprintf(&sb, "total %d\n", (blocks+1)/2)
	}
	now := time.Now()
	for _, l := range lines {
		fmt.Fprintf(&sb, "%s %*d %*d %*d ", modeString(l.fi.Mode), nlinkW, l.fi.Nlink, uidW, l.fi.Uid, gidW, l.fi.Gid)
		if isDev(l.fi.Mode) {
			fmt.Fprintf(&sb, "%*d, %*d ", sizeW-2-minW, unix.Major(l.fi.Rdev), minW, unix.Minor(l.fi.Rdev))
		} else {
			fmt.Fprintf(&sb, "%*d ", sizeW, l.fi.Size)
		}
		sb.WriteString(lsTime(l.fi.Mtime, now) + " " + l.name)
		if l.fi.Mode&iofs.ModeSymlink != 0 {
			if w, ok := l.n.fs().(vfs.Writer); ok {
				target, err := w.Readlink(l.n.Path)
				if err != nil {
					return "", l.n.wrap(err)
				}
				sb.WriteString(" -> " + target)
			}
		}
		sb.WriteByte('\n')
		if sb.Len() > maxMessage {
			return "", tooBig(directory)
		}
	}
	return sb.String(), nil
}

// Du returns the space a file or tree uses in KiB, as du -s does: the
// blocks of everything on the filesystem of path (not below mounts
// beneath it), each inode once, rounded up. A final link is not followed.
func (a *Actions) Du(c *server.Call, p string) (int64, error) {
	root, fi, err := a.stat(p, false)
	if err != nil {
		return 0, err
	}
	blocks := fi.Blocks
	seen := map[uint64]bool{}
	stack := []node{}
	if fi.Mode.IsDir() {
		stack = append(stack, root)
	}
	for len(stack) > 0 {
		if err := c.Cancelled(); err != nil {
			return 0, err
		}
		d := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		ents, err := readDir(d.fs(), d.Path)
		if err != nil {
			return 0, d.wrap(err)
		}
		for _, e := range ents {
			n := a.entryAt(d, e.Name)
			if n.Mount != root.Mount {
				continue
			}
			efi, err := n.fs().Stat(n.Path)
			if err != nil {
				return 0, n.wrap(err)
			}
			if efi.Nlink > 1 && !efi.Mode.IsDir() {
				if seen[efi.Ino] {
					continue
				}
				seen[efi.Ino] = true
			}
			blocks += efi.Blocks
			if efi.Mode.IsDir() {
				stack = append(stack, n)
			}
		}
	}
	return (blocks + 1) / 2, nil
}

// globMagic reports whether a pattern component has a wildcard, as
// glob(3) decides: an unescaped *, ?, or [ with a ] after it.
func globMagic(p string) bool {
	bracket := false
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '\\':
			i++
		case '*', '?':
			return true
		case '[':
			bracket = true
		case ']':
			if bracket {
				return true
			}
		}
	}
	return false
}

// globUnescape removes the backslashes of a pattern without wildcards.
func globUnescape(p string) string {
	var sb strings.Builder
	for i := 0; i < len(p); i++ {
		if p[i] == '\\' && i+1 < len(p) {
			i++
		}
		sb.WriteByte(p[i])
	}
	return sb.String()
}

// fnmatch matches name against the pattern component p as fnmatch(3)
// with FNM_PERIOD in the C locale: a leading "." only matches a "." (or
// "\.") in the pattern.
func fnmatch(p, name string) bool {
	if strings.HasPrefix(name, ".") && !strings.HasPrefix(p, ".") && !strings.HasPrefix(p, `\.`) {
		return false
	}
	px, nx := 0, 0
	starPx, starNx := -1, -1
	for px < len(p) || nx < len(name) {
		if px < len(p) {
			ok, width := false, 0
			switch c := p[px]; c {
			case '*':
				starPx, starNx = px, nx
				px++
				continue
			case '?':
				ok, width = nx < len(name), 1
			case '[':
				if nx < len(name) {
					var valid bool
					if ok, width, valid = matchBracket(p[px:], name[nx]); !valid {
						ok, width = name[nx] == '[', 1
					}
				}
			case '\\':
				width = 2
				if px+1 == len(p) {
					width = 1
				}
				ok = nx < len(name) && name[nx] == p[px+width-1]
			default:
				ok, width = nx < len(name) && name[nx] == c, 1
			}
			if ok {
				px += width
				nx++
				continue
			}
		}
		if starPx < 0 || starNx >= len(name) {
			return false
		}
		starNx++
		px, nx = starPx+1, starNx
	}
	return true
}

// matchBracket matches b against the bracket expression starting p,
// returning whether it matched and the expression's length; valid is
// false when p has no closing "]" (the "[" is then a character).
func matchBracket(p string, b byte) (ok bool, width int, valid bool) {
	i := 1
	negate := i < len(p) && (p[i] == '!' || p[i] == '^')
	if negate {
		i++
	}
	matched := false
	for first := true; ; first = false {
		if i >= len(p) {
			return false, 0, false
		}
		c := p[i]
		if c == ']' && !first {
			i++
			break
		}
		if c == '[' && i+1 < len(p) && p[i+1] == ':' {
			if end := strings.Index(p[i+2:], ":]"); end >= 0 {
				if s, known := posixClasses[p[i+2:i+2+end]]; known && s.Has(b) {
					matched = true
				}
				i += 2 + end + 2
				continue
			}
		}
		if c == '\\' && i+1 < len(p) {
			i++
			c = p[i]
		}
		lo := c
		i++
		if i+1 < len(p) && p[i] == '-' && p[i+1] != ']' {
			hi := p[i+1]
			i += 2
			if hi == '\\' && i < len(p) {
				hi = p[i]
				i++
			}
			if lo <= b && b <= hi {
				matched = true
			}
			continue
		}
		if b == lo {
			matched = true
		}
	}
	return matched != negate, i, true
}

// GlobExpandOpts expands a wildcard path as glob(3) with GLOB_MARK (unless
// directoryslash is false) does: each component with a wildcard is
// matched against the names of the directories found so far ("." and
// ".." included), one without is kept when it exists; a pattern ending
// in "/" matches only directories, which then end in "/".
func (a *Actions) GlobExpandOpts(c *server.Call, pattern string, opts *server.GlobExpandOptsOpts) ([]string, error) {
	if !strings.HasPrefix(pattern, "/") {
		return nil, errno.New(syscall.EINVAL, "%s: path must start with a / character", errno.Cut(pattern))
	}
	mark := opts.Directoryslash == nil || *opts.Directoryslash
	comps := strings.FieldsFunc(pattern, func(r rune) bool { return r == '/' })
	dirsOnly := strings.HasSuffix(pattern, "/")
	cur := []string{""}
	for _, comp := range comps {
		if err := c.Cancelled(); err != nil {
			return nil, err
		}
		var next []string
		if !globMagic(comp) {
			name := globUnescape(comp)
			for _, p := range cur {
				if _, _, err := a.stat(p+"/"+name, false); err == nil {
					next = append(next, p+"/"+name)
				}
			}
		} else {
			for _, p := range cur {
				d, err := a.resolve(p+"/", true)
				if err != nil {
					continue
				}
				ents, err := readDir(d.fs(), d.Path)
				if err != nil {
					continue
				}
				names := []string{".", ".."}
				for _, e := range ents {
					names = append(names, e.Name)
				}
				for _, name := range names {
					if fnmatch(comp, name) {
						next = append(next, p+"/"+name)
					}
				}
			}
		}
		cur = next
	}
	out := newLineList(pattern)
	for _, p := range cur {
		if p == "" {
			p = "/"
		}
		_, fi, err := a.stat(p, true)
		isDir := err == nil && fi.Mode.IsDir()
		switch {
		case dirsOnly && !isDir:
			continue
		case (dirsOnly || mark) && isDir && !strings.HasSuffix(p, "/"):
			p += "/"
		}
		if err := out.add([]byte(p)); err != nil {
			return nil, err
		}
	}
	sort.Strings(out.lines)
	return out.lines, nil
}

// CaseSensitivePath returns path with each component replaced by the
// first name of its directory that matches it ignoring (ASCII) case, as
// libguestfs's does; a missing last component is kept as given.
func (a *Actions) CaseSensitivePath(c *server.Call, p string) (string, error) {
	if !strings.HasPrefix(p, "/") {
		return "", errno.New(syscall.EINVAL, "%s: path must start with a / character", errno.Cut(p))
	}
	elems := strings.FieldsFunc(p, func(r rune) bool { return r == '/' })
	dir := "/"
	var out []string
	for i, e := range elems {
		if e == "." || e == ".." {
			return "", errno.New(syscall.EINVAL, "%s: path contains \".\" or \"..\" elements", errno.Cut(p))
		}
		d, _, err := a.statDir(dir)
		if err != nil {
			return "", err
		}
		ents, err := readDir(d.fs(), d.Path)
		if err != nil {
			return "", d.wrap(err)
		}
		found := ""
		for _, ent := range ents {
			if asciiEqualFold(ent.Name, e) {
				found = ent.Name
				break
			}
		}
		last := i == len(elems)-1
		switch {
		case found == "" && last:
			found = e
		case found == "":
			return "", errno.New(syscall.ENOENT, "%s: %s: not found", errno.Cut(p), errno.Cut(e))
		}
		out = append(out, found)
		if !last {
			dir = path.Join(d.Guest, found)
		}
	}
	return "/" + strings.Join(out, "/"), nil
}

// asciiEqualFold reports whether a and b are equal with ASCII letters
// compared ignoring case (OCaml's String.lowercase_ascii).
func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// posixClasses are the C locale's character classes by name, grep's, for
// glob_expand's [:name:].
var posixClasses = grep.Classes()
