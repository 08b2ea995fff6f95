package nixmodulestests

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/nixmesh/nixmesh/internal/testutil"
)

// nixEval runs `nix-instantiate --eval --strict --json -A attr file` and returns stdout,
// stderr and the error.
func nixEval(t *testing.T, file, attr string) ([]byte, string, error) {
	t.Helper()
	cmd := exec.Command("nix-instantiate", "--eval", "--strict", "--json", "-A", attr, file)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.Bytes(), stderr.String(), err
}

// mustEvalArgs runs nix-instantiate with the given arguments and decodes its JSON.
func mustEvalArgs(t *testing.T, args []string, into any) string {
	t.Helper()
	cmd := exec.Command("nix-instantiate", args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("nix-instantiate %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	if err := json.Unmarshal(stdout.Bytes(), into); err != nil {
		t.Fatalf("decoding %s: %v\n%s", strings.Join(args, " "), err, stdout.Bytes())
	}
	return stderr.String()
}

func mustEval(t *testing.T, file, attr string, into any) string {
	t.Helper()
	out, stderr, err := nixEval(t, file, attr)
	if err != nil {
		t.Fatalf("nix-instantiate -A %s %s: %v\n%s", attr, file, err, stderr)
	}
	if err := json.Unmarshal(out, into); err != nil {
		t.Fatalf("decoding -A %s: %v\n%s", attr, err, out)
	}
	return stderr
}

type planNode struct {
	Name                       string
	Enable                     bool
	Kind                       string
	Host                       string
	User                       *string
	Hostname                   string
	Port                       int
	SSHOptions                 []string `json:"sshOptions"`
	PrivilegeEscalationCommand []string
	Tags                       []string
	SuccessTimeout             int
	SwitchTimeout              int
	Configuration              map[string]any
}

type plan struct {
	Version int
	Nodes   map[string]planNode
	Network map[string]any
}

func strp(s string) *string { return &s }

// TestPlanBasics checks the plan of good/basics.nix field by field: host parsing (user,
// bracketed IPv6), defaults as a node module (with `name`), list merging of tags,
// defaults of every node option, host modules' `name` and `nodes` arguments,
// system.build left out, and planExtra.network.
// TestModuleListAsDeployment: nix-modules takes a list of modules as well as one (as
// NixOS's evalModules does), each contributing its nodes.
func TestModuleListAsDeployment(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	file := filepath.Join(t.TempDir(), "deploy.nix")
	src := "import " + filepath.Join(Dir(), "..", "default.nix") + ` { } [
  { nodes.a.host = "root@198.18.0.11"; }
  ({ lib, ... }: { nodes.b.host = "root@198.18.0.12"; nodes.a.tags = [ "x" ]; })
]
`
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	var p plan
	mustEval(t, file, "plan", &p)
	if len(p.Nodes) != 2 || p.Nodes["b"].Host != "root@198.18.0.12" || !reflect.DeepEqual(p.Nodes["a"].Tags, []string{"x"}) {
		t.Errorf("plan of a list of modules: %+v", p.Nodes)
	}
}

func TestPlanBasics(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	file := filepath.Join(Dir(), "good", "basics.nix")
	var p plan
	stderr := mustEval(t, file, "plan", &p)

	if p.Version != 1 {
		t.Errorf("version = %d, want 1", p.Version)
	}
	if got := len(p.Nodes); got != 3 {
		t.Fatalf("plan has %d nodes, want 3: %v", got, p.Nodes)
	}
	want := map[string]planNode{
		"gateway": {Name: "gateway", Enable: true, Kind: "standalone", Host: "root@198.18.0.11",
			User: strp("root"), Hostname: "198.18.0.11", Port: 22, SSHOptions: []string{},
			PrivilegeEscalationCommand: []string{"sudo", "-n"}, Tags: []string{"all"},
			SuccessTimeout: 20, SwitchTimeout: 60},
		"web": {Name: "web", Enable: true, Kind: "standalone", Host: "web.lab.test",
			User: nil, Hostname: "web.lab.test", Port: 22, SSHOptions: []string{"-o", "ProxyJump=gateway"},
			PrivilegeEscalationCommand: []string{"sudo", "-n"}, Tags: []string{"all", "web"},
			SuccessTimeout: 20, SwitchTimeout: 60},
		"v6": {Name: "v6", Enable: false, Kind: "standalone", Host: "deploy@[2001:db8::3]",
			User: strp("deploy"), Hostname: "2001:db8::3", Port: 2222, SSHOptions: []string{},
			PrivilegeEscalationCommand: []string{"doas"}, Tags: []string{"all"},
			SuccessTimeout: 5, SwitchTimeout: 7},
	}
	for name, w := range want {
		got := p.Nodes[name]
		cfg := got.Configuration
		got.Configuration = nil
		sort.Strings(got.Tags) // merge order of list definitions is not part of the contract
		if !reflect.DeepEqual(got, w) {
			t.Errorf("plan.nodes.%s =\n  %+v\nwant\n  %+v", name, got, w)
		}
		if hn := dig(cfg, "networking", "hostName"); hn != name {
			t.Errorf("plan.nodes.%s.configuration.networking.hostName = %v, want %q (set by defaults)", name, hn, name)
		}
		if _, ok := cfg["_module"]; ok {
			t.Errorf("plan.nodes.%s.configuration has _module", name)
		}
		if dig(cfg, "system", "build") != nil {
			t.Errorf("plan.nodes.%s.configuration has system.build", name)
		}
	}
	web := p.Nodes["web"].Configuration
	if got := dig(web, "networking", "hosts", "198.18.0.11"); !reflect.DeepEqual(got, []any{"gateway"}) {
		t.Errorf("web's networking.hosts from the `nodes' argument = %v, want [gateway]", got)
	}
	if got := dig(web, "environment", "etc", "whoami", "text"); got != "web\n" {
		t.Errorf("web's etc text from the `name' argument = %q, want \"web\\n\"", got)
	}
	if src, _ := dig(web, "environment", "etc", "unbuilt", "source").(string); !strings.HasPrefix(src, "/nix/store/") || !strings.HasSuffix(src, "-never-built") {
		t.Errorf("web's etc source from a derivation = %q, want its store path", src)
	} else if _, err := os.Stat(src); err == nil {
		t.Errorf("reading the plan built %s", src)
	}
	if got := dig(p.Nodes["gateway"].Configuration, "users", "users", "operator", "uid"); got != float64(1000) {
		t.Errorf("gateway's operator uid = %v, want 1000", got)
	}
	if got := dig(p.Nodes["gateway"].Configuration, "nixpkgs", "overlays"); !reflect.DeepEqual(got, []any{"<function>"}) {
		t.Errorf("gateway's nixpkgs.overlays = %v, want [\"<function>\"]", got)
	}
	// The cross-host modules add their own keys; these two come from planExtra.network.
	wantNet := map[string]any{
		"example": map[string]any{"edges": []any{"web->gateway"}},
		"other":   map[string]any{"n": float64(1)},
	}
	for k, w := range wantNet {
		if !reflect.DeepEqual(p.Network[k], w) {
			t.Errorf("plan.network.%s = %v, want %v", k, p.Network[k], w)
		}
	}
	if n := strings.Count(stderr, "warning: gateway is gateway"); n != 1 {
		t.Errorf("the network warning was printed %d times, want once; stderr:\n%s", n, stderr)
	}
}

func dig(v any, path ...string) any {
	for _, k := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// TestChecksGuardPlanScriptsAndSystems: a failing network assertion stops the plan, the
// deploy scripts and the systems, reporting every failing message, while the options
// listing and the raw config stay readable.
func TestChecksGuardPlanScriptsAndSystems(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	file := filepath.Join(Dir(), "good", "failing-check.nix")
	for _, attr := range []string{"plan", "systems.web.drvPath", "nodes.web.drvPath", "drvPath"} {
		_, stderr, err := nixEval(t, file, attr)
		if err == nil {
			t.Errorf("-A %s evaluated despite a failing assertion", attr)
			continue
		}
		for _, want := range []string{"Failed assertions", "first check failed", "second check failed"} {
			if !strings.Contains(stderr, want) {
				t.Errorf("-A %s: stderr lacks %q:\n%s", attr, want, stderr)
			}
		}
		if strings.Contains(stderr, "never shown") {
			t.Errorf("-A %s: a passing assertion's message was shown:\n%s", attr, stderr)
		}
	}
	var list []map[string]any
	mustEval(t, file, "optionsList", &list)
	if len(list) == 0 {
		t.Error("optionsList is empty")
	}
	var port int
	mustEval(t, file, "config.nodes.web.port", &port)
	if port != 22 {
		t.Errorf("config.nodes.web.port = %d, want 22", port)
	}
}

// TestOptionsList: the listing has the framework's options with `<name>' placeholders,
// types, defaults and read-only flags; internal options stay out; every option that
// nodes.nix and plan.nix declare has a description, and an example unless read-only.
func TestOptionsList(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	file := filepath.Join(Dir(), "good", "basics.nix")
	var list []struct {
		Name         string
		Type         string
		Default      any
		Example      any
		Description  any
		Declarations []string
		ReadOnly     bool
	}
	mustEval(t, file, "optionsList", &list)
	byName := map[string]int{}
	for i, o := range list {
		byName[o.Name] = i
	}
	for _, name := range []string{
		"defaults", "nodes", "assertions", "warnings", "plan",
		"nodes.<name>.enable", "nodes.<name>.host", "nodes.<name>.port", "nodes.<name>.sshOptions",
		"nodes.<name>.privilegeEscalationCommand", "nodes.<name>.tags", "nodes.<name>.successTimeout",
		"nodes.<name>.switchTimeout", "nodes.<name>.configuration", "nodes.<name>.config",
		"nodes.<name>.system", "nodes.<name>.assertions",
	} {
		i, ok := byName[name]
		if !ok {
			t.Errorf("optionsList lacks %s", name)
			continue
		}
		o := list[i]
		if d, _ := o.Description.(string); strings.TrimSpace(d) == "" {
			if m, ok := o.Description.(map[string]any); !ok || m["text"] == "" {
				t.Errorf("%s has no description", name)
			}
		}
		if o.Example == nil && !o.ReadOnly && name != "nodes" {
			t.Errorf("%s has no example", name)
		}
		declaredHere := false
		for _, d := range o.Declarations {
			if strings.Contains(d, "modules/nodes.nix") || strings.Contains(d, "modules/plan.nix") {
				declaredHere = true
			}
		}
		if !declaredHere {
			t.Errorf("%s: declarations %v do not name modules/nodes.nix or modules/plan.nix", name, o.Declarations)
		}
	}
	if _, ok := byName["planExtra"]; ok {
		t.Error("the internal option planExtra is listed")
	}
	port := list[byName["nodes.<name>.port"]]
	if !strings.Contains(port.Type, "integer between 1 and 65535") || port.Default != float64(22) {
		t.Errorf("nodes.<name>.port: type %q default %v, want an integer between 1 and 65535 defaulting to 22", port.Type, port.Default)
	}
	for _, ro := range []string{"nodes.<name>.config", "nodes.<name>.system", "plan"} {
		if i, ok := byName[ro]; ok && !list[i].ReadOnly {
			t.Errorf("%s is not read-only", ro)
		}
	}
}

// TestNodeScriptBuilds: a node's deploy script (from modules/deploy.nix) is exposed as
// nodes.<name> and builds to an executable file. It is built, never run.
func TestNodeScriptBuilds(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	file := filepath.Join(Dir(), "good", "basics.nix")
	cmd := exec.Command("nix-build", "--no-out-link", "-A", "nodes.gateway", file)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("nix-build -A nodes.gateway: %v\n%s", err, stderr.String())
	}
	path := strings.TrimSpace(string(out))
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if !fi.Mode().IsRegular() && !fi.IsDir() {
		t.Fatalf("%s is neither a file nor a directory", path)
	}
	if fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 == 0 {
		t.Errorf("%s is not executable (%v)", path, fi.Mode())
	}
}

// TestHostStrings: which `[user@]host' strings nodes.<name>.host accepts, and how the
// plan splits them into user and hostname.
func TestHostStrings(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	type result struct {
		Host     string  `json:"host"`
		OK       bool    `json:"ok"`
		User     *string `json:"user"`
		Hostname *string `json:"hostname"`
	}
	cases := []result{
		{Host: "root@198.18.0.11", OK: true, User: strp("root"), Hostname: strp("198.18.0.11")},
		{Host: "198.18.0.11", OK: true, Hostname: strp("198.18.0.11")},
		{Host: "web", OK: true, Hostname: strp("web")},
		{Host: "deploy@web-1.lab.test", OK: true, User: strp("deploy"), Hostname: strp("web-1.lab.test")},
		{Host: "first.last@1host.example", OK: true, User: strp("first.last"), Hostname: strp("1host.example")},
		{Host: "root@[2001:db8::1]", OK: true, User: strp("root"), Hostname: strp("2001:db8::1")},
		{Host: "[fe80::1%eth0]", OK: true, Hostname: strp("fe80::1%eth0")},
		{Host: "[::1]", OK: true, Hostname: strp("::1")},
		{Host: ""},
		{Host: "root@"},
		{Host: "@web"},
		{Host: "root@@web"},
		{Host: "root@web server"},
		{Host: "root@198.18.0.256"},
		{Host: "root@198.18.0"},
		{Host: "2001:db8::1"},
		{Host: "root@[web]"},
		{Host: "root@web:22"},
		{Host: "root@-web"},
		{Host: "root@web-"},
		{Host: "ssh://root@web"},
		{Host: "root@web\n"},
	}
	hosts := make([]string, len(cases))
	for i, c := range cases {
		hosts[i] = c.Host
	}
	arg, _ := json.Marshal(hosts)
	cmd := exec.Command("nix-instantiate", "--eval", "--strict", "--json",
		"--argstr", "hosts", string(arg), filepath.Join(Dir(), "good", "host-strings.nix"))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("nix-instantiate: %v\n%s", err, stderr.String())
	}
	var got []result
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("decoding: %v\n%s", err, out)
	}
	if len(got) != len(cases) {
		t.Fatalf("got %d results for %d host strings", len(got), len(cases))
	}
	for i, want := range cases {
		if !reflect.DeepEqual(got[i], want) {
			t.Errorf("host %q: got ok=%v user=%v hostname=%v, want ok=%v user=%v hostname=%v", want.Host,
				got[i].OK, deref(got[i].User), deref(got[i].Hostname), want.OK, deref(want.User), deref(want.Hostname))
		}
	}
}

