package testutil

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// StandaloneState reads the plain assignments (`name=value`, value bare or in single
// quotes) of a standalone toplevel's state file, SYSTEM/manifest.nix: node_name,
// host_name, config_json, ... (nix-modules/standalone/make-toplevel.nix).
func StandaloneState(t testing.TB, toplevel string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(toplevel, "manifest.nix"))
	if err != nil {
		t.Fatalf("reading the state of %s: %v", toplevel, err)
	}
	vars := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		name, value, ok := strings.Cut(line, "=")
		if !ok || name == "" || strings.ContainsAny(name, " \t#()") {
			continue
		}
		if len(value) >= 2 && value[0] == '\'' && value[len(value)-1] == '\'' && !strings.Contains(value[1:len(value)-1], "'") {
			value = value[1 : len(value)-1]
		}
		vars[name] = value
	}
	return vars
}
