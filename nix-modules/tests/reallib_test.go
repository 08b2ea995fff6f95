package nixmodulestests

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/nixmesh/nixmesh/internal/testutil"
)

// The deployments the real-lib tests evaluate: the lab example (three standalone hosts,
// star VPN, zone with a secondary, secrets) and good/rich.nix (mesh + star, IPv6, grants
// between several users, two zones, every record type).
func realLibDeployments() map[string]string {
	root := filepath.Dir(filepath.Dir(Dir()))
	return map[string]string{
		"lab":  filepath.Join(root, "examples", "lab", "deploy.nix"),
		"rich": filepath.Join(Dir(), "good", "rich.nix"),
	}
}

func evalPlanArgs(t *testing.T, file string, extra ...string) map[string]any {
	t.Helper()
	var p map[string]any
	mustEvalArgs(t, append([]string{"--eval", "--strict", "--json", "-A", "plan", file}, extra...), &p)
	return p
}

// comparable drops what legitimately differs between libs: `files' and a node's `where'
// (nixpkgs' lib knows no file for an inline module's definitions, nor lines). Lists are compared in order: the bundled
// lib merges modules in nixpkgs' order, so a list option comes out the same on both.
func comparable(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			if k != "files" && k != "where" {
				out[k] = comparable(e)
			}
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = comparable(e)
		}
		return out
	}
	return v
}

// TestRealLibSameResults evaluates each deployment's plan with nixpkgs' real lib at the
// network level (standalone hosts) and with the bundled lib: every per-host configuration
// and network declaration must be the same. A name missing from an old lib, or one
// with other contents upstream (lib.network), fails here.
func TestRealLibSameResults(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	libs := testutil.NixpkgsLibs(t)
	for name, file := range realLibDeployments() {
		bundled := comparable(evalPlanArgs(t, file))
		for _, lib := range libs {
			t.Run(name+"/"+testutil.LibName(lib), func(t *testing.T) {
				real := comparable(evalPlanArgs(t, file, "--arg", "lib", "import "+lib))
				if diff := cmp.Diff(bundled, real); diff != "" {
					t.Errorf("plan on nixpkgs' lib differs from the bundled lib's (-bundled +real):\n%s", diff)
				}
			})
		}
	}
}

// TestRealLibNixOSStandIn evaluates each deployment as NixOS hosts under the faithful
// stand-in (real lib + NixOS's option types, merge rules and assertions) and
// instantiates every node's system, which fails while any NixOS assertion fails.
func TestRealLibNixOSStandIn(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	for _, lib := range testutil.NixpkgsLibs(t) {
		nixpkgs := testutil.StandInNixpkgs(t, lib)
		for name, file := range realLibDeployments() {
			t.Run(name+"/"+testutil.LibName(lib), func(t *testing.T) {
				p := evalPlanArgs(t, file, "--arg", "nixpkgs", nixpkgs)
				nodes, _ := p["nodes"].(map[string]any)
				if len(nodes) < 3 {
					t.Fatalf("plan has %d nodes", len(nodes))
				}
				// What the engine's workers and connection-only commands read, on NixOS
				// hosts: the index (kinds, for the memory estimate), the connection plan
				// (no configuration), one node's worker evaluation.
				var index map[string]struct{ Kind string }
				mustEvalArgs(t, []string{"--eval", "--strict", "--json", "-A", "nodeIndex", file, "--arg", "nixpkgs", nixpkgs}, &index)
				var conn struct{ Nodes map[string]map[string]any }
				mustEvalArgs(t, []string{"--eval", "--strict", "--json", "-A", "connectionPlan", file, "--arg", "nixpkgs", nixpkgs}, &conn)
				if len(index) != len(nodes) || len(conn.Nodes) != len(nodes) {
					t.Errorf("index has %d nodes, connectionPlan %d, plan %d", len(index), len(conn.Nodes), len(nodes))
				}
				for node, n := range nodes {
					if kind := n.(map[string]any)["kind"]; kind != "nixos" || index[node].Kind != "nixos" || conn.Nodes[node]["kind"] != "nixos" {
						t.Errorf("%s: kind %v (index %q, connections %v), want nixos", node, kind, index[node].Kind, conn.Nodes[node]["kind"])
					}
					if _, has := conn.Nodes[node]["configuration"]; has || conn.Nodes[node]["hostname"] != n.(map[string]any)["hostname"] {
						t.Errorf("%s: connection entry %v", node, conn.Nodes[node])
					}
					out, err := exec.Command("nix-instantiate", "-A", "systems."+node, "--arg", "nixpkgs", nixpkgs, file).CombinedOutput()
					if err != nil {
						t.Errorf("%s's NixOS system does not instantiate: %v\n%s", node, err, out)
					}
					var worker struct{ DrvPaths, OutPaths map[string]string }
					mustEvalArgs(t, []string{"--eval", "--strict", "--json", "--read-write-mode", "-E",
						`{ nixpkgs }: { r = (import ` + file + ` { inherit nixpkgs; }).forNodes [ "` + node + `" ]; }`, "-A", "r", "--arg", "nixpkgs", nixpkgs}, &worker)
					if !strings.HasSuffix(worker.DrvPaths[node], ".drv") || !strings.Contains(string(out), worker.DrvPaths[node]) {
						t.Errorf("%s: the worker's system %q is not the one systems.%s instantiates:\n%s", node, worker.DrvPaths[node], node, out)
					}
					if o, err := exec.Command("nix-store", "-q", "--outputs", worker.DrvPaths[node]).Output(); err != nil || strings.TrimSpace(string(o)) != worker.OutPaths[node] {
						t.Errorf("%s: the worker's output %q, the store's %q (%v)", node, worker.OutPaths[node], o, err)
					}
				}
			})
		}
	}
}

