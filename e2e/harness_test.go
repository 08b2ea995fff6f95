package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/nixmesh/nixmesh/internal/command"
	"github.com/nixmesh/nixmesh/internal/testutil"
	"github.com/nixmesh/nixmesh/lab"
	"github.com/nixmesh/nixmesh/lab/labtest"
)

// binDir holds the nixmesh binary, built once per test run (TestMain removes it).
var (
	binDir   string
	binOnce  sync.Once
	binPath  string
	binError error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// nixmeshBinary builds ./cmd/nixmesh once per test run and returns its path.
func nixmeshBinary(t testing.TB) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "nixmesh-e2e-bin-")
		if err != nil {
			binError = err
			return
		}
		binDir = dir
		binPath = filepath.Join(dir, "nixmesh")
		_, err = command.Output(context.Background(), command.Cmd{
			Argv: []string{"go", "build", "-o", binPath, "./cmd/nixmesh"},
			Dir:  testutil.RepoRoot(),
		})
		if err != nil {
			binError = fmt.Errorf("go build ./cmd/nixmesh: %w", err)
		}
	})
	if binError != nil {
		t.Fatal(binError)
	}
	return binPath
}

// require skips (or fails in CI) unless everything the end-to-end tests run is here.
func require(t testing.TB) {
	t.Helper()
	labtest.Require(t)
	testutil.RequireNix(t)
	testutil.RequireCommands(t, "nix-copy-closure", "wireguard-go", "wg", "nsd", "nsd-checkzone",
		"dig", "ping", "setpriv", "flock", "go")
}

// testContext is a context that ends a little before the test's deadline.
func testContext(t testing.TB) context.Context {
	ctx := context.Background()
	if tt, ok := t.(*testing.T); ok {
		if d, ok := tt.Deadline(); ok {
			c, cancel := context.WithDeadline(ctx, d.Add(-30*time.Second))
			t.Cleanup(cancel)
			return c
		}
	}
	return ctx
}

// ---------------------------------------------------------------------------------------
// The deployer's side: a HOME whose ~/.ssh/config holds the lab's operator key and
// known_hosts, and a PATH whose `ssh` reads that config.

// deployer is the machine that deploys: its HOME and environment.
type deployer struct {
	home string
	bin  string // a directory put first on PATH
}

