// Package shell renders argument vectors as POSIX shell command lines: the one quoting
// rule for every command nixmesh runs on a host over SSH, and for the commands it shows.
package shell

import (
	"regexp"
	"strings"
)

var safe = regexp.MustCompile(`^[A-Za-z0-9_@%+=:,./-]+$`)

// Quote renders argv as one POSIX shell command line: a word with nothing special in it
// as it is, any other in single quotes (a ' inside written as '\”).
func Quote(argv []string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		if safe.MatchString(a) {
			q[i] = a
		} else {
			q[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
	}
	return strings.Join(q, " ")
}
