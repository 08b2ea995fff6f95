package secrets

import (
	"context"
	"io"
	"os/user"
	"regexp"
	"strconv"
	"strings"

	"github.com/nixmesh/nixmesh/eval"
	"github.com/nixmesh/nixmesh/internal/command"
)

// Remote runs commands on one host. Run executes argv on the host as root — the
// implementation adds the node's privilege escalation (e.g. `sudo -n`) when it does not
// log in as root and quotes argv for the remote shell — with stdin as its standard input
// (nil: none) and its standard output written to stdout (nil: discarded). A non-zero exit
// is an error; a *command.ProcessError keeps the exit code and the remote stderr.
//
// This package passes secrets only through stdin: argv is always a fixed program plus
// paths and metadata from the plan.
type Remote interface {
	Run(ctx context.Context, argv []string, stdin io.Reader, stdout io.Writer) error
}

// SSHRemote is a Remote over the system `ssh` binary (honouring ~/.ssh/config, the agent
// and known_hosts as ssh does), in batch mode: it never prompts, so an unknown host key
// or a key that needs a passphrase fails instead of waiting.
type SSHRemote struct {
	// Destination is `[user@]host` (an IPv6 host without brackets).
	Destination string
	Port        int      // 0: ssh's default (or ~/.ssh/config)
	Options     []string // the node's sshOptions, in ssh's syntax
	// Escalate prefixes every command (the node's privilegeEscalationCommand when its
	// user is not root).
	Escalate []string
	// SSH is the ssh program; "" means "ssh".
	SSH string
	// Env is ssh's environment; nil inherits.
	Env []string
}

// NodeRemote returns an SSHRemote for a node of the plan, with privilege escalation when
// the node's user is not root. Without a user in the plan, ssh logs in as the local user
// (or ~/.ssh/config's User, which this does not read): escalation then applies unless the
// local user is root.
func NodeRemote(n *eval.Node) *SSHRemote {
	r := &SSHRemote{Destination: n.Hostname, Port: n.Port, Options: n.SSHOptions}
	login := n.User
	if login != "" {
		r.Destination = n.User + "@" + n.Hostname
	} else if u, err := user.Current(); err == nil {
		login = u.Username
	}
	if login != "root" {
		r.Escalate = n.PrivilegeEscalationCommand
	}
	return r
}

// Argv is the local command line that runs argv on the host.
func (r *SSHRemote) Argv(argv []string) []string {
	prog := r.SSH
	if prog == "" {
		prog = "ssh"
	}
	full := []string{prog, "-T", "-o", "BatchMode=yes"}
	if r.Port != 0 && r.Port != 22 {
		full = append(full, "-p", strconv.Itoa(r.Port))
	}
	full = append(full, r.Options...)
	remote := append(append([]string{}, r.Escalate...), argv...)
	return append(full, "--", r.Destination, shellQuote(remote))
}

// Run implements Remote.
func (r *SSHRemote) Run(ctx context.Context, argv []string, stdin io.Reader, stdout io.Writer) error {
	if stdout == nil {
		stdout = io.Discard
	}
	return command.Run(ctx, command.Cmd{Argv: r.Argv(argv), Env: r.Env, Stdin: stdin}, stdout)
}

var shellSafe = regexp.MustCompile(`^[A-Za-z0-9_@%+=:,./-]+$`)

// shellQuote renders argv as one POSIX shell command line.
func shellQuote(argv []string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		if shellSafe.MatchString(a) {
			q[i] = a
		} else {
			q[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
	}
	return strings.Join(q, " ")
}
