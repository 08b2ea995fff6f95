package command

import (
	"bytes"
	"context"
	"errors"
	"strings"
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
