package crossmodules

import (
	"bytes"
	"context"
	"errors"
	"os/exec"

	"github.com/nixmesh/nixmesh/internal/command"
)

// ErrNoGraphviz is returned by SVG when Graphviz's `dot` is not on PATH.
var ErrNoGraphviz = errors.New("rendering SVG needs Graphviz's `dot`, which is not on PATH: install Graphviz (Debian: apt-get install graphviz), or write DOT with --format dot and render it elsewhere")

// SVG renders DOT text to SVG with `dot -Tsvg`. A failure of dot is a
// *command.ProcessError.
func SVG(ctx context.Context, dot string) ([]byte, error) {
	if _, err := exec.LookPath("dot"); err != nil {
		return nil, ErrNoGraphviz
	}
	return command.Output(ctx, command.Cmd{Argv: []string{"dot", "-Tsvg"}, Stdin: bytes.NewReader([]byte(dot))})
}
