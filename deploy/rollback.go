package deploy

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// RollbackTo makes a host's run a rollback on demand (`nixmesh rollback`): the system
// it switches to is one the host has already, a generation of its system profile, found
// on the host. Nothing is copied, no secret is fetched or uploaded, and the switch goes
// through the switcher as a deploy's does (activated, confirmed over a new connection,
// rolled back to the last confirmed system when it is not); once confirmed, the profile's
// current generation becomes the chosen one again (no new generation is added), so the
// next rollback goes further back.
type RollbackTo struct {
	// Generation is the generation's number; 0: the newest one older than the profile's
	// current generation.
	Generation int
}

// Generation is one generation of a host's system profile.
type Generation struct {
	Number  int       `json:"number"`
	Created time.Time `json:"created"`
	System  string    `json:"system"`
	Current bool      `json:"current"` // the profile's current generation: the boot default
	Running bool      `json:"running"` // the system the host runs now
}

// HostGenerations is what a host's system profile holds, oldest first.
type HostGenerations struct {
	Generations []Generation `json:"generations"`
	Running     string       `json:"running"` // the running system ("" when unknown)
	// RunningSwitcher: the running system has nixmesh's switcher (it drives a rollback:
	// the older generation's own may predate what a rollback asks of it, or be missing).
	RunningSwitcher bool `json:"-"`
}

// generationsScript lists the system profile's generations (number, the link's time,
// the system), the running system (as currentScript finds it) and whether that has the
// switcher. It needs no root.
const generationsScript = `p=/nix/var/nix/profiles; ` + runningSystemSh +
	`printf 'running %s\n' "$c"; ` +
	`if [ -n "$c" ] && [ -x "$c/bin/nixmesh-switch" ]; then echo 'switcher yes'; fi; ` +
	`l=$(readlink "$p/system" 2>/dev/null) && printf 'current %s\n' "${l##*/}"; ` +
	`for l in "$p"/system-*-link; do [ -L "$l" ] || continue; ` +
	`t=$(readlink -f "$l") || continue; s=$(stat -c %Y "$l" 2>/dev/null) || s=0; ` +
	`printf 'generation %s %s %s\n' "${l##*/}" "$s" "$t"; done`

// parseGenerations reads generationsScript's output.
func parseGenerations(out string) (HostGenerations, error) {
	var g HostGenerations
	current := ""
	number := func(link string) (int, bool) {
		n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(link, "system-"), "-link"))
		return n, err == nil && n > 0 && strings.HasPrefix(link, "system-") && strings.HasSuffix(link, "-link")
	}
	for _, line := range strings.Split(out, "\n") {
		key, rest, _ := strings.Cut(strings.TrimSpace(line), " ")
		switch key {
		case "running":
			g.Running = rest
		case "switcher":
			g.RunningSwitcher = true
		case "current":
			current = rest
		case "generation":
			f := strings.SplitN(rest, " ", 3)
			if len(f) != 3 {
				return g, fmt.Errorf("unexpected line from the host: %q", line)
			}
			n, ok := number(f[0])
			if !ok {
				continue // another profile's link (system-foo-link)
			}
			secs, _ := strconv.ParseInt(f[1], 10, 64)
			g.Generations = append(g.Generations, Generation{Number: n, Created: time.Unix(secs, 0), System: f[2],
				Current: f[0] == current, Running: f[2] == g.Running && g.Running != ""})
		}
	}
	sort.Slice(g.Generations, func(i, j int) bool { return g.Generations[i].Number < g.Generations[j].Number })
	return g, nil
}

// current is the profile's current generation (nil: the host has no system profile).
func (g HostGenerations) current() *Generation {
	for i := range g.Generations {
		if g.Generations[i].Current {
			return &g.Generations[i]
		}
	}
	return nil
}

// rollbackTarget is the generation a rollback switches to: number to (0: the newest one
// older than the current generation).
func (g HostGenerations) rollbackTarget(to int) (Generation, error) {
	cur := g.current()
	if to > 0 {
		for _, gen := range g.Generations {
			if gen.Number == to {
				return gen, nil
			}
		}
		return Generation{}, fmt.Errorf("the host has no generation %d of its system profile (it has %s)", to, g.numbers())
	}
	if cur == nil {
		return Generation{}, fmt.Errorf("the host has no system profile (/nix/var/nix/profiles/system): no deploy with action switch or boot has been confirmed on it, so there is nothing to roll back to")
	}
	var best *Generation
	for i := range g.Generations {
		if gen := &g.Generations[i]; gen.Number < cur.Number {
			best = gen
		}
	}
	if best == nil {
		return Generation{}, fmt.Errorf("generation %d is the oldest the host keeps (it has %s): there is none before it to roll back to", cur.Number, g.numbers())
	}
	return *best, nil
}

func (g HostGenerations) numbers() string {
	if len(g.Generations) == 0 {
		return "none"
	}
	var ns []string
	for _, gen := range g.Generations {
		ns = append(ns, strconv.Itoa(gen.Number))
	}
	return strings.Join(ns, ", ")
}

func readGenerations(ctx context.Context, conn *Conn) (HostGenerations, error) {
	out, err := conn.Run(ctx, remoteCmd{Argv: []string{"sh", "-c", generationsScript}})
	if err != nil {
		return HostGenerations{}, fmt.Errorf("reading the system profile's generations: %w", withStderr(err))
	}
	return parseGenerations(string(out))
}

// Generations reads the host's system profile generations (`nixmesh rollback --list`).
func (s *Session) Generations(ctx context.Context) (HostGenerations, error) {
	return readGenerations(ctx, s.conn)
}

// rollback is a host's run for a rollback on demand (Target.Rollback), after connect: the
// generation is found on the host, then switched to as a deploy switches.
func (h *hostRun) rollback(ctx context.Context) HostResult {
	h.begin(PhaseCheck)
	gens, err := readGenerations(ctx, h.conn)
	if err != nil {
		return h.failOrInterrupted(ctx, err)
	}
	h.res.CurrentSystem = gens.Running
	target, err := gens.rollbackTarget(h.t.Rollback.Generation)
	if err != nil {
		return h.fail(ResultFailed, err, fmt.Sprintf("%s: %v (nothing was changed on the host)", h.phase, err))
	}
	cur := gens.current()
	if cur != nil {
		h.profile = cur.System
	}
	h.t.Toplevel, h.res.NewSystem, h.generation = target.System, target.System, target.Number
	if gens.RunningSwitcher {
		h.switcherOf = gens.Running
	}
	if target.Current && (target.Running || h.opts.action() == ActionBoot) {
		h.event(KindDone, fmt.Sprintf("already on generation %d", target.Number))
		h.res.Result = ResultUnchanged
		h.res.Reason = fmt.Sprintf("already on generation %d (%s)", target.Number, target.System)
		return h.res
	}
	from := "no current generation"
	if cur != nil {
		from = fmt.Sprintf("generation %d", cur.Number)
	}
	h.event(KindDone, fmt.Sprintf("%s -> generation %d (%s, %s)", from, target.Number, target.System, target.Created.Format("2006-01-02 15:04")))
	res := h.switchSystem(ctx)
	if res.Result == ResultWouldApply {
		res.Reason = fmt.Sprintf("would switch to generation %d, %s (running %s)", target.Number, target.System, orNone(gens.Running))
	}
	if res.Result == ResultOK {
		reason := fmt.Sprintf("now on generation %d", target.Number)
		if res.Reason != "" {
			reason += "; " + res.Reason // a warning of the switch
		}
		res.Reason = reason
	}
	return res
}
