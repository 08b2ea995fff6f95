package modulestests

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/nixmesh/nixmesh/internal/testutil"
)

// TestTXTSplitting: a TXT value longer than 255 bytes becomes several strings of one
// record, none longer than 255 bytes, which together give back the value; quotes and
// backslashes are escaped, control characters written as \DDD (a raw newline would end
// the zone file's line).
func TestTXTSplitting(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	value := strings.Repeat("abc\"def\\ghi\n\t ", 50) // 700 bytes, with characters to escape
	spec := map[string]any{
		"nodes": map[string]any{"ns": map[string]any{"host": "root@198.18.0.53"}},
		"dns": map[string]any{
			"zones":   map[string]any{"lab.test": map[string]any{"primaryNode": "ns"}},
			"records": map[string]any{"long.lab.test": map[string]any{"TXT": value}},
		},
	}
	plan, err := planOfSpec(t, writeSpec(t, spec))
	if err != nil {
		t.Fatal(err)
	}
	data := plan.Nodes["ns"].Configuration.Services.NSD.Zones["lab.test"].Data
	var line string
	for _, l := range strings.Split(data, "\n") {
		if strings.HasPrefix(l, "long.lab.test. IN TXT ") {
			line = strings.TrimPrefix(l, "long.lab.test. IN TXT ")
		}
	}
	parts := regexp.MustCompile(`"((?:[^"\\]|\\.)*)"`).FindAllStringSubmatch(line, -1)
	if len(parts) != 3 {
		t.Fatalf("want 3 strings for 700 bytes, got %d in %q", len(parts), line)
	}
	var joined strings.Builder
	for _, p := range parts {
		raw := regexp.MustCompile(`\\([0-9]{3}|.)`).ReplaceAllStringFunc(p[1], func(e string) string {
			if n, err := strconv.Atoi(e[1:]); err == nil && len(e) == 4 {
				return string(rune(n))
			}
			return e[1:]
		})
		if len(raw) > 255 {
			t.Errorf("a string of %d bytes", len(raw))
		}
		joined.WriteString(raw)
	}
	if joined.String() != value {
		t.Errorf("strings do not give back the value:\n%q\n%q", joined.String(), value)
	}
}

// TestZonesPassNsdCheckzone runs nsd's own checker over the zone files of the lab example
// and of generated networks.
func TestZonesPassNsdCheckzone(t *testing.T) {
	testutil.RequireNix(t)
	testutil.RequireCommands(t, "nsd-checkzone")
	testutil.SetNixEnv(t)
	check := func(what string, zones map[string]string) {
		for zone, data := range zones {
			f := filepath.Join(t.TempDir(), "zone")
			if err := os.WriteFile(f, []byte(data), 0o644); err != nil {
				t.Fatal(err)
			}
			if out, err := exec.Command("nsd-checkzone", zone, f).CombinedOutput(); err != nil {
				t.Errorf("%s: zone %s: %v\n%s\n%s", what, zone, err, out, data)
			}
		}
	}
	lab := planOf(t, filepath.Join(testutil.RepoRoot(), "examples", "lab", "deploy.nix"))
	zones := map[string]string{}
	for name, z := range lab.Nodes["gateway"].Configuration.Services.NSD.Zones {
		zones[name] = z.Data
	}
	if len(zones) == 0 {
		t.Error("the lab's gateway serves no zone")
	}
	check("lab", zones)
	for _, seed := range seeds[:3] {
		g := generate(seed)
		plan, err := planOfSpec(t, writeSpec(t, g.spec))
		if err != nil {
			t.Fatal(err)
		}
		zones := map[string]string{}
		for z, zs := range g.zones {
			zones[z] = plan.Nodes[zs.primary].Configuration.Services.NSD.Zones[z].Data
		}
		check(fmt.Sprintf("seed %d", seed), zones)
	}
}
