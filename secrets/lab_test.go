package secrets

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/nixmesh/nixmesh/internal/command"
	"github.com/nixmesh/nixmesh/internal/shell"
	"github.com/nixmesh/nixmesh/internal/testutil"
	"github.com/nixmesh/nixmesh/lab"
	"github.com/nixmesh/nixmesh/lab/labtest"
)

// recordingRemote reaches root on a lab host with the system ssh and the lab's key (this
// package cannot import deploy, whose Session is the real Remote), and keeps every argv
// it was given and the local ssh command line of each.
type recordingRemote struct {
	ssh   []string // the system ssh's argv up to the remote command
	mu    sync.Mutex
	argvs [][]string
}

func (r *recordingRemote) Run(ctx context.Context, argv []string, stdin io.Reader, stdout io.Writer) error {
	full := append(append([]string(nil), r.ssh...), shell.Quote(argv))
	r.mu.Lock()
	r.argvs = append(r.argvs, argv, full)
	r.mu.Unlock()
	if stdout == nil {
		stdout = io.Discard
	}
	return command.Run(ctx, command.Cmd{Argv: full, Stdin: stdin}, stdout)
}

func labRemote(l *lab.Lab, host string) *recordingRemote {
	argv, _ := l.SSHArgs(host)
	return &recordingRemote{ssh: append(append(argv[:len(argv)-1:len(argv)-1], "-T", "-o", "BatchMode=yes", "--"), argv[len(argv)-1])}
}

func hostRun(t *testing.T, l *lab.Lab, host string, argv ...string) string {
	t.Helper()
	out, err := l.Exec(context.Background(), host, argv...)
	if err != nil {
		var pe *command.ProcessError
		errors.As(err, &pe)
		t.Fatalf("%s: %v: %v", host, argv, pe)
	}
	return string(out)
}

