package standalone

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// stc returns the command line of a toplevel's switch-to-configuration.
func stc(system, action string) string {
	return system + "/bin/switch-to-configuration " + action
}

func TestActivationAppliesTheHost(t *testing.T) {
	a := buildHost(t, fixture("host-a.nix"))
	sb := newSandbox(t)
	motdBefore := sb.read(t, "etc/motd")

	out := sb.mustRun(t, stc(a, "test")+` && echo "hostname-in-ns=$(hostname)" && echo "forward=$(cat /proc/sys/net/ipv4/ip_forward)"`)

	assertContains(t, "activation output", out,
		"hostname-in-ns=alpha", "forward=1",
		"create user alice (uid 1500)", "create group nixmeshtest (gid 1600)",
		"not applied on standalone hosts (accepted, no effect): services.nginx users.users.alice.hashedPassword")

	// Users and groups, in the sandbox's /etc only.
	passwd := sb.read(t, "etc/passwd")
	if !regexp.MustCompile(`(?m)^alice:x:1500:100::/home/alice:`).MatchString(passwd) {
		t.Errorf("alice is not a normal user with uid 1500, group users, home /home/alice:\n%s", passwd)
	}
	if !regexp.MustCompile(`(?m)^svc:x:[0-9]+:[0-9]+::/var/empty:`).MatchString(passwd) {
		t.Errorf("system user svc is missing:\n%s", passwd)
	}
	// Key-only accounts: no password, but not locked (sshd without PAM refuses locked ones).
	if shadow := sb.read(t, "etc/shadow"); !regexp.MustCompile(`(?m)^alice:\*:`).MatchString(shadow) {
		t.Errorf("alice's shadow entry is not `alice:*:` (no password, not locked):\n%s", shadow)
	}
	group := sb.read(t, "etc/group")
	if !regexp.MustCompile(`(?m)^nixmeshtest:x:1600:alice$`).MatchString(group) {
		t.Errorf("alice is not a member of nixmeshtest (gid 1600):\n%s", group)
	}
	if info, err := os.Stat(sb.path("home/alice")); err != nil || info.Mode().Perm() != 0o700 {
		t.Errorf("home of alice: %v, %v; want a 0700 directory", info, err)
	}
	if strings.Contains(mustRead(t, "/etc/passwd"), "alice:x:1500") {
		t.Fatal("the machine's real /etc/passwd was changed")
	}

	// Managed files.
	checkFile := func(p, content string, mode os.FileMode) {
		t.Helper()
		info, err := os.Lstat(sb.path(p))
		if err != nil {
			t.Errorf("%s: %v", p, err)
			return
		}
		if info.Mode() != mode {
			t.Errorf("%s: mode %v, want %v", p, info.Mode(), mode)
		}
		if got := sb.read(t, p); got != content {
			t.Errorf("%s: content %q, want %q", p, got, content)
		}
	}
	checkFile("etc/ssh/authorized_keys.d/alice", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA+key+A alice@a\n", 0o444)
	checkFile("etc/ssh/ssh_known_hosts", "beta,198.18.0.21 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEr+9QI3aBiRWd4m03cAXkMQbi/iJFfTT88YIerJwcYl\n", 0o444)
	checkFile("etc/nixmesh-test/copied.conf", "secret = A\n", 0o640)
	checkFile("etc/motd", "managed motd\n", 0o644)
	checkFile("etc/hostname", "alpha\n", 0o644)
	link, err := os.Readlink(sb.path("etc/nixmesh-test/linked.conf"))
	if err != nil || !strings.HasPrefix(link, "/nix/store/") {
		t.Errorf("linked.conf is not a link into the store: %q, %v", link, err)
	} else if got := mustRead(t, link); got != "linked = A\n" {
		t.Errorf("linked.conf points at %q", got)
	}
	if _, gid := statOwner(t, sb.path("etc/nixmesh-test/copied.conf")); gid != 1600 {
		t.Errorf("copied.conf has group %d, want nixmeshtest (1600)", gid)
	}

	// /etc/hosts keeps its own lines and gains the managed block.
	hosts := sb.read(t, "etc/hosts")
	wantHosts := "127.0.0.1 localhost\n# kept by nixmesh\n" +
		"# nixmesh: begin of the managed block (networking.hosts); edits here are overwritten\n" +
		"198.18.0.20 db db.lab.test\n# nixmesh: end of the managed block\n"
	if hosts != wantHosts {
		t.Errorf("/etc/hosts:\n%s\nwant:\n%s", hosts, wantHosts)
	}

	// Activation snippets ran in dependency order: first <- second <- third.
	if got := sb.read(t, "var/lib/activation-order"); got != "first\nsecond\nthird\n" {
		t.Errorf("activation scripts ran in the order %q", got)
	}

	// The active system and the manifest.
	if cur, err := os.Readlink(sb.path("var/lib/nixmesh/current-system")); err != nil || cur != a {
		t.Errorf("current-system -> %q (%v), want %s", cur, err, a)
	}
	manifest := sb.read(t, "var/lib/nixmesh/managed/files")
	assertContains(t, "manifest", manifest, "/etc/nixmesh-test/only-in-a\n", "/etc/ssh/authorized_keys.d/alice\n")
	// The motd that was there before nixmesh is kept to be restored.
	if got := sb.read(t, "var/lib/nixmesh/managed/orig/etc/motd"); got != motdBefore {
		t.Errorf("the original motd was not kept: %q", got)
	}
}

func TestActivationIsIdempotent(t *testing.T) {
	a := buildHost(t, fixture("host-a.nix"))
	sb := newSandbox(t)
	sb.mustRun(t, stc(a, "test"))
	paths := []string{
		"etc/nixmesh-test/copied.conf", "etc/nixmesh-test/linked.conf", "etc/ssh/authorized_keys.d/alice",
		"etc/ssh/ssh_known_hosts", "etc/hosts", "etc/passwd", "etc/group", "etc/motd",
		"var/lib/nixmesh/managed/files", "var/lib/nixmesh/current-system",
	}
	before := sb.mtimes(t, paths...)
	snap := sb.snapshot(t, "etc")

	// Hostname and sysctl live in the UTS and network namespaces, which are fresh in every
	// sandbox run: apply once more, then check the run after that.
	out := sb.mustRun(t, stc(a, "test")+" >/dev/null && "+stc(a, "test"))
	if !strings.Contains(out, "\nno changes\n") {
		t.Errorf("the second activation does not report `no changes':\n%s", out)
	}
	assertNotContains(t, "second activation", out, "add file", "change file", "create user", "update the managed block")
	after := sb.mtimes(t, paths...)
	for p, m := range before {
		if after[p] != m {
			t.Errorf("%s was rewritten by the second activation", p)
		}
	}
	if d := diffSnapshots(snap, sb.snapshot(t, "etc")); len(d) > 0 {
		t.Errorf("the second activation changed /etc:\n%s", strings.Join(d, "\n"))
	}
}

// Managed files changed behind nixmesh's back are put back, each for its own reason: the
// same size with other bytes, another mode, another owner, a link elsewhere. The files
// are looked at all at once (one stat, one checksum run); a probe that loses track of
// one of them, or compares sizes instead of bytes, leaves it changed.
func TestActivationRepairsDrift(t *testing.T) {
	a := buildHost(t, fixture("host-a.nix"))
	sb := newSandbox(t)
	sb.mustRun(t, stc(a, "test"))
	out := sb.mustRun(t, `printf 'secret = B\n' > /etc/nixmesh-test/copied.conf && chmod 0600 /etc/motd &&
		chown 1:1 /etc/ssh/ssh_known_hosts && ln -sfn /etc/hostname /etc/nixmesh-test/linked.conf && `+stc(a, "test"))
	for _, f := range []string{"/etc/nixmesh-test/copied.conf", "/etc/motd", "/etc/ssh/ssh_known_hosts", "/etc/nixmesh-test/linked.conf"} {
		assertContains(t, "activation after the drift", out, "change file "+f+" (")
	}
	assertNotContains(t, "activation after the drift", out, "change file /etc/ssh/authorized_keys.d/alice", "change file /etc/hostname")
	if got := sb.read(t, "etc/nixmesh-test/copied.conf"); got != "secret = A\n" {
		t.Errorf("copied.conf is %q after the repair", got)
	}
	if info, err := os.Stat(sb.path("etc/motd")); err != nil || info.Mode().Perm() != 0o644 {
		t.Errorf("motd after the repair: %v, %v; want mode 0644", info, err)
	}
	if uid, _ := statOwner(t, sb.path("etc/ssh/ssh_known_hosts")); uid != 0 {
		t.Errorf("ssh_known_hosts belongs to uid %d after the repair, want 0", uid)
	}
	if link, err := os.Readlink(sb.path("etc/nixmesh-test/linked.conf")); err != nil || !strings.HasPrefix(link, "/nix/store/") {
		t.Errorf("linked.conf points at %q (%v) after the repair", link, err)
	}
	// And the next run finds nothing to do.
	if again := sb.mustRun(t, stc(a, "test")); strings.Contains(again, "change file") {
		t.Errorf("a third activation still changes files:\n%s", again)
	}
}

func TestRollbackRestoresTheOlderGenerationExactly(t *testing.T) {
	a := buildHost(t, fixture("host-a.nix"))
	b := buildHost(t, fixture("host-b.nix"))
	sb := newSandbox(t)
	motd := sb.read(t, "etc/motd")

	sb.mustRun(t, stc(a, "test"))
	stateA := sb.snapshot(t, "etc")
	manifestA := sb.read(t, "var/lib/nixmesh/managed/files")

	out := sb.mustRun(t, stc(b, "test")+` && echo "hostname-in-ns=$(hostname)"`)
	assertContains(t, "activation of B", out, "hostname-in-ns=bravo",
		"remove file /etc/nixmesh-test/only-in-a", "change file /etc/ssh/authorized_keys.d/alice",
		"remove file /etc/ssh/authorized_keys.d/carol", "restore file /etc/motd")
	if _, err := os.Lstat(sb.path("etc/nixmesh-test/only-in-a")); !os.IsNotExist(err) {
		t.Errorf("B kept the file only A declares: %v", err)
	}
	if _, err := os.Lstat(sb.path("etc/ssh/authorized_keys.d/carol")); !os.IsNotExist(err) {
		t.Errorf("B kept the keys of carol, whom it does not manage: %v", err)
	}
	if !strings.Contains(sb.read(t, "etc/passwd"), "\ncarol:") {
		t.Error("B deleted the account of carol; users are never deleted")
	}
	if _, err := os.Lstat(sb.path("etc/ssh/ssh_known_hosts")); !os.IsNotExist(err) {
		t.Errorf("B kept the known hosts only A declares: %v", err)
	}
	if got := sb.read(t, "etc/ssh/authorized_keys.d/alice"); !strings.Contains(got, "key+B") {
		t.Errorf("B did not change alice's key: %q", got)
	}
	if got := sb.read(t, "etc/motd"); got != motd {
		t.Errorf("B did not restore the host's own motd: %q", got)
	}
	if got := sb.read(t, "etc/nixmesh-b/new.conf"); got != "new in B\n" {
		t.Errorf("B's new file: %q", got)
	}
	assertContains(t, "/etc/hosts under B", sb.read(t, "etc/hosts"), "198.18.0.30 cache\n")
	assertNotContains(t, "/etc/hosts under B", sb.read(t, "etc/hosts"), "198.18.0.20")

	out = sb.mustRun(t, stc(a, "test")+` && echo "hostname-in-ns=$(hostname)"`)
	assertContains(t, "activation of A again", out, "hostname-in-ns=alpha", "remove file /etc/nixmesh-b/new.conf")
	// Users are never deleted, so /etc/passwd and friends are the same as under A too;
	// everything else under /etc is exactly A's state.
	if d := diffSnapshots(stateA, sb.snapshot(t, "etc")); len(d) > 0 {
		t.Errorf("after rolling back to A, /etc differs from A's state:\n%s", strings.Join(d, "\n"))
	}
	if got := sb.read(t, "var/lib/nixmesh/managed/files"); got != manifestA {
		t.Errorf("manifest after rollback:\n%s\nwant:\n%s", got, manifestA)
	}
	if _, err := os.Stat(sb.path("etc/nixmesh-b")); !os.IsNotExist(err) {
		t.Errorf("the directory B created is still there: %v", err)
	}
}

func TestSysctlNotPermittedWarnsButSucceeds(t *testing.T) {
	host := buildHost(t, writeFixture(t, `{
	  networking.hostName = "sysctl";
	  boot.kernel.sysctl = {
	    "fs.file-nr" = "1 0 1";              # read-only
	    "nixmesh.no.such.parameter" = 1;     # unknown here
	    "net.ipv4.conf.lo/x.forwarding" = null; # null: left alone
	    "net.ipv4.conf.all.forwarding" = 1;
	  };
	}`))
	sb := newSandbox(t)
	out := sb.mustRun(t, stc(host, "test")+` && echo "forwarding=$(cat /proc/sys/net/ipv4/conf/all/forwarding)"`)
	assertContains(t, "output", out,
		`warning: boot.kernel.sysctl."fs.file-nr" = 1 0 1 is not permitted here; not applied`,
		`warning: boot.kernel.sysctl."nixmesh.no.such.parameter": no such kernel parameter here`,
		"set sysctl net.ipv4.conf.all.forwarding = 1", "forwarding=1")
}

func TestDryActivateTouchesNothing(t *testing.T) {
	a := buildHost(t, fixture("host-a.nix"))
	b := buildHost(t, fixture("host-b.nix"))
	sb := newSandbox(t)
	before := sb.snapshot(t, ".")

	out := sb.mustRun(t, stc(a, "dry-activate")+` && echo "hostname-in-ns=$(hostname)"`)
	assertContains(t, "dry-activate output", out,
		"would create user alice (uid 1500)",
		"would create group nixmeshtest (gid 1600)",
		"would add file /etc/ssh/authorized_keys.d/alice (authorized keys of alice)",
		"would add file /etc/nixmesh-test/linked.conf",
		"would change file /etc/motd",
		"would update the managed block of /etc/hosts",
		"would set hostname ",
		"would run activation script first",
		"not applied on standalone hosts (accepted, no effect): services.nginx users.users.alice.hashedPassword",
	)
	assertNotContains(t, "dry-activate output", out, "hostname-in-ns=alpha", "running activation script")
	if d := diffSnapshots(before, sb.snapshot(t, ".")); len(d) > 0 {
		t.Fatalf("dry-activate changed the sandbox:\n%s", strings.Join(d, "\n"))
	}

	// From A, a dry run of B lists the removals and the changed key, and changes nothing.
	sb.mustRun(t, stc(a, "test"))
	// A's snippets append to activation-order on every activation of A.
	stateA := sb.snapshot(t, ".", "var/lib/activation-order")
	out = sb.mustRun(t, stc(a, "test")+" >/dev/null && "+stc(b, "dry-activate"))
	assertContains(t, "dry-activate of B", out,
		"would remove file /etc/nixmesh-test/only-in-a",
		"would change file /etc/ssh/authorized_keys.d/alice (authorized keys of alice)",
		"would add file /etc/nixmesh-b/new.conf",
		"would set hostname alpha -> bravo",
		"would restore file /etc/motd")
	if d := diffSnapshots(stateA, sb.snapshot(t, ".", "var/lib/activation-order")); len(d) > 0 {
		t.Fatalf("dry-activate of B changed the sandbox:\n%s", strings.Join(d, "\n"))
	}
}

func TestFailingActivationScriptFailsAndIsNamed(t *testing.T) {
	f := buildHost(t, fixture("failing.nix"))
	sb := newSandbox(t)
	out, code := sb.run(t, stc(f, "test"))
	if code == 0 {
		t.Fatalf("activation with a failing snippet exited 0:\n%s", out)
	}
	assertContains(t, "output", out,
		"activation script broken-step (system.activationScripts.broken-step) failed with exit status 7",
		"running activation script good")
	// The failed activation is not recorded as the active system.
	if _, err := os.Lstat(sb.path("var/lib/nixmesh/current-system")); !os.IsNotExist(err) {
		t.Errorf("current-system was recorded for a failed activation: %v", err)
	}
}

func TestSwitchSetsTheSystemProfile(t *testing.T) {
	a := buildHost(t, fixture("host-a.nix"))
	sb := newSandbox(t)
	profile := "/var/lib/test-profiles/system"
	out := sb.mustRun(t, "NIXMESH_SYSTEM_PROFILE="+profile+" "+stc(a, "switch"))
	assertContains(t, "switch output", out, "activating "+a, "system profile "+profile+" -> "+a)
	target, err := filepath.EvalSymlinks(sb.path(strings.TrimPrefix(profile, "/")))
	if err != nil || target != a {
		t.Errorf("profile resolves to %q (%v), want %s", target, err, a)
	}
	// `boot` on a profile that already points there changes nothing (no new generation).
	gens := func() string {
		out := sb.mustRun(t, "ls "+filepath.Dir(profile))
		return out
	}
	before := gens()
	out = sb.mustRun(t, "NIXMESH_SYSTEM_PROFILE="+profile+" "+stc(a, "boot"))
	assertContains(t, "boot output", out, "system profile "+profile+" -> "+a+" (already)")
	if after := gens(); after != before {
		t.Errorf("boot on an up-to-date profile made a generation:\nbefore %s\nafter %s", before, after)
	}
	// No systemd: no boot hook. With systemd, `boot` installs one that runs the
	// profile's switcher at every boot.
	unit := sb.path("etc/systemd/system/nixmesh-boot.service")
	if _, err := os.Stat(unit); !os.IsNotExist(err) {
		t.Errorf("a boot hook was installed on a host without systemd: %v", err)
	}
	out = sb.mustRun(t, "mkdir -p /run/systemd/system && NIXMESH_SYSTEM_PROFILE="+profile+" "+stc(a, "boot"))
	assertContains(t, "boot output with systemd", out, "boot hook /etc/systemd/system/nixmesh-boot.service installed")
	data, err := os.ReadFile(unit)
	if err != nil || !strings.Contains(string(data), "ExecStart="+profile+"/bin/nixmesh-switch boot") {
		t.Errorf("boot hook unit: %v\n%s", err, data)
	}
	if target, err := os.Readlink(sb.path("etc/systemd/system/multi-user.target.wants/nixmesh-boot.service")); err != nil || target != "../nixmesh-boot.service" {
		t.Errorf("boot hook not enabled: %q %v", target, err)
	}
	out = sb.mustRun(t, "mkdir -p /run/systemd/system && NIXMESH_SYSTEM_PROFILE="+profile+" "+stc(a, "boot"))
	if strings.Contains(out, "installed") {
		t.Errorf("the boot hook was written again although unchanged: %s", out)
	}
	out, code := sb.run(t, stc(a, "reboot"))
	if code != 2 || !strings.Contains(out, "usage:") {
		t.Errorf("an unknown action gives exit %d, output %q; want 2 and usage", code, out)
	}
}

// A generation that fails half-way through installing its files is rolled back exactly:
// the files it had already installed are journalled and removed by the older generation.
func TestRollbackAfterAFailedActivation(t *testing.T) {
	a := buildHost(t, fixture("host-a.nix"))
	broken := buildHost(t, writeFixture(t, `{
	  networking.hostName = "broken";
	  environment.etc."nixmesh-test/aa-new".text = "installed before the failure\n";
	  environment.etc."nixmesh-test/zz-blocked".text = "cannot replace a directory\n";
	}`))
	sb := newSandbox(t)
	if err := os.MkdirAll(sb.path("etc/nixmesh-test/zz-blocked"), 0o755); err != nil {
		t.Fatal(err)
	}
	sb.mustRun(t, stc(a, "test"))
	stateA := sb.snapshot(t, "etc")

	out, code := sb.run(t, stc(broken, "test"))
	if code == 0 {
		t.Fatalf("activation over a directory succeeded:\n%s", out)
	}
	assertContains(t, "failed activation", out,
		"/etc/nixmesh-test/zz-blocked (environment.etc.\"nixmesh-test/zz-blocked\") is a directory on this host")
	if _, err := os.Lstat(sb.path("etc/nixmesh-test/aa-new")); err != nil {
		t.Fatalf("the failing generation should have installed aa-new before failing: %v", err)
	}

	out = sb.mustRun(t, stc(a, "test"))
	assertContains(t, "rollback", out, "remove file /etc/nixmesh-test/aa-new")
	if d := diffSnapshots(stateA, sb.snapshot(t, "etc")); len(d) > 0 {
		t.Errorf("after rolling back a failed activation, /etc differs from A's state:\n%s", strings.Join(d, "\n"))
	}
	if _, err := os.Lstat(sb.path("var/lib/nixmesh/managed/files.pending")); !os.IsNotExist(err) {
		t.Errorf("the journal of the failed activation is left behind: %v", err)
	}
}

// A declared user that already exists on the host is not changed, and the activation
// says how it differs from the declaration instead of staying silent. The user is put
// into the sandbox's copy of /etc first, so the test does not depend on this machine's
// users.
func TestExistingUserIsNotChangedButReported(t *testing.T) {
	host := buildHost(t, writeFixture(t, `{
	  networking.hostName = "existing";
	  users.users.nmexisting = { isSystemUser = true; group = "nmexisting"; uid = 4321; home = "/var/lib/nmexisting-declared"; createHome = true; };
	  users.groups.nmexisting = { }; # the host has it: declared as NixOS asks, left as it is
	}`))
	sb := newSandbox(t)
	for file, line := range map[string]string{
		"etc/passwd": "nmexisting:x:4999:4999:pre-existing:/var/lib/nmexisting-old:/usr/sbin/nologin\n",
		"etc/group":  "nmexisting:x:4999:\n",
	} {
		f, err := os.OpenFile(sb.path(file), os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.WriteString(line); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	before := sb.read(t, "etc/passwd")
	out := sb.mustRun(t, stc(host, "test"))
	assertContains(t, "output", out,
		"warning: user nmexisting already exists with uid 4999, not the declared 4321; existing users are not changed",
		"warning: user nmexisting already exists with home /var/lib/nmexisting-old, not the declared /var/lib/nmexisting-declared; existing users are not changed")
	if after := sb.read(t, "etc/passwd"); after != before {
		t.Errorf("/etc/passwd changed:\n%s", after)
	}
	if _, err := os.Stat(sb.path("var/lib/nmexisting-declared")); err == nil {
		t.Errorf("the declared home of an existing user was created")
	}
}
