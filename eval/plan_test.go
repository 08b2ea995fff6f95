package eval

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

const planV1 = `{
  "version": 1,
  "nodes": {
    "web": {
      "name": "web", "enable": true, "kind": "standalone",
      "host": "deploy@198.18.0.12", "user": "deploy", "hostname": "198.18.0.12", "port": 2222,
      "sshOptions": ["-o", "Compression=yes"], "privilegeEscalationCommand": ["sudo", "-n"],
      "tags": ["web"], "successTimeout": 20, "switchTimeout": 1.5,
      "configuration": {
        "networking": { "hostName": "web", "hosts": { "10.0.0.1": ["gw"] },
          "wireguard": { "interfaces": { "wg0": { "ips": ["10.77.0.2/24"], "listenPort": null,
            "privateKeyFile": "/k", "peers": [ { "publicKey": "PK", "allowedIPs": ["10.77.0.1/32"],
            "endpoint": null, "persistentKeepalive": 25, "presharedKeyFile": null } ] } } } },
        "users": { "users": { "alice": { "isNormalUser": true, "uid": null,
          "openssh": { "authorizedKeys": { "keys": ["ssh-ed25519 AAAA alice"] } } } } },
        "programs": { "ssh": { "knownHosts": { "gw": { "hostNames": ["gw"], "publicKey": "ssh-ed25519 BBBB" } } } },
        "services": { "nsd": { "enable": true, "interfaces": [], "zones": { "lab.test": { "data": "@ SOA" } } } },
        "environment": { "etc": { "motd": { "text": "hi", "source": null, "mode": "0444", "user": "root", "group": "root" } } },
        "custom": { "anything": [1, 2] }
      }
    },
    "db": { "name": "db", "enable": false, "kind": "nixos", "host": "198.18.0.13", "user": null,
            "hostname": "198.18.0.13", "configuration": {} }
  },
  "network": { "ssh": { "access": {} }, "dns": {} }
}`

func TestDecodePlan(t *testing.T) {
	n, err := DecodePlan([]byte(planV1))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(n.Names(), ","); got != "db,web" {
		t.Errorf("Names = %s", got)
	}
	if got := strings.Join(n.EnabledNames(), ","); got != "web" {
		t.Errorf("EnabledNames = %s", got)
	}
	web := n.Nodes["web"]
	if web.User != "deploy" || web.Hostname != "198.18.0.12" || web.Port != 2222 || web.Kind != "standalone" {
		t.Errorf("connection = %+v", web)
	}
	if web.SuccessTimeout != 20*time.Second || web.SwitchTimeout != 1500*time.Millisecond {
		t.Errorf("timeouts = %v %v", web.SuccessTimeout, web.SwitchTimeout)
	}
	if strings.Join(web.SSHOptions, " ") != "-o Compression=yes" || strings.Join(web.PrivilegeEscalationCommand, " ") != "sudo -n" {
		t.Errorf("ssh options = %q, escalation = %q", web.SSHOptions, web.PrivilegeEscalationCommand)
	}
	c := web.Configuration
	if c.Networking.HostName != "web" || c.Networking.Hosts["10.0.0.1"][0] != "gw" {
		t.Errorf("networking = %+v", c.Networking)
	}
	wg := c.Networking.Wireguard.Interfaces["wg0"]
	if wg.ListenPort != nil || *wg.PrivateKeyFile != "/k" || len(wg.Peers) != 1 || *wg.Peers[0].PersistentKeepalive != 25 || wg.Peers[0].AllowedIPs[0] != "10.77.0.1/32" {
		t.Errorf("wireguard = %+v", wg)
	}
	if keys := c.Users.Users["alice"].OpenSSH.AuthorizedKeys.Keys; len(keys) != 1 || keys[0] != "ssh-ed25519 AAAA alice" {
		t.Errorf("alice's keys = %q", keys)
	}
	if kh := c.Programs.SSH.KnownHosts["gw"]; *kh.PublicKey != "ssh-ed25519 BBBB" {
		t.Errorf("known host = %+v", kh)
	}
	if z := c.Services.NSD.Zones["lab.test"]; !c.Services.NSD.Enable || z.Data != "@ SOA" {
		t.Errorf("nsd = %+v", c.Services.NSD)
	}
	if e := c.Environment.Etc["motd"]; *e.Text != "hi" || e.Source != nil || e.Mode != "0444" {
		t.Errorf("etc = %+v", e)
	}
	var raw map[string]any
	if err := json.Unmarshal(c.Raw, &raw); err != nil || raw["custom"] == nil {
		t.Errorf("raw configuration lost the untyped part: %v %s", err, c.Raw)
	}

	db := n.Nodes["db"]
	if db.User != "" || db.Port != 22 || db.Enable {
		t.Errorf("db = %+v (want no user, default port 22, disabled)", db)
	}
	if string(n.Network["ssh"]) != `{ "access": {} }` {
		t.Errorf("network.ssh = %s", n.Network["ssh"])
	}
}

func TestNodeJSONRoundTrip(t *testing.T) {
	n, err := DecodePlan([]byte(planV1))
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(n.Nodes["db"])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	json.Unmarshal(b, &m)
	if m["user"] != nil || m["port"] != float64(22) || m["name"] != "db" {
		t.Errorf("marshalled db = %s", b)
	}
	again := new(Node)
	if err := json.Unmarshal(b, again); err != nil || again.Hostname != "198.18.0.13" {
		t.Errorf("round trip: %v %+v", err, again)
	}
	b, _ = json.Marshal(n.Nodes["web"])
	json.Unmarshal(b, &m)
	if m["switchTimeout"] != 1.5 || m["user"] != "deploy" {
		t.Errorf("marshalled web = %s", b)
	}
}

func TestDecodePlanRejectsOtherVersions(t *testing.T) {
	for _, tt := range []struct {
		json string
		want string
	}{
		{`{"version": 2, "nodes": {"a": 1}}`, "version 2"},
		{`{"nodes": {}}`, "no version"},
	} {
		_, err := DecodePlan([]byte(tt.json))
		var ve *PlanVersionError
		if !errors.As(err, &ve) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("DecodePlan(%s) = %v, want a PlanVersionError mentioning %q", tt.json, err, tt.want)
		}
	}
	if _, err := DecodePlan([]byte(`[1]`)); err == nil {
		t.Error("a non-object plan must be rejected")
	}
}

func TestDecodePlanNamesTheBadNode(t *testing.T) {
	_, err := DecodePlan([]byte(`{"version":1,"nodes":{"web":{"port":"twenty-two"}}}`))
	if err == nil || !strings.Contains(err.Error(), `node "web"`) {
		t.Errorf("err = %v, want it to name node web", err)
	}
}
