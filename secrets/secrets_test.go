package secrets

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/nixmesh/nixmesh/eval"
	"github.com/nixmesh/nixmesh/internal/testutil"
)

func cmdSpec(argv ...string) Spec {
	return Spec{Node: "web", Name: "s", Kind: SourceCommand, Command: argv, Path: "/var/lib/nixmesh/secrets/s",
		Owner: "root", Group: "root", Mode: "0400", UploadAt: PreActivation}
}

func TestFetchCommandKeepsBytesExactly(t *testing.T) {
	data, err := Fetch(context.Background(), cmdSpec("printf", `a\000b\n\n`))
	if err != nil {
		t.Fatal(err)
	}
	if want := []byte("a\x00b\n\n"); !bytes.Equal(data, want) {
		t.Errorf("got %q, want %q", data, want)
	}
}

func TestFetchCommandHasNoStdinAndNoShell(t *testing.T) {
	// `cat` with stdin closed prints nothing, so the source counts as empty; a shell
	// would have expanded the $HOME in the argument.
	_, err := Fetch(context.Background(), cmdSpec("cat"))
	if !errors.Is(err, ErrEmpty) {
		t.Errorf("cat without stdin: err = %v, want ErrEmpty", err)
	}
	data, err := Fetch(context.Background(), cmdSpec("echo", "$HOME"))
	if err != nil || string(data) != "$HOME\n" {
		t.Errorf("echo $HOME: %q, %v", data, err)
	}
}

func TestFetchFailingCommandShowsRedactedStderr(t *testing.T) {
	// The output is computed, so that it is not in the command line itself.
	s := cmdSpec("sh", "-c", `v=$(echo uif.tfdsfu.wbmvf | tr b-z a-y); printf '%s\nline-two' "$v"; echo "cannot decrypt (had $v)" >&2; exit 3`)
	_, err := Fetch(context.Background(), s)
	var se *SourceError
	if !errors.As(err, &se) {
		t.Fatalf("err = %v, want a *SourceError", err)
	}
	if se.ExitCode != 3 {
		t.Errorf("exit code %d, want 3", se.ExitCode)
	}
	msg := err.Error()
	if !strings.Contains(msg, "cannot decrypt") || !strings.Contains(msg, "exited with code 3") {
		t.Errorf("message lacks the stderr or the exit code: %s", msg)
	}
	if strings.Contains(msg, "the.secret.value") || strings.Contains(se.Stderr, "the.secret.value") || !strings.Contains(se.Stderr, "[redacted]") {
		t.Errorf("message leaks the output: %s", msg)
	}
}

func TestFetchEmptyAndFileSources(t *testing.T) {
	_, err := Fetch(context.Background(), cmdSpec("true"))
	if !errors.Is(err, ErrEmpty) || !strings.Contains(err.Error(), "printed nothing") {
		t.Errorf("empty output: %v", err)
	}
	dir := t.TempDir()
	f := filepath.Join(dir, "key")
	if err := os.WriteFile(f, []byte("k\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := cmdSpec()
	s.Kind, s.Command, s.File = SourceFile, nil, f
	if data, err := Fetch(context.Background(), s); err != nil || string(data) != "k\n" {
		t.Errorf("file: %q, %v", data, err)
	}
	s.File = filepath.Join(dir, "missing")
	if _, err := Fetch(context.Background(), s); !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), s.File) {
		t.Errorf("missing file: %v", err)
	}
	os.WriteFile(f, nil, 0o600)
	s.File = f
	if _, err := Fetch(context.Background(), s); !errors.Is(err, ErrEmpty) {
		t.Errorf("empty file: %v", err)
	}
}

func TestRedact(t *testing.T) {
	got := Redact("a hunter2 b\nline2 here", []byte("hunter2\nline2\n"))
	if strings.Contains(got, "hunter2") || strings.Contains(got, "line2") {
		t.Errorf("Redact left a piece: %q", got)
	}
	if got := Redact("abc", []byte("a\n")); got != "abc" {
		t.Errorf("short pieces must not be redacted (would wreck the message): %q", got)
	}
}