// What NixOS rejects, standalone hosts reject too: each case fails as NixOS hosts under
// the stand-in (with nixpkgs' real lib) AND as standalone hosts (bundled lib), with the
// given text in both messages.
var rejectedEverywhere = []struct {
	name, module, want string
}{
	{"sysctl defined twice", `{ nodes.a = { host = "a"; configuration = { imports = [ { boot.kernel.sysctl."vm.swappiness" = 10; } ]; boot.kernel.sysctl."vm.swappiness" = 10; }; }; }`,
		"is defined multiple times"},
	{"user neither normal nor system", `{ nodes.a = { host = "a"; configuration.users.users.k.openssh.authorizedKeys.keys = [ "ssh-ed25519 AAAA k" ]; }; }`,
		"Exactly one of users.users.k.isSystemUser and users.users.k.isNormalUser must be set"},
	{"user name not valid", `{ nodes.a = { host = "a"; configuration.users.users."k b" = { isSystemUser = true; group = "nogroup"; }; }; }`,
		"The username \"k b\" is not valid"},
	{"user name too long", `{ nodes.a = { host = "a"; configuration.users.users.a_very_long_service_account_name = { isSystemUser = true; group = "nogroup"; }; }; }`,
		"a_very_long_service_account_name' is longer than 31 characters"},
	{"primary group name too long", `{ nodes.a = { host = "a"; configuration.users.users.k = { isSystemUser = true; group = "a_very_long_service_group_name_x"; }; configuration.users.groups.a_very_long_service_group_name_x = { }; }; }`,
		"a_very_long_service_group_name_x' is longer than 31 characters"},
	{"user without group", `{ nodes.a = { host = "a"; configuration.users.users.k.isSystemUser = true; }; }`,
		"users.users.k.group is unset"},
	{"known host without key", `{ nodes.a = { host = "a"; configuration.programs.ssh.knownHosts.x.hostNames = [ "x" ]; }; }`,
		"knownHost x must contain either a publicKey or publicKeyFile"},
	{"wireguard without private key", `{ nodes.a = { host = "a"; configuration.networking.wireguard.interfaces.wg0.ips = [ "10.0.0.1/24" ]; }; }`,
		"Either networking.wireguard.interfaces.wg0.privateKey or networking.wireguard.interfaces.wg0.privateKeyFile must be set"},
	{"authorized key file missing", `{ nodes.a = { host = "a"; configuration.users.users.k = { isNormalUser = true; openssh.authorizedKeys.keyFiles = [ "/nonexistent/k.pub" ]; }; }; }`,
		"openssh.authorizedKeys.keyFiles names /nonexistent/k.pub, which does not exist on this machine"},
	{"etc source missing", `{ nodes.a = { host = "a"; configuration.environment.etc.x.source = /nonexistent/x; }; }`,
		"its source /nonexistent/x does not exist"},
	{"home with a colon", `{ nodes.a = { host = "a"; configuration.users.users.k = { isNormalUser = true; home = "/home/a:b"; }; }; }`,
		"not containing newlines or colons"},
	{"grant to an undeclared user", `{
		nodes.a.host = "a"; nodes.b.host = "b";
		ssh.access.b.hostKeys.ed25519 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEr+9QI3aBiRWd4m03cAXkMQbi/iJFfTT88YIerJwcYl";
		ssh.access.a.keys.k = { publicKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPFSsFl8BSc2y63WnzJfqtd1iPFk6OtB9UblcKP16Qqb k"; hasAccessTo.b.carol = true; };
	}`, "ssh.access.a.keys.k.hasAccessTo.b.carol"},
	{"grant undone by a host module", `{ lib, ... }: {
		nodes.a.host = "a"; nodes.b.host = "b";
		ssh.access.b.hostKeys.ed25519 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEr+9QI3aBiRWd4m03cAXkMQbi/iJFfTT88YIerJwcYl";
		ssh.access.a.keys.k = { publicKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPFSsFl8BSc2y63WnzJfqtd1iPFk6OtB9UblcKP16Qqb k"; hasAccessTo.b.root = true; };
		nodes.b.configuration.users.users.root.openssh.authorizedKeys.keys = lib.mkForce [ ];
	}`, "lacks the key `k' of host `a'"},
	{"VPN peers undone by a host module", `{ lib, ... }: {
		nodes.a.host = "a"; nodes.b.host = "b";
		vpn.networks.n = { subnet = "10.77.0.0/24"; topology = "star"; server = "a";
			members.a = { publicKey = "80WrPbKdE0nmzLU7fspBqUnwE/iKeUzTyCRQSoYg1VU="; endpoint = "192.0.2.1:51820"; };
			members.b.publicKey = "M25VxT4pEsxaH3Vj+fAv9ZbEHLp+7sX4KoA7Ujb+jDY="; };
		nodes.b.configuration.networking.wireguard.interfaces.wg-n.peers = lib.mkForce [ ];
	}`, "lacks the peer `a'"},
}

