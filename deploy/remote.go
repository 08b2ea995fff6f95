package deploy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/nixmesh/nixmesh/internal/command"
	"github.com/nixmesh/nixmesh/internal/shell"
	"golang.org/x/crypto/ssh"
)

// remoteCmd is one command to run on a host. Argv is quoted for the remote shell.
type remoteCmd struct {
	Argv   []string
	Line   string // when set, sent as it is instead of the quoted Argv (a shell command line)
	Stdin  io.Reader
	Stdout io.Writer // nil: kept and returned
	Stderr io.Writer // nil: only kept (in the *command.ProcessError on failure)
}

// Run runs a command in a new session on the connection. A non-zero exit becomes a
// *command.ProcessError carrying the remote argv, exit code and stderr. When ctx ends the
// session is closed (the remote process gets SIGHUP from sshd).
func (c *Conn) Run(ctx context.Context, rc remoteCmd) (out []byte, err error) {
	if c.trace != nil {
		start := time.Now()
		defer func() {
			exit := 0
			if pe := processErr(err); pe != nil {
				exit = pe.ExitCode
			} else if err != nil {
				exit = -1
			}
			argv := rc.Argv
			if rc.Line != "" {
				argv = []string{rc.Line}
			}
			c.trace.record(TraceRecord{Time: time.Now(), Node: c.Endpoint.Node, Argv: argv, Exit: exit,
				Seconds: time.Since(start).Seconds()})
		}()
	}
	sess, err := c.client.NewSession()
	if err != nil {
		return nil, &command.ProcessError{Argv: rc.Argv, ExitCode: -1, Err: err}
	}
	defer sess.Close()
	var stdout, stderr bytes.Buffer
	sess.Stdin = rc.Stdin
	sess.Stdout = &stdout
	if rc.Stdout != nil {
		sess.Stdout = rc.Stdout
	}
	sess.Stderr = &stderr
	if rc.Stderr != nil {
		sess.Stderr = io.MultiWriter(&stderr, rc.Stderr)
	}
	// On cancellation the session is told to stop and closed; when the host does not
	// take that within a second (a dark host, a full window), the whole connection is
	// closed, so that the command returns at once either way.
	returned := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		go func() {
			sess.Signal(ssh.SIGTERM)
			sess.Close()
		}()
		select {
		case <-returned:
		case <-time.After(time.Second):
			c.Close()
		}
	})
	line := rc.Line
	if line == "" {
		line = quoteArgv(rc.Argv)
	}
	err = sess.Run(line)
	close(returned)
	stop()
	if err == nil {
		return stdout.Bytes(), nil
	}
	pe := &command.ProcessError{Argv: rc.Argv, ExitCode: -1, Stderr: stderr.String(), Err: err}
	var ee *ssh.ExitError
	if errors.As(err, &ee) {
		pe.ExitCode = ee.ExitStatus()
	}
	if ctx.Err() != nil {
		pe.Err = errors.Join(ctx.Err(), err)
	}
	return stdout.Bytes(), pe
}

func quoteArgv(argv []string) string { return shell.Quote(argv) }

// withStderr adds the last line the remote command wrote on stderr to its error, for
// messages; the *command.ProcessError (with all of stderr) stays reachable.
func withStderr(err error) error {
	pe := processErr(err)
	if pe == nil {
		return err
	}
	lines := command.Lines(pe.Stderr)
	if len(lines) == 0 {
		return err
	}
	return fmt.Errorf("%w: %s", err, lines[len(lines)-1])
}
