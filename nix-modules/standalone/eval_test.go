package standalone

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/nixmesh/nixmesh/internal/testutil"
)

func TestNotAppliedListsFreeformOnlyPaths(t *testing.T) {
	var got []string
	evalJSON(t, fixture("host-a.nix"), "notApplied", &got)
	want := []string{"services.nginx", "users.users.alice.hashedPassword"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("notApplied = %q, want %q", got, want)
	}

	// Declared options, stateVersion and nixpkgs.* are not listed; nested freeform
	// values in submodules (a wireguard peer, an etc entry) and quoted names are.
	host := writeFixture(t, `{
	  networking.hostName = "x";
	  system.stateVersion = "24.05";
	  nixpkgs.config.allowUnfree = true;
	  nixpkgs.overlays = [ (self: super: { }) ];
	  services.nsd.enable = false;
	  services."my.service".enable = true;
	  environment.etc."a.conf" = { text = "a"; replaceExisting = true; };
	  networking.wireguard.interfaces.wg0 = {
	    privateKeyFile = "/k"; table = "main";
	    peers = [ { publicKey = "p"; allowedIPs = [ ]; dynamicEndpointRefreshSeconds = 5; } ];
	  };
	  fileSystems."/".device = "/dev/vda";
	}`)
	evalJSON(t, host, "notApplied", &got)
	want = []string{
		`environment.etc."a.conf".replaceExisting`,
		`fileSystems`,
		`networking.wireguard.interfaces.wg0.peers[0].dynamicEndpointRefreshSeconds`,
		`networking.wireguard.interfaces.wg0.table`,
		`services."my.service"`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("notApplied = %q, want %q", got, want)
	}
}

func TestSchemaDefaultsFollowNixOS(t *testing.T) {
	host := writeFixture(t, `{
	  users.users.alice.isNormalUser = true;
	  users.users.bob = { home = "/srv/bob"; isSystemUser = true; group = "nogroup"; };
	  programs.ssh.knownHosts.gw = { extraHostNames = [ "198.18.0.1" ]; publicKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEr+9QI3aBiRWd4m03cAXkMQbi/iJFfTT88YIerJwcYl"; };
	  environment.etc.foo.text = "x";
	}`)
	var cfg struct {
		Networking struct {
			HostName string `json:"hostName"`
			Firewall struct {
				Enable bool `json:"enable"`
			} `json:"firewall"`
		} `json:"networking"`
		Users struct {
			Users map[string]struct {
				Name       string `json:"name"`
				Group      string `json:"group"`
				Home       string `json:"home"`
				CreateHome bool   `json:"createHome"`
			} `json:"users"`
		} `json:"users"`
		Programs struct {
			SSH struct {
				KnownHosts map[string]struct {
					HostNames []string `json:"hostNames"`
				} `json:"knownHosts"`
			} `json:"ssh"`
		} `json:"programs"`
		Environment struct {
			Etc map[string]struct {
				Target string `json:"target"`
				Mode   string `json:"mode"`
				User   string `json:"user"`
				Group  string `json:"group"`
			} `json:"etc"`
		} `json:"environment"`
		Services struct {
			Nsd struct {
				Interfaces []string `json:"interfaces"`
				Port       int      `json:"port"`
			} `json:"nsd"`
		} `json:"services"`
	}
	var raw map[string]any
	evalJSON(t, host, "config", &raw)
	b, _ := json.Marshal(raw)
	if err := json.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	alice, bob := cfg.Users.Users["alice"], cfg.Users.Users["bob"]
	if alice.Name != "alice" || alice.Group != "users" || alice.Home != "/home/alice" || !alice.CreateHome {
		t.Errorf("normal user defaults: %+v", alice)
	}
	if bob.Group != "nogroup" || bob.Home != "/srv/bob" || bob.CreateHome {
		t.Errorf("plain user defaults: %+v", bob)
	}
	if got := cfg.Programs.SSH.KnownHosts["gw"].HostNames; !reflect.DeepEqual(got, []string{"gw", "198.18.0.1"}) {
		t.Errorf("knownHosts.gw.hostNames = %q", got)
	}
	if e := cfg.Environment.Etc["foo"]; e.Target != "foo" || e.Mode != "symlink" || e.User != "+0" || e.Group != "+0" {
		t.Errorf("etc defaults: %+v", e)
	}
	if cfg.Networking.HostName != "nixos" || !cfg.Networking.Firewall.Enable {
		t.Errorf("networking defaults: %+v", cfg.Networking)
	}
	if !reflect.DeepEqual(cfg.Services.Nsd.Interfaces, []string{"127.0.0.0", "::1"}) || cfg.Services.Nsd.Port != 53 {
		t.Errorf("nsd defaults: %+v", cfg.Services.Nsd)
	}
}

