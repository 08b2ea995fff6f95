package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
)

// nixWriteArg is the first argument with which a Nix derivation runs this binary as its
// builder (nix-modules/scripts/deploy-script.nix, when the engine is pinned): the binary
// is static, so the deploy script and its plan build in a sandbox that has nothing from
// the host, not even /bin/sh. It is not a command for people, and --help does not list it.
const nixWriteArg = "__nix-write-file"

// nixWrite copies the file named by $contentPath (Nix's passAsFile of `content`) to $out
// with the mode given as its one argument (octal), as the builder of a derivation.
func nixWrite(args []string, stderr io.Writer) int {
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "nixmesh %s: %s\n", nixWriteArg, fmt.Sprintf(format, a...))
		return 1
	}
	if len(args) != 1 {
		return fail("usage: %s MODE (with $contentPath and $out set by Nix)", nixWriteArg)
	}
	mode, err := strconv.ParseUint(args[0], 8, 32)
	if err != nil || mode > 0o777 {
		return fail("mode %q is not an octal file mode", args[0])
	}
	src, out := os.Getenv("contentPath"), os.Getenv("out")
	if src == "" || out == "" {
		return fail("$contentPath and $out must be set (this runs as a Nix builder)")
	}
	data, err := os.ReadFile(src)
	if err != nil {
		return fail("%v", err)
	}
	if err := os.WriteFile(out, data, os.FileMode(mode)); err != nil {
		return fail("%v", err)
	}
	if err := os.Chmod(out, os.FileMode(mode)); err != nil {
		return fail("%v", err)
	}
	return 0
}
