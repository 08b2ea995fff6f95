package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nixmesh/nixmesh/internal/testutil"
)

// TestLockoutWarningsOnNixOS: `nixmesh check` warns, naming the option and the file that
// set it, of a NixOS node's new system that would let the deployer's next SSH connection
// nowhere in (no sshd, sshd elsewhere, a closed firewall, the login user refused or
// removed), and stays quiet where the deployer gets in (the stand-in NixOS on each
// NIXMESH_NIXPKGS_LIB lib; not run without).
func TestLockoutWarningsOnNixOS(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	sshd := `services.openssh.enable = true; `
	// deploy's own rule: sudo -n works for it.
	sudo := `security.sudo.extraRules = [ { users = [ "deploy" ]; commands = [ { command = "ALL"; options = [ "NOPASSWD" ]; } ]; } ]; `
	wheel := `users.users.deploy = { isNormalUser = true; extraGroups = [ "wheel" ]; }; `
	cases := []struct {
		name, host, configuration string
		want                      string // "" for no warning at all
		option                    string
	}{
		{"no sshd", "root@198.18.0.21", ``, "no sshd would run in the new system", "services.openssh.enable"},
		{"sshd set off", "root@198.18.0.21", `services.openssh.enable = false;`, "no sshd would run in the new system", "services.openssh.enable"},
		{"other port", "root@198.18.0.21", sshd + `services.openssh.ports = [ 2222 ];`, "sshd would listen on port 2222, while", "services.openssh.ports"},
		{"other address", "root@198.18.0.21", sshd + `services.openssh.listenAddresses = [ { addr = "10.0.0.1"; } ];`, "not on 198.18.0.21", "services.openssh.listenAddresses"},
		{"firewall closed", "root@198.18.0.21", sshd + `services.openssh.openFirewall = false;`, "lets no TCP connection to port 22 in", "networking.firewall"},
		{"firewall forced", "root@198.18.0.21", sshd + `networking.firewall.allowedTCPPorts = lib.mkForce [ 80 ];`, "lets no TCP connection to port 22 in", "networking.firewall"},
		{"root refused", "root@198.18.0.21", sshd + `services.openssh.settings.PermitRootLogin = "no";`, "as root, which sshd would then refuse", "services.openssh.settings.PermitRootLogin"},
		{"root forced commands", "root@198.18.0.21", sshd + `services.openssh.settings.PermitRootLogin = "forced-commands-only";`, "as root, which sshd would then refuse", "services.openssh.settings.PermitRootLogin"},
		{"not allowed", "deploy@198.18.0.21", sshd + `services.openssh.settings.AllowUsers = [ "alice" ];`, "does not list `deploy'", "services.openssh.settings.AllowUsers"},
		{"denied", "deploy@198.18.0.21", sshd + `services.openssh.settings.DenyUsers = [ "deploy" ];`, "lists `deploy'", "services.openssh.settings.DenyUsers"},
		{"user removed", "deploy@198.18.0.21", sshd + `users.mutableUsers = false;`, "declares no `deploy'", "users.mutableUsers"},
		{"no key", "root@198.18.0.21", sshd + `services.openssh.authorizedKeysInHomedir = false;`, "declares no key", "services.openssh.authorizedKeysInHomedir"},
		{"sudo asks", "deploy@198.18.0.21", sshd + wheel, "no rule lets `deploy' run commands as root without a password (NOPASSWD): deploy is in wheel", "security.sudo"},
		{"sudo asks an undeclared user", "deploy@198.18.0.21", sshd, "no rule lets `deploy' run commands as root without a password (NOPASSWD).", "security.sudo"},
		{"sudo rule without NOPASSWD", "deploy@198.18.0.21", sshd + `security.sudo.extraRules = [ { users = [ "deploy" ]; commands = [ "ALL" ]; } ];`, "no rule lets `deploy'", "security.sudo"},
		{"sudo off", "deploy@198.18.0.21", sshd + wheel + `security.sudo.wheelNeedsPassword = false; security.sudo.enable = false;`, "gains root with `sudo -n', which the new system would not have", "security.sudo.enable"},

		{"port in the text", "root@198.18.0.21", sshd + `services.openssh.ports = [ 2222 ]; services.openssh.extraConfig = "Port 2200";`, "sshd would listen on port 2222, port 2200, while", "services.openssh.ports"},
		{"address in the text", "root@198.18.0.21", sshd + `services.openssh.extraConfig = "ListenAddress 10.0.0.1";`, "sshd would listen on 10.0.0.1 port 22 only, not on 198.18.0.21", "services.openssh.extraConfig"},
		{"root refused in the text", "root@198.18.0.21", sshd + `services.openssh.settings.PermitRootLogin = null; services.openssh.extraConfig = "PermitRootLogin no";`, "sets PermitRootLogin \"no\": nixmesh logs in to `a' over SSH (root@198.18.0.21, port 22) as root", "services.openssh.extraConfig"},
		{"not allowed in the text", "deploy@198.18.0.21", sshd + sudo + `services.openssh.extraConfig = "AllowUsers alice bob";`, "AllowUsers does not list `deploy'", "services.openssh.extraConfig"},
		{"denied in the text", "deploy@198.18.0.21", sshd + sudo + `services.openssh.extraConfig = "DenyUsers=deploy";`, "DenyUsers lists `deploy'", "services.openssh.extraConfig"},
		{"no group allowed", "deploy@198.18.0.21", sshd + sudo + `users.users.deploy.isNormalUser = true; services.openssh.settings.AllowGroups = [ "ssh-users" ];`, "AllowGroups lists none of deploy's groups", "services.openssh.settings.AllowGroups"},
		{"root's group not allowed", "root@198.18.0.21", sshd + `services.openssh.settings.AllowGroups = [ "ssh-users" ];`, "AllowGroups lists none of root's groups (`root')", "services.openssh.settings.AllowGroups"},
		{"group denied in the text", "deploy@198.18.0.21", sshd + sudo + `users.users.deploy = { isNormalUser = true; extraGroups = [ "contractors" ]; }; services.openssh.extraConfig = "DenyGroups contractors";`, "DenyGroups lists deploy's group `contractors'", "services.openssh.extraConfig"},

		{"keys refused", "root@198.18.0.21", sshd + `services.openssh.settings.PubkeyAuthentication = false;`, "PubkeyAuthentication is false", "services.openssh.settings.PubkeyAuthentication"},
		{"keys refused in the text", "root@198.18.0.21", sshd + `services.openssh.extraConfig = "PubkeyAuthentication no";`, "PubkeyAuthentication is \"no\"", "services.openssh.extraConfig"},
		{"two factors", "root@198.18.0.21", sshd + `services.openssh.settings.AuthenticationMethods = "publickey,keyboard-interactive";`, "AuthenticationMethods is \"publickey,keyboard-interactive\", which asks more than a key", "services.openssh.settings.AuthenticationMethods"},
		{"two factors in the text", "root@198.18.0.21", sshd + `services.openssh.extraConfig = "AuthenticationMethods publickey,password keyboard-interactive";`, "which asks more than a key", "services.openssh.extraConfig"},
		{"doas off", "deploy@198.18.0.21", sshd + `security.sudo.enable = false;`, "gains root with `doas', which the new system would not have", "security.doas.enable"},
		{"doas asks", "deploy@198.18.0.21", sshd + wheel + `security.doas.enable = true;`, "no rule lets `deploy' run commands as root without a password (nopass): deploy is in wheel, and security.doas.wheelNeedsPassword is true", "security.doas"},
		{"doas's last rule asks", "deploy@198.18.0.21", sshd + `security.doas = { enable = true; extraRules = [ { users = [ "deploy" ]; noPass = true; } { users = [ "deploy" ]; persist = true; } ]; };`, "no rule lets `deploy' run commands as root without a password (nopass).", "security.doas"},

		{"sound", "root@198.18.0.21", sshd, "", ""},
		{"a key alone among the methods", "root@198.18.0.21", sshd + `services.openssh.settings.AuthenticationMethods = "publickey,password publickey";`, "", ""},
		{"two factors only elsewhere", "root@198.18.0.21", sshd + `services.openssh.extraConfig = "Match Group staff\n  AuthenticationMethods publickey,password";`, "", ""},
		{"two factors and a key alone for the deployer", "root@198.18.0.21", sshd + `services.openssh.settings.AuthenticationMethods = "publickey,password"; services.openssh.extraConfig = "Match User root\n  AuthenticationMethods publickey";`, "", ""},
		{"root refused but not from the deployer", "root@198.18.0.21", sshd + `services.openssh.settings.PermitRootLogin = "no"; services.openssh.extraConfig = "Match Address 198.18.0.1\n  PermitRootLogin prohibit-password";`, "", ""},
		{"keys refused but not for the deployer", "root@198.18.0.21", sshd + `services.openssh.extraConfig = "PubkeyAuthentication no\nMatch User root\n  PubkeyAuthentication yes";`, "", ""},
		{"keys on in the setting", "root@198.18.0.21", sshd + `services.openssh.settings.PubkeyAuthentication = true; services.openssh.extraConfig = "PubkeyAuthentication no";`, "", ""},
		{"port added in the text", "root@198.18.0.21", sshd + `services.openssh.ports = [ 2222 ]; services.openssh.extraConfig = "Port 22"; networking.firewall.allowedTCPPorts = [ 22 ];`, "", ""},
		{"listening there by the text", "root@198.18.0.21", sshd + `services.openssh.extraConfig = "ListenAddress 198.18.0.21:22\nListenAddress 10.0.0.1";`, "", ""},
		{"root refused in a Match block", "root@198.18.0.21", sshd + `services.openssh.settings.PermitRootLogin = null; services.openssh.extraConfig = "Match Address 192.0.2.0/24\n  PermitRootLogin no";`, "", ""},
		{"root refused after the setting", "root@198.18.0.21", sshd + `services.openssh.extraConfig = "PermitRootLogin no";`, "", ""},
		{"allowed in the text", "deploy@198.18.0.21", sshd + sudo + `services.openssh.extraConfig = "# who\nallowusers deploy@198.18.* alice # us";`, "", ""},
		{"in an allowed group", "deploy@198.18.0.21", sshd + sudo + `users.users.deploy = { isNormalUser = true; extraGroups = [ "ssh-users" ]; }; services.openssh.settings.AllowGroups = [ "ssh-users" ];`, "", ""},
		{"member of an allowed group", "deploy@198.18.0.21", sshd + sudo + `users.users.deploy.isNormalUser = true; users.groups.ssh-users.members = [ "deploy" ]; services.openssh.extraConfig = "AllowGroups ssh-users";`, "", ""},
		{"an undeclared user's groups", "deploy@198.18.0.21", sshd + sudo + `services.openssh.settings.AllowGroups = [ "ssh-users" ];`, "", ""},
		{"two ports", "root@198.18.0.21", sshd + `services.openssh.ports = [ 22 2222 ];`, "", ""},
		{"listening there", "root@198.18.0.21", sshd + `services.openssh.listenAddresses = [ { addr = "198.18.0.21"; } { addr = "10.0.0.1"; port = 2222; } ];`, "", ""},
		{"listening everywhere", "root@[fd00::21]", sshd + `services.openssh.listenAddresses = [ { addr = "[::]"; } ];`, "", ""},
		{"port opened by hand", "root@198.18.0.21", sshd + `services.openssh.openFirewall = false; networking.firewall.allowedTCPPorts = [ 22 ];`, "", ""},
		{"port in a range", "root@198.18.0.21", sshd + `services.openssh.openFirewall = false; networking.firewall.allowedTCPPortRanges = [ { from = 20; to = 30; } ];`, "", ""},
		{"firewall off", "root@198.18.0.21", sshd + `services.openssh.openFirewall = false; networking.firewall.enable = false;`, "", ""},
		{"own rules", "root@198.18.0.21", sshd + `services.openssh.openFirewall = false; networking.firewall.extraCommands = "iptables -A nixos-fw -s 192.0.2.0/24 -p tcp --dport 22 -j nixos-fw-accept";`, "", ""},
		{"trusted interface", "root@198.18.0.21", sshd + `services.openssh.openFirewall = false; networking.firewall.trustedInterfaces = [ "eth1" ];`, "", ""},
		{"root by key", "root@198.18.0.21", sshd + `services.openssh.settings.PermitRootLogin = "prohibit-password";`, "", ""},
		{"root allowed", "root@198.18.0.21", sshd + `services.openssh.settings.AllowUsers = [ "root@192.0.2.*" "alice" ];`, "", ""},
		{"pattern", "deploy@198.18.0.21", sshd + sudo + `services.openssh.settings.AllowUsers = [ "dep*" ];`, "", ""},
		{"user declared", "deploy@198.18.0.21", sshd + sudo + `users.mutableUsers = false; users.users.deploy.isNormalUser = true;`, "", ""},
		{"keys declared", "root@198.18.0.21", sshd + `services.openssh.authorizedKeysInHomedir = false; users.users.root.openssh.authorizedKeys.keys = [ "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIINmKM1T5zOF/8QQOIZRbYDO9J27AB0zzu0ip0scbW9h op" ];`, "", ""},
		{"keys from a file of one's own", "root@198.18.0.21", sshd + `services.openssh.authorizedKeysInHomedir = false; services.openssh.authorizedKeysFiles = [ "/var/lib/keys/%u" ];`, "", ""},
		{"wheel without password", "deploy@198.18.0.21", sshd + wheel + `security.sudo.wheelNeedsPassword = false;`, "", ""},
		{"a group rule for a user the host has", "deploy@198.18.0.21", sshd + `security.sudo.wheelNeedsPassword = false;`, "", ""},
		{"sudoers text", "deploy@198.18.0.21", sshd + `security.sudo.extraConfig = "deploy ALL=(ALL) NOPASSWD: ALL";`, "", ""},
		{"doas wheel without password", "deploy@198.18.0.21", sshd + wheel + `security.doas = { enable = true; wheelNeedsPassword = false; };`, "", ""},
		{"doas rule", "deploy@198.18.0.21", sshd + `security.sudo.enable = false; security.doas = { enable = true; extraRules = [ { users = [ "deploy" ]; noPass = true; } ]; };`, "", ""},
		{"doas text", "deploy@198.18.0.21", sshd + `security.doas = { enable = true; extraConfig = "permit nopass deploy"; };`, "", ""},
		{"user from sshOptions", "198.18.0.21", sshd + `services.openssh.settings.AllowUsers = [ "alice" ];`, "", ""},
	}
	for _, lib := range testutil.NixpkgsLibs(t) {
		nixpkgs := testutil.StandInNixpkgs(t, lib)
		for _, c := range cases {
			t.Run(c.name+"/"+testutil.LibName(lib), func(t *testing.T) {
				sshOptions := ""
				switch {
				case c.name == "user from sshOptions":
					sshOptions = `sshOptions = [ "-l" "alice" ];`
				case strings.HasPrefix(c.name, "doas"):
					sshOptions = `privilegeEscalationCommand = [ "doas" ];`
				}
				code, stderr, module := checkOnStandIn(t, nixpkgs, fmt.Sprintf(`{ lib, ... }: {
  nodes.a = {
    host = %q;
    %s
    configuration = {
      system.stateVersion = "24.05";
      %s
    };
  };
}
`, c.host, sshOptions, c.configuration))
				if code != 0 {
					t.Fatalf("exit %d, want 0:\n%s", code, stderr)
				}
				var warnings []string
				for _, w := range strings.Split(stderr, "warning: ")[1:] {
					if strings.Contains(w, "nixmesh logs in to `a'") {
						warnings = append(warnings, w)
					}
				}
				if c.want == "" {
					if len(warnings) > 0 {
						t.Errorf("warned where the deployer gets in:\n%s", stderr)
					}
					return
				}
				for _, w := range warnings {
					if strings.Contains(w, c.want) {
						if !strings.HasPrefix(w, "`nodes.a.configuration."+c.option+"' (in `"+module) {
							t.Errorf("the warning does not start with the option %s and %s:\n%s", c.option, module, w)
						}
						return
					}
				}
				t.Errorf("no warning containing %q:\n%s", c.want, stderr)
			})
		}
	}
}

