package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nixmesh/nixmesh/deploy"
	"github.com/nixmesh/nixmesh/eval"
	"github.com/nixmesh/nixmesh/internal/testutil"
	"github.com/nixmesh/nixmesh/lab"
	"github.com/nixmesh/nixmesh/lab/labtest"
	"github.com/nixmesh/nixmesh/secrets"
)

// keysDeployment is a deployment of two lab hosts with a WireGuard network whose public
// keys come from wireguard-keys.nix beside it (when present) and a secret on host1.
// Everything variable comes from lab.json, so no Nix is built from strings.
const keysDeployment = `let
  lab = builtins.fromJSON (builtins.readFile ./lab.json);
  wg = if builtins.pathExists ./wireguard-keys.nix then import ./wireguard-keys.nix else { };
in
import lab.modules { } ({ lib, ... }: {
  defaults = { name, ... }: {
    host = "root@" + lab.hosts.${name}.address;
    port = lab.hosts.${name}.port;
    sshOptions = [ "-i" lab.key "-o" "IdentitiesOnly=yes" "-o" ("UserKnownHostsFile=" + lab.knownHosts) "-o" "StrictHostKeyChecking=yes" ];
  };
  nodes.host1.secrets.token = { command = lab.tokenCommand; owner = "nobody"; mode = "0440"; };
  nodes.host2 = { };
  vpn.networks.backbone = {
    subnet = "10.77.0.0/24";
    members = lib.genAttrs [ "host1" "host2" ]
      (n: lib.optionalAttrs (wg ? backbone.${n}) { publicKey = wg.backbone.${n}; });
  };
})
`

func writeKeysDeployment(t *testing.T, l *lab.Lab) (file, marker string) {
	t.Helper()
	seed := make([]byte, 32)
	rand.Read(seed)
	hosts := map[string]any{}
	for _, h := range l.Hosts() {
		hosts[h.Name] = map[string]any{"address": h.Address.String(), "port": h.Port}
	}
	dir := t.TempDir()
	cfg, _ := json.Marshal(map[string]any{
		"modules":      testutil.NixModules(),
		"hosts":        hosts,
		"key":          l.OperatorKey(),
		"knownHosts":   l.KnownHostsFile(),
		"tokenCommand": []string{"sh", "-c", `printf %s "$1" | sha256sum | cut -d' ' -f1`, "token", hex.EncodeToString(seed)},
	})
	os.WriteFile(filepath.Join(dir, "lab.json"), cfg, 0o644)
	file = filepath.Join(dir, "deploy.nix")
	os.WriteFile(file, []byte(keysDeployment), 0o644)
	data, err := secrets.Fetch(context.Background(), secrets.Spec{Node: "host1", Name: "token", Kind: secrets.SourceCommand,
		Command: []string{"sh", "-c", `printf %s "$1" | sha256sum | cut -d' ' -f1`, "token", hex.EncodeToString(seed)},
		Path:    "/x", Owner: "root", Group: "root", Mode: "0400", UploadAt: secrets.PreActivation})
	if err != nil {
		t.Fatal(err)
	}
	return file, strings.TrimSpace(string(data))
}

func labOut(t *testing.T, l *lab.Lab, host string, argv ...string) string {
	t.Helper()
	out, err := l.Exec(context.Background(), host, argv...)
	if err != nil {
		t.Fatalf("%s %v: %v", host, argv, err)
	}
	return strings.TrimSpace(string(out))
}