func TestRejectedLikeNixOS(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	entry := filepath.Join(filepath.Dir(Dir()), "default.nix")
	check := func(t *testing.T, args []string, want string) {
		t.Helper()
		cmd := exec.Command("nix-instantiate", args...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); err == nil {
			t.Errorf("accepted; want an error with %q", want)
		} else if !strings.Contains(stderr.String(), want) {
			t.Errorf("error lacks %q:\n%s", want, stderr.String())
		}
	}
	for _, c := range rejectedEverywhere {
		t.Run(c.name+"/standalone", func(t *testing.T) {
			expr := "import " + entry + " { } (" + c.module + ")"
			check(t, []string{"--eval", "--strict", "--json", "-A", "plan", "-E", expr}, c.want)
		})
	}
	libs := testutil.NixpkgsLibs(t)
	for _, lib := range libs {
		nixpkgs := testutil.StandInNixpkgs(t, lib)
		for _, c := range rejectedEverywhere {
			t.Run(c.name+"/nixos-"+testutil.LibName(lib), func(t *testing.T) {
				expr := "import " + entry + " { nixpkgs = " + nixpkgs + "; } (" + c.module + ")"
				check(t, []string{"--eval", "--strict", "--json", "-A", "plan", "-E", expr}, c.want)
			})
		}
	}
}