// markerSource is a command whose output is sha256(seed) in hex plus "  -\n": a random
// 64-character marker that appears in no command line. It returns the spec's command
// and the expected bytes.
func markerSource(t *testing.T) ([]string, []byte, string) {
	seed := make([]byte, 32)
	if _, err := rand.Read(seed); err != nil {
		t.Fatal(err)
	}
	s := hex.EncodeToString(seed)
	sum := sha256.Sum256([]byte(s))
	marker := hex.EncodeToString(sum[:])
	return []string{"sh", "-c", `printf %s "$1" | sha256sum`, "secret-source", s}, []byte(marker + "  -\n"), marker
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestDeliverOnLab(t *testing.T) {
	if testing.Short() {
		t.Skip("brings a lab up")
	}
	testutil.RequireCommands(t, "sha256sum", "grep")
	l := labtest.Up(t, lab.Config{Hosts: lab.NumberedHosts(1)})
	ctx := context.Background()
	remote := labRemote(l, "host1")

	var evMu sync.Mutex
	var events []Event
	record := func(e Event) { evMu.Lock(); events = append(events, e); evMu.Unlock() }
	var markers []string

	argv1, want1, m1 := markerSource(t)
	markers = append(markers, m1)
	db := Spec{Node: "host1", Name: "db", Kind: SourceCommand, Command: argv1, Path: "/var/lib/nixmesh/secrets/db",
		Owner: "nobody", Group: "nogroup", Mode: "0440", UploadAt: PreActivation, RestartOnChange: []string{"note"}}
	argv2, want2, m2 := markerSource(t)
	markers = append(markers, m2)
	late := Spec{Node: "host1", Name: "late", Kind: SourceCommand, Command: argv2, Path: "/var/lib/app/late.key",
		Owner: "root", Group: "root", Mode: "0400", UploadAt: PostActivation}
	specs := []Spec{db, late}

	statOf := func(path string) (meta, mtime string) {
		f := strings.Fields(hostRun(t, l, "host1", "stat", "-c", "%U:%G %a %i %Y", path))
		return f[0] + " " + f[1], f[2] + " " + f[3]
	}
	shaOf := func(path string) string { return strings.Fields(hostRun(t, l, "host1", "sha256sum", path))[0] }

	// Pre-activation: only db is written, with its owner, group, mode and exact bytes.
	b, err := FetchAll(ctx, specs, record)
	if err != nil {
		t.Fatal(err)
	}
	res, err := b.Upload(ctx, remote, PreActivation, record)
	if err != nil || len(res) != 1 || res[0].Outcome != Changed {
		t.Fatalf("pre-activation upload: %+v, %v", res, err)
	}
	if meta, _ := statOf(db.Path); meta != "nobody:nogroup 440" {
		t.Errorf("db on the host: %s, want nobody:nogroup 440", meta)
	}
	if got := shaOf(db.Path); got != sha(want1) {
		t.Errorf("db contents differ: sha256 %s, want %s", got, sha(want1))
	}
	if _, err := l.Exec(ctx, "host1", "test", "-e", late.Path); err == nil {
		t.Errorf("the post-activation secret was written before its phase")
	}
	if dm := strings.TrimSpace(hostRun(t, l, "host1", "stat", "-c", "%a", "/var/lib/nixmesh/secrets")); dm != "751" {
		t.Errorf("secrets directory mode %s, want 751", dm)
	}
	res, err = b.Upload(ctx, remote, PostActivation, record)
	if err != nil || len(res) != 1 || res[0].Outcome != Changed || shaOf(late.Path) != sha(want2) {
		t.Fatalf("post-activation upload: %+v, %v", res, err)
	}
	if changed := b.Changed(); len(changed) != 2 {
		t.Errorf("Changed() = %d secrets, want 2", len(changed))
	}
	b.Wipe()

	// Restart: the activation script named by db runs once.
	host := Host{Node: "host1", Kind: "standalone", ActivationScripts: map[string]Snippet{
		"note": {Text: "echo restarted >> /root/restart-log"}}}
	if err := Restart(ctx, remote, host, []Spec{db}, record); err != nil {
		t.Fatal(err)
	}
	if got := hostRun(t, l, "host1", "cat", "/root/restart-log"); got != "restarted\n" {
		t.Errorf("restart log %q", got)
	}

	// The same contents again: unchanged, the file untouched.
	_, mtime := statOf(db.Path)
	changed, err := Upload(ctx, remote, db, want1)
	if err != nil || changed {
		t.Errorf("same bytes: changed=%v, %v", changed, err)
	}
	if _, again := statOf(db.Path); again != mtime {
		t.Errorf("unchanged upload touched the file: inode/mtime %s -> %s", mtime, again)
	}
	res, err = DeliverAll(ctx, remote, specs, PreActivation, record)
	if err != nil || len(res) != 1 || res[0].Outcome != Unchanged {
		t.Errorf("DeliverAll again: %+v, %v", res, err)
	}
	reports, err := Status(ctx, remote, specs)
	if err != nil || len(reports) != 2 || reports[0].State != StateUpToDate || reports[1].State != StateUpToDate {
		t.Errorf("status: %+v, %v", reports, err)
	}

	// New contents: changed.
	argv3, want3, m3 := markerSource(t)
	markers = append(markers, m3)
	db.Command = argv3
	res, err = DeliverAll(ctx, remote, []Spec{db, late}, PreActivation, record)
	if err != nil || len(res) != 1 || res[0].Outcome != Changed || shaOf(db.Path) != sha(want3) {
		t.Errorf("new contents: %+v, %v", res, err)
	}
	hostRun(t, l, "host1", "chmod", "0644", db.Path)
	hostRun(t, l, "host1", "rm", late.Path)
	reports, _ = Status(ctx, remote, []Spec{db, late})
	if len(reports) != 2 || reports[0].State != StateWrongMeta || reports[1].State != StateMissing {
		t.Errorf("status after chmod and rm: %+v", reports)
	}
	if changed, err := Upload(ctx, remote, db, want3); err != nil || !changed {
		t.Errorf("mode fix: changed=%v, %v", changed, err)
	}

	// A failing source fails the host before anything changes on it.
	listing := func() string {
		return hostRun(t, l, "host1", "sh", "-c", "ls -la --time-style=full-iso /var/lib/nixmesh/secrets /var/lib/app; sha256sum /var/lib/nixmesh/secrets/*")
	}
	before := listing()
	argv4, _, m4 := markerSource(t)
	markers = append(markers, m4)
	db.Command = argv4
	bad := Spec{Node: "host1", Name: "broken", Kind: SourceCommand, Command: []string{"sh", "-c", "echo vault sealed >&2; exit 4"},
		Path: "/var/lib/nixmesh/secrets/broken", Owner: "root", Group: "root", Mode: "0400", UploadAt: PreActivation}
	_, err = DeliverAll(ctx, remote, []Spec{db, bad}, PreActivation, record)
	var se *SourceError
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "vault sealed") || se.ExitCode != 4 {
		t.Errorf("failing source: %v", err)
	}
	empty := bad
	empty.Command = []string{"true"}
	if _, err := DeliverAll(ctx, remote, []Spec{db, empty}, PreActivation, record); !errors.Is(err, ErrEmpty) {
		t.Errorf("empty source: %v", err)
	}
	if after := listing(); after != before {
		t.Errorf("a failed delivery changed the host:\nbefore:\n%s\nafter:\n%s", before, after)
	}

	// The secrets went nowhere else: not in the remote commands, not in events or
	// errors, not in either Nix store, not in this machine's temporary directory, and no
	// temporary file stayed behind on the host.
	evMu.Lock()
	evJSON, _ := json.Marshal(events)
	evMu.Unlock()
	allArgv, _ := json.Marshal(remote.argvs)
	for _, m := range markers {
		if bytes.Contains(allArgv, []byte(m)) {
			t.Errorf("a secret is in a remote command line")
		}
		if bytes.Contains(evJSON, []byte(m)) {
			t.Errorf("a secret is in an event")
		}
		if out, err := exec.Command("grep", "-rlF", m, "/nix/store").Output(); err == nil || len(out) > 0 {
			t.Errorf("a secret is in the local Nix store: %s", out)
		}
		if out, err := l.Exec(ctx, "host1", "grep", "-rlF", m, "/nix/store", "/tmp"); err == nil || len(out) > 0 {
			t.Errorf("a secret is in the host's Nix store or /tmp: %s", out)
		}
		if f := findInTree(os.TempDir(), []byte(m)); f != "" {
			t.Errorf("a secret is in %s", f)
		}
	}
	if left := hostRun(t, l, "host1", "sh", "-c", "ls -a /var/lib/nixmesh/secrets /var/lib/app | grep nixmesh-secret || true"); left != "" {
		t.Errorf("temporary files left on the host: %s", left)
	}
	t.Logf("%d remote commands, %d events checked", len(remote.argvs)/2, len(events))
}