func deref(s *string) string {
	if s == nil {
		return "<null>"
	}
	return *s
}

// TestNixOSKind runs the NixOS code path (nixpkgs' lib at the top, eval-config.nix per
// node) against the faithful stand-in (fake-nixpkgs/ with nixpkgs' real lib, for each lib
// NIXMESH_NIXPKGS_LIB names; not run without one): the plan says kind
// "nixos", and each configuration holds only the NIXOS-SUBSET subtrees, without
// disabled etc entries, without the `source' NixOS derives from `text', and without
// the assembled activation `script'. (examples_test.go's TestNixOSExample does the same
// against a real nixpkgs, when one is available.)
func TestNixOSKind(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	for _, lib := range testutil.NixpkgsLibs(t) {
		t.Run(testutil.LibName(lib), func(t *testing.T) { testNixOSKind(t, testutil.StandInNixpkgs(t, lib)) })
	}
}

func testNixOSKind(t *testing.T, nixpkgs string) {
	file := filepath.Join(Dir(), "good", "nixos-kind.nix")
	evalArgs := func(attr string) []string {
		return []string{"--eval", "--strict", "--json", "-A", attr, "--arg", "nixpkgs", nixpkgs, file}
	}
	var p plan
	mustEvalArgs(t, evalArgs("plan"), &p)
	for name, n := range p.Nodes {
		if n.Kind != "nixos" {
			t.Errorf("%s: kind %q, want nixos", name, n.Kind)
		}
	}
	var want map[string]any
	if err := json.Unmarshal([]byte(`{
		"boot": {"kernel": {"sysctl": {"vm.swappiness": 10}}},
		"environment": {"etc": {
			"peer": {"text": "beta\n", "source": null, "mode": "symlink", "user": "+0", "group": "+0"},
			"static": {"text": null, "source": "/nix/store/00000000000000000000000000000000-static", "mode": "symlink", "user": "+0", "group": "+0"}
		}},
		"networking": {"hostName": "alpha", "hosts": {}, "wireguard": {"interfaces": {}},
			"firewall": {"allowedTCPPorts": [], "allowedUDPPorts": [], "trustedInterfaces": []}},
		"programs": {"ssh": {"knownHosts": {}}},
		"services": {"nsd": {"enable": false, "interfaces": ["127.0.0.0", "::1"], "zones": {}}},
		"system": {"activationScripts": {"greet": "echo alpha", "after": {"text": "true", "deps": ["greet"]}}},
		"users": {"users": {
			"ops": {"isNormalUser": true, "isSystemUser": false, "uid": 1001, "group": "users", "home": "/home/ops", "createHome": true,
				"openssh": {"authorizedKeys": {"keys": ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIINmKM1T5zOF/8QQOIZRbYDO9J27AB0zzu0ip0scbW9h ops"]}}},
			"root": {"isNormalUser": false, "isSystemUser": false, "uid": 0, "group": "root", "home": "/root", "createHome": false,
				"openssh": {"authorizedKeys": {"keys": []}}},
			"nobody": {"isNormalUser": false, "isSystemUser": true, "uid": 65534, "group": "nogroup", "home": "/var/empty", "createHome": false,
				"openssh": {"authorizedKeys": {"keys": []}}}
		}}
	}`), &want); err != nil {
		t.Fatal(err)
	}
	// NixOS's own snippets are in the subset too (the stand-in's carry their names, and
	// `users' the users' and groups' entries); the rest is the deployment's.
	got := p.Nodes["alpha"].Configuration
	if scripts, ok := dig(got, "system", "activationScripts").(map[string]any); ok {
		if text, _ := dig(scripts, "users", "text").(string); !strings.Contains(text, `"name":"ops"`) {
			t.Errorf("NixOS's users snippet does not carry user ops' entry: %q", text)
		}
		for _, own := range []string{"stdio", "var", "specialfs", "binsh", "usrbinenv", "etc", "users", "groups", "hostname", "wrappers", "nix"} {
			if _, ok := scripts[own]; !ok {
				t.Errorf("NixOS's activation snippet %q is not in the subset", own)
			}
			delete(scripts, own)
		}
	} else {
		t.Errorf("no activation snippets in the subset")
	}
	if !reflect.DeepEqual(got, want) {
		gotJSON, _ := json.MarshalIndent(got, "", "  ")
		t.Errorf("plan.nodes.alpha.configuration =\n%s\nwant only the NixOS subset as in the test", gotJSON)
	}
	var drvName string
	mustEvalArgs(t, evalArgs("systems.alpha.name"), &drvName)
	if drvName != "fake-nixos-system-alpha" {
		t.Errorf("systems.alpha is %q, want the eval-config toplevel fake-nixos-system-alpha", drvName)
	}

	// Both front doors run SYSTEM/bin/nixmesh-switch: a NixOS system carries the switcher.
	// It keeps NixOS's own bin/switch-to-configuration, which it runs: the stand-in's
	// switchable system creates bin/ with a plain mkdir, as NixOS's does, so a switcher
	// written into bin/ before it breaks the build.
	build := exec.Command("nix-build", "--no-out-link", "-A", "systems.alpha", "--arg", "nixpkgs", nixpkgs, file)
	var stderr strings.Builder
	build.Stderr = &stderr
	out, err := build.Output()
	if err != nil {
		t.Fatalf("nix-build -A systems.alpha: %v\n%s", err, stderr.String())
	}
	toplevel := strings.TrimSpace(string(out))
	if fi, err := os.Stat(filepath.Join(toplevel, "bin", "switch-to-configuration")); err != nil || fi.Mode()&0o111 == 0 {
		t.Errorf("the NixOS system lost its bin/switch-to-configuration: %v", err)
	}
	switcher, err := os.ReadFile(filepath.Join(toplevel, "bin", "nixmesh-switch"))
	want2, _ := os.ReadFile(filepath.Join(testutil.NixModules(), "scripts", "switcher", "bin", "nixmesh-switch"))
	if err != nil || string(switcher) != string(want2) {
		t.Errorf("%s/bin/nixmesh-switch is not scripts/switcher/bin/nixmesh-switch (%v)", toplevel, err)
	}
	if fi, err := os.Stat(filepath.Join(toplevel, "bin", "nixmesh-switch")); err != nil || fi.Mode()&0o111 == 0 {
		t.Errorf("bin/nixmesh-switch is not executable: %v", err)
	}
}
