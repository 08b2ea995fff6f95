package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// Every command a user can run shows examples in its --help.
func TestEveryCommandHasExamples(t *testing.T) {
	root := newRootCommand(&globalOptions{})
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if !c.Hidden && c.Name() != "help" && c.Name() != "completion" && c.Example == "" {
			t.Errorf("`%s --help` shows no examples", c.CommandPath())
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
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"lab", "crash", "--bogus", "x"}, "Run 'nixmesh lab crash --help' for usage."},
		{[]string{"deploy", "--action", "nope"}, "Run 'nixmesh deploy --help' for usage."},
		{[]string{"frobnicate"}, "Run 'nixmesh --help' for usage."},
	} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), c.args, &stdout, &stderr)
		if code != exitUsage || !strings.Contains(stderr.String(), c.want) {
			t.Errorf("nixmesh %v: exit %d, stderr %q; want %d and %q", c.args, code, stderr.String(), exitUsage, c.want)
		}
	}
}
