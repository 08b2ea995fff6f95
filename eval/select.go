package eval

import (
	"fmt"
	"path"
	"strings"

	"github.com/nixmesh/nixmesh/internal/natural"
)

// SelectError is a node selector that is malformed or matches no node: a usage error.
type SelectError struct {
	Selector   string
	Reason     string
	Suggestion string // a close node name or @tag, or ""
}

func (e *SelectError) Error() string {
	msg := fmt.Sprintf("node selector %q %s", e.Selector, e.Reason)
	if e.Suggestion != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", e.Suggestion)
	}
	return msg
}

// Select returns the names of the nodes the patterns select, in natural order (host2
// before host10). Each pattern is a comma-separated list of selectors:
//
//	web         the node named web (also when it is disabled: it was asked for by name)
//	@db         every enabled node tagged db
//	web-*       every enabled node whose name matches the glob (path.Match syntax)
//
// No patterns select every enabled node. A selector that matches nothing is a
// *SelectError naming it, with a suggestion when a node name or tag is close.
func Select(n *Network, patterns []string) ([]string, error) {
	if len(patterns) == 0 {
		return n.EnabledNames(), nil
	}
	selected := map[string]bool{}
	for _, p := range patterns {
		for _, sel := range strings.Split(p, ",") {
			sel = strings.TrimSpace(sel)
			if sel == "" {
				continue
			}
			matched, err := selectOne(n, sel)
			if err != nil {
				return nil, err
			}
			for _, m := range matched {
				selected[m] = true
			}
		}
	}
	if len(selected) == 0 {
		return nil, &SelectError{Selector: strings.Join(patterns, " "), Reason: "selects no node"}
	}
	names := make([]string, 0, len(selected))
	for name := range selected {
		names = append(names, name)
	}
	natural.Sort(names) // host2 before host10: the order of every table
	return names, nil
}

func selectOne(n *Network, sel string) ([]string, error) {
	if tag, ok := strings.CutPrefix(sel, "@"); ok {
		var out, disabled []string
		for _, name := range n.Names() {
			node := n.Nodes[name]
			for _, t := range node.Tags {
				if t == tag {
					if node.Enable {
						out = append(out, name)
					} else {
						disabled = append(disabled, name)
					}
					break
				}
			}
		}
		switch {
		case len(out) > 0:
			return out, nil
		case len(disabled) > 0:
			return nil, &SelectError{Selector: sel, Reason: "matches only disabled nodes (" + strings.Join(disabled, ", ") + "); name them to select them"}
		}
		var tags []string
		for _, t := range n.Tags() {
			tags = append(tags, "@"+t)
		}
		// A close tag, else a close node name (`@gatewy` for the node gateway); with
		// neither, the tags there are (a short list), so the next try is not a guess.
		suggestion := closest(sel, tags)
		if suggestion == "" {
			suggestion = closest(tag, n.Names())
		}
		reason := "matches no tag"
		switch {
		case suggestion != "":
		case len(tags) == 0:
			reason += " (no node has tags)"
		case len(tags) <= 12:
			reason += " (tags: " + strings.Join(tags, ", ") + ")"
		}
		return nil, &SelectError{Selector: sel, Reason: reason, Suggestion: suggestion}
	}
	if strings.ContainsAny(sel, "*?[") {
		if _, err := path.Match(sel, ""); err != nil {
			return nil, &SelectError{Selector: sel, Reason: "is not a valid glob: " + err.Error()}
		}
		var out, disabled []string
		for _, name := range n.Names() {
			if ok, _ := path.Match(sel, name); ok {
				if n.Nodes[name].Enable {
					out = append(out, name)
				} else {
					disabled = append(disabled, name)
				}
			}
		}
		switch {
		case len(out) > 0:
			return out, nil
		case len(disabled) > 0:
			return nil, &SelectError{Selector: sel, Reason: "matches only disabled nodes (" + strings.Join(disabled, ", ") + "); name them to select them"}
		}
		return nil, &SelectError{Selector: sel, Reason: "matches no node"}
	}
	if _, ok := n.Nodes[sel]; ok {
		return []string{sel}, nil
	}
	candidates := n.Names()
	for _, t := range n.Tags() {
		candidates = append(candidates, "@"+t)
	}
	return nil, &SelectError{Selector: sel, Reason: "matches no node", Suggestion: closest(sel, candidates)}
}

// closest returns the candidate nearest to s by edit distance, if it is near enough to
// be a likely typo, else "".
func closest(s string, candidates []string) string {
	best, bestDist := "", -1
	for _, c := range candidates {
		d := editDistance(s, c)
		if bestDist < 0 || d < bestDist {
			best, bestDist = c, d
		}
	}
	limit := max(1, len([]rune(s))/3)
	if bestDist < 0 || bestDist > limit {
		return ""
	}
	return best
}

// editDistance is the optimal-string-alignment distance between a and b: insertions,
// deletions, substitutions and transpositions of neighbours each cost 1.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}