func TestSpecValidation(t *testing.T) {
	for name, mod := range map[string]func(*Spec){
		"relative path": func(s *Spec) { s.Path = "x" },
		"dir path":      func(s *Spec) { s.Path = "/x/" },
		"bad mode":      func(s *Spec) { s.Mode = "0999" },
		"owner option":  func(s *Spec) { s.Owner = "-R" },
		"owner colon":   func(s *Spec) { s.Owner = "a:b" },
		"phase":         func(s *Spec) { s.UploadAt = "later" },
		"no command":    func(s *Spec) { s.Command = nil },
	} {
		s := cmdSpec("true")
		mod(&s)
		if err := s.validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if m, _ := normalMode("0400"); m != "400" {
		t.Errorf("normalMode(0400) = %q", m)
	}
}

func TestRestartActions(t *testing.T) {
	h := Host{Node: "web", Kind: "standalone", ActivationScripts: map[string]Snippet{
		"app":   {Text: "echo app", Deps: []string{"setup"}},
		"setup": {Text: "echo setup"},
		"other": {Text: "echo other"},
	}}
	a := cmdSpec("true")
	a.RestartOnChange = []string{"app"}
	b := cmdSpec("true")
	b.RestartOnChange = []string{"setup", "app"}
	acts, err := RestartActions(h, []Spec{a, b})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, x := range acts {
		got = append(got, x.Display+"|"+x.Stdin)
	}
	want := []string{"re-run activation script setup|echo setup", "re-run activation script app|echo app"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("standalone actions %q, want %q", got, want)
	}
	b.RestartOnChange = []string{"nope"}
	if _, err := RestartActions(h, []Spec{b}); err == nil {
		t.Errorf("an unknown activation script was accepted")
	}
	h.Kind = "nixos"
	b.RestartOnChange = []string{"b.service", "a.service"}
	acts, _ = RestartActions(h, []Spec{a, b})
	if len(acts) != 1 || !reflect.DeepEqual(acts[0].Argv, []string{"systemctl", "restart", "--", "a.service", "app", "b.service"}) {
		t.Errorf("nixos actions %+v", acts)
	}
	if acts, _ := RestartActions(h, []Spec{cmdSpec("true")}); len(acts) != 0 {
		t.Errorf("no restartOnChange gave actions %+v", acts)
	}
}

func TestSplitCommand(t *testing.T) {
	got, err := SplitCommand(`pass insert -m "wg/{net} x" 'a b'\ c`)
	if err != nil || !reflect.DeepEqual(got, []string{"pass", "insert", "-m", "wg/{net} x", "a b c"}) {
		t.Errorf("got %q, %v", got, err)
	}
	if _, err := SplitCommand(`a 'b`); err == nil {
		t.Errorf("unterminated quote accepted")
	}
	if _, err := SplitCommand(`  `); err == nil {
		t.Errorf("empty command accepted")
	}
}

// localRemote runs the remote programs on this machine (as the current user), so the
// shell programs can be tested without a host.
type localRemote struct{ calls [][]string }

func (r *localRemote) Run(ctx context.Context, argv []string, stdin io.Reader, stdout io.Writer) error {
	r.calls = append(r.calls, append([]string(nil), argv...))
	c := exec.CommandContext(ctx, argv[0], argv[1:]...)
	c.Stdin, c.Stdout = stdin, stdout
	var stderr bytes.Buffer
	c.Stderr = &stderr
	if err := c.Run(); err != nil {
		return errors.New(err.Error() + ": " + stderr.String())
	}
	return nil
}

func TestUploadProgramLocally(t *testing.T) {
	testutil.RequireRoot(t) // chown
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "a", "secrets")
	s := cmdSpec("true")
	s.Path, s.Mode, s.Group = filepath.Join(dir, "db"), "0440", "0"
	r := &localRemote{}
	o, err := upload(ctx, r, s, []byte("v1\n"), "")
	if err != nil || o != Changed {
		t.Fatalf("first upload: %v, %v", o, err)
	}
	st, _ := os.Stat(s.Path)
	if st.Mode().Perm() != 0o440 {
		t.Errorf("mode %v", st.Mode())
	}
	if d, _ := os.Stat(dir); d.Mode().Perm() != 0o751 {
		t.Errorf("directory mode %v, want 0751", d.Mode().Perm())
	}
	if p, _ := os.Stat(filepath.Dir(dir)); p.Mode().Perm() != 0o755 {
		t.Errorf("parent mode %v, want 0755", p.Mode().Perm())
	}
	if o, err := upload(ctx, r, s, []byte("v1\n"), ""); err != nil || o != Unchanged {
		t.Errorf("same upload: %v, %v", o, err)
	}
	st2, _ := os.Stat(s.Path)
	if !st2.ModTime().Equal(st.ModTime()) {
		t.Errorf("an unchanged upload touched the file")
	}
	os.Chmod(s.Path, 0o644)
	if o, err := upload(ctx, r, s, []byte("v1\n"), ""); err != nil || o != Metadata {
		t.Errorf("after chmod: %v, %v", o, err)
	}
	if st3, _ := os.Stat(s.Path); st3.Mode().Perm() != 0o440 || !st3.ModTime().Equal(st.ModTime()) {
		t.Errorf("metadata fix: mode %v, mtime changed %v", st3.Mode(), !st3.ModTime().Equal(st.ModTime()))
	}
	if o, err := upload(ctx, r, s, []byte("v2\n"), ""); err != nil || o != Changed {
		t.Errorf("new contents: %v, %v", o, err)
	}
	if b, _ := os.ReadFile(s.Path); string(b) != "v2\n" {
		t.Errorf("contents %q", b)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("left behind in %s: %v", dir, entries)
	}

	rep, err := CheckOne(ctx, r, s, []byte("v2\n"))
	if err != nil || rep.State != StateUpToDate {
		t.Errorf("status same: %+v, %v", rep, err)
	}
	if rep, _ := CheckOne(ctx, r, s, []byte("v3\n")); rep.State != StateOutdated {
		t.Errorf("status other: %+v", rep)
	}
	os.Chmod(s.Path, 0o400)
	if rep, _ := CheckOne(ctx, r, s, []byte("v2\n")); rep.State != StateWrongMeta || rep.Actual != "root:root 400" {
		t.Errorf("status chmod: %+v", rep)
	}
	os.Remove(s.Path)
	if rep, _ := CheckOne(ctx, r, s, []byte("v2\n")); rep.State != StateMissing {
		t.Errorf("status missing: %+v", rep)
	}
	s.Owner = "no-such-user-nixmesh"
	_, err = upload(ctx, r, s, []byte("v2\n"), "")
	if err == nil || !strings.Contains(err.Error(), "post-activation") {
		t.Errorf("unknown owner: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("a failed upload left %v", entries)
	}
}

// planOf evaluates a deployment whose module is text and decodes its plan.
func planOf(t *testing.T, module string) (*eval.Network, error) {
	t.Helper()
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	dir := t.TempDir()
	f := filepath.Join(dir, "deploy.nix")
	text := "import " + testutil.NixModules() + " { } (" + module + ")\n"
	if err := os.WriteFile(f, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return (&eval.Evaluator{File: f}).Plan(context.Background())
}

func TestSecretsInThePlan(t *testing.T) {
	n, err := planOf(t, `{ ... }: {
	  nodes.web = {
	    host = "root@198.18.0.12";
	    configuration.system.activationScripts.app = { text = "echo app"; deps = [ ]; };
	    secrets.db = { command = [ "pass" "show" "db" ]; owner = "app"; mode = "0440"; uploadAt = "post-activation"; restartOnChange = [ "app" ]; };
	    secrets.tls = { file = "/home/me/tls.key"; path = "/etc/ssl/web.key"; };
	  };
	  nodes.db.host = "root@198.18.0.13";
	}`)
	if err != nil {
		t.Fatal(err)
	}
	all, err := FromNetwork(n)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]Spec{"web": {
		{Node: "web", Name: "db", Kind: SourceCommand, Command: []string{"pass", "show", "db"}, Path: "/var/lib/nixmesh/secrets/db",
			Owner: "app", Group: "root", Mode: "0440", UploadAt: PostActivation, RestartOnChange: []string{"app"}},
		{Node: "web", Name: "tls", Kind: SourceFile, File: "/home/me/tls.key", Path: "/etc/ssl/web.key",
			Owner: "root", Group: "root", Mode: "0400", UploadAt: PreActivation, RestartOnChange: []string{}},
	}}
	if !reflect.DeepEqual(all, want) {
		t.Errorf("specs\n got %+v\nwant %+v", all, want)
	}
	h, err := HostOf(n.Nodes["web"])
	if err != nil || h.ActivationScripts["app"].Text != "echo app" || h.Kind != "standalone" {
		t.Errorf("HostOf: %+v, %v", h, err)
	}
}

func TestSecretDeclarationErrors(t *testing.T) {
	for _, c := range []struct{ def, want string }{
		{`secrets.k.file = ./deploy.nix;`, "deploy.nix:1') is the Nix path"},
		{`secrets.k = { };`, "has no source: set `command'"},
		{`secrets.k = { command = [ "a" ]; file = "/a"; };`, "has both `command' and `file'"},
		{`secrets.k = { command = [ "a" ]; restartOnChange = [ "nope" ]; };`, "names `nope', which is not one of the node's activation scripts"},
		{`secrets.k = { command = [ "a" ]; path = "/nix/store/x"; };`, "nodes.web.secrets.k.path"},
		{`secrets.a.command = [ "a" ]; secrets.b = { command = [ "b" ]; path = "/var/lib/nixmesh/secrets/a"; };`, "is /var/lib/nixmesh/secrets/a, which `nodes."},
	} {
		_, err := planOf(t, `{ ... }: { nodes.web = { host = "root@198.18.0.12"; `+c.def+` }; }`)
		var ee *eval.EvalError
		if !errors.As(err, &ee) || !strings.Contains(ee.Proc.Stderr, c.want) {
			t.Errorf("%s: want an evaluation error with %q, got %v", c.def, c.want, err)
		}
	}
	// Nothing of the source file reached the store.
	if out, _ := exec.Command("sh", "-c", "ls /nix/store | grep -- '-deploy.nix$'").Output(); len(out) > 0 {
		t.Logf("note: store has deploy.nix copies (from other tests?): %s", out)
	}
}

func TestKeyFileRoundTrip(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	keys := map[string]map[string]string{"backbone": {"web": "k1=", "odd name": `q"${x}\`}, "rec": {"in": "v"}}
	f := filepath.Join(t.TempDir(), "keys.nix")
	wrote, err := writeKeyFile(f, []string{"header"}, keys)
	if err != nil || !wrote {
		t.Fatalf("write: %v %v", wrote, err)
	}
	got, err := ReadKeyFile(context.Background(), f, nil)
	if err != nil || !reflect.DeepEqual(got, keys) {
		t.Errorf("read back %q, %v", got, err)
	}
	if wrote, _ := writeKeyFile(f, []string{"header"}, keys); wrote {
		t.Errorf("rewrote an identical file")
	}
	empty := filepath.Join(t.TempDir(), "none.nix")
	if wrote, _ := writeKeyFile(empty, nil, nil); wrote {
		t.Errorf("wrote a file without keys")
	}
}

func TestToRestart(t *testing.T) {
	pre, post := cmdSpec("true"), cmdSpec("true")
	pre.Name, post.Name, post.UploadAt = "pre", "post", PostActivation
	names := func(ss []Spec) (n []string) {
		for _, s := range ss {
			n = append(n, s.Name)
		}
		return n
	}
	standalone, nixos := Host{Kind: "standalone"}, Host{Kind: "nixos"}
	for _, c := range []struct {
		h         Host
		activated bool
		want      []string
	}{
		{standalone, true, []string{"post"}},
		{standalone, false, []string{"pre", "post"}},
		{nixos, true, []string{"pre", "post"}},
	} {
		if got := names(ToRestart(c.h, []Spec{pre, post}, c.activated)); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s activated=%v: %v, want %v", c.h.Kind, c.activated, got, c.want)
		}
	}
}

func TestWireGuardLocalStore(t *testing.T) {
	testutil.RequireCommands(t, "wg")
	// The store command derives the public key from what it gets on stdin and keeps
	// that, so the test can tell that it got the private key matching the collected key.
	dir := t.TempDir()
	backend, declared := "wireguard", "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg="
	inv := &Inventory{VPN: map[string]InventoryVPNNetwork{"backbone": {Backend: &backend, Members: map[string]InventoryVPNMember{
		"web": {}, "db": {}, "gw": {PublicKey: &declared},
	}}}}
	var log []string
	keys, err := CollectWireGuard(context.Background(), WireGuardOptions{
		Inventory: inv,
		Existing:  map[string]map[string]string{"backbone": {"db": "kept"}, "other": {"x": "y"}},
		Store:     []string{"sh", "-c", `wg pubkey > "$1/$2-$3.pub"`, "store", dir, "{net}", "{node}"},
		Log:       func(s string) { log = append(log, s) },
	})
	if err != nil {
		t.Fatal(err)
	}
	stored, _ := os.ReadFile(filepath.Join(dir, "backbone-web.pub"))
	if k := keys["backbone"]["web"]; k == "" || k != strings.TrimSpace(string(stored)) {
		t.Errorf("web's key %q, the store got the private key of %q", k, stored)
	}
	if keys["backbone"]["db"] != "kept" || keys["other"]["x"] != "y" || keys["backbone"]["gw"] != "" {
		t.Errorf("existing or declared entries not respected: %v", keys)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("the store ran %d times, want once (for web only)", len(entries))
	}
	_, err = CollectWireGuard(context.Background(), WireGuardOptions{Inventory: inv,
		Store: []string{"sh", "-c", "echo store is locked >&2; exit 1"}})
	var we *WireGuardKeyError
	if !errors.As(err, &we) || !strings.Contains(err.Error(), "store is locked") {
		t.Errorf("failing store: %v", err)
	}

	// A network that is none, named after a good one: nothing is made for either.
	ran := filepath.Join(dir, "ran")
	keys, err = CollectWireGuard(context.Background(), WireGuardOptions{Inventory: inv,
		Networks: []string{"backbone", "backbon"},
		Store:    []string{"sh", "-c", `touch "$1"`, "store", ran}})
	if !errors.Is(err, ErrNoNetwork) || !strings.Contains(err.Error(), `"backbon" (networks: backbone)`) || keys != nil {
		t.Errorf("an unknown network: %v, %v", keys, err)
	}
	if _, err := os.Stat(ran); err == nil {
		t.Error("a key was made before the unknown network was found")
	}
}

func TestVPNKeyFileFromASecret(t *testing.T) {
	n, err := planOf(t, `{ config, lib, ... }: {
	  nodes = lib.genAttrs [ "a" "b" ] (name: {
	    host = "root@198.18.0.1" + (if name == "a" then "1" else "2");
	    secrets.wg-backbone.file = "/home/me/wg/${name}.key";
	  });
	  vpn.networks.backbone = {
	    subnet = "10.77.0.0/24";
	    members = lib.genAttrs [ "a" "b" ] (name: {
	      publicKey = if name == "a" then "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=" else "80WrPbKdE0nmzLU7fspBqUnwE/iKeUzTyCRQSoYg1VU=";
	      privateKeyFile = config.nodes.${name}.secrets.wg-backbone.path;
	    });
	  };
	}`)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"a", "b"} {
		iface := n.Nodes[name].Configuration.Networking.Wireguard.Interfaces["wg-backbone"]
		if iface.PrivateKeyFile == nil || *iface.PrivateKeyFile != "/var/lib/nixmesh/secrets/wg-backbone" {
			t.Errorf("%s: privateKeyFile %v", name, iface.PrivateKeyFile)
		}
	}
}

// keys select nodes by the same rules as every other command.
func TestInventorySelectIsTheCommandsSelection(t *testing.T) {
	no := false
	inv := &Inventory{Nodes: map[string]InventoryNode{
		"web": {Tags: []string{"front"}},
		"db":  {Tags: []string{"back"}, Enable: &no},
	}}
	if got, err := inv.Select(nil); err != nil || len(got) != 1 || got[0] != "web" {
		t.Errorf("no selector: %v %v, want [web] (db is disabled)", got, err)
	}
	if _, err := inv.Select([]string{"@back"}); err == nil || !strings.Contains(err.Error(), "only disabled") {
		t.Errorf("@back: %v, want: matches only disabled nodes", err)
	}
	if got, err := inv.Select([]string{"db"}); err != nil || len(got) != 1 || got[0] != "db" {
		t.Errorf("db by name: %v %v", got, err)
	}
	var se *eval.SelectError
	if _, err := inv.Select([]string{"wbe"}); !errors.As(err, &se) || se.Suggestion != "web" {
		t.Errorf("wbe: %v, want a suggestion of web", err)
	}
}
