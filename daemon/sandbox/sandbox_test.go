package sandbox

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"goguestfs/daemon/sandbox/internal/cthread"
)

// The test binary re-executes itself: roleEnv says what the process is.
const (
	roleEnv    = "GOGUESTFS_SANDBOX_TEST_ROLE"
	networkEnv = "GOGUESTFS_SANDBOX_TEST_NETWORK"
	nsEnv      = "GOGUESTFS_SANDBOX_TEST_NAMESPACES"
)

// testExec is Options.Exec in the tests: /bin/true and what it loads
// (/bin/false is left out).
var testExec = []string{"/bin/true", "/lib", "/lib64", "/usr/lib", "/usr/lib64", "/etc/ld.so.cache"}

func TestMain(m *testing.M) {
	switch os.Getenv(roleEnv) {
	case "sandboxed":
		os.Exit(sandboxedMain())
	case "spawner":
		os.Exit(spawnerMain())
	}
	os.Exit(m.Run())
}

// sandboxedMain is the process under test: it has threads of the Go
// runtime and of C, applies the sandbox, makes more threads, and writes
// "pid N", "warning W" and "probe LINE" lines, then "ready"; it exits when
// its standard input ends.
func sandboxedMain() int {
	network := os.Getenv(networkEnv) == "1"
	var started sync.WaitGroup
	block := make(chan struct{})
	lockedThread := func() {
		started.Add(1)
		go func() {
			runtime.LockOSThread()
			started.Done()
			<-block
		}()
	}
	for range 4 {
		lockedThread()
	}
	started.Wait()
	if cthread.Enabled {
		if err := cthread.Start("cthread-before"); err != nil {
			fmt.Printf("error cthread: %v\n", err)
			return 1
		}
	}
	warnings, err := Apply(Options{Network: network, Exec: testExec})
	if err != nil {
		fmt.Printf("error %v\n", err)
		return 1
	}
	// Threads made afterwards, from Go and from C (glibc's clone3 gets
	// ENOSYS and falls back to clone), a collection, and a busy goroutine
	// the runtime must preempt with a signal to its thread.
	for range 2 {
		lockedThread()
	}
	started.Wait()
	cerr := error(nil)
	if cthread.Enabled {
		cerr = cthread.Start("cthread-after")
	}
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			default:
			}
		}
	}()
	for range 3 {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	close(done)

	fmt.Printf("pid %d\n", os.Getpid())
	for _, w := range warnings {
		fmt.Printf("warning %s\n", w)
	}
	for _, l := range strings.Split(strings.TrimSpace(Probe()), "\n") {
		fmt.Printf("probe %s\n", l)
	}
	if cthread.Enabled {
		fmt.Printf("probe pthread_create after: %s\n", errnoName(cerr))
	}
	// A tool in Exec runs (fork, exec, its loader and libraries); one that
	// is not there cannot be executed.
	for _, tool := range []string{"/bin/true", "/bin/false"} {
		// Standard descriptors are pipes: os/exec would open /dev/null
		// for those left nil, a host path.
		cmd := exec.Command(tool)
		cmd.Stdin, cmd.Stdout, cmd.Stderr = strings.NewReader(""), io.Discard, io.Discard
		fmt.Printf("probe exec %s: %s\n", tool, errnoName(cmd.Run()))
	}
	fmt.Println("ready")
	io.Copy(io.Discard, os.Stdin)
	return 0
}

// spawnerMain starts the sandboxed process as the library's spawn does
// (namespaces when nsEnv is 1), with the same standard descriptors, and
// exits with its status.
func spawnerMain() int {
	exe, err := os.Executable()
	if err != nil {
		fmt.Printf("error %v\n", err)
		return 1
	}
	cmd := exec.Command(exe)
	cmd.Env = []string{roleEnv + "=sandboxed", networkEnv + "=" + os.Getenv(networkEnv)}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Dir = "/"
	if os.Getenv(nsEnv) == "1" {
		cmd.SysProcAttr = spawnAttr(os.Getenv(networkEnv) == "1")
	}
	if err := cmd.Run(); err != nil {
		fmt.Printf("error %v\n", err)
		return 1
	}
	return 0
}

