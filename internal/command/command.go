// Package command runs external programs (nix, ssh, ...) for nixmesh. Every failure of a
// child process becomes one *ProcessError that keeps argv, exit code and the full stderr,
// while its Error() stays short. Results are read from stdout only; stderr can be streamed
// live through a prefixing writer. It imports nothing of nixmesh.
package command

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"
	"syscall"
)

// ProcessError is the error of an external command that could not run or exited non-zero.
type ProcessError struct {
	Argv     []string
	ExitCode int // -1 when the command did not start or was killed by a signal
	Stderr   string
	Err      error // the underlying error from os/exec
}

func (e *ProcessError) Error() string {
	name := "command"
	if len(e.Argv) > 0 {
		name = e.Argv[0]
	}
	if e.ExitCode >= 0 {
		return fmt.Sprintf("%s exited with code %d", name, e.ExitCode)
	}
	return fmt.Sprintf("%s: %v", name, e.Err)
}

func (e *ProcessError) Unwrap() error { return e.Err }

// Cmd describes one invocation.
type Cmd struct {
	Argv   []string
	Env    []string  // nil: inherit
	Dir    string    // "": current directory
	Stdin  io.Reader // nil: no input
	Stderr io.Writer // nil: stderr is only kept; else it is also streamed here, line by line
	// Usage, when set, receives the finished process's resource usage (CPU times, peak
	// RSS), whether it succeeded or not.
	Usage func(*syscall.Rusage)
}

// Output runs the command and returns its stdout. On failure the error is a *ProcessError
// (also when ctx is cancelled).
func Output(ctx context.Context, c Cmd) ([]byte, error) {
	var stdout bytes.Buffer
	err := Run(ctx, c, &stdout)
	return stdout.Bytes(), err
}

// Run runs the command with stdout going to out.
func Run(ctx context.Context, c Cmd, out io.Writer) error {
	if len(c.Argv) == 0 {
		return errors.New("command: empty argv")
	}
	cmd := exec.CommandContext(ctx, c.Argv[0], c.Argv[1:]...)
	cmd.Env = c.Env
	cmd.Dir = c.Dir
	cmd.Stdin = c.Stdin
	cmd.Stdout = out
	var stderr bytes.Buffer
	if c.Stderr != nil {
		cmd.Stderr = io.MultiWriter(&stderr, c.Stderr)
	} else {
		cmd.Stderr = &stderr
	}
	err := cmd.Run()
	if c.Usage != nil && cmd.ProcessState != nil {
		if u, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			c.Usage(u)
		}
	}
	if err == nil {
		return nil
	}
	pe := &ProcessError{Argv: c.Argv, ExitCode: -1, Stderr: stderr.String(), Err: err}
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.Exited() {
		pe.ExitCode = ee.ExitCode()
	}
	if ctx.Err() != nil {
		pe.Err = errors.Join(ctx.Err(), err)
	}
	return pe
}

// PrefixWriter writes each complete line to W with Prefix in front. Safe for concurrent use.
type PrefixWriter struct {
	W      io.Writer
	Prefix string
	mu     sync.Mutex
	buf    []byte
}

func (p *PrefixWriter) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.buf = append(p.buf, b...)
	for {
		i := bytes.IndexByte(p.buf, '\n')
		if i < 0 {
			break
		}
		if _, err := fmt.Fprintf(p.W, "%s%s\n", p.Prefix, p.buf[:i]); err != nil {
			return len(b), err
		}
		p.buf = p.buf[i+1:]
	}
	return len(b), nil
}

// Flush writes a trailing partial line, if any.
func (p *PrefixWriter) Flush() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.buf) > 0 {
		fmt.Fprintf(p.W, "%s%s\n", p.Prefix, p.buf)
		p.buf = nil
	}
}

// Lines splits s into non-empty trimmed lines.
func Lines(s string) []string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			out = append(out, l)
		}
	}
	return out
}
