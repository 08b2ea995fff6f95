package deploy

import (
	"context"
	"strings"
	"testing"

	"github.com/nixmesh/nixmesh/internal/testutil"
)

// connectedHost returns a hostRun connected to h, as the runner would have it after the
// connect phase.
func connectedHost(t *testing.T, client *testClient, h *testHost, toplevel string, log *eventLog) *hostRun {
	t.Helper()
	o := Options{SSH: sshOptionsFor(t, client), NixEnv: testutil.NixEnv(), Events: log.add}
	o.SSH.DeclaredHostKeys = map[string][]string{"web": {h.HostKeyLine}}
	tg := hostTarget(h, "web")
	tg.Toplevel = toplevel
	hr := &hostRun{opts: o, t: tg, emit: log.add, phase: PhaseCopy}
	d, _, err := newDialer(o.SSH, tg)
	if err != nil {
		t.Fatal(err)
	}
	hr.dialer = d
	if hr.conn, err = d.Dial(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { hr.conn.Close() })
	return hr
}

func TestCopyClosureToAnotherStore(t *testing.T) {
	client := newTestClient(t)
	host := startHost(t, client, true)
	ctl := t.TempDir()
	dep := buildSystem(t, ctl, "dep")
	system := buildSystem(t, ctl, "")

	// The host's store is its own: it starts without our paths.
	if out := remote(t, client, host, "nix-store --check-validity --print-invalid "+system+" "+dep); !strings.Contains(out, system) || !strings.Contains(out, dep) {
		t.Fatalf("the test host already has the paths (store not private?): %q", out)
	}

	// Copy only the dependency first; then the system must send just the one path missing.
	log := &eventLog{}
	if err := connectedHost(t, client, host, dep, log).copyClosure(context.Background()); err != nil {
		t.Fatal(err)
	}
	hr := connectedHost(t, client, host, system, log)
	if err := hr.copyClosure(context.Background()); err != nil {
		t.Fatal(err)
	}
	if hr.res.CopiedPaths != 1 || hr.res.CopiedBytes <= 0 {
		t.Fatalf("copied %d paths (%d bytes), want the 1 missing path", hr.res.CopiedPaths, hr.res.CopiedBytes)
	}
	// Unsigned paths imported as root are valid and verify on the target.
	out := remote(t, client, host, "nix-store --verify-path "+system+" && nix-store --verify-path "+dep+" && nix-store --check-validity "+system+" && cat "+system+"/dep && echo verified")
	if !strings.HasSuffix(out, dep+"\nverified\n") {
		t.Fatalf("target verification: %q", out)
	}
	var progress bool
	for _, e := range log.events {
		if e.Phase == PhaseCopy && e.Kind == KindDone && e.TotalBytes > 0 && e.Bytes == e.TotalBytes && e.Paths == 1 {
			progress = true
		}
	}
	if !progress {
		t.Errorf("no copy done event with paths and bytes: %+v", log.events)
	}

	// A second copy sends nothing.
	hr = connectedHost(t, client, host, system, log)
	if err := hr.copyClosure(context.Background()); err != nil {
		t.Fatal(err)
	}
	if hr.res.CopiedPaths != 0 {
		t.Fatalf("second copy sent %d paths, want 0", hr.res.CopiedPaths)
	}
}

func TestCopyDryRunSendsNothing(t *testing.T) {
	client := newTestClient(t)
	host := startHost(t, client, true)
	system := buildSystem(t, t.TempDir(), "")
	hr := connectedHost(t, client, host, system, &eventLog{})
	hr.opts.DryRun = true
	if err := hr.copyClosure(context.Background()); err != nil {
		t.Fatal(err)
	}
	if hr.res.CopiedPaths != 2 || len(hr.res.Commands) != 1 || !strings.Contains(hr.res.Commands[0], "nix-store --import") {
		t.Fatalf("dry run: %d paths, commands %q", hr.res.CopiedPaths, hr.res.Commands)
	}
	if out := remote(t, client, host, "nix-store --check-validity --print-invalid "+system); !strings.Contains(out, system) {
		t.Fatal("a dry run copied the system")
	}
}

// A dry run's closure diff: packages by name, with their versions.
func TestDiffClosures(t *testing.T) {
	h := func(s string) string { return "/nix/store/" + strings.Repeat("a", 31) + s }
	oldC := []string{h("1-nsd-4.7.0"), h("2-glibc-2.38"), h("3-htop-3.2.2"), h("4-etc-motd"), h("5-system-web")}
	newC := []string{h("1-nsd-4.8.0"), h("2-glibc-2.38"), h("6-wireguard-tools-1.0.20210914"), h("7-etc-motd"), h("8-system-web")}
	d := diffClosures(oldC, newC)
	want := []string{"~ etc-motd (rebuilt)", "- htop 3.2.2", "nsd: 4.7.0 -> 4.8.0", "~ system-web (rebuilt)", "+ wireguard-tools 1.0.20210914"}
	if d.Added != 4 || d.Removed != 4 || strings.Join(d.Changes, "\n") != strings.Join(want, "\n") {
		t.Errorf("diff: +%d -%d\n%s\nwant +4 -4\n%s", d.Added, d.Removed, strings.Join(d.Changes, "\n"), strings.Join(want, "\n"))
	}
	if n, v := splitName("/nix/store/" + strings.Repeat("b", 32) + "-python3.11-requests-2.31.0"); n != "python3.11-requests" || v != "2.31.0" {
		t.Errorf("splitName: %q %q", n, v)
	}
}