// spawnAttr is what core's spawn gives the daemon: a network namespace
// unless network; when not root, a user namespace of its own too, with
// CAP_SETPCAP as an ambient capability so that the daemon can empty its
// bounding set.
func spawnAttr(network bool) *syscall.SysProcAttr {
	sys := &syscall.SysProcAttr{}
	if !network {
		sys.Cloneflags = syscall.CLONE_NEWNET
	}
	if os.Geteuid() != 0 {
		sys.Cloneflags |= syscall.CLONE_NEWUSER
		sys.UidMappings = []syscall.SysProcIDMap{{ContainerID: os.Geteuid(), HostID: os.Geteuid(), Size: 1}}
		sys.GidMappings = []syscall.SysProcIDMap{{ContainerID: os.Getegid(), HostID: os.Getegid(), Size: 1}}
		sys.AmbientCaps = []uintptr{unix.CAP_SETPCAP}
	}
	return sys
}

// syncBuffer is a bytes.Buffer that the goroutine copying a child's
// stderr and the test may use at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// child is what the parent learned from a sandboxed process.
type child struct {
	pid      int
	warnings []string
	probe    map[string]string
	threads  map[string]map[string]string // tid -> status fields, plus "comm"
}

// runSandboxed runs exe in the given role and returns what the sandboxed
// process reported and what /proc shows of each of its threads while it
// waits.
func runSandboxed(t *testing.T, exe, role string, network, namespaces bool, cred *syscall.Credential) child {
	t.Helper()
	cmd := exec.Command(exe)
	cmd.Env = []string{roleEnv + "=" + role, networkEnv + "=" + map[bool]string{true: "1", false: "0"}[network],
		nsEnv + "=" + map[bool]string{true: "1", false: "0"}[namespaces]}
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if role == "sandboxed" && namespaces {
		cmd.SysProcAttr = spawnAttr(network)
	}
	var stderr syncBuffer
	cmd.Stderr = &stderr
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	defer func() {
		stdin.Close()
		err := cmd.Wait()
		assert.NoError(t, err, "stderr: %s", stderr.String())
	}()

	c := child{probe: map[string]string{}, threads: map[string]map[string]string{}}
	sc := bufio.NewScanner(stdout)
	ready := false
	for !ready && sc.Scan() {
		kind, rest, _ := strings.Cut(sc.Text(), " ")
		switch kind {
		case "pid":
			fmt.Sscan(rest, &c.pid)
		case "warning":
			c.warnings = append(c.warnings, rest)
		case "probe":
			what, result, ok := strings.Cut(rest, ": ")
			require.True(t, ok, "probe line %q", rest)
			c.probe[what] = result
		case "ready":
			ready = true
		case "error":
			t.Fatalf("the sandboxed process failed: %s (stderr: %s)", rest, stderr.String())
		}
	}
	require.True(t, ready, "no ready line; stderr: %s", stderr.String())
	require.NotZero(t, c.pid)
	assert.Empty(t, stderr.String(), "the sandboxed process wrote to stderr")
	t.Logf("pid %d, warnings %q, probe %v", c.pid, c.warnings, c.probe)
	dirs, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*", c.pid))
	require.NoError(t, err)
	for _, d := range dirs {
		b, err := os.ReadFile(filepath.Join(d, "status"))
		require.NoError(t, err)
		m := map[string]string{}
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok {
				m[k] = strings.TrimSpace(v)
			}
		}
		comm, _ := os.ReadFile(filepath.Join(d, "comm"))
		m["comm"] = strings.TrimSpace(string(comm))
		c.threads[filepath.Base(d)] = m
	}
	t.Logf("%d threads; first: %v", len(c.threads), func() map[string]string {
		for _, st := range c.threads {
			return map[string]string{"NoNewPrivs": st["NoNewPrivs"], "Seccomp": st["Seccomp"], "CapEff": st["CapEff"], "CapBnd": st["CapBnd"], "Uid": st["Uid"]}
		}
		return nil
	}())
	return c
}

