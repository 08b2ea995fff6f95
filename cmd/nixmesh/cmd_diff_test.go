package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// The configuration diff: one line per changed, added or removed option path, keys that
// are not identifiers quoted, lists compared whole.
func TestConfigDiff(t *testing.T) {
	var old, neu any
	json.Unmarshal([]byte(`{"networking":{"hostName":"a","hosts":{"10.0.0.1":["x"]}},"environment":{"etc":{"e2e-marker":{"text":"base\n"}}},"services":{"nsd":{"zones":{"old.test":{}}}}}`), &old)
	json.Unmarshal([]byte(`{"networking":{"hostName":"b","hosts":{"10.0.0.1":["x","y"]}},"environment":{"etc":{"e2e-marker":{"text":"next\n"}}},"services":{"nsd":{"zones":{}}},"users":{"users":{"alice":{"isNormalUser":true}}}}`), &neu)
	var lines []string
	configDiff(nil, old, neu, &lines)
	want := []string{
		`~ environment.etc.e2e-marker.text: "base\n" -> "next\n"`,
		`~ networking.hostName: "a" -> "b"`,
		`~ networking.hosts."10.0.0.1": ["x"] -> ["x","y"]`,
		`- services.nsd.zones."old.test"`,
		`+ users: {"users":{"alice":{"isNormalUser":true}}}`,
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("diff:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	lines = nil
	configDiff(nil, old, old, &lines)
	if len(lines) != 0 {
		t.Errorf("equal configurations differ: %q", lines)
	}
}
