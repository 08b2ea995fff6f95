package crossmodules

import (
	"encoding/json"
	"testing"

	"github.com/nixmesh/nixmesh/eval"
)

// The declared host keys come from the one decoding of plan.network.ssh, ordered by key
// name; nodes without keys are absent; a malformed hostKeys fails the decoding.
func TestDeclaredHostKeys(t *testing.T) {
	n := &eval.Network{Network: map[string]json.RawMessage{"ssh": json.RawMessage(`{
		"web": {"hostKeys": {"rsa": "ssh-rsa BBBB", "ed25519": "ssh-ed25519 CCCC"}},
		"db": {"hostKeys": {"main": "ssh-ed25519 AAAA db"}},
		"empty": {"hostKeys": {}, "keys": {}}
	}`)}}
	m, err := Decode(n)
	if err != nil {
		t.Fatal(err)
	}
	keys := m.SSH.DeclaredHostKeys()
	if len(keys) != 2 || len(keys["web"]) != 2 || keys["web"][0] != "ssh-ed25519 CCCC" || keys["web"][1] != "ssh-rsa BBBB" || keys["db"][0] != "ssh-ed25519 AAAA db" {
		t.Errorf("keys = %v", keys)
	}
	if m, _ := Decode(&eval.Network{}); len(m.SSH.DeclaredHostKeys()) != 0 {
		t.Errorf("no ssh module: %v", m.SSH.DeclaredHostKeys())
	}
	if _, err := Decode(&eval.Network{Network: map[string]json.RawMessage{"ssh": json.RawMessage(`{"web": {"hostKeys": 3}}`)}}); err == nil {
		t.Error("a malformed hostKeys was accepted")
	}
}