// check asserts what the sandbox must show in every case; boundingSet is
// false where the process cannot empty it (no CAP_SETPCAP).
func check(t *testing.T, c child, network, boundingSet bool) {
	t.Helper()
	abi := landlockABI()
	const zero = "0000000000000000"

	// Every thread, those C started before the sandbox included.
	assert.GreaterOrEqual(t, len(c.threads), 8, "threads: %v", c.threads)
	var cthreads []string
	for tid, st := range c.threads {
		if strings.HasPrefix(st["comm"], "cthread-") {
			cthreads = append(cthreads, st["comm"])
		}
		assert.Equal(t, "1", st["NoNewPrivs"], "thread %s (%s)", tid, st["comm"])
		assert.Equal(t, "2", st["Seccomp"], "thread %s (%s)", tid, st["comm"])
		assert.Equal(t, "1", st["Seccomp_filters"], "thread %s (%s)", tid, st["comm"])
		for _, k := range []string{"CapEff", "CapPrm", "CapInh", "CapAmb"} {
			assert.Equal(t, zero, st[k], "%s of thread %s (%s)", k, tid, st["comm"])
		}
		if boundingSet {
			assert.Equal(t, zero, st["CapBnd"], "CapBnd of thread %s (%s)", tid, st["comm"])
		}
	}
	if cthread.Enabled {
		assert.ElementsMatch(t, []string{"cthread-before", "cthread-after"}, cthreads)
		assert.Equal(t, "ok", c.probe["pthread_create after"])
	}

	if boundingSet {
		assert.Empty(t, c.warnings)
	} else {
		require.Len(t, c.warnings, 1)
		assert.Contains(t, c.warnings[0], "bounding set")
	}

	p := c.probe
	if abi > 0 {
		assert.Contains(t, p["landlock"], fmt.Sprintf("ABI %d", abi))
		for _, what := range []string{"open /etc/passwd", "open /proc/self/status", "create /tmp/guestfsd-probe-PID"} {
			assert.Contains(t, []string{"EACCES", "EPERM"}, p[what], what)
		}
	}
	assert.Equal(t, "EPERM", p["chmod "+probeMissing])
	assert.Equal(t, "EPERM", p["truncate "+probeMissing])
	for _, what := range []string{"socket AF_INET", "socket AF_INET6"} {
		if network {
			assert.Equal(t, "ok", p[what], what)
		} else {
			assert.Contains(t, []string{"EAFNOSUPPORT", "EPERM"}, p[what], what)
		}
	}
	if abi >= 9 {
		assert.Equal(t, "ok", p["socket AF_UNIX"])
	} else {
		assert.Equal(t, "EPERM", p["socket AF_UNIX"])
	}
	assert.Equal(t, "EPERM", p["socket AF_NETLINK"])
	assert.Equal(t, "ok", p["socketpair AF_UNIX"])
	for _, what := range []string{"io_uring_setup", "bpf", "ptrace", "unshare CLONE_NEWUSER", "kill 1 0"} {
		assert.Equal(t, "EPERM", p[what], what)
	}
	assert.Equal(t, "ok", p["kill self 0"])
	assert.Equal(t, "ENOSYS", p["clone3"])
	assert.Equal(t, "ok", p["exec /bin/true"])
	if abi > 0 {
		assert.Equal(t, "EACCES", p["exec /bin/false"])
	}
	if abi >= 6 {
		assert.Contains(t, p["landlock"], "signal")
	}
}

// TestSandbox applies the sandbox in a child process and checks, from
// the parent, what the child could do and what /proc shows of every
// thread: as the caller running the test (root in CI) and, when that is
// root, as an ordinary user (nobody), each with the network switch off and
// on.
func TestSandbox(t *testing.T) {
	exe, err := os.Executable()
	require.NoError(t, err)
	if abi := landlockABI(); abi == 0 {
		t.Log("this kernel has no Landlock: host paths are not checked")
	}
	for _, network := range []bool{false, true} {
		t.Run(fmt.Sprintf("caller/network=%v", network), func(t *testing.T) {
			// As spawn starts the daemon: root keeps only a network
			// namespace, anyone else gets a user namespace too.
			c := runSandboxed(t, exe, "sandboxed", network, true, nil)
			check(t, c, network, true)
		})
	}
	if os.Geteuid() != 0 {
		t.Log("not root: the sub-tests as nobody are skipped")
		return
	}
	// nobody must be able to run the test binary: a copy in a directory
	// of mode 0755.
	dir, err := os.MkdirTemp("", "sandbox-test-")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	require.NoError(t, os.Chmod(dir, 0o755))
	copyExe := filepath.Join(dir, "sandbox.test")
	b, err := os.ReadFile(exe)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(copyExe, b, 0o755))
	nobody := &syscall.Credential{Uid: 65534, Gid: 65534, Groups: []uint32{}}
	for _, network := range []bool{false, true} {
		t.Run(fmt.Sprintf("nobody/network=%v", network), func(t *testing.T) {
			// nobody starts the sandboxed process as spawn would.
			c := runSandboxed(t, copyExe, "spawner", network, true, nobody)
			check(t, c, network, true)
		})
		t.Run(fmt.Sprintf("nobody-without-namespaces/network=%v", network), func(t *testing.T) {
			// Where namespaces are refused: no CAP_SETPCAP to empty the
			// bounding set with, and a warning saying so.
			c := runSandboxed(t, copyExe, "sandboxed", network, false, nobody)
			check(t, c, network, false)
			for tid, st := range c.threads {
				assert.NotEqual(t, "0000000000000000", st["CapBnd"], "thread %s", tid)
			}
		})
	}
}
