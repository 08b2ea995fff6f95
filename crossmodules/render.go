package crossmodules

import (
	"bytes"
	"context"
	"errors"
	"os/exec"

	"github.com/nixmesh/nixmesh/internal/command"
)

// ErrNoGraphviz is returned by Render when Graphviz's `dot` is not on PATH.
var ErrNoGraphviz = errors.New("rendering SVG or PNG needs Graphviz's `dot`, which is not on PATH: install Graphviz (Debian: apt-get install graphviz), or write DOT with --format dot and render it elsewhere")

// Render renders DOT text to an image with `dot -T<format>` (format: svg or png). A
// failure of dot is a *command.ProcessError.
func Render(ctx context.Context, dot, format string) ([]byte, error) {
	if _, err := exec.LookPath("dot"); err != nil {
		return nil, ErrNoGraphviz
	}
	return command.Output(ctx, command.Cmd{Argv: []string{"dot", "-T" + format}, Stdin: bytes.NewReader([]byte(dot))})
}

// SVG is Render to SVG.
func SVG(ctx context.Context, dot string) ([]byte, error) { return Render(ctx, dot, "svg") }
