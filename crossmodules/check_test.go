package crossmodules

import (
	"encoding/json"
	"strings"
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

func paths(ps []Problem) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Path)
	}
	return out
}

func TestCheckFindsEachProblem(t *testing.T) {
	nodes := map[string]any{"gw": nil, "web": nil, "db": nil}
	grant := func(target, user string) map[string]any {
		return map[string]any{"web": map[string]any{"hostKeys": map[string]any{}, "keys": map[string]any{
			"k": map[string]any{"publicKey": userKey, "hasAccessTo": map[string]any{target: map[string]any{user: true}}, "files": []string{"/d/deploy.nix"}}}}}
	}
	star := func(members map[string]any, server string) map[string]any {
		return map[string]any{"networks": map[string]any{"bb": map[string]any{
			"backend": "wireguard", "subnet": "10.77.0.0/24", "topology": "star", "server": server, "interface": "wg-bb", "members": members}}}
	}
	zone := map[string]any{"lab.test": map[string]any{"name": "lab.test", "primaryNode": "gw", "secondaryNodes": []string{}}}
	addrs := map[string]any{"gw": "198.18.0.1", "web": "198.18.0.2", "db": "198.18.0.3"}
	record := func(name, typ, data string) map[string]any {
		return map[string]any{"name": strings.ToLower(strings.TrimSuffix(name, ".")), "type": typ, "data": data, "path": []string{"dns", "records", name}, "files": []string{"/d/deploy.nix"}}
	}
	cases := []struct {
		name  string
		parts map[string]any
		path  string
		msg   string
	}{
		{"grant without host keys", map[string]any{"ssh": grant("gw", "root")}, "ssh.access.web.keys.k.hasAccessTo.gw.root", "has no host keys"},
		{"grant to no node", map[string]any{"ssh": grant("gateway", "root")}, "ssh.access.web.keys.k.hasAccessTo.gateway", "no node"},
		{"bad user", map[string]any{"ssh": map[string]any{"gw": map[string]any{"hostKeys": map[string]any{"ed": hostKey}}, "web": grant("gw", "bad user")["web"]}}, `ssh.access.web.keys.k.hasAccessTo.gw."bad user"`, "not a valid user name"},
		{"access of no node", map[string]any{"ssh": map[string]any{"laptop": map[string]any{}}}, "ssh.access.laptop", "names no node"},
		{"member no node", map[string]any{"vpn": star(map[string]any{"gw": member("10.77.0.1", "gw:51820", wgA), "wbe": member("10.77.0.2", "", wgB)}, "gw")}, "vpn.networks.bb.members.wbe", "names no node"},
		{"outside subnet", map[string]any{"vpn": star(map[string]any{"gw": member("10.77.0.1", "gw:51820", wgA), "web": member("10.78.0.2", "", wgB)}, "gw")}, "vpn.networks.bb.members.web.address", "outside the subnet"},
		{"network address", map[string]any{"vpn": star(map[string]any{"gw": member("10.77.0.0", "gw:51820", wgA), "web": member("10.77.0.2", "", wgB)}, "gw")}, "vpn.networks.bb.members.gw.address", "network address"},
		{"broadcast", map[string]any{"vpn": star(map[string]any{"gw": member("10.77.0.1", "gw:51820", wgA), "web": member("10.77.0.255", "", wgB)}, "gw")}, "vpn.networks.bb.members.web.address", "broadcast"},
		{"duplicate", map[string]any{"vpn": star(map[string]any{"gw": member("10.77.0.1", "gw:51820", wgA), "web": member("10.77.0.1", "", wgB)}, "gw")}, "vpn.networks.bb.members.web.address", "also has"},
		{"no server", map[string]any{"vpn": star(map[string]any{"gw": member("10.77.0.1", "gw:51820", wgA)}, "")}, "vpn.networks.bb.server", "needs a server"},
		{"server no member", map[string]any{"vpn": star(map[string]any{"gw": member("10.77.0.1", "gw:51820", wgA)}, "db")}, "vpn.networks.bb.server", "not a member"},
		{"server without endpoint", map[string]any{"vpn": star(map[string]any{"gw": member("10.77.0.1", "", wgA), "web": member("10.77.0.2", "", wgB)}, "gw")}, "vpn.networks.bb.members.gw.endpoint", "no client could reach"},
		{"unreachable mesh", map[string]any{"vpn": map[string]any{"networks": map[string]any{"m": map[string]any{"subnet": "10.1.0.0/24", "topology": "mesh", "interface": "wg-m",
			"members": map[string]any{"gw": member("10.1.0.1", "", wgA), "web": member("10.1.0.2", "", wgB)}}}}}, "vpn.networks.m.members.gw.endpoint", "nobody can reach"},
		{"same interface", map[string]any{"vpn": map[string]any{"networks": map[string]any{
			"a": map[string]any{"subnet": "10.1.0.0/24", "topology": "mesh", "interface": "wg0", "members": map[string]any{"gw": member("10.1.0.1", "x:1", wgA)}},
			"b": map[string]any{"subnet": "10.2.0.0/24", "topology": "mesh", "interface": "wg0", "members": map[string]any{"gw": map[string]any{"address": "10.2.0.1", "publicKey": wgA, "listenPort": 2, "endpoint": "x:2"}}}}}}, "vpn.networks.b.interface", "different interface names"},
		{"zone without primary", map[string]any{"dns": map[string]any{"zones": map[string]any{"lab.test": map[string]any{}}}}, `dns.zones."lab.test".primaryNode`, "not set"},
		{"primary no node", map[string]any{"dns": map[string]any{"zones": map[string]any{"lab.test": map[string]any{"primaryNode": "ns"}}}}, `dns.zones."lab.test".primaryNode`, "no node"},
		{"secondary is primary", map[string]any{"dns": map[string]any{"addresses": addrs, "zones": map[string]any{"lab.test": map[string]any{"primaryNode": "gw", "secondaryNodes": []string{"gw"}}}}}, `dns.zones."lab.test".secondaryNodes`, "the zone's primary"},
		{"record outside", map[string]any{"dns": map[string]any{"addresses": addrs, "zones": zone, "records": []any{record("a.other.test", "A", "192.0.2.1")}}}, `dns.records."a.other.test"`, "in no zone"},
		{"bad name", map[string]any{"dns": map[string]any{"addresses": addrs, "zones": zone, "records": []any{record("a..lab.test", "A", "192.0.2.1")}}}, `dns.records."a..lab.test"`, "not a valid domain name"},
		{"cname beside A", map[string]any{"dns": map[string]any{"addresses": addrs, "zones": zone, "records": []any{record("www.lab.test", "A", "192.0.2.1"), record("WWW.lab.test.", "CNAME", "web.lab.test.")}}}, `dns.records."WWW.lab.test.".CNAME`, "also has A data"},
		{"cname at apex", map[string]any{"dns": map[string]any{"addresses": addrs, "zones": zone, "records": []any{record("lab.test", "CNAME", "web.lab.test.")}}}, `dns.records."lab.test".CNAME`, "SOA"},
		{"long TXT string", map[string]any{"dns": map[string]any{"addresses": addrs, "zones": zone, "records": []any{record("t.lab.test", "TXT", `"`+strings.Repeat("x", 256)+`"`)}}}, `dns.records."t.lab.test".TXT`, "256 bytes"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ps := Check(network(t, nodes, c.parts))
			for _, p := range ps {
				if p.Path == c.path {
					if !strings.Contains(p.Message, c.msg) {
						t.Errorf("message %q lacks %q", p.Message, c.msg)
					}
					return
				}
			}
			t.Errorf("no problem at %s; got %v", c.path, ps)
		})
	}
}