// findInTree returns a regular file under root (up to 16 MiB each) that contains b.
func findInTree(root string, b []byte) string {
	found := ""
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || found != "" {
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		if info, err := d.Info(); err != nil || info.Size() > 16<<20 {
			return nil
		}
		if data, err := os.ReadFile(p); err == nil && bytes.Contains(data, b) {
			found = p
		}
		return nil
	})
	return found
}

func TestWireGuardAndSSHKeysOnLab(t *testing.T) {
	if testing.Short() {
		t.Skip("brings a lab up")
	}
	testutil.RequireCommands(t, "wg")
	l := labtest.Up(t, lab.Config{Hosts: lab.NumberedHosts(2)})
	ctx := context.Background()
	h1, _ := l.Host("host1")
	h2, _ := l.Host("host2")
	port := func(h lab.Host) *int { p := h.Port; return &p }
	addr := func(h lab.Host) *string { s := "root@" + h.Address.String(); return &s }
	wgBackend := "wireguard"
	keyFile := "/var/lib/nixmesh/wireguard/backbone.key"
	declared := "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg="
	inv := &Inventory{
		Nodes: map[string]InventoryNode{"host1": {Host: addr(h1), Port: port(h1)}, "host2": {Host: addr(h2), Port: port(h2)}},
		VPN: map[string]InventoryVPNNetwork{"backbone": {Backend: &wgBackend, Members: map[string]InventoryVPNMember{
			"host1": {PrivateKeyFile: &keyFile},
			"host2": {PrivateKeyFile: &keyFile, PublicKey: &declared},
		}}},
	}
	opts := WireGuardOptions{Inventory: inv, Remote: func(n string) (Remote, error) { return labRemote(l, n), nil }}
	keys, err := CollectWireGuard(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	onHost := strings.TrimSpace(hostRun(t, l, "host1", "sh", "-c", "wg pubkey < "+keyFile))
	if keys["backbone"]["host1"] != onHost || len(keys["backbone"]) != 1 {
		t.Errorf("keys %v, host1's key file gives %s", keys, onHost)
	}
	if _, err := l.Exec(ctx, "host2", "test", "-e", keyFile); err == nil {
		t.Errorf("a key was made for host2, whose public key is declared")
	}
	st := func() string { return hostRun(t, l, "host1", "stat", "-c", "%i %Y %a %U", keyFile) }
	first := st()
	if !strings.HasSuffix(first, " 600 root\n") {
		t.Errorf("private key file: %s", first)
	}
	// Again, without the collected key: the existing private key is read, not replaced.
	keys2, err := CollectWireGuard(ctx, opts)
	if err != nil || keys2["backbone"]["host1"] != onHost || st() != first {
		t.Errorf("second run: %v, %v; key file %s -> %s", keys2, err, first, st())
	}
	// With the key collected, the host is not contacted at all.
	opts.Existing = keys
	opts.Remote = func(string) (Remote, error) { return nil, errors.New("contacted") }
	if keys3, err := CollectWireGuard(ctx, opts); err != nil || fmt.Sprint(keys3) != fmt.Sprint(keys) {
		t.Errorf("third run: %v, %v", keys3, err)
	}
}
