package eval

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/nixmesh/nixmesh/internal/command"
)

var (
	// Trace frames of the bundled module system (lib/modules.nix, definitionValue and
	// the option's value).
	definitionFrame = regexp.MustCompile("… while evaluating the definition of `([^`']*)' in `([^`']*)':")
	optionFrame     = regexp.MustCompile("… while evaluating the option `([^`']*)':")
	nodeOfPath      = regexp.MustCompile(`^nodes\.("[^"]*"|[^.]+)\.`)
)

// isRecursion reports whether a failure is Nix's bare "infinite recursion encountered",
// which names no option and points into the module system.
func isRecursion(ee *EvalError) bool {
	return len(ee.Diagnostics) > 0 && strings.HasPrefix(ee.Diagnostics[0].Message, "infinite recursion encountered")
}

// explainRecursion runs the failed evaluation again with --show-trace and rewrites the
// first diagnostic: the definitions that form the loop (outermost first, each with its
// FILE:LINE:COL), the nodes they belong to, and a location at the innermost one. Without
// such frames (a loop outside option definitions, or nixpkgs' lib, which records no
// positions) the options the trace names are listed instead; with neither, the error
// stays as it is.
func (e *Evaluator) explainRecursion(ctx context.Context, argv []string, ee *EvalError) {
	traced := append([]string{argv[0], "--show-trace"}, argv[1:]...)
	_, err := command.Output(ctx, command.Cmd{Argv: traced, Env: e.Env})
	pe, ok := err.(*command.ProcessError)
	if !ok {
		return
	}
	explainRecursionFrom(pe.Stderr, &ee.Diagnostics[0])
}

// explainRecursionFrom does explainRecursion's rewriting from a --show-trace stderr.
func explainRecursionFrom(stderr string, d *Diagnostic) {
	type def struct{ path, at string }
	var defs []def
	var options []string
	seen := map[string]bool{}
	for _, l := range strings.Split(stderr, "\n") {
		if m := definitionFrame.FindStringSubmatch(l); m != nil {
			if !seen["d "+m[1]+" "+m[2]] {
				seen["d "+m[1]+" "+m[2]] = true
				defs = append(defs, def{m[1], m[2]})
			}
		} else if m := optionFrame.FindStringSubmatch(l); m != nil && !seen["o "+m[1]] {
			seen["o "+m[1]] = true
			options = append(options, m[1])
		}
	}
	if len(defs) == 0 && len(options) == 0 {
		return
	}
	var b strings.Builder
	b.WriteString("infinite recursion encountered: ")
	var nodes []string
	addNode := func(path string) {
		if m := nodeOfPath.FindStringSubmatch(path); m != nil {
			n := strings.Trim(m[1], `"`)
			for _, x := range nodes {
				if x == n {
					return
				}
			}
			nodes = append(nodes, n)
		}
	}
	if len(defs) > 0 {
		b.WriteString("each of these definitions needs its own value, through the others (outermost first):")
		for i := len(defs) - 1; i >= 0; i-- {
			fmt.Fprintf(&b, "\n- `%s' in `%s'", defs[i].path, defs[i].at)
			addNode(defs[i].path)
		}
		if file, line, col, ok := parseLocation(defs[0].at); ok {
			d.File, d.Line, d.Col = file, line, col
		}
		d.OptionPath = defs[0].path
	} else {
		b.WriteString("these options need their own values, through each other (outermost first):")
		for i := len(options) - 1; i >= 0; i-- {
			fmt.Fprintf(&b, "\n- `%s'", options[i])
			addNode(options[i])
		}
		d.OptionPath = options[0]
	}
	if len(nodes) > 1 {
		fmt.Fprintf(&b, "\nNodes involved: %s. A node's configuration may read another's (`nodes.<name>.config'), but not in a circle: one of them must set its value without reading the other's.", strings.Join(nodes, ", "))
	} else {
		b.WriteString("\nBreak the circle: one of them must be set without reading the others.")
	}
	d.Message = b.String()
}
