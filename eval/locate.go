package eval

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"regexp"
	"strings"

	"github.com/nixmesh/nixmesh/internal/command"
)

// definitionsFromFrame is nixpkgs' lib's frame for the definitions of an option, which
// names their file only.
var definitionsFromFrame = regexp.MustCompile("… while evaluating definitions from `([^`']*)':")

// isUnlocated reports whether a failure names neither an option nor a place of the
// user's: a `throw` or `abort` in a deployment's definition ("fill me in"), whose
// message Nix prints without a position, or a file that does not exist (`import
// ./keys.nix`, `builtins.readFile ./web.pub`), which Nix names alone.
func isUnlocated(ee *EvalError) bool {
	if len(ee.Diagnostics) != 1 || ee.Diagnostics[0].OptionPath != "" {
		return false
	}
	d := ee.Diagnostics[0]
	return d.File == "" || d.Line == 0 && missingFile(d.File)
}

// missingFile reports whether an absolute path names nothing on this machine.
func missingFile(f string) bool {
	if !strings.HasPrefix(f, "/") {
		return false
	}
	_, err := os.Lstat(f)
	return errors.Is(err, fs.ErrNotExist)
}

// explain adds what a failure's first message lacks, from a second run with
// --show-trace: the loop of an infinite recursion, or where an unlocated failure was
// met.
func (e *Evaluator) explain(ctx context.Context, argv []string, ee *EvalError) {
	switch {
	case isRecursion(ee):
		e.explainRecursion(ctx, argv, ee)
	case isUnlocated(ee):
		traced := append([]string{argv[0], "--show-trace"}, argv[1:]...)
		_, err := command.Output(ctx, command.Cmd{Argv: traced, Env: e.Env})
		if pe, ok := err.(*command.ProcessError); ok {
			locateFrom(pe.Stderr, &ee.Diagnostics[0])
		}
	}
}

// locateFrom gives an unlocated diagnostic the option and the definition the trace was
// evaluating when it failed: the innermost definition frame outside the framework (the
// bundled lib names FILE:LINE:COL), else nixpkgs' innermost option and definitions'
// file.
func locateFrom(stderr string, d *Diagnostic) {
	for _, m := range definitionFrame.FindAllStringSubmatch(stderr, -1) {
		if file, line, col, ok := parseLocation(m[2]); ok && !inFramework(file) {
			d.OptionPath = listEntry.ReplaceAllString(m[1], "")
			d.File, d.Line, d.Col = file, line, col
			return
		}
	}
	o := optionFrame.FindStringSubmatch(stderr)
	f := definitionsFromFrame.FindStringSubmatch(stderr)
	if o != nil && f == nil {
		// Met while merging an option's definitions (a missing file in an attribute
		// set read as a whole) or computing its value (NixOS's abort in the `apply' of a
		// user's name over 31 characters): the option, at least, is known.
		d.OptionPath = listEntry.ReplaceAllString(o[1], "")
		return
	}
	if o == nil || f == nil {
		return
	}
	if file, line, col, ok := parseLocation(f[1]); ok && !inFramework(file) {
		d.OptionPath = listEntry.ReplaceAllString(o[1], "")
		d.File, d.Line, d.Col = file, line, col
	}
}
