package eval

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFrozen(t *testing.T, frozen string) string {
	t.Helper()
	dir := t.TempDir()
	sys := filepath.Join(dir, "system-web")
	if err := os.Mkdir(sys, 0o755); err != nil {
		t.Fatal(err)
	}
	plan := `{"version":1,"network":{},"nodes":{
	  "web":{"name":"web","enable":true,"kind":"standalone","host":"root@h","hostname":"h","port":22,"tags":["app"],"configuration":{}},
	  "db":{"name":"db","enable":true,"kind":"standalone","host":"root@d","hostname":"d","port":22,"configuration":{}}}` +
		strings.ReplaceAll(frozen, "SYS", sys) + `}`
	file := filepath.Join(dir, "plan.json")
	if err := os.WriteFile(file, []byte(plan), 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}

// A frozen plan deploys only its own nodes, whose systems must exist; a plan that is not
// frozen, or whose system is gone, is refused before any host is contacted.
func TestReadFrozenPlan(t *testing.T) {
	fp, err := ReadFrozenPlan(writeFrozen(t, `,"frozen":{"nodes":["web"],"systems":{"web":"SYS"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := fp.Select(nil); err != nil || strings.Join(got, ",") != "web" {
		t.Errorf("Select() = %v, %v; want [web]", got, err)
	}
	if got, err := fp.Select([]string{"@app"}); err != nil || strings.Join(got, ",") != "web" {
		t.Errorf("Select(@app) = %v, %v; want [web]", got, err)
	}
	if _, err := fp.Select([]string{"db"}); err == nil {
		t.Error("Select(db) accepted a node the script does not deploy")
	}

	for name, c := range map[string]struct{ frozen, want string }{
		"not frozen":     {``, "not one frozen by nix-build"},
		"system missing": {`,"frozen":{"nodes":["web"],"systems":{"web":"/nix/store/nonexistent-system"}}`, "is not in the store"},
		"unknown node":   {`,"frozen":{"nodes":["mail"],"systems":{"mail":"SYS"}}`, "frozen node mail is not in the plan"},
		"no system":      {`,"frozen":{"nodes":["web"],"systems":{}}`, "no system for node web"},
	} {
		if _, err := ReadFrozenPlan(writeFrozen(t, c.frozen)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", name, err, c.want)
		}
	}
}