// A NixOS system that cannot be switched to (system.switch.enable or system.activatable
// false: no bin/switch-to-configuration) is refused at the definition, under the
// stand-in's NixOS (which builds such a system as NixOS does); true, written out, is
// accepted.
func TestUnswitchableNixOSRefused(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	nixosNodeCases(t, []struct{ name, configuration, want string }{
		{"switch off", `system.switch.enable = false;`, "`nodes.a.configuration.system.switch.enable' (in `%s') is false, so this NixOS system has no bin/switch-to-configuration"},
		{"not activatable", `system.activatable = lib.mkForce false;`, "`nodes.a.configuration.system.activatable' (in `%s') is false"},
		{"switch on", `system.switch.enable = true; system.activatable = true;`, ""},
	})
}

// TestNixOSStandInRefusesUsersAsNixOS: what NixOS refuses in users.users and
// users.groups when it evaluates a system, the stand-in refuses too (its users snippet
// reads every entry, as NixOS's does; its assertions are NixOS's), and what NixOS takes,
// it takes: instantiating a NixOS-kind node's system.
func TestNixOSStandInRefusesUsersAsNixOS(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	cases := []struct{ name, configuration, want string }{
		{"extraGroups a string", `users.users.ops = { isNormalUser = true; extraGroups = "wheel"; };`, "is not of type `list of string'"},
		{"colon in description", `users.users.ops = { isNormalUser = true; description = "Ops: on call"; };`, "users.users.ops.description"},
		{"relative shell", `users.users.ops = { isNormalUser = true; shell = "bash"; };`, "users.users.ops.shell"},
		{"duplicate uid", `users.users.a = { isNormalUser = true; uid = 2000; }; users.users.b = { isNormalUser = true; uid = 2000; };`, "UIDs and GIDs must be unique!"},
		{"duplicate gid", `users.groups.a.gid = 901; users.groups.b.gid = 901;`, "UIDs and GIDs must be unique!"},
		{"undeclared group", `users.users.svc = { isSystemUser = true; group = "svc"; };`, "The following users have a primary group that is undefined: svc"},
		{"normal user below 1000", `users.users.ops = { isNormalUser = true; uid = 500; };`, "uid set below 1000"},
		{"colon in password hash", `users.users.ops = { isNormalUser = true; hashedPassword = "a:b"; };`, "users.users.ops.hashedPassword"},
		{"missing snippet dependency", `system.activationScripts.x = { text = "true"; deps = [ "nosuch" ]; };`, "activation script dependency missing: x -> nosuch"},
		{"what NixOS takes", `users.users.ops = { isNormalUser = true; uid = 2000; extraGroups = [ "wheel" ]; description = "Ops"; }; users.groups.svc = { }; users.users.svc = { isSystemUser = true; group = "svc"; }; system.activationScripts.x = { text = "true"; deps = [ "etc" "users" ]; };`, ""},
	}
	nixosNodeCases(t, cases)
}

// nixosNodeCases instantiates, on the stand-in with every real lib, the system of a
// NixOS node with each case's configuration, and wants it refused with a message that
// holds `want' (accepted where want is "").
func nixosNodeCases(t *testing.T, cases []struct{ name, configuration, want string }) {
	t.Helper()
	entry := filepath.Join(filepath.Dir(Dir()), "default.nix")
	for _, lib := range testutil.NixpkgsLibs(t) {
		nixpkgs := testutil.StandInNixpkgs(t, lib)
		for _, c := range cases {
			t.Run(c.name+"/"+testutil.LibName(lib), func(t *testing.T) {
				module := filepath.Join(t.TempDir(), "deploy.nix")
				if err := os.WriteFile(module, []byte(`{ lib, ... }: { nodes.a = { host = "a"; configuration = { `+c.configuration+` }; }; }`), 0o644); err != nil {
					t.Fatal(err)
				}
				cmd := exec.Command("nix-instantiate", "-A", "systems.a", "-E", "import "+entry+" { nixpkgs = "+nixpkgs+"; } "+module)
				var stderr bytes.Buffer
				cmd.Stderr = &stderr
				err := cmd.Run()
				want := strings.ReplaceAll(c.want, "%s", module)
				switch {
				case c.want == "" && err != nil:
					t.Errorf("refused: %v\n%s", err, stderr.String())
				case c.want != "" && err == nil:
					t.Errorf("accepted; want an error with %q", want)
				case c.want != "" && !strings.Contains(stderr.String(), want):
					t.Errorf("error lacks %q:\n%s", want, stderr.String())
				}
			})
		}
	}
}

