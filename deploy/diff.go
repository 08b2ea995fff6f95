package deploy

import (
	"context"
	"fmt"
	"path"
	"sort"
	"strings"
	"unicode"

	"github.com/nixmesh/nixmesh/internal/command"
)

// What a dry run says about a host's closure: the store paths the new system adds to
// and drops from the running one's closure, by package, with versions ("nsd: 4.7.0 ->
// 4.8.0", "+ wireguard-tools 1.0", "- htop 3.2"). Names and versions are read from the
// store paths' names (NAME-VERSION, the version starting at the first "-" followed by a
// digit), as nvd and nix store diff-closures do.

// ClosureDiff is the difference between two closures.
type ClosureDiff struct {
	Added, Removed int      // store paths
	Changes        []string // one line per package, sorted
}

// splitName splits a store path's name into package name and version ("" when none).
func splitName(storePath string) (string, string) {
	base := path.Base(storePath)
	if i := strings.IndexByte(base, '-'); i == 32 {
		base = base[i+1:] // the hash
	}
	for i := 0; i+1 < len(base); i++ {
		if base[i] == '-' && unicode.IsDigit(rune(base[i+1])) {
			return base[:i], base[i+1:]
		}
	}
	return base, ""
}

// diffClosures compares the running system's closure with the new one's.
func diffClosures(oldPaths, newPaths []string) ClosureDiff {
	inOld, inNew := map[string]bool{}, map[string]bool{}
	for _, p := range oldPaths {
		inOld[p] = true
	}
	for _, p := range newPaths {
		inNew[p] = true
	}
	added, removed := map[string][]string{}, map[string][]string{} // package -> versions
	var d ClosureDiff
	for _, p := range newPaths {
		if !inOld[p] {
			d.Added++
			n, v := splitName(p)
			added[n] = append(added[n], v)
		}
	}
	for _, p := range oldPaths {
		if !inNew[p] {
			d.Removed++
			n, v := splitName(p)
			removed[n] = append(removed[n], v)
		}
	}
	versions := func(vs []string) string {
		sort.Strings(vs)
		var out []string
		for _, v := range vs {
			if v != "" && (len(out) == 0 || out[len(out)-1] != v) {
				out = append(out, v)
			}
		}
		return strings.Join(out, ", ")
	}
	for n, nv := range added {
		ov, ok := removed[n]
		switch {
		case !ok:
			d.Changes = append(d.Changes, strings.TrimSpace("+ "+n+" "+versions(nv)))
		case versions(ov) != versions(nv):
			d.Changes = append(d.Changes, fmt.Sprintf("%s: %s -> %s", n, orNone(versions(ov)), orNone(versions(nv))))
		default:
			d.Changes = append(d.Changes, strings.Join(strings.Fields(fmt.Sprintf("~ %s %s (rebuilt)", n, versions(nv))), " "))
		}
	}
	for n, ov := range removed {
		if _, ok := added[n]; !ok {
			d.Changes = append(d.Changes, strings.TrimSpace("- "+n+" "+versions(ov)))
		}
	}
	sort.Slice(d.Changes, func(i, j int) bool {
		return strings.TrimLeft(d.Changes[i], "+-~ ") < strings.TrimLeft(d.Changes[j], "+-~ ")
	})
	return d
}

// dryRunDiff reads the running system's closure on the host and reports how the new
// one differs (a dry run only; best effort: a host without a running system, or whose
// store cannot be read, gets no diff).
func (h *hostRun) dryRunDiff(ctx context.Context, newClosure []string) {
	if h.res.CurrentSystem == "" {
		h.res.Diff = &ClosureDiff{Added: len(newClosure), Changes: []string{"(no running system: everything is new)"}}
		return
	}
	out, err := h.conn.Run(ctx, remoteCmd{Argv: h.asRoot("nix-store", "-qR", h.res.CurrentSystem)})
	if err != nil {
		h.event(KindProgress, "cannot read the running system's closure for the diff: "+withStderr(err).Error())
		return
	}
	d := diffClosures(command.Lines(string(out)), newClosure)
	h.res.Diff = &d
	h.event(KindProgress, fmt.Sprintf("closure: %d paths added, %d removed", d.Added, d.Removed))
}