func TestCheckValidAndApplied(t *testing.T) {
	parts := map[string]any{
		"ssh": map[string]any{
			"gw":  map[string]any{"hostKeys": map[string]any{"ed25519": hostKey}},
			"web": map[string]any{"keys": map[string]any{"k": map[string]any{"publicKey": userKey, "hasAccessTo": map[string]any{"gw": map[string]any{"root": true, "nobody": false}}}}},
		},
	}
	applied := map[string]any{
		"gw":  map[string]any{"users": map[string]any{"users": map[string]any{"root": map[string]any{"openssh": map[string]any{"authorizedKeys": map[string]any{"keys": []string{userKey}}}}}}},
		"web": map[string]any{"programs": map[string]any{"ssh": map[string]any{"knownHosts": map[string]any{"gw/ed25519": map[string]any{"hostNames": []string{"gw"}, "publicKey": hostKey}}}}},
	}
	if ps := Check(network(t, applied, parts)); len(ps) != 0 {
		t.Fatalf("problems in a correct network: %v", ps)
	}
	// A host module that dropped the key and the known host.
	ps := Check(network(t, map[string]any{"gw": nil, "web": nil}, parts))
	want := []string{"nodes.gw.configuration.users.users.root.openssh.authorizedKeys.keys", "nodes.web.configuration.programs.ssh.knownHosts"}
	if got := paths(ps); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("paths %v, want %v", got, want)
	}
}

func TestShowPath(t *testing.T) {
	for _, c := range []struct {
		parts []string
		want  string
	}{
		{[]string{"vpn", "networks", "backbone"}, "vpn.networks.backbone"},
		{[]string{"dns", "records", "web.lab.test."}, `dns.records."web.lab.test."`},
		{[]string{"x", `a"b`}, `x."a\"b"`},
		{[]string{"ssh", "access", "it's"}, "ssh.access.it's"},
	} {
		if got := ShowPath(c.parts...); got != c.want {
			t.Errorf("ShowPath(%q) = %s, want %s", c.parts, got, c.want)
		}
	}
}

func TestLinks(t *testing.T) {
	n := VPNNetwork{Topology: "mesh", Members: map[string]VPNMember{"a": {Endpoint: "a:1"}, "b": {}, "c": {}}}
	if got := n.Links(); len(got) != 2 || got[0] != (Link{"a", "b"}) || got[1] != (Link{"a", "c"}) {
		t.Errorf("mesh links %v, want a-b a-c (b and c have no endpoint)", got)
	}
	n.Topology, n.Server = "star", "c"
	if got := n.Links(); len(got) != 2 || got[0] != (Link{"a", "c"}) || got[1] != (Link{"b", "c"}) {
		t.Errorf("star links %v, want a-c b-c", got)
	}
}
