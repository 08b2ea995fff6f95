package deploy

import "testing"

// A command check's line is judged as bash reads it: bash's own syntax passes, what no
// shell parses does not.
func TestShellSyntaxError(t *testing.T) {
	for line, bad := range map[string]bool{
		"curl -fsS http://localhost/ | grep -q ok":        false,
		"[[ -e /etc/motd ]] && a=(1 2) && echo ${a[1]}":   false,
		"systemctl is-active nsd\njournalctl -u nsd -n 3": false,
		"if then fi":                          true,
		"echo 'unclosed":                      true,
		"for x in 1 2; do echo $x":            true,
		"test -e /x && ":                      true,
		"f() { echo hi; }; f; $(true) `true`": false,
	} {
		if err := ShellSyntaxError(line); (err != nil) != bad {
			t.Errorf("%q: error %v, want an error: %v", line, err, bad)
		}
	}
}
