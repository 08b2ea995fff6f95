package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nixmesh/nixmesh/internal/testutil"
)

// execRun runs `nixmesh exec` on the deploy fixture's hosts (ports may replace theirs).
func (f *deployFixture) exec(t *testing.T, opts execOptions, ports ...string) (string, string, error) {
	t.Helper()
	var keys []string
	for i, h := range f.hosts {
		if len(ports) <= i {
			ports = append(ports, strconv.Itoa(h.Port))
		}
		keys = append(keys, h.HostKeyLine)
	}
	var stdout, stderr bytes.Buffer
	opts.global = &globalOptions{File: f.file, Stderr: &stderr, Env: testutil.NixEnv()}
	opts.global.Nix.argstrs = []string{"ports=" + strings.Join(ports, ","), "hostKeys=" + strings.Join(keys, ","), "ctl=" + f.ctl}
	if opts.Parallel == 0 {
		opts.Parallel = 10
	}
	err := runExec(context.Background(), opts, &stdout)
	return stdout.String(), stderr.String(), err
}

// A shell line runs on every host at once, its lines prefixed per host (stderr's on
// stderr), with a table of exit codes; a non-zero exit anywhere is exit 1.
func TestExecCommand(t *testing.T) {
	f := newDeployFixture(t, 2)
	out, errOut, err := f.exec(t, execOptions{Argv: []string{`echo "hello $((1+1))"; echo oops >&2`}})
	if err != nil {
		t.Fatalf("exec: %v\n%s", err, errOut)
	}
	for _, want := range []string{"web0 | hello 2\n", "web1 | hello 2\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, "web0 | oops\n") || !regexpMatch(`(?m)^web1\s+0\s+`, errOut) {
		t.Errorf("stderr lacks the prefixed stderr line or the table:\n%s", errOut)
	}

	// Several arguments are exact words: quoting survives the remote shell.
	out, _, err = f.exec(t, execOptions{Argv: []string{"printf", "<%s>", "a b", "$HOME", "c;d"}, Selectors: []string{"web0"}})
	if err != nil || strings.TrimSpace(out) != "web0 | <a b><$HOME><c;d>" {
		t.Errorf("words: %q, %v", out, err)
	}

	// The command fails on web1 only (told apart by the port it reached): exit 1, the
	// table shows its code, and --group prints one block per host.
	port1 := strconv.Itoa(f.hosts[1].Port)
	line := `set -- $SSH_CONNECTION; echo "port $4"; [ "$4" != ` + port1 + ` ] || exit 3`
	out, errOut, err = f.exec(t, execOptions{Argv: []string{line}, Group: true})
	if exitCode(err) != exitCommandFailed || !strings.Contains(err.Error(), "web1") {
		t.Fatalf("exit %d (%v), want 1 naming web1\n%s%s", exitCode(err), err, out, errOut)
	}
	if !strings.Contains(out, "=== web1 (exit 3)\nport "+port1+"\n") || !strings.Contains(out, "=== web0 (exit 0)\n") {
		t.Errorf("grouped output:\n%s", out)
	}
	if !regexpMatch(`(?m)^web1\s+3\s+`, errOut) {
		t.Errorf("table:\n%s", errOut)
	}
}

// A host that cannot be reached, or does not finish in time, is exit 5; the others run.
func TestExecUnreachableAndTimeout(t *testing.T) {
	f := newDeployFixture(t, 2)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	out, errOut, err := f.exec(t, execOptions{Argv: []string{"echo ran"}}, strconv.Itoa(f.hosts[0].Port), closed)
	if exitCode(err) != exitDeploy || !strings.Contains(out, "web0 | ran") || !regexpMatch(`(?m)^web1\s+-\s+\S+\s+.*refused`, errOut) {
		t.Errorf("exit %d (%v); want 5, web0 ran, web1 refused\n%s%s", exitCode(err), err, out, errOut)
	}

	start := time.Now()
	_, errOut, err = f.exec(t, execOptions{Argv: []string{"sleep 20"}, Timeout: 500 * time.Millisecond, Selectors: []string{"web0"}})
	if exitCode(err) != exitDeploy || !strings.Contains(errOut, "--timeout") || time.Since(start) > 10*time.Second {
		t.Errorf("timeout: exit %d (%v) after %s\n%s", exitCode(err), err, time.Since(start), errOut)
	}
}

