package modulestests

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nixmesh/nixmesh/internal/testutil"
)

// TestLabEndToEnd deploys examples/lab (with its network.nix) to a local lab of its own
// and proves that the cross-host features work on real hosts: SSH between hosts with
// strict host-key checking under every declared name, WireGuard between two clients of
// the star through the server, DNS answered by the primary and by the secondary, and a
// zone change reaching the secondary by NOTIFY and transfer, with a higher serial.
// It needs root and wg, nsd and dig (Debian: wireguard-tools, nsd, dnsutils).
func TestLabEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	testutil.RequireRoot(t)
	testutil.RequireNix(t)
	testutil.RequireCommands(t, "ip", "wg", "nsd", "dig", "ssh", "ssh-keygen")
	testutil.SetNixEnv(t)

	root := testutil.RepoRoot()
	work := t.TempDir()
	bin := filepath.Join(work, "nixmesh")
	if out, err := exec.Command("go", "build", "-o", bin, filepath.Join(root, "cmd", "nixmesh")).CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	// A copy of the example in a subnet of its own. Other tests' labs come and go in
	// 198.19.0.0/16 meanwhile: a subnet that turns out taken when the lab comes up is
	// given up for the next candidate.
	name := fmt.Sprintf("cx%d", os.Getpid())
	lab := filepath.Join(work, "lab")
	hosts := filepath.Join(lab, "lab-generated.nix")
	deployFile := filepath.Join(lab, "deploy.nix")
	octet := 0
	for attempt := 0; octet == 0; attempt++ {
		candidate := 100 + (os.Getpid()+attempt*37)%100
		os.RemoveAll(lab)
		if out, err := exec.Command("cp", "-r", filepath.Join(root, "examples", "lab"), lab).CombinedOutput(); err != nil {
			t.Fatalf("cp: %v\n%s", err, out)
		}
		b, err := os.ReadFile(deployFile)
		if err != nil {
			t.Fatal(err)
		}
		text := strings.ReplaceAll(string(b), "../../nix-modules", testutil.NixModules())
		text = strings.ReplaceAll(text, "198.18.0.", fmt.Sprintf("198.19.%d.", candidate))
		if err := os.WriteFile(deployFile, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		os.Remove(filepath.Join(lab, "dns-serials.json"))
		up := exec.Command(bin, "lab", "up", "--name", name, "--subnet", fmt.Sprintf("198.19.%d.0/24", candidate), "-f", deployFile, "--write-nix", hosts)
		up.Dir = lab
		out, err := up.CombinedOutput()
		switch {
		case err == nil:
			octet = candidate
		case strings.Contains(string(out), "overlaps a route") && attempt < 20:
			t.Logf("198.19.%d.0/24 is taken (another test's lab); trying another", candidate)
		default:
			t.Fatalf("nixmesh lab up: %v\n%s", err, out)
		}
	}
	t.Cleanup(func() { exec.Command(bin, "lab", "down", "--name", name).Run() })
	addr := func(last int) string { return fmt.Sprintf("198.19.%d.%d", octet, last) }

	run := func(stdin []byte, args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Dir = lab
		cmd.Stdin = bytes.NewReader(stdin)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("nixmesh %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	on := func(host, script string) string {
		t.Helper()
		return run(nil, "lab", "ssh", "--name", name, host, "--", script)
	}

	// The WireGuard private keys, until the secrets feature delivers them.
	for _, h := range []string{"gateway", "web", "db"} {
		key, err := os.ReadFile(filepath.Join(lab, "secrets", "wireguard", h+".key"))
		if err != nil {
			t.Fatal(err)
		}
		run(key, "lab", "ssh", "--name", name, h, "--", "install -D -m 0600 /dev/stdin /var/lib/nixmesh/wireguard/backbone.key")
	}
	// The build machine's /etc/passwd may hold uid 1000 already (the lab's hosts share it).
	extra := func(more string) []string {
		return []string{"--", "--argstr", "labHosts", hosts, "--arg", "extraModule",
			"{ lib, ... }: { defaults.configuration.users.users.operator.uid = lib.mkForce 1777; " + more + " }"}
	}
	identity := "/run/nixmesh/lab/" + name + "/id_ed25519"
	run(nil, append([]string{"deploy", "-f", deployFile, "-i", identity}, extra("")...)...)

	// WireGuard: web reaches the server and db (the other client, through the server).
	if out := on("web", "ping -c1 -W5 gateway.backbone && ping -c1 -W5 db.backbone"); !strings.Contains(out, "1 received") {
		t.Errorf("ping over the VPN:\n%s", out)
	}

	// SSH: gateway's deploy key logs in as root on web under every name gateway knows.
	// (The private half of the example key is not in the repository: make a new pair and
	// grant it through extraModule.)
	keyFile := filepath.Join(work, "deploy_key")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "e2e@gateway", "-f", keyFile).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	pub, _ := os.ReadFile(keyFile + ".pub")
	priv, _ := os.ReadFile(keyFile)
	grant := fmt.Sprintf(`ssh.access.gateway.keys.e2e = { publicKey = %q; hasAccessTo.web.root = true; hasAccessTo.gateway.root = true; };`, strings.TrimSpace(string(pub)))
	run(nil, append([]string{"deploy", "-f", deployFile, "-i", identity}, extra(grant)...)...)
	run(priv, "lab", "ssh", "--name", name, "gateway", "--", "install -D -m 0600 /dev/stdin /root/.ssh/e2e")
	for _, target := range []string{"web", "web.lab.test", "web.backbone", addr(12), "localhost"} {
		out := on("gateway", "ssh -i /root/.ssh/e2e -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile=/dev/null root@"+target+" hostname")
		want := "web"
		if target == "localhost" {
			want = "gateway"
		}
		if strings.TrimSpace(out) != want {
			t.Errorf("ssh root@%s from gateway: %q, want %q", target, out, want)
		}
	}

	// DNS: the primary (gateway) and the secondary (db) answer.
	for _, server := range []string{addr(11), addr(13)} {
		if out := on("web", "dig +short @"+server+" web.lab.test"); strings.TrimSpace(out) != addr(12) {
			t.Errorf("web.lab.test at %s: %q", server, out)
		}
	}

	// A zone change on the primary alone reaches the secondary (NOTIFY + transfer) with
	// a higher serial, once the deployed serials are recorded.
	soa := func(server string) string {
		f := strings.Fields(on("web", "dig +short @"+server+" SOA lab.test"))
		if len(f) < 3 {
			return ""
		}
		return f[2]
	}
	before := soa(addr(11))
	run(nil, append([]string{"check", "-f", deployFile, "--update-dns-serials"}, extra(grant)...)...)
	run(nil, append([]string{"deploy", "gateway", "-f", deployFile, "-i", identity}, extra(grant+` dns.records."new.lab.test".A = "192.0.2.99";`)...)...)
	after := soa(addr(11))
	if before == "" || after == "" || after == before {
		t.Errorf("primary's serial %q -> %q, want a change", before, after)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		got := strings.TrimSpace(on("web", "dig +short @"+addr(13)+" new.lab.test"))
		if got == "192.0.2.99" && soa(addr(13)) == after {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the secondary did not take the change: new.lab.test = %q, serial %q (primary %q)", got, soa(addr(13)), after)
		}
		time.Sleep(time.Second)
	}
}
