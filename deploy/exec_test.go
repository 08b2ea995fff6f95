package deploy

import (
	"reflect"
	"testing"
)

// The command as the host's shell gets it: a line as it is, words quoted, and the sudo
// rule in front only when asked and only when the node does not log in as root.
func TestCommandAsTheHostGetsIt(t *testing.T) {
	sudo := &Session{escal: []string{"sudo", "-n"}}
	root := &Session{}
	for _, c := range []struct {
		s        *Session
		cmd      Command
		line     string
		wantArgv []string
	}{
		{root, Command{Argv: []string{"echo $HOME | wc -c"}}, "echo $HOME | wc -c", nil},
		{root, Command{Argv: []string{"echo $HOME | wc -c"}, AsRoot: true}, "echo $HOME | wc -c", nil},
		{sudo, Command{Argv: []string{"echo $HOME | wc -c"}}, "echo $HOME | wc -c", nil},
		{sudo, Command{Argv: []string{"echo $HOME | wc -c"}, AsRoot: true}, "", []string{"sudo", "-n", "sh", "-c", "echo $HOME | wc -c"}},
		{sudo, Command{Argv: []string{"printf", "%s", "a b"}, AsRoot: true}, "", []string{"sudo", "-n", "printf", "%s", "a b"}},
		{sudo, Command{Argv: []string{"printf", "%s", "a b"}}, "", []string{"printf", "%s", "a b"}},
	} {
		rc := c.s.remote(c.cmd)
		if rc.Line != c.line || !reflect.DeepEqual(rc.Argv, c.wantArgv) {
			t.Errorf("%+v (escalation %v): line %q argv %q; want %q %q", c.cmd, c.s.escal, rc.Line, rc.Argv, c.line, c.wantArgv)
		}
	}
}
