package modulestests

import (
	"path/filepath"
	"testing"

	"github.com/nixmesh/nixmesh/crossmodules"
	"github.com/nixmesh/nixmesh/internal/testutil"
)

// TestDNSSerials walks a zone through simulated deployments: the serial changes exactly
// when the content does, and never goes backwards.
func TestDNSSerials(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	state := filepath.Join(t.TempDir(), "dns-serials.json")
	spec := func(address string, pinned int) any {
		zone := map[string]any{"primaryNode": "ns"}
		if pinned > 0 {
			zone["serial"] = pinned
		}
		return map[string]any{
			"nodes": map[string]any{"ns": map[string]any{"host": "root@198.18.0.53"}},
			"dns": map[string]any{
				"serialsFile": state,
				"zones":       map[string]any{"lab.test": zone},
				"records":     map[string]any{"web.lab.test": map[string]any{"A": address}},
			},
		}
	}
	// evaluate returns the zone's serial; deploy also records it in the state file.
	evaluate := func(s any, deploy bool) int64 {
		t.Helper()
		plan, err := planOfSpec(t, writeSpec(t, s))
		if err != nil {
			t.Fatal(err)
		}
		m, err := crossmodules.Decode(plan)
		if err != nil {
			t.Fatal(err)
		}
		if deploy {
			if _, err := m.UpdateDNSSerials(); err != nil {
				t.Fatal(err)
			}
		}
		return m.DNS.Zones["lab.test"].Serial
	}
	steps := []struct {
		what    string
		address string
		pinned  int
		deploy  bool
		want    int64
	}{
		{"first deployment, no state yet", "192.0.2.1", 0, true, 1},
		{"same content again", "192.0.2.1", 0, true, 1},
		{"content changed", "192.0.2.2", 0, false, 2},
		{"evaluated again before deploying: same serial", "192.0.2.2", 0, true, 2},
		{"changed back to old content: still goes up", "192.0.2.1", 0, true, 3},
		{"unchanged after deploy", "192.0.2.1", 0, false, 3},
		{"pinned serial wins", "192.0.2.1", 40, true, 40},
		{"next change continues from the pinned one", "192.0.2.3", 0, true, 41},
	}
	last := int64(0)
	for _, s := range steps {
		got := evaluate(spec(s.address, s.pinned), s.deploy)
		if got != s.want {
			t.Fatalf("%s: serial %d, want %d", s.what, got, s.want)
		}
		if got < last {
			t.Fatalf("%s: serial went back from %d to %d", s.what, last, got)
		}
		last = got
	}
	st, err := crossmodules.LoadSerialState(state)
	if err != nil {
		t.Fatal(err)
	}
	if st.Zones["lab.test"].Serial != 41 || len(st.Zones["lab.test"].Hash) != 64 {
		t.Errorf("state file: %+v", st)
	}
}
