package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/nixmesh/nixmesh/eval"
)

// Exit codes; the table is in the root command's --help and docs/internals.md.
const (
	exitOK            = 0
	exitInternal      = 1
	exitCommandFailed = 1 // exec: the command exited non-zero on a host
	exitUsage         = 2
	exitEval          = 3
	exitBuild         = 4
	exitDeploy        = 5
	exitRolledBack    = 6
	exitInterrupted   = 130
)

// usageError is a mistake in how nixmesh was called: bad flags, an unknown command or
// node, a missing deployment file.
type usageError struct {
	err     error
	command string // the command it is about ("nixmesh lab up"), for the help pointer
}

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usageErrorf(format string, args ...any) error {
	return &usageError{err: fmt.Errorf(format, args...)}
}

// interruptedError is any error of a run that was interrupted (Ctrl-C, SIGTERM).
type interruptedError struct{ err error }

func (e *interruptedError) Error() string { return "interrupted" }
func (e *interruptedError) Unwrap() error { return e.err }

func interrupted(err error) error { return &interruptedError{err: err} }

// deployFailedError and rolledBackError let a command say how a deploy ended when the
// deploy engine's error types do not show it: wrap the engine's error in one of them.
type deployFailedError struct{ err error }

func (e *deployFailedError) Error() string { return e.err.Error() }
func (e *deployFailedError) Unwrap() error { return e.err }

type rolledBackError struct{ err error }

func (e *rolledBackError) Error() string { return e.err.Error() }
func (e *rolledBackError) Unwrap() error { return e.err }

// exitStatusError passes a child's exit status through as nixmesh's own (`lab ssh HOST
// -- CMD` exits as CMD did); the child has already said what went wrong.
type exitStatusError struct{ code int }

func (e *exitStatusError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// exitCode classifies err; the first matching row wins.
func exitCode(err error) int {
	var status *exitStatusError
	if errors.As(err, &status) {
		return status.code
	}
	var (
		usage   *usageError
		sel     *eval.SelectError
		evalErr *eval.EvalError
		version *eval.PlanVersionError
		build   *eval.BuildError
		failed  *deployFailedError
		rolled  *rolledBackError
		intr    *interruptedError
		execErr *execFailedError
		verErr  *verifyFailedError
	)
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &intr), errors.Is(err, context.Canceled):
		return exitInterrupted
	case errors.As(err, &usage), errors.As(err, &sel):
		return exitUsage
	case errors.As(err, &evalErr), errors.As(err, &version):
		return exitEval
	case errors.As(err, &build):
		return exitBuild
	case errors.As(err, &failed):
		return exitDeploy
	case errors.As(err, &rolled):
		return exitRolledBack
	case errors.As(err, &execErr) && execErr.unreachable:
		return exitDeploy
	case errors.As(err, &execErr), errors.As(err, &verErr):
		return exitCommandFailed
	}
	return exitInternal
}

// reportError prints err for a person on w — one clear message per failure, Nix's
// full trace only when showTrace — and returns the exit code.
func reportError(w io.Writer, err error, showTrace bool) int {
	code := exitCode(err)
	var intr *interruptedError
	var status *exitStatusError
	switch {
	case errors.As(err, &status):
		// The child printed its own messages.
	case errors.As(err, &intr):
		fmt.Fprintln(w, "nixmesh: interrupted")
	case code == exitUsage:
		command := "nixmesh"
		var ue *usageError
		if errors.As(err, &ue) && ue.command != "" {
			command = ue.command
		}
		fmt.Fprintf(w, "error: %v\nRun '%s --help' for usage.\n", err, command)
	default:
		for _, e := range leaves(err) {
			printOne(w, e, showTrace)
		}
	}
	return code
}

// leaves flattens errors.Join trees into the failures they hold.
func leaves(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, leaves(e)...)
		}
		return out
	}
	return []error{err}
}

func printOne(w io.Writer, err error, showTrace bool) {
	var (
		evalErr *eval.EvalError
		build   *eval.BuildError
		host    *eval.HostError
	)
	prefix := ""
	if errors.As(err, &host) {
		prefix = host.Host + ": "
	}
	switch {
	case errors.As(err, &evalErr):
		printDiagnostics(w, prefix, evalErr.Diagnostics, evalErr.Proc.Stderr, showTrace)
	case errors.As(err, &build):
		if len(build.Diagnostics) == 0 {
			fmt.Fprintf(w, "error: %sbuild failed: %v\n", prefix, build)
			fmt.Fprint(w, indent(tail(build.Proc.Stderr, 20), "  "))
			return
		}
		fmt.Fprintf(w, "error: %sbuild failed: %s\n", prefix, indentRest(build.Diagnostics[0].Message, "  "))
		for _, d := range build.Diagnostics[1:] {
			fmt.Fprintf(w, "  %s\n", d.Summary())
		}
	case host != nil:
		fmt.Fprintf(w, "error: %s%s: %v\n", prefix, host.Phase, host.Err)
	default:
		fmt.Fprintf(w, "error: %v\n", err)
	}
}

// printDiagnostics shows each diagnostic as message, option path, location and the
// source line; Nix's whole stderr with showTrace.
func printDiagnostics(w io.Writer, prefix string, ds []eval.Diagnostic, stderr string, showTrace bool) {
	if showTrace {
		fmt.Fprint(w, strings.TrimRight(stderr, "\n")+"\n")
		return
	}
	if len(ds) == 0 {
		fmt.Fprintf(w, "error: %sevaluation failed; Nix said:\n%s", prefix, indent(tail(stderr, 20), "  "))
		return
	}
	for i, d := range ds {
		if i > 0 {
			fmt.Fprintln(w) // several problems: one paragraph each
		}
		fmt.Fprintf(w, "error: %s%s\n", prefix, indentRest(d.Message, "  "))
		if d.OptionPath != "" {
			fmt.Fprintf(w, "  option: %s\n", d.OptionPath)
		}
		if loc := d.Location(); loc != "" {
			fmt.Fprintf(w, "  at:     %s\n", loc)
			if src := sourceLine(d.File, d.Line); src != "" {
				fmt.Fprintf(w, "  %5d | %s\n", d.Line, src)
				if d.Col > 0 && d.Col <= len(src)+1 {
					// Keep tabs so the caret lines up under them.
					lead := strings.Map(func(r rune) rune {
						if r == '\t' {
							return r
						}
						return ' '
					}, string([]rune(src)[:min(d.Col-1, len([]rune(src)))]))
					fmt.Fprintf(w, "        | %s^\n", lead)
				}
			}
		}
	}
	fmt.Fprintln(w, "(run with --show-trace for Nix's full trace)")
}

// sourceLine returns line n of file, or "" when it cannot be read.
func sourceLine(file string, n int) string {
	if n <= 0 {
		return ""
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return ""
	}
	lines := strings.Split(string(b), "\n")
	if n > len(lines) {
		return ""
	}
	return strings.TrimRight(lines[n-1], " \t\r")
}

func indentRest(s, pad string) string {
	return strings.ReplaceAll(s, "\n", "\n"+pad)
}

func indent(s, pad string) string {
	if s == "" {
		return ""
	}
	return pad + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n"+pad) + "\n"
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
