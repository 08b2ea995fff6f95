package crossmodules

import (
	"fmt"
	"regexp"
	"strings"
)

// Problem is one thing wrong with a deployment's cross-host declarations: the option it
// is about (Path, as the module system writes it: `vpn.networks.backbone.members.web.address`,
// `dns.records."web.lab.test"`), the file that defines it when known, and what is wrong
// and how to fix it.
type Problem struct {
	Path    string
	File    string
	Message string
}

func (p Problem) String() string {
	if p.File != "" {
		return fmt.Sprintf("`%s' (in `%s'): %s", p.Path, p.File, p.Message)
	}
	return fmt.Sprintf("`%s': %s", p.Path, p.Message)
}

// ProblemsError is a deployment whose cross-host checks failed.
type ProblemsError struct {
	Problems []Problem
}

func (e *ProblemsError) Error() string {
	if len(e.Problems) == 1 {
		return "cross-host check failed: " + e.Problems[0].String()
	}
	return fmt.Sprintf("%d cross-host checks failed; first: %s", len(e.Problems), e.Problems[0].String())
}

var identifier = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_'-]*$`)

// ShowPath joins option path components as the module system does (lib.showOption):
// components that are not identifiers are quoted.
func ShowPath(parts ...string) string {
	out := make([]string, len(parts))
	for i, p := range parts {
		if identifier.MatchString(p) || p == "<name>" || p == "*" {
			out[i] = p
		} else {
			out[i] = `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "${", `\${`, "\n", `\n`).Replace(p) + `"`
		}
	}
	return strings.Join(out, ".")
}

func newProblem(files []string, msg string, path ...string) Problem {
	p := Problem{Path: ShowPath(path...), Message: msg}
	for _, f := range files {
		if f != "" && f != "<unknown-file>" {
			p.File = f
			break
		}
	}
	return p
}
