package deploy

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

// ScanHostKey reaches a host the way every command does: here through ssh_config's
// HostName and Port for an alias (which a plain keyscan of the alias cannot resolve),
// and through a ProxyJump.
func TestScanHostKeyFollowsSSHConfig(t *testing.T) {
	client := newTestClient(t)
	target := startHost(t, client, false)
	jump := startHost(t, client, false)
	config := fmt.Sprintf(`Host scanme
  HostName 127.0.0.1
  Port %d
Host viajump
  HostName 127.0.0.1
  Port %d
  ProxyJump root@127.0.0.1:%d
`, target.Port, target.Port, jump.Port)
	if err := os.WriteFile(filepath.Join(client.Home, ".ssh", "config"), []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	o := sshOptionsFor(t, client)
	o.ExtraKnownHostsFiles = []string{writeKnownHosts(t, jump)}
	for _, alias := range []string{"scanme", "viajump"} {
		scan, err := ScanHostKey(context.Background(), o, Target{Name: alias, Hostname: alias}, []string{ssh.KeyAlgoED25519}, nil)
		if err != nil {
			t.Fatalf("%s: %v", alias, err)
		}
		if string(scan.Key.Marshal()) != string(target.HostKey.Marshal()) {
			t.Errorf("%s: got another key than the target's (from %s)", alias, scan.Addr)
		}
	}
	// The jump host's key is checked: unknown, the scan fails.
	o.ExtraKnownHostsFiles = nil
	if _, err := ScanHostKey(context.Background(), o, Target{Name: "viajump", Hostname: "viajump"}, []string{ssh.KeyAlgoED25519}, nil); err == nil {
		t.Error("a scan through a jump host with an unknown key succeeded")
	}
}

// A scanned key is judged by the policy of the handshake: what vouches for it is named;
// a different trusted key of its type (known_hosts, declared, vouched) is a mismatch;
// another type's entry is not.
func TestScanHostKeyJudgesByTheTrustPolicy(t *testing.T) {
	client := newTestClient(t)
	target := startHost(t, client, false)
	other := startHost(t, client, false)
	o := sshOptionsFor(t, client)
	o.NoDefaultKnownHosts = true
	tgt := Target{Name: "web", Hostname: "127.0.0.1", Port: target.Port}
	ed := []string{ssh.KeyAlgoED25519}
	line := func(h *testHost) string { return string(ssh.MarshalAuthorizedKey(h.HostKey)) }

	scan, err := ScanHostKey(context.Background(), o, tgt, ed, nil)
	if err != nil || scan.VouchedBy != "" {
		t.Errorf("nothing trusted: vouched by %q, %v; want \"\" and no error", scan.VouchedBy, err)
	}
	scan, err = ScanHostKey(context.Background(), o, tgt, ed, []VouchedKey{{Line: line(target), Source: "keys.nix"}})
	if err != nil || scan.VouchedBy != "keys.nix" {
		t.Errorf("vouched key: %q, %v", scan.VouchedBy, err)
	}
	o.DeclaredHostKeys = map[string][]string{"web": {line(target)}}
	if scan, err = ScanHostKey(context.Background(), o, tgt, ed, nil); err != nil || scan.VouchedBy != "ssh.access.web.hostKeys" {
		t.Errorf("declared key: %q, %v", scan.VouchedBy, err)
	}
	o.DeclaredHostKeys = nil
	o.ExtraKnownHostsFiles = []string{writeKnownHosts(t, target)}
	if scan, err = ScanHostKey(context.Background(), o, tgt, ed, nil); err != nil || scan.VouchedBy != "known_hosts" {
		t.Errorf("known_hosts: %q, %v", scan.VouchedBy, err)
	}
	// Another host's key, trusted for this one: a mismatch, the scan still returned.
	o.ExtraKnownHostsFiles = nil
	scan, err = ScanHostKey(context.Background(), o, tgt, ed, []VouchedKey{{Line: line(other), Source: "keys.nix"}})
	if !errors.Is(err, ErrHostKeyMismatch) || scan.Key == nil || !strings.Contains(err.Error(), "keys.nix has") {
		t.Errorf("vouched other key: %v (key %v)", err, scan.Key)
	}
	o.DeclaredHostKeys = map[string][]string{"web": {line(other)}}
	if _, err = ScanHostKey(context.Background(), o, tgt, ed, nil); !errors.Is(err, ErrHostKeyMismatch) {
		t.Errorf("declared other key: %v", err)
	}
	// A trusted key of another type says nothing about this one: the host is new.
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, _ := ssh.NewPublicKey(&ec.PublicKey)
	o.DeclaredHostKeys = map[string][]string{"web": {string(ssh.MarshalAuthorizedKey(ecKey))}}
	if scan, err = ScanHostKey(context.Background(), o, tgt, ed, nil); err != nil || scan.VouchedBy != "" {
		t.Errorf("declared key of another type: %q, %v; want a new host", scan.VouchedBy, err)
	}
	// A declared key that is no key: an error naming where it came from.
	o.DeclaredHostKeys = map[string][]string{"web": {"ssh-ed25519 notbase64"}}
	if _, err = ScanHostKey(context.Background(), o, tgt, ed, nil); err == nil || !strings.Contains(err.Error(), "ssh.access.web.hostKeys") {
		t.Errorf("bad declared key: %v", err)
	}
}

func writeKnownHosts(t *testing.T, hosts ...*testHost) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "known_hosts")
	var lines string
	for _, h := range hosts {
		lines += h.KnownHostsLine() + "\n"
	}
	if err := os.WriteFile(f, []byte(lines), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}