// TestHostChecksOnNixOS: nixmesh's checks of what the host could not use (WireGuard
// settings `ip' and `wg' refuse, a known host's key that is none) hold on NixOS nodes as
// on standalone ones, and a sound interface passes.
func TestHostChecksOnNixOS(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	iface := func(rest string) string {
		return `networking.wireguard.interfaces.wg9 = { ips = [ "10.9.0.1/24" ]; privateKeyFile = "/k"; ` + rest + ` };`
	}
	peer := `publicKey = "M25VxT4pEsxaH3Vj+fAv9ZbEHLp+7sX4KoA7Ujb+jDY="; allowedIPs = [ "10.9.0.2/32" ];`
	nixosNodeCases(t, []struct{ name, configuration, want string }{
		{"peer key", iface(`peers = [ { publicKey = "xyz"; allowedIPs = [ "10.9.0.2/32" ]; } ];`), "the peer key \"xyz\" is not a WireGuard public key"},
		{"interface lo", `networking.wireguard.interfaces.lo = { ips = [ "10.9.0.1/24" ]; privateKeyFile = "/k"; };`, "`lo' cannot be a WireGuard interface's name"},
		{"address", `networking.wireguard.interfaces.wg9 = { ips = [ "10.9.0.300/24" ]; privateKeyFile = "/k"; };`, "\"10.9.0.300/24\" is not an address with its prefix length"},
		{"peer twice", iface(`peers = [ { ` + peer + ` } { ` + peer + ` } ];`), "is listed more than once"},
		{"known host key", `programs.ssh.knownHosts.x = { hostNames = [ "x" ]; publicKey = "ssh-ed25519 AAAA"; };`, "is not an OpenSSH public key"},
		{"sound", iface(`listenPort = 51820; peers = [ { ` + peer + ` endpoint = "198.18.0.12:51820"; } ];`), ""},
	})
}

// TestNixOSPlatformInPlan: a NixOS node's plan entry names the platform its system runs
// on (its packages' host platform: nixpkgs.hostPlatform, else the system evaluated for),
// which the deployer holds against the host's kernel; a standalone node's names none
// (the stand-in NixOS on each NIXMESH_NIXPKGS_LIB lib; not run without).
func TestNixOSPlatformInPlan(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	entry := filepath.Join(filepath.Dir(Dir()), "default.nix")
	var here string
	mustEvalArgs(t, []string{"--eval", "--json", "-E", "builtins.currentSystem"}, &here)
	for _, lib := range testutil.NixpkgsLibs(t) {
		t.Run(testutil.LibName(lib), func(t *testing.T) {
			nixpkgs := testutil.StandInNixpkgs(t, lib)
			module := filepath.Join(t.TempDir(), "deploy.nix")
			if err := os.WriteFile(module, []byte(`{ ... }: {
  nodes.native = { host = "a"; };
  nodes.arm = { host = "b"; configuration.nixpkgs.hostPlatform = "aarch64-linux"; };
}
`), 0o644); err != nil {
				t.Fatal(err)
			}
			var platforms map[string]any
			mustEvalArgs(t, []string{"--eval", "--strict", "--json", "-E",
				"builtins.mapAttrs (_: n: n.platform or \"absent\") (import " + entry + " { nixpkgs = " + nixpkgs + "; } " + module + ").plan.nodes"}, &platforms)
			want := map[string]any{"native": here, "arm": "aarch64-linux"}
			if diff := cmp.Diff(want, platforms); diff != "" {
				t.Errorf("plan platforms (-want +got):\n%s", diff)
			}
			// Standalone systems (scripts and files) run on any platform: none named.
			lab := evalPlanArgs(t, realLibDeployments()["lab"], "--arg", "lib", "import "+lib)
			for name, n := range lab["nodes"].(map[string]any) {
				if p := n.(map[string]any)["platform"]; p != nil {
					t.Errorf("standalone node %s has platform %v, want null", name, p)
				}
			}
		})
	}
}
