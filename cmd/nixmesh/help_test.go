package main

import (
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