// newDeployer writes HOME/.ssh/config for the lab (it also tells the deployer how long to
// wait for a silent host, as a fleet's ssh_config would). OpenSSH reads ~/.ssh/config from the
// user's home in the password database, not from $HOME, so front door 1 gets an `ssh` on
// PATH that passes the file with -F; nix-copy-closure uses that `ssh` too. The Go
// deployer reads $HOME/.ssh/config itself.
func newDeployer(t testing.TB, dir string, l *lab.Lab) *deployer {
	t.Helper()
	d := &deployer{home: filepath.Join(dir, "home"), bin: filepath.Join(dir, "bin")}
	for _, p := range []string{filepath.Join(d.home, ".ssh"), d.bin} {
		if err := os.MkdirAll(p, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	config := fmt.Sprintf(`# The lab's deployer (written by the e2e tests).
Host *
  IdentityFile %s
  IdentitiesOnly yes
  UserKnownHostsFile %s
  GlobalKnownHostsFile /dev/null
  StrictHostKeyChecking yes
  BatchMode yes
  # A crashed or downed lab host drops what is sent to it: these bound how long each
  # fault step waits on it (both the Go transport and OpenSSH read them).
  ConnectTimeout 5
  ServerAliveInterval 3
`, l.OperatorKey(), l.KnownHostsFile())
	writeFile(t, filepath.Join(d.home, ".ssh", "config"), config, 0o600)
	sshPath, err := exec.LookPath("ssh")
	if err != nil {
		t.Fatal(err)
	}
	wrapper := "#!/bin/sh\n# ssh with the deployer's ~/.ssh/config ($HOME, not the passwd home).\nexec " +
		sshPath + " -F \"$HOME/.ssh/config\" \"$@\"\n"
	writeFile(t, filepath.Join(d.bin, "ssh"), wrapper, 0o755)
	return d
}

// env is the deployer's environment: HOME, PATH with the ssh wrapper, NIX_CONFIG.
func (d *deployer) env() []string {
	var env []string
	for _, kv := range os.Environ() {
		switch k, _, _ := strings.Cut(kv, "="); k {
		case "HOME", "PATH", "NIX_CONFIG", "SSH_AUTH_SOCK":
			continue
		}
		env = append(env, kv)
	}
	return append(env, "HOME="+d.home, "PATH="+d.bin+":"+os.Getenv("PATH"), "NIX_CONFIG="+testutil.NixConfig)
}

// ssh runs argv as root on the host with the deployer's identity, over a new connection.
func (d *deployer) ssh(ctx context.Context, h lab.Host, argv ...string) ([]byte, error) {
	full := []string{filepath.Join(d.bin, "ssh"), "-o", "ControlMaster=no", "-o", "ControlPath=none", "-o", "ConnectTimeout=10",
		"-p", strconv.Itoa(h.Port), "root@" + h.Address.String(), "--"}
	return command.Output(ctx, command.Cmd{Argv: append(full, argv...), Env: d.env()})
}

// ---------------------------------------------------------------------------------------
// Variants of the example: deploy.nix's extraModule is testdata/e2e-module.nix, which
// reads params.json next to it.

type params struct {
	OperatorKey      string    `json:"operatorKey"`
	DeployKey        string    `json:"deployKey"`
	DeployKeyFile    string    `json:"deployKeyFile"`
	BackupKey        string    `json:"backupKey"`
	BackupKeyFile    string    `json:"backupKeyFile"`
	RemoveDeployerOn string    `json:"removeDeployerOn,omitempty"`
	BadZoneOn        string    `json:"badZoneOn,omitempty"`
	SlowOn           string    `json:"slowOn,omitempty"`
	Keep             int       `json:"keep,omitempty"`
	Marker           string    `json:"marker,omitempty"`
	OperatorUID      *int      `json:"operatorUid,omitempty"`
	WrongVPNKeyOn    string    `json:"wrongVpnKeyOn,omitempty"`
	VPNCheck         *vpnCheck `json:"vpnCheck,omitempty"`
	SubstituteOn     string    `json:"substituteOn,omitempty"`
	BuildOn          string    `json:"buildOn,omitempty"`
	SuccessTimeout   int       `json:"successTimeout,omitempty"`
	ExtraRecord      *struct {
		Name    string `json:"name"`
		Address string `json:"address"`
	} `json:"extraRecord,omitempty"`
}

// vpnCheck tunes every node's vpn-backbone health check.
type vpnCheck struct {
	Retries  int `json:"retries"`
	Interval int `json:"interval"`
}

// writeVariant writes DIR/variants/NAME/{module.nix,params.json} and returns the module.
func writeVariant(t testing.TB, dir, name string, p params) string {
	t.Helper()
	vdir := filepath.Join(dir, "variants", name)
	if err := os.MkdirAll(vdir, 0o755); err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(filepath.Join(testutil.RepoRoot(), "e2e", "testdata", "e2e-module.nix"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(vdir, "module.nix"), string(src), 0o644)
	js, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(vdir, "params.json"), string(js), 0o644)
	return filepath.Join(vdir, "module.nix")
}

// ---------------------------------------------------------------------------------------
// Running a deployer and watching its output.

// run is one run of a deployer: its combined output and exit code.
type run struct {
	code   int
	output string
	// cpu is the CPU time of the process and every descendant it waited for (the
	// deployer's share of a deploy), where the runner measured it.
	cpu time.Duration
}

// startLogged starts cmd in a session of its own, with stdout and stderr combined,
// logged line by line and sent to lines (closed at the end).
func startLogged(t testing.TB, cmd *exec.Cmd, prefix string) (lines <-chan string, wait func() run) {
	t.Helper()
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	pr, pw := io.Pipe()
	cmd.Stdout = pw
	cmd.Stderr = pw
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", cmd.Path, err)
	}
	ch := make(chan string, 1024)
	var buf bytes.Buffer
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(ch)
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		for sc.Scan() {
			line := sc.Text()
			buf.WriteString(line + "\n")
			t.Logf("%s %s", prefix, line)
			select {
			case ch <- line:
			default:
			}
		}
		io.Copy(io.Discard, pr)
	}()
	var once sync.Once
	var result run
	var waited atomic.Bool
	wait = func() run {
		once.Do(func() {
			defer waited.Store(true)
			err := cmd.Wait()
			pw.Close()
			<-done
			result = run{code: 0, output: buf.String()}
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				result.code = ee.ExitCode()
			} else if err != nil {
				t.Fatalf("%s: %v", cmd.Path, err)
			}
		})
		return result
	}
	t.Cleanup(func() {
		// Still running (the test failed half-way): stop it. Once reaped, its PID is not
		// ours any more, so nothing is killed then.
		if !waited.Load() {
			killSession(cmd.Process.Pid)
			wait()
		}
	})
	return ch, wait
}

// killSession sends SIGKILL to every process in the session led by sid (a process this
// test started with Setsid), the leader first: the deployer and everything it started.
func killSession(sid int) {
	syscall.Kill(sid, syscall.SIGKILL)
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == sid {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		s := string(stat)
		fields := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
		if len(fields) > 3 && fields[3] == strconv.Itoa(sid) { // field 6: session
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// ---------------------------------------------------------------------------------------
// Small helpers.

func writeFile(t testing.TB, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

func readFile(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// keygen makes an ed25519 key pair in dir and returns the private key's path and the
// public key line.
func keygen(t testing.TB, dir, name, comment string) (string, string) {
	t.Helper()
	path := filepath.Join(dir, name)
	if _, err := command.Output(context.Background(), command.Cmd{
		Argv: []string{"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", path},
	}); err != nil {
		t.Fatal(err)
	}
	return path, strings.TrimSpace(readFile(t, path+".pub"))
}

// stderrOf returns the stderr kept in a *command.ProcessError.
func stderrOf(err error) string {
	var pe *command.ProcessError
	if errors.As(err, &pe) {
		return pe.Stderr
	}
	return ""
}

// hostExec runs argv inside a lab host (with stdin when given) and returns its stdout.
func hostExec(ctx context.Context, l *lab.Lab, host string, stdin []byte, argv ...string) (string, error) {
	c, err := l.Command(host, argv...)
	if err != nil {
		return "", err
	}
	if stdin != nil {
		c.Stdin = bytes.NewReader(stdin)
	}
	out, err := command.Output(ctx, c)
	return string(out), err
}

// mustHostExec is hostExec that fails the test.
func mustHostExec(t testing.TB, l *lab.Lab, host string, argv ...string) string {
	t.Helper()
	out, err := hostExec(testContext(t), l, host, nil, argv...)
	if err != nil {
		t.Fatalf("%s: %v: %v\n%s", host, argv, err, stderrOf(err))
	}
	return out
}

var switchStartedRe = regexp.MustCompile(`switch ([0-9]+) started`)