func TestToplevelLayout(t *testing.T) {
	a := buildHost(t, fixture("host-a.nix"))
	state := testutil.StandaloneState(t, a)
	if state["node_name"] != "testhost" || state["host_name"] != "alpha" {
		t.Errorf("state names node %q, host %q; want testhost, alpha", state["node_name"], state["host_name"])
	}
	var cfg map[string]any
	if err := json.Unmarshal([]byte(mustRead(t, state["config_json"])), &cfg); err != nil {
		t.Fatal(err)
	}
	if _, ok := cfg["_module"]; ok {
		t.Error("config.json has _module")
	}
	system := cfg["system"].(map[string]any)
	if _, ok := system["build"]; ok {
		t.Error("config.json has system.build")
	}
	if cfg["services"].(map[string]any)["nginx"] == nil {
		t.Error("config.json lacks the freeform services.nginx")
	}
	for _, p := range []string{"activate", "bin/switch-to-configuration", "bin/nixmesh-switch"} {
		info, err := os.Stat(filepath.Join(a, p))
		if err != nil || info.Mode().Perm()&0o111 == 0 {
			t.Errorf("%s: %v, %v; want an executable", p, info, err)
		}
	}
	if got, want := mustRead(t, filepath.Join(a, "bin/nixmesh-switch")), mustRead(t, filepath.Join(repoNixModules(), "scripts/switcher/bin/nixmesh-switch")); got != want {
		t.Error("bin/nixmesh-switch is not scripts/switcher/bin/nixmesh-switch")
	}
	// The state, made for this generation, names the store file of every managed file.
	st := mustRead(t, filepath.Join(a, "manifest.nix"))
	for _, s := range []string{"want_user 'alice' '1500' 'users' '/home/alice' '1' '0'", "run_snippet 'first'", "host_name='alpha'"} {
		if !strings.Contains(st, s) {
			t.Errorf("manifest.nix does not contain %q", s)
		}
	}
	if got := mustRead(t, wantFile(t, a, "/etc/nixmesh-test/linked.conf")); got != "linked = A\n" {
		t.Errorf("the store file of /etc/nixmesh-test/linked.conf holds %q", got)
	}
	// activate and switch-to-configuration are the same in every generation; called
	// other than through a system, they refuse.
	b := buildHost(t, fixture("host-b.nix"))
	for _, p := range []string{"activate", "bin/switch-to-configuration"} {
		ra, _ := filepath.EvalSymlinks(filepath.Join(a, p))
		rb, _ := filepath.EvalSymlinks(filepath.Join(b, p))
		if ra == "" || ra != rb {
			t.Errorf("%s differs between generations: %q, %q", p, ra, rb)
		}
		out, err := exec.Command(ra, "--dry-run").CombinedOutput()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 || !strings.Contains(string(out), "is not a system") {
			t.Errorf("%s run from its own folder: %v\n%s", ra, err, out)
		}
	}
	// Identical content gives identical store files across generations.
	if la, lb := wantFile(t, a, "/etc/nixmesh-test/copied.conf"), wantFile(t, b, "/etc/nixmesh-test/copied.conf"); la != lb {
		t.Errorf("the same text gave different store files: %q, %q", la, lb)
	}
}

// wantFile returns the store file the toplevel's state installs at target.
func wantFile(t *testing.T, toplevel, target string) string {
	t.Helper()
	prefix := "want_file '" + target + "' '"
	for _, line := range strings.Split(mustRead(t, filepath.Join(toplevel, "manifest.nix")), "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), prefix); ok {
			store, _, _ := strings.Cut(rest, "'")
			return store
		}
	}
	t.Fatalf("%s/manifest.nix installs no %s", toplevel, target)
	return ""
}

