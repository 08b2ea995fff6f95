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
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
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
	// RSS), whether it succeeded or not. Its Maxrss is the command's own peak (see
	// peakWatch), not this process's.
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
	err := cmd.Start()
	if err == nil {
		var w *peakWatch
		if c.Usage != nil {
			w = watchPeak(cmd.Process.Pid)
		}
		err = cmd.Wait()
		if w != nil && cmd.ProcessState != nil {
			if u, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
				u.Maxrss = w.peak(u.Maxrss)
				c.Usage(u)
			}
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

// peakWatch reads a running child's peak RSS (VmHWM in /proc/PID/status) every 20 ms.
// The kernel's figure at exit (ru_maxrss) is not always the child's: os/exec starts it
// by vfork, and at its exec Linux records the peak of the memory it leaves, which is
// this process's, so a child smaller than nixmesh reports nixmesh's peak (a `true`
// started by a process of 300 MB reports 300 MB). The workers' memory budget learns
// from these figures.
type peakWatch struct {
	done chan struct{}
	wg   sync.WaitGroup
	kb   atomic.Int64
}

func watchPeak(pid int) *peakWatch {
	w := &peakWatch{done: make(chan struct{})}
	path := fmt.Sprintf("/proc/%d/status", pid)
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			if kb := statusKB(path, "VmHWM:"); kb > w.kb.Load() {
				w.kb.Store(kb)
			}
			select {
			case <-w.done:
				return
			case <-t.C:
			}
		}
	}()
	return w
}

// peak is the child's peak RSS in KiB, given the kernel's figure at its exit: that
// figure when it is above this process's own peak (then it can only be the child's),
// else the highest VmHWM seen while it ran (a child that ends within 20 ms of its start
// may leave none: then the kernel's figure, an upper bound).
func (w *peakWatch) peak(exitKB int64) int64 {
	close(w.done)
	w.wg.Wait()
	var self syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &self); err == nil && exitKB > self.Maxrss {
		return exitKB
	}
	if seen := w.kb.Load(); seen > 0 {
		return seen
	}
	return exitKB
}

// statusKB is the value in kB of the line starting with key in a /proc status file;
// 0 if there is none (the process has ended).
func statusKB(path, key string) int64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, key); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				if n, err := strconv.ParseInt(f[0], 10, 64); err == nil {
					return n
				}
			}
		}
	}
	return 0
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