// ssh runs one command with the node's settings and exits as it did; without a command,
// the login shell reads stdin; on a terminal, the host gets one.
func TestSSHCommand(t *testing.T) {
	f := newDeployFixture(t, 1)
	runTo := func(opts sshOptions, stdout io.Writer) error {
		opts.global = &globalOptions{File: f.file, Stderr: io.Discard, Env: testutil.NixEnv()}
		opts.global.Nix.argstrs = []string{"ports=" + strconv.Itoa(f.hosts[0].Port), "hostKeys=" + f.hosts[0].HostKeyLine, "ctl=" + f.ctl}
		return runSSH(context.Background(), opts, stdout)
	}
	run := func(opts sshOptions) (string, string, error) {
		var stdout bytes.Buffer
		err := runTo(opts, &stdout)
		return stdout.String(), "", err
	}
	out, _, err := run(sshOptions{Node: "web0", Argv: []string{"echo $((6*7)); exit 4"}})
	if exitCode(err) != 4 || strings.TrimSpace(out) != "42" {
		t.Errorf("command: %q, exit %d (%v); want 42 and 4", out, exitCode(err), err)
	}
	if _, _, err := run(sshOptions{Node: "@web"}); exitCode(err) != exitUsage {
		t.Errorf("a selection: exit %d (%v), want 2", exitCode(err), err)
	}
	if _, _, err := run(sshOptions{Node: "web9"}); exitCode(err) != exitUsage {
		t.Errorf("an unknown node: exit %d (%v), want 2", exitCode(err), err)
	}

	// A host that refuses the connection: one error line naming the address (ErrConnect,
	// the error's class, is no failure of its own to print).
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	opts := sshOptions{Node: "web0", Argv: []string{"true"}, global: &globalOptions{File: f.file, Stderr: io.Discard, Env: testutil.NixEnv()}}
	opts.global.Nix.argstrs = []string{"ports=" + closed, "hostKeys=" + f.hosts[0].HostKeyLine, "ctl=" + f.ctl}
	err = runSSH(context.Background(), opts, io.Discard)
	var msg bytes.Buffer
	reportError(&msg, err, false)
	if strings.Count(msg.String(), "error:") != 1 || !strings.Contains(msg.String(), "error: cannot connect to 127.0.0.1:"+closed+": ") || !strings.Contains(msg.String(), "refused") {
		t.Errorf("a closed port: %q, want one error line naming 127.0.0.1:%s and the refusal", msg.String(), closed)
	}

	script, _ := os.CreateTemp(t.TempDir(), "stdin")
	script.WriteString("echo shell-$((2+3))\nexit 6\n")
	script.Seek(0, 0)
	out, _, err = run(sshOptions{Node: "web0", Stdin: script})
	if exitCode(err) != 6 || !strings.Contains(out, "shell-5") {
		t.Errorf("shell on stdin: %q, exit %d (%v); want shell-5 and 6", out, exitCode(err), err)
	}

	// On a terminal: a pty pair stands in for the user's.
	master, slave := openPTY(t)
	done := make(chan error, 1)
	go func() {
		done <- runTo(sshOptions{Node: "web0", Stdin: slave}, slave)
	}()
	fmt.Fprint(master, "if [ -t 0 ]; then echo IS-A-$((1+1))-TTY; fi; exit 7\r")
	found := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(master)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "IS-A-2-TTY") {
				found <- true
				return
			}
		}
		found <- false
	}()
	select {
	case ok := <-found:
		if !ok {
			t.Error("the login shell did not see a terminal")
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no answer from the login shell on a terminal")
	}
	select {
	case err := <-done:
		if exitCode(err) != 7 {
			t.Errorf("terminal session: exit %d (%v), want 7", exitCode(err), err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the terminal session did not end")
	}
}

// openPTY opens a pseudo-terminal pair.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Fatalf("no pseudo-terminal: %v", err)
	}
	fd := int(m.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	s, err := os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close(); s.Close() })
	return m, s
}

func regexpMatch(re, s string) bool { return regexp.MustCompile(re).MatchString(s) }
