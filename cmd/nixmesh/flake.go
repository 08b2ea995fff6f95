package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode"

	"github.com/nixmesh/nixmesh/eval"
	"github.com/nixmesh/nixmesh/internal/command"
)

// Flakes (--flake REF[#NAME]): the deployment is the flake's
// nixmeshConfigurations.NAME, made by nixmesh's flake (lib.mkDeployment, the same entry
// point as nix-modules). Every command evaluates it through a small Nix file that says
// `(builtins.getFlake REF).nixmeshConfigurations.NAME`, so everything else works as with
// -f; the flake's lock file is brought up to date first (`nix flake lock`, as `nix
// build` would). Nix's flakes are experimental in the Nix versions nixmesh supports:
// they are turned on for nixmesh's own Nix processes (NIX_CONFIG
// extra-experimental-features).

// flakeRef splits REF[#NAME]; a local path becomes a path: reference (absolute).
func flakeRef(s string) (ref, name string, dir string, err error) {
	if strings.ContainsFunc(s, unicode.IsControl) {
		return "", "", "", usageErrorf("--flake %q: a control character in the reference", s)
	}
	ref, name, _ = strings.Cut(s, "#")
	if strings.Contains(name, "#") {
		return "", "", "", usageErrorf("--flake %s: one '#' (REF#NAME, NAME a key of the flake's nixmeshConfigurations)", s)
	}
	if name == "" {
		name = "default"
	}
	if ref == "" {
		ref = "."
	}
	if !strings.Contains(ref, ":") {
		abs, err := filepath.Abs(ref)
		if err != nil {
			return "", "", "", err
		}
		if _, err := os.Stat(filepath.Join(abs, "flake.nix")); err != nil {
			return "", "", "", usageErrorf("--flake %s: %s has no flake.nix", s, abs)
		}
		return "path:" + abs, name, abs, nil
	}
	if p, ok := strings.CutPrefix(ref, "path:"); ok {
		dir = p
	}
	return ref, name, dir, nil
}

// withFlakes is env (nil: this process's) with flakes turned on for Nix.
func withFlakes(env []string) []string {
	if env == nil {
		env = os.Environ()
	}
	out := make([]string, 0, len(env)+1)
	conf := ""
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "NIX_CONFIG="); ok {
			conf = v
			continue
		}
		out = append(out, kv)
	}
	return append(out, "NIX_CONFIG="+conf+"\nextra-experimental-features = nix-command flakes\n")
}

func (g *globalOptions) flakeEvaluator(nixArgs []string) (*eval.Evaluator, error) {
	if g.FileExplicit {
		return nil, usageErrorf("give the deployment with -f FILE or with --flake REF, not both")
	}
	ref, name, dir, err := flakeRef(g.Flake)
	if err != nil {
		return nil, err
	}
	g.Env = withFlakes(g.Env)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if _, err := command.Output(ctx, command.Cmd{Argv: []string{"nix", "flake", "lock", ref}, Env: g.Env, Dir: dir}); err != nil {
		var pe *command.ProcessError
		if errors.As(err, &pe) && pe.ExitCode > 0 {
			return nil, &eval.EvalError{Diagnostics: eval.ParseDiagnostics(pe.Stderr), Proc: pe}
		}
		return nil, fmt.Errorf("--flake %s: nix flake lock: %w", g.Flake, err)
	}
	expr := fmt.Sprintf(`# Written by nixmesh for --flake %[1]s
let
  flake = builtins.getFlake "%[2]s";
  configs = flake.nixmeshConfigurations or (throw "flake %[2]s has no nixmeshConfigurations output (see nixmesh's examples/flake)");
in
configs."%[3]s" or (throw "flake %[2]s has no nixmeshConfigurations.%[3]s; it has: ${builtins.concatStringsSep ", " (builtins.attrNames configs)}")
`, g.Flake, nixStringContent(ref), nixStringContent(name))
	sum := sha256.Sum256([]byte(expr))
	file := filepath.Join(os.TempDir(), "nixmesh-flake-"+hex.EncodeToString(sum[:8])+".nix")
	if err := os.WriteFile(file, []byte(expr), 0o644); err != nil {
		return nil, err
	}
	g.flakeDir = dir
	return &eval.Evaluator{File: file, NixArgs: nixArgs, ShowTrace: g.ShowTrace, Stderr: g.Stderr, Env: g.Env}, nil
}

// nixStringContent is s escaped for the inside of a Nix string literal.
func nixStringContent(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, `${`, `\${`).Replace(s)
}

// deploymentDir is where files that belong next to the deployment go (the keys files):
// the deployment file's folder, or a local flake's.
func (g *globalOptions) deploymentDir(ev *eval.Evaluator) string {
	if g.Flake != "" && g.flakeDir != "" {
		return g.flakeDir
	}
	return filepath.Dir(ev.File)
}
