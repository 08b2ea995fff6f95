package deploy

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
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
		key, addr, err := ScanHostKey(context.Background(), o, Target{Name: alias, Hostname: alias}, []string{ssh.KeyAlgoED25519})
		if err != nil {
			t.Fatalf("%s: %v", alias, err)
		}
		if string(key.Marshal()) != string(target.HostKey.Marshal()) {
			t.Errorf("%s: got another key than the target's (from %s)", alias, addr)
		}
	}
	// The jump host's key is checked: unknown, the scan fails.
	o.ExtraKnownHostsFiles = nil
	if _, _, err := ScanHostKey(context.Background(), o, Target{Name: "viajump", Hostname: "viajump"}, []string{ssh.KeyAlgoED25519}); err == nil {
		t.Error("a scan through a jump host with an unknown key succeeded")
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
