package standalone

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nixmesh/nixmesh/internal/testutil"
)

// wgKeyPair makes a private key file under the sandbox's /var/lib/wg and returns its
// public key.
func wgKeyPair(t *testing.T, sb *sandbox) string {
	t.Helper()
	priv, err := exec.Command("wg", "genkey").Output()
	if err != nil {
		t.Fatalf("wg genkey: %v", err)
	}
	cmd := exec.Command("wg", "pubkey")
	cmd.Stdin = strings.NewReader(string(priv))
	pub, err := cmd.Output()
	if err != nil {
		t.Fatalf("wg pubkey: %v", err)
	}
	if err := os.MkdirAll(sb.path("var/lib/wg"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(sb.path("var/lib/wg/wg0.key"), priv, 0o600); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(pub))
}

// wgPublicKey is the public key of a key pair made and forgotten (a peer that is not
// there).
func wgPublicKey(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("sh", "-c", "wg genkey | wg pubkey").Output()
	if err != nil {
		t.Fatalf("wg genkey | wg pubkey: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// wgHost is a fixture host with one WireGuard interface wg0 and one peer.
func wgHost(t *testing.T, hostName, ips string, listenPort int, extra, peerPub, peerAllowed, peerEndpoint string) string {
	t.Helper()
	return writeFixture(t, fmt.Sprintf(`{
	  networking.hostName = %q;
	  networking.wireguard.interfaces.wg0 = {
	    ips = [ %s ];
	    listenPort = %d;
	    privateKeyFile = "/var/lib/wg/wg0.key";
	    peers = [ { publicKey = %q; allowedIPs = [ %q ]; endpoint = %q; persistentKeepalive = 5; } ];
	    %s
	  };
	}`, hostName, ips, listenPort, peerPub, peerAllowed, peerEndpoint, extra))
}

// The script that runs host B's commands: in network namespace hostb, with B's own
// mount namespace whose directories are B's sandbox.
const inHostB = `ip netns exec hostb unshare --mount --uts -- bash -c 'mount --make-rprivate / && for d in etc var/lib home root run; do mount --bind "$ROOT_B/$d" "/$d"; done && exec bash -c "$1"' hostb `

func TestWireGuardInterfacesComeUpUpdateAndGo(t *testing.T) {
	testutil.RequireCommands(t, "wg", "wireguard-go", "ping")
	sbA, sbB := newSandbox(t), newSandbox(t)
	pubA, pubB := wgKeyPair(t, sbA), wgKeyPair(t, sbB)

	a := buildHost(t, wgHost(t, "wga", `"10.77.0.1/24"`, 51820, "", pubB, "10.77.0.2/32", "198.18.0.2:51820"))
	b := buildHost(t, wgHost(t, "wgb", `"10.77.0.2/24"`, 51820, "", pubA, "10.77.0.1/32", "198.18.0.1:51820"))
	// A changed in place: another listen port, another address, an MTU.
	a2 := buildHost(t, wgHost(t, "wga", `"10.77.0.1/24" "10.78.0.1/24"`, 51821, "mtu = 1300;", pubB, "10.77.0.2/32", "198.18.0.2:51820"))
	// A's peer replaced by another (C, not running): B's peer and route go, C's come.
	pubC := wgPublicKey(t)
	a4 := buildHost(t, wgHost(t, "wga", `"10.77.0.1/24" "10.78.0.1/24"`, 51821, "mtu = 1300;", pubC, "10.77.0.3/32", "198.18.0.3:51820"))
	// A without WireGuard.
	a3 := buildHost(t, writeFixture(t, `{ networking.hostName = "wga"; }`))

	script := `
set -e
ip link add veth-a type veth peer name veth-b
ip netns add hostb
ip link set veth-b netns hostb
ip addr add 198.18.0.1/24 dev veth-a && ip link set veth-a up
ip netns exec hostb ip addr add 198.18.0.2/24 dev veth-b
ip netns exec hostb ip link set veth-b up
ip netns exec hostb ip link set lo up
echo "== activate A"
` + stc(a, "test") + `
echo "== activate B"
` + inHostB + `"` + stc(b, "test") + `"
echo "== ping"
ping -c 2 -W 3 10.77.0.2
echo "routes: $(ip route show dev wg0 proto static)"
echo "pid-file: $(cat /run/nixmesh/wireguard/wg0.pid)"
pid=$(cat /run/nixmesh/wireguard/wg0.pid)
echo "process: $(cat /proc/$pid/comm)"
echo "== again"
` + stc(a, "test") + `
echo "== update"
` + stc(a2, "test") + `
echo "listen-port: $(wg show wg0 listen-port)"
echo "addresses: $(ip -o -4 addr show dev wg0 | cut -d' ' -f7 | tr '\n' ' ')"
ip -o link show dev wg0
echo "same-process: $(cat /run/nixmesh/wireguard/wg0.pid)"
ping -c 1 -W 3 10.77.0.2
echo "== repeer"
` + stc(a4, "test") + `
echo "peers: $(wg show wg0 peers | tr '\n' ' ')"
echo "routes: $(ip route show dev wg0 proto static | cut -d' ' -f1 | tr '\n' ' ')"
echo "== remove"
` + stc(a3, "test") + `
if ip link show dev wg0 2>/dev/null; then echo "wg0 still exists"; exit 1; fi
if kill -0 $pid 2>/dev/null; then echo "wireguard-go still runs"; exit 1; fi
echo "removed-ok"
`
	out, code := sbA.run(t, "ROOT_B="+sbB.root+"; export ROOT_B\n"+script)
	t.Log(out)
	if code != 0 {
		t.Fatalf("WireGuard scenario exited %d", code)
	}
	sections := splitSections(out)
	assertContains(t, "activation of A", sections["activate A"],
		"wireguard-go", "create WireGuard interface wg0")
	assertContains(t, "ping over wg0", sections["ping"], "2 received", "routes: 10.77.0.2", "process: wireguard-go")
	assertContains(t, "second activation", sections["again"], "\nno changes\n")
	up := sections["update"]
	assertContains(t, "update", up, "update WireGuard interface wg0", "listen-port: 51821",
		"addresses: 10.77.0.1/24 10.78.0.1/24 \n", "mtu 1300", "1 received")
	assertNotContains(t, "update", up, "create WireGuard interface")
	if pid := between(sections["ping"], "pid-file: ", "\n"); pid == "" || !strings.Contains(up, "same-process: "+pid) {
		t.Errorf("the update replaced the interface's wireguard-go (was pid %q)", pid)
	}
	assertContains(t, "another peer", sections["repeer"], "update WireGuard interface wg0", "peers: "+pubC+" \n", "routes: 10.77.0.3 \n")
	assertContains(t, "removal", sections["remove"], "remove WireGuard interface wg0", "removed-ok")
	if m := strings.TrimSpace(sbA.read(t, "var/lib/nixmesh/managed/wireguard")); m != "" {
		t.Errorf("the wireguard manifest still lists %q", m)
	}
}

func TestWireGuardMissingKeyFailsBeforeChanges(t *testing.T) {
	sb := newSandbox(t)
	host := buildHost(t, writeFixture(t, `{
	  networking.hostName = "nokey";
	  environment.etc."nixmesh-test/x".text = "x";
	  networking.wireguard.interfaces.wg0 = { ips = [ "10.77.0.1/24" ]; privateKeyFile = "/var/lib/wg/missing.key"; };
	}`))
	out, code := sb.run(t, stc(host, "test"))
	if code == 0 {
		t.Fatalf("activation without the private key succeeded:\n%s", out)
	}
	assertContains(t, "output", out, "private key file /var/lib/wg/missing.key does not exist")
	if _, err := os.Lstat(sb.path("etc/nixmesh-test/x")); !os.IsNotExist(err) {
		t.Errorf("files were changed before the check failed: %v", err)
	}

	// A dry run says so and reports the rest: a deploy writes the key (a pre-activation
	// secret) before it activates.
	out, code = sb.run(t, stc(host, "dry-activate"))
	if code != 0 {
		t.Fatalf("dry-activate without the private key: exit %d, want 0\n%s", code, out)
	}
	assertContains(t, "dry-activate output", out,
		"warning: WireGuard interface wg0: private key file /var/lib/wg/missing.key does not exist yet",
		"would add file /etc/nixmesh-test/x", "would create WireGuard interface wg0")
}

func TestWireGuardGeneratesAMissingKey(t *testing.T) {
	testutil.RequireCommands(t, "wg", "wireguard-go")
	sb := newSandbox(t)
	host := buildHost(t, writeFixture(t, `{
	  networking.hostName = "genkey";
	  networking.wireguard.interfaces.wg7 = { ips = [ "10.79.0.1/24" ]; privateKeyFile = "/var/lib/wg/gen.key"; generatePrivateKeyFile = true; };
	}`))
	out := sb.mustRun(t, stc(host, "test")+` && echo "pub=$(wg show wg7 public-key)" && echo "filepub=$(wg pubkey < /var/lib/wg/gen.key)"`)
	pub, filePub := between(out, "pub=", "\n"), between(out, "filepub=", "\n")
	if pub == "" || pub != filePub {
		t.Errorf("interface key %q does not match the generated file's %q:\n%s", pub, filePub, out)
	}
	info, err := os.Stat(filepath.Join(sb.root, "var/lib/wg/gen.key"))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("generated key: %v, %v; want mode 0600", info, err)
	}
}

// splitSections splits output at lines "== NAME" into NAME -> text.
func splitSections(out string) map[string]string {
	m := map[string]string{}
	cur := ""
	for _, line := range strings.SplitAfter(out, "\n") {
		if strings.HasPrefix(line, "== ") {
			cur = strings.TrimSpace(strings.TrimPrefix(line, "== "))
			continue
		}
		m[cur] += line
	}
	return m
}

func between(s, start, end string) string {
	i := strings.Index(s, start)
	if i < 0 {
		return ""
	}
	s = s[i+len(start):]
	if j := strings.Index(s, end); j >= 0 {
		return s[:j]
	}
	return s
}

// An interface the host has already, which nixmesh did not make (eth9 here; a hand-made
// wg0 or the host's uplink in practice), is never taken over (a veth here): the activation fails
// before any change, naming it, and the interface is left as it was. Nor is it removed
// when only a failed activation's journal lists it.
func TestWireGuardLeavesAForeignInterfaceAlone(t *testing.T) {
	testutil.RequireCommands(t, "wg", "wireguard-go")
	sb := newSandbox(t)
	wgKeyPair(t, sb)
	clash := buildHost(t, writeFixture(t, `{
	  networking.hostName = "clash";
	  environment.etc."nixmesh-test/x".text = "x";
	  networking.wireguard.interfaces.eth9 = { ips = [ "10.77.0.1/24" ]; privateKeyFile = "/var/lib/wg/wg0.key"; };
	}`))
	plain := buildHost(t, writeFixture(t, `{ networking.hostName = "plain"; }`))
	script := `
ip link add eth9 type veth peer name eth9p && ip addr add 192.0.2.9/24 dev eth9 && ip link set eth9 up
echo "== clash"
` + stc(clash, "test") + ` && echo "clash-activated"
echo "after: $(ip -d -o link show dev eth9 | grep -o veth) $(ip -o -4 addr show dev eth9 | grep -o 192.0.2.9/24)"
echo "== dry"
` + stc(clash, "dry-activate") + `
echo "== journal"
mkdir -p /var/lib/nixmesh/managed && echo eth9 >> /var/lib/nixmesh/managed/wireguard.pending
` + stc(plain, "test") + ` && echo "plain-activated"
echo "after: $(ip -d -o link show dev eth9 | grep -o veth)"
`
	out, _ := sb.run(t, script)
	t.Log(out)
	sections := splitSections(out)
	assertContains(t, "clashing activation", sections["clash"],
		"the host has an interface eth9 that nixmesh did not create", "after: veth 192.0.2.9/24")
	assertNotContains(t, "clashing activation", sections["clash"], "clash-activated")
	if _, err := os.Lstat(sb.path("etc/nixmesh-test/x")); !os.IsNotExist(err) {
		t.Errorf("files were changed before the check failed: %v", err)
	}
	assertContains(t, "dry run", sections["dry"], "warning: WireGuard interface eth9: the host has an interface eth9 that nixmesh did not create")
	assertContains(t, "journal only", sections["journal"], "interface eth9 is not one nixmesh created; left as it is", "plain-activated", "after: veth")
}
