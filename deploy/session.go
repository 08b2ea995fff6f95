package deploy

import (
	"context"
	"io"
)

// Session is one SSH connection to a node for the commands outside a deploy (`secrets
// --check`, `keys wireguard`): the deploy's own transport (ssh_config, the agent and
// identities, known_hosts plus the declared host keys, ProxyJump, keepalives) and its
// sudo rule, decided once from the resolved user. It implements secrets.Remote.
type Session struct {
	conn   *Conn
	escal  []string
	target Target
}

// Open connects to a node (Target's connection fields; Toplevel is not used).
func Open(ctx context.Context, o SSHOptions, t Target) (*Session, error) {
	d, _, err := newDialer(o, t)
	if err != nil {
		return nil, err
	}
	c, err := d.Dial(ctx)
	if err != nil {
		return nil, err
	}
	s := &Session{conn: c, target: t}
	if d.endpoint.User != "root" {
		s.escal = t.PrivilegeEscalationCommand
	}
	return s, nil
}

// Run runs argv on the host as root (through the node's privilege escalation when it
// does not log in as root), with stdin (nil: none) and its output into stdout (nil:
// discarded). A non-zero exit is a *command.ProcessError with the remote stderr.
func (s *Session) Run(ctx context.Context, argv []string, stdin io.Reader, stdout io.Writer) error {
	if stdout == nil {
		stdout = io.Discard
	}
	full := append(append([]string(nil), s.escal...), argv...)
	_, err := s.conn.Run(ctx, remoteCmd{Argv: full, Stdin: stdin, Stdout: stdout})
	return err
}

// LogsInAsRoot reports whether the session's user is root (the sudo rule then adds nothing).
func (s *Session) LogsInAsRoot() bool { return s.conn.Endpoint.User == "root" }

// Destination is the resolved user@host:port.
func (s *Session) Destination() string { return s.conn.Endpoint.Destination() }

// Close closes the connection.
func (s *Session) Close() error { return s.conn.Close() }