func TestEvaluationErrorsNameTheProblem(t *testing.T) {
	cases := []struct{ name, host, want string }{
		{"cycle", `{ system.activationScripts = { a = { deps = [ "b" ]; text = ""; }; b = { deps = [ "a" ]; text = ""; }; }; }`,
			"cycle: a -> b -> a"},
		{"unknown dep", `{ system.activationScripts.a = { deps = [ "nope" ]; text = ""; }; }`,
			"`a' depends on `nope', which is not defined"},
		{"duplicate file", `{ environment.etc."ssh/ssh_known_hosts".text = "x"; programs.ssh.knownHosts.h.publicKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEr+9QI3aBiRWd4m03cAXkMQbi/iJFfTT88YIerJwcYl"; }`,
			"The file `/etc/ssh/ssh_known_hosts' is defined more than once, by: environment.etc.\"ssh/ssh_known_hosts\", known hosts"},
		{"secret in store", `{ networking.wireguard.interfaces.wg0 = { privateKey = "x"; }; }`,
			"wireguard.interfaces.wg0.privateKey' (in `"},
		{"bad mode", `{ environment.etc.x = { text = "x"; mode = "rw"; }; }`,
			"host.nix:1'): is \"rw\"; use \"symlink\" or an octal mode"}, // with where (the toplevel checks it too)
		{"escaping target", `{ environment.etc.x = { text = "x"; target = "../passwd"; }; }`,
			"the target \"../passwd\" leaves /etc"},
		{"dot component in target", `{ environment.etc.x = { text = "x"; target = "a/./b"; }; }`,
			"not a relative path under /etc"},
		{"managed /etc/passwd", `{ environment.etc.passwd.text = "root:x:0:0::/root:/bin/sh\n"; }`,
			"/etc/passwd is written by the activation"},
		{"backwards port range", `{ networking.firewall.allowedUDPPortRanges = [ { from = 2; to = 1; } ]; }`,
			"the range { from = 2; to = 1; } ends before it starts"},
		{"invalid user name", `{ users.users."a b" = { isSystemUser = true; group = "users"; }; }`,
			"The username \"a b\" is not valid"},
		{"wireguard interface name too long", `{ networking.wireguard.interfaces.wireguard-backbone = { ips = [ "10.9.0.1/24" ]; privateKeyFile = "/k"; }; }`,
			"cannot be a WireGuard interface's name"},
		{"wireguard interface named lo", `{ networking.wireguard.interfaces.lo = { ips = [ "10.9.0.1/24" ]; privateKeyFile = "/k"; }; }`,
			"`lo' cannot be a WireGuard interface's name"},
		{"wireguard peer key", `{ networking.wireguard.interfaces.wg0 = { ips = [ "10.9.0.1/24" ]; privateKeyFile = "/k"; peers = [ { publicKey = "xyz"; allowedIPs = [ "10.9.0.2/32" ]; } ]; }; }`,
			"the peer key \"xyz\" is not a WireGuard public key"},
		{"wireguard address", `{ networking.wireguard.interfaces.wg0 = { ips = [ "10.9.0.300/24" ]; privateKeyFile = "/k"; }; }`,
			"\"10.9.0.300/24\" is not an address with its prefix length"},
		{"wireguard ports", `{ networking.wireguard.interfaces = { wg0 = { ips = [ "10.9.0.1/24" ]; privateKeyFile = "/k"; listenPort = 51820; }; wg1 = { ips = [ "10.8.0.1/24" ]; privateKeyFile = "/k"; listenPort = 51820; }; }; }`,
			"listen on the same UDP port 51820"},
		{"known host key", `{ programs.ssh.knownHosts.h.publicKey = "ssh-rsa AAAA"; }`,
			"\"ssh-rsa AAAA\" is not an OpenSSH public key"},
		{"users with one uid", `{ users.users.a = { isNormalUser = true; uid = 1200; }; users.users.b = { isNormalUser = true; uid = 1200; }; }`,
			"have the same uid 1200"},
		{"no content", `{ environment.etc.x = { }; }`,
			"neither `text' nor `source'"},
		{"both user kinds", `{ users.users.u = { isNormalUser = true; isSystemUser = true; }; }`,
			"Exactly one of users.users.u.isSystemUser and users.users.u.isNormalUser must be set"},
		{"nix path in an option not applied", `{ services.foo.keyFile = /etc/hostname; }`,
			"`services.foo' holds the Nix path /etc/hostname: standalone hosts do not apply this option"},
		{"derivation output in a file", `{ environment.etc.x.text = "${derivation { name = "d"; system = builtins.currentSystem; builder = "/bin/sh"; }}"; }`,
			"`environment.etc.\"x\".text' refers to the output of the derivation"},
		{"undeclared user", `{ users.users.k.openssh.authorizedKeys.keys = [ "ssh-ed25519 AAAA k" ]; }`,
			"users.users.k.group is unset"},
		{"sysctl twice", `{ imports = [ { boot.kernel.sysctl."vm.swappiness" = 10; } ]; boot.kernel.sysctl."vm.swappiness" = 10; }`,
			"boot.kernel.sysctl.\"vm.swappiness\"' is defined multiple times"},
		{"known host without key", `{ programs.ssh.knownHosts.x.hostNames = [ "x" ]; }`,
			"knownHost x must contain either a publicKey or publicKeyFile"},
		{"wireguard without key", `{ networking.wireguard.interfaces.wg0.ips = [ "10.0.0.1/24" ]; }`,
			"Either networking.wireguard.interfaces.wg0.privateKey or networking.wireguard.interfaces.wg0.privateKeyFile must be set"},
		{"home with colon", `{ users.users.k = { isNormalUser = true; home = "/home/a:b"; }; }`,
			"not containing newlines or colons"},
		{"type", `{ networking.hostName = 5; }`, "networking.hostName"},
		{"assertion", `{ assertions = [ { assertion = false; message = "the answer must be 42"; } ]; }`,
			"- the answer must be 42"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			stderr := buildHostError(t, writeFixture(t, c.host))
			if !strings.Contains(stderr, c.want) {
				t.Errorf("error does not contain %q:\n%s", c.want, stderr)
			}
		})
	}
}
