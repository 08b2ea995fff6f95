package secrets

import (
	"context"
	"io"
)

// Remote runs commands on one host. Run executes argv on the host as root — the
// implementation adds the node's privilege escalation (e.g. `sudo -n`) when it does not
// log in as root and quotes argv for the remote shell — with stdin as its standard input
// (nil: none) and its standard output written to stdout (nil: discarded). A non-zero exit
// is an error; a *command.ProcessError keeps the exit code and the remote stderr.
//
// The one implementation is deploy.Session (the deploy engine's SSH transport); this
// package passes secrets only through stdin: argv is always a fixed program plus paths
// and metadata from the plan.
type Remote interface {
	Run(ctx context.Context, argv []string, stdin io.Reader, stdout io.Writer) error
}