// TestSecretOwnerOnNixOSWithoutMutableUsers: on a NixOS node with users.mutableUsers =
// false, a secret's owner or group that the configuration does not declare cannot exist
// on the host: warned of, naming the secret's option and file; declared, or with mutable
// users, it is not (the stand-in NixOS on each NIXMESH_NIXPKGS_LIB lib; not run without).
func TestSecretOwnerOnNixOSWithoutMutableUsers(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	cases := []struct{ name, configuration string }{
		{"undeclared", `users.mutableUsers = false;`},
		{"declared", `users.mutableUsers = false; users.users.app = { isSystemUser = true; group = "app"; }; users.groups.app = { };`},
		{"mutable", ``},
	}
	for _, lib := range testutil.NixpkgsLibs(t) {
		nixpkgs := testutil.StandInNixpkgs(t, lib)
		for _, c := range cases {
			t.Run(c.name+"/"+testutil.LibName(lib), func(t *testing.T) {
				code, stderr, module := checkOnStandIn(t, nixpkgs, `{ ... }: {
  nodes.a = {
    host = "root@198.18.0.21";
    secrets.s = { file = "/etc/hostname"; path = "/var/lib/s"; owner = "app"; group = "app"; mode = "0440"; };
    configuration = { system.stateVersion = "24.05"; services.openssh.enable = true; `+c.configuration+` };
  };
}
`)
				owner := "warning: `nodes.a.secrets.s.owner' (in `" + module
				group := "warning: `nodes.a.secrets.s.group' (in `" + module
				warned := strings.Contains(stderr, owner) && strings.Contains(stderr, "is app, a user a's configuration does not declare") &&
					strings.Contains(stderr, group) && strings.Contains(stderr, "is app, a group a's configuration does not declare")
				if code != 0 || warned != (c.name == "undeclared") || c.name != "undeclared" && strings.Contains(stderr, "warning:") {
					t.Errorf("exit %d, want 0 %s:\n%s", code, map[bool]string{true: "with the owner's and the group's warnings", false: "without a warning"}[c.name == "undeclared"], stderr)
				}
			})
		}
	}
}

// checkOnStandIn runs `nixmesh check` on a deployment whose module is `module' (the
// text of a file), with the stand-in NixOS of nixpkgs: exit code, stderr and the
// module's file.
func checkOnStandIn(t *testing.T, nixpkgs, module string) (int, string, string) {
	t.Helper()
	dir := t.TempDir()
	file := filepath.Join(dir, "fleet.nix")
	writeFile(t, file, module)
	deploy := filepath.Join(dir, "deploy.nix")
	writeFile(t, deploy, "import "+filepath.Join(testutil.NixModules(), "default.nix")+" { nixpkgs = "+nixpkgs+"; } "+file+"\n")
	code, _, stderr := nixmesh(t, "-f", deploy, "check")
	return code, stderr, file
}
