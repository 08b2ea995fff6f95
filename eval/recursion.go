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
	// The module systems' hint (the bundled lib's and nixpkgs') for a recursion while
	// modules are collected, and the frames that say where.
	importsHint  = regexp.MustCompile("you probably reference `config` in `imports`")
	importsFrame = regexp.MustCompile(`… while evaluating the attribute 'imports'`)
	atFrame      = regexp.MustCompile(`^\s*at (.*):(\d+):(\d+):$`)
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

// explainImportsRecursion rewrites the diagnostic of a recursion that the module system
// marks as one while the modules were collected (a module's imports reading config):
// it names the cause, the `imports' in the user's file and the node. It reports whether
// the trace was of that kind.
func explainImportsRecursion(stderr string, d *Diagnostic) bool {
	lines := strings.Split(stderr, "\n")
	hint := -1
	for i, l := range lines {
		if importsHint.MatchString(l) {
			hint = i
			break
		}
	}
	if hint < 0 {
		return false
	}
	file, line, col, node := "", 0, 0, ""
	for i := hint; i < len(lines); i++ {
		if file == "" && importsFrame.MatchString(lines[i]) {
			// The frame's position: the next "at FILE:LINE:COL:" line (after a blank).
			for j := i + 1; j < len(lines) && j <= i+3; j++ {
				if m := atFrame.FindStringSubmatch(lines[j]); m != nil {
					if !strings.HasSuffix(m[1], "/lib/modules.nix") {
						file = m[1]
						fmt.Sscan(m[2], &line)
						fmt.Sscan(m[3], &col)
					}
					break
				}
			}
		}
		if m := definitionFrame.FindStringSubmatch(lines[i]); m != nil && node == "" {
			if n := nodeOfPath.FindStringSubmatch(m[1]); n != nil {
				node = strings.Trim(n[1], `"`)
			}
		}
	}
	var b strings.Builder
	b.WriteString("infinite recursion encountered while the modules were collected: a module's `imports' depends on `config'")
	if node != "" {
		fmt.Fprintf(&b, " (in node %s's host configuration)", node)
	}
	b.WriteString(". Which modules are imported decides which options exist, so it cannot depend on their values: import the module unconditionally and switch what it does with an enable option and mkIf.")
	d.Message = b.String()
	if file != "" {
		d.File, d.Line, d.Col = file, line, col
		d.OptionPath = ""
		if node != "" {
			d.OptionPath = "nodes." + node + ".configuration.imports"
		}
	}
	return true
}

// explainRecursionFrom does explainRecursion's rewriting from a --show-trace stderr.
func explainRecursionFrom(stderr string, d *Diagnostic) {
	if explainImportsRecursion(stderr, d) {
		return
	}
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
