package deploy

import (
	"strings"
	"testing"
)

// The host's listing is read into generations, oldest first, with the current and the
// running one marked; a rollback picks the newest generation older than the current one
// (not the newest other one, not by list position), or the one asked for.
func TestRollbackTarget(t *testing.T) {
	out := strings.Join([]string{
		"running /nix/store/bbb-system",
		"switcher yes",
		"current system-12-link",
		"generation system-9-link 1700000000 /nix/store/aaa-system",
		"generation system-14-link 1700000300 /nix/store/ccc-system",
		"generation system-12-link 1700000200 /nix/store/bbb-system",
		"generation system-10-link 1700000100 /nix/store/aaa2-system",
		"generation system-old-link 1 /nix/store/zzz", // not a generation of this profile
	}, "\n")
	g, err := parseGenerations(out)
	if err != nil {
		t.Fatal(err)
	}
	if g.Running != "/nix/store/bbb-system" || !g.RunningSwitcher || len(g.Generations) != 4 {
		t.Fatalf("parsed %+v", g)
	}
	var nums []int
	for _, gen := range g.Generations {
		nums = append(nums, gen.Number)
	}
	if nums[0] != 9 || nums[1] != 10 || nums[2] != 12 || nums[3] != 14 {
		t.Errorf("generations %v, want 9 10 12 14", nums)
	}
	if c := g.current(); c == nil || c.Number != 12 || !c.Running || c.Created.Unix() != 1700000200 {
		t.Errorf("current %+v, want 12, running", c)
	}
	if got, err := g.rollbackTarget(0); err != nil || got.Number != 10 || got.System != "/nix/store/aaa2-system" {
		t.Errorf("rollback target %+v (%v), want generation 10", got, err)
	}
	if got, err := g.rollbackTarget(14); err != nil || got.Number != 14 {
		t.Errorf("--to 14: %+v (%v)", got, err)
	}
	if _, err := g.rollbackTarget(11); err == nil || !strings.Contains(err.Error(), "no generation 11") || !strings.Contains(err.Error(), "9, 10, 12, 14") {
		t.Errorf("--to 11: %v, want an error listing the generations", err)
	}
	oldest, _ := parseGenerations("running /nix/store/aaa\ncurrent system-3-link\ngeneration system-3-link 5 /nix/store/aaa\ngeneration system-4-link 6 /nix/store/bbb")
	if _, err := oldest.rollbackTarget(0); err == nil || !strings.Contains(err.Error(), "generation 3 is the oldest") {
		t.Errorf("on the oldest generation: %v", err)
	}
	none, _ := parseGenerations("running /nix/store/aaa")
	if _, err := none.rollbackTarget(0); err == nil || !strings.Contains(err.Error(), "no system profile") {
		t.Errorf("without a profile: %v", err)
	}
}
