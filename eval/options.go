package eval

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Option is one entry of the framework's options listing (docs/internals.md, "Options
// listing").
type Option struct {
	Name        string `json:"name"`
	Type        string `json:"type"`
	Description string `json:"description"`
	// Default and Example are either {"_type":"literalExpression","text":...} or a
	// JSON value; absent when the option has none.
	Default      json.RawMessage `json:"default,omitempty"`
	Example      json.RawMessage `json:"example,omitempty"`
	Declarations []string        `json:"declarations"`
	// DeclarationLocations are the declarations as FILE:LINE (the bundled lib's
	// extension; nixpkgs' lib gives files only, in Declarations).
	DeclarationLocations []string `json:"declarationLocations,omitempty"`
	ReadOnly             bool     `json:"readOnly"`
}

// Literal renders a Default or Example as Nix-ish text: a literalExpression's text, or
// the JSON value. "" when absent.
func Literal(v json.RawMessage) string {
	if len(v) == 0 {
		return ""
	}
	var lit struct {
		Type string `json:"_type"`
		Text string `json:"text"`
	}
	if json.Unmarshal(v, &lit) == nil && (lit.Type == "literalExpression" || lit.Type == "literalExample" || lit.Type == "literalMD") {
		return strings.TrimRight(lit.Text, "\n")
	}
	return string(v)
}

// DecodeOptions decodes an options listing.
func DecodeOptions(b []byte) ([]Option, error) {
	var opts []Option
	if err := json.Unmarshal(b, &opts); err != nil {
		return nil, fmt.Errorf("options listing: %w", err)
	}
	return opts, nil
}

// Options evaluates the deployment's optionsList.
func (e *Evaluator) Options(ctx context.Context) ([]Option, error) {
	b, err := e.OptionsList(ctx)
	if err != nil {
		return nil, err
	}
	return DecodeOptions(b)
}

//go:embed nix/options.nix
var frameworkOptionsExpr string

// FrameworkOptions evaluates the options of the framework in modulesDir (a nix-modules
// directory) with no deployment. e.File is not used.
func (e *Evaluator) FrameworkOptions(ctx context.Context, modulesDir string) ([]Option, error) {
	abs, err := filepath.Abs(modulesDir)
	if err != nil {
		return nil, err
	}
	argv := []string{"nix-instantiate", "--eval", "--strict", "--json"}
	if e.ShowTrace {
		argv = append(argv, "--show-trace")
	}
	argv = append(argv, "--expr", frameworkOptionsExpr, "--argstr", "modules", abs)
	argv = append(argv, e.NixArgs...)
	b, err := e.runEval(ctx, argv)
	if err != nil {
		return nil, err
	}
	return DecodeOptions(b)
}

// ErrNoModules is returned by FindModules when no nix-modules directory is found.
var ErrNoModules = errors.New("cannot find nix-modules: set NIXMESH_MODULES to its path")

// FindModules locates the framework's nix-modules directory: $NIXMESH_MODULES, then
// next to the executable (../share/nixmesh/nix-modules, ../nix-modules), then in the
// working directory or any of its parents.
func FindModules() (string, error) {
	isModules := func(dir string) bool {
		_, err := os.Stat(filepath.Join(dir, "default.nix"))
		return err == nil
	}
	if d := os.Getenv("NIXMESH_MODULES"); d != "" {
		if !isModules(d) {
			return "", fmt.Errorf("NIXMESH_MODULES=%s has no default.nix", d)
		}
		return d, nil
	}
	var candidates []string
	if exe, err := os.Executable(); err == nil {
		if exe, err := filepath.EvalSymlinks(exe); err == nil {
			bin := filepath.Dir(exe)
			candidates = append(candidates,
				filepath.Join(bin, "..", "share", "nixmesh", "nix-modules"),
				filepath.Join(bin, "..", "nix-modules"))
		}
	}
	if wd, err := os.Getwd(); err == nil {
		for dir := wd; ; dir = filepath.Dir(dir) {
			candidates = append(candidates, filepath.Join(dir, "nix-modules"))
			if filepath.Dir(dir) == dir {
				break
			}
		}
	}
	for _, c := range candidates {
		if isModules(c) {
			return filepath.Clean(c), nil
		}
	}
	return "", ErrNoModules
}
