package main

import (
	"bytes"
	"context"
	"fmt"
	mrand "math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nixmesh/nixmesh/internal/testutil"
	"github.com/nixmesh/nixmesh/lab"
	"github.com/nixmesh/nixmesh/lab/labtest"

	"github.com/spf13/cobra"
)

// Every command a user can run shows examples in its --help, in lines a terminal holds.
func TestEveryCommandHasExamples(t *testing.T) {
	root := newRootCommand(&globalOptions{})
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if !c.Hidden && c.Name() != "help" && c.Name() != "completion" && c.Example == "" {
			t.Errorf("`%s --help` shows no examples", c.CommandPath())
		}
		// Its text is wrapped for a terminal (the flags' lines are cobra's).
		for _, l := range strings.Split(c.Long+"\n"+c.Example, "\n") {
			if len([]rune(l)) > 100 {
				t.Errorf("`%s --help` has a line of %d characters: %q", c.CommandPath(), len([]rune(l)), l)
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	for _, c := range root.Commands() {
		walk(c)
	}
}

// Without --name, lab commands act on the only lab; with several up, they refuse.
func TestPickLab(t *testing.T) {
	if got, err := pickLab(nil); err != nil || got != "default" {
		t.Errorf("no lab: %q %v", got, err)
	}
	if got, err := pickLab([]string{"mine"}); err != nil || got != "mine" {
		t.Errorf("one lab: %q %v", got, err)
	}
	if got, err := pickLab([]string{"a", "default"}); err == nil || exitCode(err) != exitUsage {
		t.Errorf("two labs: %q %v, want a usage error", got, err)
	}
}

// A usage error points at the help of the command it is about.
func TestUsageErrorPointsAtTheSubcommandsHelp(t *testing.T) {
	type usageCase struct {
		args []string
		want string
	}
	var rootOnly []usageCase
	if os.Geteuid() == 0 { // lab up refuses others before it reads its flags' values
		// What no lab can have is found before anything is made.
		rootOnly = []usageCase{
			{[]string{"lab", "up", "--hosts", "300"}, "is too small for 300 hosts\nRun 'nixmesh lab up --help' for usage."},
			{[]string{"lab", "up", "--hosts", "2", "--subnet", "10.0.0.0/30"}, "the prefix length must be between /8 and /29"},
		}
	}
	for _, c := range append([]usageCase{
		{[]string{"lab", "crash", "--bogus", "x"}, "Run 'nixmesh lab crash --help' for usage."},
		{[]string{"deploy", "--action", "nope"}, "Run 'nixmesh deploy --help' for usage."},
		{[]string{"frobnicate"}, "Run 'nixmesh --help' for usage."},
		{[]string{"lab", "up", "--hosts", "0"}, "--hosts 0: a lab has at least one host\nRun 'nixmesh lab up --help' for usage."},
		{[]string{"lab", "up", "--hosts", "1", "--subnet", "8.8.8.0/24"}, "--subnet: lab subnet outside the private and reserved ranges"},
	}, rootOnly...) {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), c.args, &stdout, &stderr)
		if code != exitUsage || !strings.Contains(stderr.String(), c.want) {
			t.Errorf("nixmesh %v: exit %d, stderr %q; want %d and %q", c.args, code, stderr.String(), exitUsage, c.want)
		}
	}
}

// A node selector that selects nothing is a usage error of the command it was given to.
func TestSelectorErrorPointsAtTheSubcommandsHelp(t *testing.T) {
	testutil.RequireNix(t)
	file := filepath.Join(testutil.RepoRoot(), "examples", "lab", "deploy.nix")
	for _, args := range [][]string{{"eval", "nosuch"}, {"build", "@nosuchtag"}} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), append([]string{"-f", file}, args...), &stdout, &stderr)
		want := fmt.Sprintf("Run 'nixmesh %s --help' for usage.", args[0])
		if code != exitUsage || !strings.Contains(stderr.String(), "matches no") || !strings.Contains(stderr.String(), want) {
			t.Errorf("nixmesh %v: exit %d, stderr %q; want %d and %q", args, code, stderr.String(), exitUsage, want)
		}
	}
}

// `lab up -f` needs only the nodes' names and addresses: a first deployment whose SSH
// grants still lack the target's host keys (they exist only once the hosts run) fails its
// checks, and its lab comes up all the same.
func TestLabUpBeforeTheKeysExist(t *testing.T) {
	if testing.Short() {
		t.Skip("brings a lab up")
	}
	labtest.Require(t)
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	octet := 0
	for try := 0; octet == 0 && try < 50; try++ {
		o := 16 + mrand.IntN(230)
		if lab.CheckSubnet(context.Background(), netip.MustParsePrefix(fmt.Sprintf("198.19.%d.0/24", o))) == nil {
			octet = o
		}
	}
	if octet == 0 {
		t.Fatal("no free /24 in 198.19.0.0/16")
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "deploy.nix")
	src := fmt.Sprintf(`import %s { } {
  nodes.a.host = "root@198.19.%d.11";
  nodes.b.host = "root@198.19.%d.12";
  ssh.access.a.keys.k = {
    publicKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPFSsFl8BSc2y63WnzJfqtd1iPFk6OtB9UblcKP16Qqb k";
    hasAccessTo.b.root = true;
  };
}
`, testutil.NixModules(), octet, octet)
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	g, _ := globals(t, file)
	ev, err := g.evaluator(nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ev.Plan(context.Background()); err == nil {
		t.Fatal("the deployment passes its checks; the test would prove nothing")
	}
	name := labtest.UniqueName()
	var out bytes.Buffer
	err = runLabUp(context.Background(), labUpOptions{labOptions: labOptions{global: g, Name: name},
		Subnet: fmt.Sprintf("198.19.%d.0/24", octet), Parallel: 2}, &out)
	t.Cleanup(func() { _ = lab.Down(context.Background(), name) })
	if err != nil {
		t.Fatalf("lab up: %v\n%s", err, out.String())
	}
	l, err := lab.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	if hosts := l.Hosts(); len(hosts) != 2 || hosts[0].Name != "a" || hosts[1].Name != "b" {
		t.Errorf("hosts %+v, want a and b", hosts)
	}
}
