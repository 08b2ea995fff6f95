package secrets

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/nixmesh/nixmesh/internal/command"
	"github.com/nixmesh/nixmesh/internal/shell"
)

// ErrEmpty is wrapped by the error of a source that produced no bytes.
var ErrEmpty = errors.New("the source produced no output")

// SourceError is the failure of a secret's source on the deploying machine. Stderr is the
// command's stderr with every trace of what it printed on stdout removed.
type SourceError struct {
	Node, Name string
	Argv       []string // the command (empty for a file source)
	File       string   // the file (empty for a command source)
	ExitCode   int      // -1: did not start, or was killed
	Stderr     string
	Err        error
}

func (e *SourceError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "secret %s: ", e.Name)
	if e.File != "" {
		fmt.Fprintf(&b, "reading %s: %v", e.File, e.Err)
		return b.String()
	}
	fmt.Fprintf(&b, "command %s", shell.Quote(e.Argv))
	switch {
	case errors.Is(e.Err, ErrEmpty):
		b.WriteString(" printed nothing")
	case e.ExitCode >= 0:
		fmt.Fprintf(&b, " exited with code %d", e.ExitCode)
	default:
		fmt.Fprintf(&b, " failed: %v", e.Err)
	}
	if s := strings.TrimSpace(e.Stderr); s != "" {
		b.WriteString("; its stderr:\n  ")
		b.WriteString(strings.ReplaceAll(s, "\n", "\n  "))
	}
	return b.String()
}

func (e *SourceError) Unwrap() error { return e.Err }

// Fetch produces a secret's bytes on the deploying machine: it runs the command (no shell,
// stdin closed, nixmesh's environment so that agents such as gpg-agent are reachable) and
// returns its stdout, or reads the file. A failing command, an unreadable file or an empty
// result is a *SourceError. The bytes are held in memory only; callers should clear them
// when done.
func Fetch(ctx context.Context, s Spec) ([]byte, error) {
	if err := s.validate(); err != nil {
		return nil, err
	}
	if s.Kind == SourceFile {
		data, err := os.ReadFile(s.File)
		if err == nil && len(data) == 0 {
			err = ErrEmpty
		}
		if err != nil {
			clear(data)
			return nil, &SourceError{Node: s.Node, Name: s.Name, File: s.File, ExitCode: -1, Err: err}
		}
		return data, nil
	}
	var stdout bytes.Buffer
	err := command.Run(ctx, command.Cmd{Argv: s.Command}, &stdout)
	data := stdout.Bytes()
	if err != nil {
		se := &SourceError{Node: s.Node, Name: s.Name, Argv: s.Command, ExitCode: -1, Err: err}
		var pe *command.ProcessError
		if errors.As(err, &pe) {
			se.ExitCode, se.Stderr, se.Err = pe.ExitCode, Redact(pe.Stderr, data), pe.Err
		}
		clear(data)
		return nil, se
	}
	if len(data) == 0 {
		return nil, &SourceError{Node: s.Node, Name: s.Name, Argv: s.Command, ExitCode: 0, Err: ErrEmpty}
	}
	return data, nil
}

// redacted replaces secret bytes in messages.
const redacted = "[redacted]"

// Redact removes from text the secret and each of its lines (of 4 bytes or more, after
// trimming spaces), so that a command that echoes its output on stderr, or an error that
// quotes it, does not leak it.
func Redact(text string, secret []byte) string {
	if len(secret) == 0 || text == "" {
		return text
	}
	pieces := []string{string(secret), strings.TrimSpace(string(secret))}
	for _, l := range strings.Split(string(secret), "\n") {
		pieces = append(pieces, strings.TrimSpace(l))
	}
	for _, p := range pieces {
		if len(p) >= 4 {
			text = strings.ReplaceAll(text, p, redacted)
		}
	}
	return text
}