func TestKeysAndSecretsCommandsOnLab(t *testing.T) {
	if testing.Short() {
		t.Skip("brings a lab up")
	}
	testutil.RequireNix(t)
	testutil.RequireCommands(t, "wg")
	testutil.SetNixEnv(t)
	l := labtest.Up(t, lab.Config{Hosts: lab.NumberedHosts(2)})
	file, marker := writeKeysDeployment(t, l)
	ctx := context.Background()
	g, _ := globals(t, file)
	keyFile := "/var/lib/nixmesh/wireguard/backbone.key"
	keysNix := filepath.Join(filepath.Dir(file), "wireguard-keys.nix")

	// The plan does not evaluate yet: the public keys are missing.
	if err := runSecrets(ctx, secretsOptions{global: g}, &bytes.Buffer{}); err == nil {
		t.Fatalf("the deployment evaluated without public keys; the test would prove nothing")
	}

	// A network name with a typo, after a good one: a usage error, and no key made.
	var out bytes.Buffer
	if err := runKeysWireguard(ctx, keysWireguardOptions{global: g, Networks: []string{"backbone", "backbon"}}, &out); exitCode(err) != exitUsage || !strings.Contains(err.Error(), `"backbon"`) {
		t.Errorf("an unknown network: exit %d (%v)\n%s", exitCode(err), err, out.String())
	}
	if _, err := os.Stat(keysNix); err == nil {
		t.Errorf("%s was written for an unknown network", keysNix)
	}
	if got := labOut(t, l, "host1", "sh", "-c", "test -e "+keyFile+" && echo made || echo none"); got != "none" {
		t.Errorf("host1's key file: %s, want none made", got)
	}

	out.Reset()
	if err := runKeysWireguard(ctx, keysWireguardOptions{global: g}, &out); err != nil {
		t.Fatalf("keys wireguard: %v\n%s", err, out.String())
	}
	t.Logf("keys wireguard:\n%s", out.String())
	collected, err := secrets.ReadKeyFile(ctx, keysNix, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"host1", "host2"} {
		pub := labOut(t, l, h, "sh", "-c", "wg pubkey < "+keyFile)
		if collected["backbone"][h] != pub {
			t.Errorf("%s: collected %q, its key file gives %q", h, collected["backbone"][h], pub)
		}
	}
	stamp := func() string {
		b, _ := os.ReadFile(keysNix)
		st, _ := os.Stat(keysNix)
		return string(b) + st.ModTime().String() + labOut(t, l, "host1", "stat", "-c", "%i %Y", keyFile) + labOut(t, l, "host2", "stat", "-c", "%i %Y", keyFile)
	}
	before := stamp()
	out.Reset()
	if err := runKeysWireguard(ctx, keysWireguardOptions{global: g}, &out); err != nil || !strings.Contains(out.String(), "unchanged") {
		t.Errorf("second keys wireguard: %v\n%s", err, out.String())
	}
	if stamp() != before {
		t.Errorf("the second run changed the keys file or a private key")
	}

	// Now the deployment evaluates; its secret is listed, then checked.
	out.Reset()
	if err := runSecrets(ctx, secretsOptions{global: g}, &out); err != nil {
		t.Fatalf("secrets: %v", err)
	}
	if s := out.String(); !strings.Contains(s, "host1  token   command: sh -c") || !strings.Contains(s, "/var/lib/nixmesh/secrets/token  nobody:root 0440") {
		t.Errorf("secrets listing:\n%s", s)
	}
	out.Reset()
	err = runSecrets(ctx, secretsOptions{global: g, Check: true}, &out)
	t.Logf("secrets --check before upload: %v\n%s", err, out.String())
	if err == nil || !strings.Contains(out.String(), "missing") {
		t.Errorf("check before upload: %v\n%s", err, out.String())
	}
	network, err := keysPlanOf(file)
	if err != nil {
		t.Fatal(err)
	}
	all, _ := secrets.FromNetwork(network)
	session, err := deploy.Open(ctx, deploy.SSHOptions{}, deploy.NewTarget(network.Nodes["host1"], ""))
	if err != nil {
		t.Fatal(err)
	}
	defer session.Close()
	if _, err := secrets.DeliverAll(ctx, session, all["host1"], secrets.PreActivation, nil); err != nil {
		t.Fatalf("deliver: %v", err)
	}
	out.Reset()
	if err := runSecrets(ctx, secretsOptions{global: g, Check: true}, &out); err != nil || !strings.Contains(out.String(), "up-to-date") {
		t.Errorf("check after upload: %v\n%s", err, out.String())
	}
	if strings.Contains(out.String(), marker) {
		t.Errorf("secrets --check printed the secret")
	}

	// SSH host keys, vouched for by the lab's known_hosts.
	sshNix := filepath.Join(filepath.Dir(file), "ssh-host-keys.nix")
	out.Reset()
	sshOpts := keysSSHOptions{global: g, KnownHosts: []string{l.KnownHostsFile()}, NoDefaults: true, Types: []string{"ed25519"}}
	if err := runKeysSSH(ctx, sshOpts, &out); err != nil {
		t.Fatalf("keys ssh: %v\n%s", err, out.String())
	}
	t.Logf("keys ssh:\n%s", out.String())
	hostKeys, err := secrets.ReadKeyFile(ctx, sshNix, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range l.Hosts() {
		if hostKeys[h.Name]["ed25519"] != h.HostKey {
			t.Errorf("%s: collected %q, lab has %q", h.Name, hostKeys[h.Name]["ed25519"], h.HostKey)
		}
	}
	out.Reset()
	if err := runKeysSSH(ctx, sshOpts, &out); err != nil || !strings.Contains(out.String(), "unchanged") {
		t.Errorf("second keys ssh: %v\n%s", err, out.String())
	}

	// What is trusted, through the same transport.
	ev, err := g.evaluator(nil)
	if err != nil {
		t.Fatal(err)
	}
	inv, err := secrets.LoadInventory(ctx, ev.File, nil, ev.Env)
	if err != nil {
		t.Fatal(err)
	}
	h1, _ := l.Host("host1")
	h2, _ := l.Host("host2")
	// Nothing trusted (a home and system dir without ssh config or known_hosts): refused,
	// unless --accept-new.
	// The nodes' sshOptions name the lab's known_hosts (UserKnownHostsFile): drop them,
	// a scan needs no identity.
	for name, n := range inv.Nodes {
		n.SSHOptions = nil
		inv.Nodes[name] = n
	}
	bare := deploy.SSHOptions{Home: t.TempDir(), SystemDir: t.TempDir()}
	o := secrets.SSHKeyOptions{Inventory: inv, Nodes: []string{"host1", "host2"}, Scan: scanVia(inv, bare)}
	hk, err := secrets.CollectSSHHostKeys(ctx, o)
	if !errors.Is(err, secrets.ErrHostKeyUnknown) || len(hk) != 0 {
		t.Errorf("untrusted keys: %v, %v", hk, err)
	}
	o.AcceptNew = true
	if hk, err = secrets.CollectSSHHostKeys(ctx, o); err != nil || hk["host1"]["ed25519"] != h1.HostKey {
		t.Errorf("--accept-new: %v, %v", hk, err)
	}
	// A different trusted key of the same type: a mismatch, even with --accept-new.
	o.Existing = map[string]map[string]string{"host2": {"ed25519": h1.HostKey}}
	hk, err = secrets.CollectSSHHostKeys(ctx, o)
	if !errors.Is(err, secrets.ErrHostKeyMismatch) || hk["host2"]["ed25519"] != h1.HostKey {
		t.Errorf("mismatch: %v, %v", hk, err)
	}
	inv.HostKeys = map[string]map[string]string{"host1": {"main": h2.HostKey}}
	bare.DeclaredHostKeys = declaredFromInventory(inv)
	o.Scan = scanVia(inv, bare)
	o.Existing = nil
	if _, err = secrets.CollectSSHHostKeys(ctx, o); !errors.Is(err, secrets.ErrHostKeyMismatch) {
		t.Errorf("declared key mismatch: %v", err)
	}
}

// keysPlanOf evaluates the plan of a deployment.
func keysPlanOf(file string) (*eval.Network, error) {
	ev, err := (&globalOptions{File: file}).evaluator(nil)
	if err != nil {
		return nil, err
	}
	return ev.Plan(context.Background())
}
