package command

import (
	"bytes"
	"context"
	"errors"
	"runtime"
	"strings"
	"syscall"
	"testing"
)

func TestProcessErrorKeepsStderrAndCode(t *testing.T) {
	_, err := Output(context.Background(), Cmd{Argv: []string{"sh", "-c", "echo out; echo bad >&2; exit 7"}})
	var pe *ProcessError
	if !errors.As(err, &pe) {
		t.Fatalf("want *ProcessError, got %T %v", err, err)
	}
	if pe.ExitCode != 7 || strings.TrimSpace(pe.Stderr) != "bad" {
		t.Fatalf("got code %d stderr %q", pe.ExitCode, pe.Stderr)
	}
	if got := pe.Error(); got != "sh exited with code 7" {
		t.Fatalf("Error() = %q", got)
	}
}

func TestOutputReturnsStdoutOnly(t *testing.T) {
	var live bytes.Buffer
	out, err := Output(context.Background(), Cmd{Argv: []string{"sh", "-c", "echo a; echo b >&2"}, Stderr: &PrefixWriter{W: &live, Prefix: "nix: "}})
	if err != nil || string(out) != "a\n" || live.String() != "nix: b\n" {
		t.Fatalf("out %q live %q err %v", out, live.String(), err)
	}
}

func TestMissingCommand(t *testing.T) {
	_, err := Output(context.Background(), Cmd{Argv: []string{"/nonexistent/x"}})
	var pe *ProcessError
	if !errors.As(err, &pe) || pe.ExitCode != -1 {
		t.Fatalf("got %v", err)
	}
}

// A command's peak RSS is its own: started by a process of 256 MiB (os/exec starts it by
// vfork, and Linux's figure at its exit then is the parent's peak), `sleep` reports
// about what sleep holds.
func TestUsageIsTheCommandsOwnPeak(t *testing.T) {
	big := make([]byte, 256<<20)
	for i := range big {
		big[i] = byte(i)
	}
	var maxrss int64
	_, err := Output(context.Background(), Cmd{Argv: []string{"sleep", "0.2"}, Usage: func(u *syscall.Rusage) { maxrss = u.Maxrss }})
	runtime.KeepAlive(big)
	if err != nil {
		t.Fatal(err)
	}
	if maxrss <= 0 || maxrss > 64<<10 {
		t.Errorf("sleep 0.2 started by a 256 MiB process: peak RSS %d KiB, want its own (a few MiB)", maxrss)
	}
}
