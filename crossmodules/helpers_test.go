// Test helpers: evaluated networks built from the plan's JSON shape.
package crossmodules

import (
	"encoding/json"
	"testing"

	"github.com/nixmesh/nixmesh/eval"
)

// network builds an evaluated network from the plan's "network" part (as JSON) and node
// names with their configurations (nil: empty).
func network(t *testing.T, nodes map[string]any, parts map[string]any) *eval.Network {
	t.Helper()
	ns := map[string]any{}
	for name, cfg := range nodes {
		if cfg == nil {
			cfg = map[string]any{}
		}
		ns[name] = map[string]any{"name": name, "enable": true, "host": "root@" + name, "port": 22, "configuration": cfg}
	}
	b, err := json.Marshal(map[string]any{"version": 1, "nodes": ns, "network": parts})
	if err != nil {
		t.Fatal(err)
	}
	n, err := eval.DecodePlan(b)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

const (
	hostKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINeDclddamlBkyr/i2K74+a0cNQ4XaGwtzAHgSL4Jyl1"
	userKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPFSsFl8BSc2y63WnzJfqtd1iPFk6OtB9UblcKP16Qqb k@web"
	wgA     = "80WrPbKdE0nmzLU7fspBqUnwE/iKeUzTyCRQSoYg1VU="
	wgB     = "M25VxT4pEsxaH3Vj+fAv9ZbEHLp+7sX4KoA7Ujb+jDY="
)

func member(address, endpoint string, key string) map[string]any {
	m := map[string]any{"address": address, "publicKey": key, "listenPort": 51820, "files": []string{"/d/deploy.nix"}}
	if endpoint != "" {
		m["endpoint"] = endpoint
	}
	return m
}
